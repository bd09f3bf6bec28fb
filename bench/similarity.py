"""Figure 7: the similarity report (autograder.similarity) against copydetect, in two honestly
separate parts.

1. Detection, on a planted corpus: the four independently written autodiff solutions (the
   reference and tests/similarity_solutions/), disguised full copies of them and partial copies
   (some tasks from one source, the rest from another, disguised: tests/similarity_corpus.py), so
   that for every pair and task it is known whether one was copied from the other. Four sources
   cannot make a batch of hundreds (everything would be common code), so the corpus is small and
   balanced: on every task each source's code is held by a quarter of the batch, the most the
   engine's `common_share` still counts. Two figures per tool: recall at K (rank every pair by its
   best score; the share of the K planted pairs among the top K, a pair of score 0 never counts as
   found) and the precision of flagged pairs (planted / flagged).
2. Speed: `compare` on 300 autodiff submissions (copies of the samples and disguised copies, with
   the samples' stored results: a disguised copy grades as its original does), and copydetect on the
   same 300 whole submissions.

copydetect (the anchor to beat) compares whole submissions (each student's modules/*.py
concatenated) with the template as boilerplate, and flags what its report shows (similarity above
its display threshold). It hashes with Python's salted `hash()`, so it runs in a subprocess with
PYTHONHASHSEED=0, which makes its figures repeatable; run `python -m bench.similarity FOLDER
TEMPLATE REPEATS` for it alone.
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import copydetect

from autograder import config, similarity
from autograder.authoring.samples import load_samples
from autograder.batch import grade_batch
from autograder.results import SubmissionResult
from bench.stats import summary
from bench.submissions import sample_batch

ASSIGNMENT = "autodiff"
TARGET_SECONDS = 30.0  # the target: 300 autodiff submissions in under 30 s on 2 cores
CORPUS = config.REPO_ROOT / "tests" / "similarity_corpus.py"
# the tasks a partial copy takes from its source (two sets, so that not every partial is alike)
PARTIAL_TASKS = ({"Linear", "BatchNormalization", "Dropout"}, {"Criterions", "Optimizers", "DataLoader"})
Pair = frozenset[str]


@functools.cache
def _corpus() -> ModuleType:
    """tests/similarity_corpus.py, the generator the tests prove (tests/ is not a package)."""
    found = importlib.util.spec_from_file_location("similarity_corpus", CORPUS)
    assert found is not None and found.loader is not None, CORPUS
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Planted:
    """The planted corpus: each student's entry and, per task, the source their code came from."""

    entries: dict[str, Path]
    origins: dict[str, dict[str, str]]  # student -> task -> source

    def copied_tasks(self) -> set[tuple[Pair, str]]:
        """Every (pair, task) whose two students' code comes from one source."""
        return {(frozenset((a, b)), task) for a, b in itertools.combinations(sorted(self.origins), 2)
                for task, source in self.origins[a].items() if self.origins[b][task] == source}

    def pairs(self) -> set[Pair]:
        return {frozenset((a, b)) for a, b in itertools.combinations(sorted(self.entries), 2)}


def planted_corpus(spec: config.AssignmentSpec, target: Path, quick: bool) -> Planted:
    """The sources, disguised full copies and swapped pairs of partial copies (A's tasks in B's
    rest, and B's in A's), so that every source holds a quarter of each task: quick, 8 students
    (full copies of two sources, partials of the other two); else 16 (two full copies of each
    source, both partial pairs)."""
    corpus = _corpus()
    bases = corpus.write_bases(spec, target / "bases")
    sources = ("reference", *corpus.STYLES)
    tasks = [task.name for task in spec.tasks]
    entries = {source: bases[source] for source in sources}
    origins = {source: dict.fromkeys(tasks, source) for source in sources}
    seeds = itertools.count()
    full = [(source, 1) for source in sources[:2]] if quick else [
        (source, n) for source in sources for n in (1, 2)]
    for source, n in full:
        name = f"{source}~copy{n}"
        entries[name] = corpus.disguise(bases[source], target / name, next(seeds))
        origins[name] = dict.fromkeys(tasks, source)
    partners = [(sources[2], sources[3], PARTIAL_TASKS[0])] if quick else [
        (sources[0], sources[1], PARTIAL_TASKS[0]), (sources[2], sources[3], PARTIAL_TASKS[1])]
    for first, second, copied in partners:
        for source, rest in ((first, second), (second, first)):
            name = f"{source}-in-{rest}"
            entries[name] = corpus.partial_copy(bases[source], bases[rest], copied, spec,
                                                target / name, next(seeds))
            origins[name] = {task: source if task in copied else rest for task in tasks}
    return Planted(entries, origins)


def speed_batch(target: Path, total: int) -> tuple[dict[str, Path], dict[str, str], dict[str, float]]:
    """`total` autodiff submissions: about half copies of the samples (`sample_batch`), the rest
    disguised copies of those; each with the copy it grades as (`<sample>-1`), and the raw score
    each of those must earn."""
    copies = max(1, total // (2 * len(load_samples(config.load(ASSIGNMENT)))))
    expected = sample_batch(ASSIGNMENT, target, copies)
    originals = sorted(expected)
    entries = {name: target / name for name in originals}
    for seed in range(total - len(originals)):
        source = originals[seed % len(originals)]
        entries[f"{source}~{seed}"] = _corpus().disguise(target / source, target / f"{source}~{seed}", seed)
    graded_as = {name: name.split("~")[0].rsplit("-", 1)[0] + "-1" for name in entries}
    return entries, graded_as, {name: expected[name] for name in set(graded_as.values())}


def grade_once(entries: Mapping[str, Path], folder: Path, out: Path) -> dict[str, SubmissionResult]:
    """Every entry graded once (`grade_batch`, -j 2, no similarity step), by student."""
    folder.mkdir(parents=True)
    for name, path in entries.items():
        (folder / name).symlink_to(path.resolve(), target_is_directory=True)
    report = grade_batch(folder, ASSIGNMENT, out, jobs=2, show_progress=False, similarity=False)
    return {result.student: result for result in report.results}


def whole_submissions(entries: Mapping[str, Path], target: Path) -> Path:
    """Each student's modules/*.py concatenated into `target/<student>.py`, as copydetect reads a
    submission."""
    target.mkdir(parents=True)
    for name, path in entries.items():
        files = sorted((path / "modules").glob("*.py"))
        (target / f"{name}.py").write_text("\n".join(file.read_text() for file in files))
    return target


def copydetect_run(folder: Path, template: Path, repeats: int, env: dict[str, str]
                   ) -> tuple[list[float], dict[Pair, float], set[Pair]]:
    """copydetect in a subprocess with PYTHONHASHSEED=0 (`main`): its times, each pair's score
    and the pairs its report shows."""
    run = subprocess.run([sys.executable, "-m", "bench.similarity", str(folder), str(template), str(repeats)],
                         cwd=config.REPO_ROOT, env=env | {"PYTHONHASHSEED": "0"}, capture_output=True,
                         text=True, check=True)
    found = json.loads(run.stdout)
    scores = {frozenset((a, b)): score for a, b, score, _ in found["pairs"]}
    return found["seconds"], scores, {frozenset((a, b)) for a, b, _, shown in found["pairs"] if shown}


def _copydetect_pairs(folder: Path, template: Path) -> list[tuple[str, str, float, bool]]:
    """One copydetect run: (student, student, the larger of its two similarities, shown in its
    report), each pair once."""
    detector = copydetect.CopyDetector(test_dirs=[str(folder)], ref_dirs=[str(folder)],
                                       boilerplate_dirs=[str(template)], extensions=["py"],
                                       silent=True, autoopen=False)
    detector.run()
    tests, refs = [Path(f).stem for f in detector.test_files], [Path(f).stem for f in detector.ref_files]
    larger = detector.similarity_matrix.max(axis=2).tolist()
    best: dict[tuple[str, str], float] = {}
    for (i, a), (j, b) in itertools.product(enumerate(tests), enumerate(refs)):
        if a != b:
            key = (min(a, b), max(a, b))
            best[key] = max(best.get(key, 0.0), larger[i][j])
    shown = detector.conf.display_t
    return [(a, b, round(score, 4), score > shown) for (a, b), score in sorted(best.items())]


def detection(scores: Mapping[Pair, float], flagged: set[Pair], planted: set[Pair]) -> dict[str, Any]:
    """Recall at K (K = planted pairs) over pairs ranked by score, and the precision of flagged
    pairs (None when nothing is flagged)."""
    ranked = sorted((pair for pair, score in scores.items() if score > 0),
                    key=lambda pair: (-scores[pair], sorted(pair)))
    found = planted & set(ranked[:len(planted)])
    return {"recall_at_k": round(len(found) / len(planted), 3),
            "precision": round(len(flagged & planted) / len(flagged), 3) if flagged else None,
            "flagged_pairs": len(flagged), "flagged_planted": len(flagged & planted)}


def ours(report: similarity.SimilarityReport, planted: Planted) -> dict[str, Any]:
    """Our detection figures (a pair's score is its best task's, a pair is flagged if any task is),
    and the precision of flagged (pair, task)s: a partial copy flagged on a task it did not copy
    counts against it."""
    scores: dict[Pair, float] = {}
    for pair in report.pairs:
        key = frozenset((pair.student_a, pair.student_b))
        scores[key] = max(scores.get(key, 0.0), pair.score)
    tasks = {(frozenset((p.student_a, p.student_b)), p.task) for p in report.pairs if p.flagged}
    copied = planted.copied_tasks()
    figure = detection(scores, {pair for pair, _ in tasks}, {pair for pair, _ in copied})
    figure["task_precision"] = round(len(tasks & copied) / len(tasks), 3) if tasks else None
    return figure


def _timed_compare(spec: config.AssignmentSpec, entries: Mapping[str, Path],
                   results: Mapping[str, SubmissionResult], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        similarity.compare(spec, entries, results)
        times.append(time.perf_counter() - start)
    return times


def run(quick: bool, repeats: int, workdir: Path, env: dict[str, str]) -> dict[str, Any]:
    spec = config.load(ASSIGNMENT)
    planted = planted_corpus(spec, workdir / "planted", quick)
    speed, graded_as, expected = speed_batch(workdir / "speed", 30 if quick else 300)
    graded = grade_once(planted.entries | {name: speed[name] for name in sorted(expected)},
                        workdir / "graded", workdir / "grades")
    expected |= dict.fromkeys(planted.entries, spec.max_points)  # every source earns full marks
    template = spec.student_dir / "modules"

    report = similarity.compare(spec, planted.entries, {name: graded[name] for name in planted.entries})
    _, their_scores, their_flags = copydetect_run(
        whole_submissions(planted.entries, workdir / "whole-planted"), template, 1, env)
    planted_pairs = {pair for pair, _ in planted.copied_tasks()}

    stored = {name: replace(graded[origin], student=name) for name, origin in graded_as.items()}
    our_times = _timed_compare(spec, speed, stored, repeats)
    their_times, _, _ = copydetect_run(whole_submissions(speed, workdir / "whole-speed"), template,
                                       repeats, env)
    return {
        "planted": {"submissions": len(planted.entries), "pairs": len(planted.pairs()),
                    "planted_pairs": len(planted_pairs), "planted_tasks": len(planted.copied_tasks()),
                    "ours": ours(report, planted),
                    "copydetect": detection(their_scores, their_flags, planted_pairs)},
        "speed": {"submissions": len(speed), "ours_seconds": summary(our_times),
                  "copydetect_seconds": summary(their_times), "target_seconds": TARGET_SECONDS},
        "copydetect_version": copydetect.__version__,
        "scores_as_expected": {name: result.raw for name, result in graded.items()} == expected,
    }


def main(argv: list[str]) -> int:
    """Run copydetect on FOLDER with TEMPLATE as boilerplate REPEATS times and print, as JSON, the
    seconds of each run and the last run's pairs."""
    folder, template, repeats = Path(argv[0]), Path(argv[1]), int(argv[2])
    seconds, pairs = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        pairs = _copydetect_pairs(folder, template)
        seconds.append(time.perf_counter() - start)
    print(json.dumps({"seconds": seconds, "pairs": pairs}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
