"""`make bench` (`python -m bench`): every figure, into bench/results.json and the README.

`--quick` (`make bench QUICK=1`) runs each figure once on the smallest inputs, writes
build/bench/results-quick.json and leaves the README alone: a check that the bench works, not a
measurement.
"""

from __future__ import annotations

import argparse
import datetime
import json
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autograder import config
from bench import (
    INHERITED_ENV,
    cluster,
    course_ratio,
    isolation,
    layers,
    machine,
    memory,
    report,
    similarity,
    single,
    throughput,
)

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results.json"
QUICK_RESULTS = BENCH.parent / "build" / "bench" / "results-quick.json"
# "memory" comes with "single"
FIGURES = ("single", "course", "throughput", "layers", "isolation", "similarity", "cluster")
SHARED_LOAD = 0.5  # a load average above this before the bench starts: other jobs are running


@dataclass(frozen=True)
class Settings:
    quick: bool
    repeats: int  # runs of figures 1 and 2, and of the similarity timings
    throughput_repeats: int
    copies: int
    jobs: tuple[int, ...]
    throughput_samples: tuple[str, ...]  # empty: every sample
    suite_fraction: float
    layer_repeats: int
    mlp_samples: int
    date: str


def settings(arguments: argparse.Namespace) -> Settings:
    quick = arguments.quick
    return Settings(
        quick=quick,
        repeats=arguments.repeats or (1 if quick else 2),
        throughput_repeats=arguments.throughput_repeats or 1,
        copies=arguments.copies or (2 if quick else 1),
        jobs=tuple(int(j) for j in arguments.jobs.split(",")) if arguments.jobs
        else (1, 2) if quick else (1, 2, 4),
        throughput_samples=("reference",) if quick else (),
        suite_fraction=0.05 if quick else 1.0,
        layer_repeats=3 if quick else 15,
        mlp_samples=5000 if quick else 50000,
        date=datetime.date.today().isoformat(),
    )


def measure(chosen: Settings, figures: list[str], assignments: list[str], throughput_assignment: str,
            workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    if "single" in figures:
        results["single"], peaks = single.run(assignments, chosen.repeats, workdir / "single", INHERITED_ENV)
        results["memory"] = memory.figure(peaks)
    if "course" in figures:
        ours = results.get("single", {}).get("autodiff") or single.run(
            ["autodiff"], chosen.repeats, workdir / "course", INHERITED_ENV)[0]["autodiff"]
        results["course"] = course_ratio.run(ours, chosen.repeats, chosen.suite_fraction)
    if "throughput" in figures:
        results["throughput"] = throughput.run(
            throughput_assignment, chosen.copies, chosen.jobs, chosen.throughput_samples,
            chosen.throughput_repeats, workdir / "throughput", INHERITED_ENV)
    if "layers" in figures:
        results["layers"] = layers.run(chosen.layer_repeats, chosen.mlp_samples)
    if "isolation" in figures:
        results["isolation"] = isolation.run(chosen.repeats, workdir / "isolation", INHERITED_ENV)
    if "similarity" in figures:
        results["similarity"] = similarity.run(chosen.quick, chosen.repeats, workdir / "similarity",
                                               INHERITED_ENV)
    if "cluster" in figures:
        results["cluster"] = cluster.run(chosen.throughput_repeats, chosen.copies,
                                         chosen.throughput_samples, workdir / "cluster", INHERITED_ENV)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run of everything on small inputs")
    parser.add_argument("--only", default=",".join(FIGURES),
                        help=f"comma-separated figures among {', '.join(FIGURES)} (default: all); "
                             "the others keep their previous values in the results file")
    parser.add_argument("--assignments", help="figure 1's assignments, comma-separated (default: all)")
    parser.add_argument("--throughput-assignment", default="autodiff")
    parser.add_argument("--repeats", type=int,
                        help="runs of figures 1, 2 and the similarity timings (default 2, quick 1)")
    parser.add_argument("--throughput-repeats", type=int, help="runs of figure 3 (default 1)")
    parser.add_argument("--copies", type=int,
                        help="copies of figure 3's samples (default 1; quick: 2 of the reference only)")
    parser.add_argument("--jobs", help="figure 3's -j values, comma-separated (default 1,2,4; quick 1,2)")
    parser.add_argument("--out", type=Path, help="results file (default bench/results.json, quick: "
                                                 "build/bench/results-quick.json)")
    parser.add_argument("--no-readme", action="store_true", help="leave the README's table alone")
    arguments = parser.parse_args(argv)
    chosen = settings(arguments)
    figures = arguments.only.split(",")
    unknown = set(figures) - set(FIGURES)
    if unknown:
        parser.error(f"unknown figure(s) {sorted(unknown)}; choose among {', '.join(FIGURES)}")
    assignments = arguments.assignments.split(",") if arguments.assignments else config.available()
    out: Path = arguments.out or (QUICK_RESULTS if chosen.quick else RESULTS)

    previous = json.loads(out.read_text()) if out.is_file() else {}
    results = {key: value for key, value in previous.items() if key in (*FIGURES, "memory")}
    described = machine.describe()
    with tempfile.TemporaryDirectory(prefix="autograder-bench-") as workdir:
        results |= measure(chosen, figures, assignments, arguments.throughput_assignment, Path(workdir))
    described["load_average_end"] = machine.load_average()
    described["shared"] = described["load_average_start"] > SHARED_LOAD
    results |= {"machine": described, "settings": asdict(chosen)}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    text = report.markdown(results)
    print(text)
    if not chosen.quick and not arguments.no_readme:
        report.update_readme(BENCH.parent / "README.md", text)
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
