"""Sample submissions, written from the reference or the student version plus a few edits.

Each assignment's `samples.toml` describes realistic buggy and hostile submissions as small edits,
with the exact raw score each must earn: `make grade` grades them, the kit's tests prove the scores.
"""

from __future__ import annotations

import csv
import shutil
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import nbformat

from autograder.config import AssignmentSpec, ConfigError


@dataclass(frozen=True)
class Edit:
    file: str
    old: str
    new: str


@dataclass(frozen=True)
class Sample:
    name: str
    base: str
    expected: float
    why: str
    edits: tuple[Edit, ...]
    submitted_at: datetime | None
    # the tasks in which a robustness probe must fail: reported as a finding, costing nothing
    findings: tuple[str, ...] = ()
    # "a bug the course misses": the course's own checks pass this sample's task, yet it violates
    # the course's sentence quoted here, which the public test `shown_by` shows (course parity)
    course_misses: str = ""
    shown_by: str = ""


def load_samples(spec: AssignmentSpec) -> list[Sample]:
    path = spec.directory / "samples.toml"
    data = tomllib.loads(path.read_text()) if path.is_file() else {"samples": []}
    samples = []
    for index, raw in enumerate(data["samples"]):
        if raw.get("base") not in ("solution", "student"):
            raise ConfigError(f"{path}: samples[{index}].base must be 'solution' or 'student'")
        edits = tuple(Edit(e["file"], e["old"], e["new"]) for e in raw.get("edits", []))
        findings = raw.get("findings", [])
        if not isinstance(findings, list) or not set(findings) <= {t.name for t in spec.tasks}:
            raise ConfigError(f"{path}: samples[{index}].findings must list task names")
        course_misses, shown_by = str(raw.get("course_misses", "")), str(raw.get("shown_by", ""))
        if bool(course_misses) != bool(shown_by):
            raise ConfigError(f"{path}: samples[{index}]: a bug the course misses quotes the course "
                              "(course_misses) and names the public test that shows it (shown_by)")
        samples.append(Sample(raw["name"], raw["base"], float(raw["expected"]),
                              raw.get("why", ""), edits, raw.get("submitted_at"), tuple(findings),
                              course_misses, shown_by))
    return samples


def write_sample(spec: AssignmentSpec, sample: Sample, target: Path) -> None:
    """Copy the sample's base version into `target` and apply its edits, each exactly once."""
    base = spec.solution_dir if sample.base == "solution" else spec.student_dir
    shutil.copytree(base, target, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    for edit in sample.edits:
        path = target / edit.file
        if path.suffix == ".ipynb":
            notebook = nbformat.read(path, as_version=4)
            cells = [c for c in notebook.cells if c.cell_type == "code"]
            _check_once(sample, edit, sum(c.source.count(edit.old) for c in cells))
            cell = next(c for c in cells if edit.old in c.source)
            cell.source = cell.source.replace(edit.old, edit.new)
            nbformat.write(notebook, path)
        else:
            text = path.read_text()
            _check_once(sample, edit, text.count(edit.old))
            path.write_text(text.replace(edit.old, edit.new))


def _check_once(sample: Sample, edit: Edit, count: int) -> None:
    """An edit must match exactly once, so a changed reference cannot silently void a sample."""
    if count != 1:
        where = f"the code cells of {edit.file}" if edit.file.endswith(".ipynb") else edit.file
        raise ConfigError(f"sample {sample.name!r}: the text to replace occurs {count} times "
                          f"in {where}, not once")


def write_samples(spec: AssignmentSpec, target: Path) -> list[Sample]:
    """Write every sample of the assignment into `target`, with a manifest of submission times."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    samples = load_samples(spec)
    for sample in samples:
        write_sample(spec, sample, target / sample.name)
    with open(target / "manifest.csv", "w", newline="") as manifest:
        writer = csv.writer(manifest)
        writer.writerow(["student", "submitted_at"])
        for sample in samples:
            on_time = spec.deadlines.soft  # handed in at the deadline: no penalty
            submitted = sample.submitted_at or on_time
            if submitted is not None:
                writer.writerow([sample.name, submitted.isoformat()])
    return samples
