"""Sample submissions, written from the reference or the student version plus a few edits.

Each assignment's `samples.toml` describes realistic buggy and hostile submissions as small edits,
with the exact raw score each must earn: `make grade` grades them, the kit's tests prove the scores.
Its `[course]` table is the offering the samples are handed in to (deadlines, language), written
beside them as their `course.toml`, as an instructor's would be.
"""

from __future__ import annotations

import csv
import json
import shutil
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import nbformat

from autograder import config
from autograder.config import AssignmentSpec, ConfigError


@dataclass(frozen=True)
class Edit:
    file: str
    old: str
    new: str
    # in a notebook, the kind of cells the edit applies to: "code", or "markdown" (a table the
    # course has students fill in, such as the seminar's exercise 1)
    cell: str = "code"


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
        edits = tuple(Edit(e["file"], e["old"], e["new"], e.get("cell", "code"))
                      for e in raw.get("edits", []))
        if not all(edit.cell in ("code", "markdown") for edit in edits):
            raise ConfigError(f"{path}: samples[{index}].edits: cell must be 'code' or 'markdown'")
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
    spec.copy_as_handed_in(spec.solution_dir if sample.base == "solution" else spec.student_dir,
                           target)
    for edit in sample.edits:
        path = target / edit.file
        if path.suffix == ".ipynb":
            notebook = nbformat.read(path, as_version=4)
            cells = [c for c in notebook.cells if c.cell_type == edit.cell]
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
        where = (f"the {edit.cell} cells of {edit.file}" if edit.file.endswith(".ipynb")
                 else edit.file)
        raise ConfigError(f"sample {sample.name!r}: the text to replace occurs {count} times "
                          f"in {where}, not once")


def _toml_value(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else json.dumps(value)


def write_course(spec: AssignmentSpec, target: Path) -> config.Offering:
    """The samples' course file in `target`, from the `[course]` table of `samples.toml` (none
    without one), and the offering it sets, read back as grading reads it."""
    path = spec.directory / "samples.toml"
    table = tomllib.loads(path.read_text()).get("course") if path.is_file() else None
    if table is None:
        return config.Offering()
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [course] must be a table (soft, hard, lang)")
    lines = [f"[{spec.name}]", *(f"{key} = {_toml_value(value)}" for key, value in table.items())]
    (target / config.COURSE_FILE).write_text("\n".join(lines) + "\n")
    return config.offering(spec.name, target / config.COURSE_FILE, required=True)


def write_samples(spec: AssignmentSpec, target: Path) -> list[Sample]:
    """Write every sample of the assignment into `target`, with its course file and a manifest of
    submission times."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    samples = load_samples(spec)
    for sample in samples:
        write_sample(spec, sample, target / sample.name)
    on_time = write_course(spec, target).deadlines.soft  # handed in at the deadline: no penalty
    with open(target / "manifest.csv", "w", newline="") as manifest:
        writer = csv.writer(manifest)
        writer.writerow(["student", "submitted_at"])
        for sample in samples:
            submitted = sample.submitted_at or on_time
            if submitted is not None:
                writer.writerow([sample.name, submitted.isoformat()])
    return samples
