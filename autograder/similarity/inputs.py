"""What the `similarity` command compares: a submissions folder's entries (grading.roster), and a
graded output folder's stored results (`result.json` per student folder, grading.resume), read as
data, never run."""

from __future__ import annotations

import json
from pathlib import Path

from autograder.grading import roster
from autograder.grading.resume import RESULT_FILE
from autograder.results import SubmissionResult


def entries(folder: Path) -> dict[str, Path]:
    """Each student's entry of a submissions folder, by identity, as grading picks it."""
    return roster.discover(folder)[0]


def stored_results(folder: Path) -> dict[str, tuple[Path, SubmissionResult]]:
    """The results a graded output folder stores, by student, each with its student folder;
    none if `folder` is not one (a stored result that does not read back is left out)."""
    found = {}
    for path in sorted(folder.glob(f"*/{RESULT_FILE}")):
        try:
            result = SubmissionResult.from_dict(json.loads(path.read_text(encoding="utf-8"))["result"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        found[result.student] = (path.parent, result)
    return found


def against(folders: list[Path]) -> tuple[dict[str, Path], dict[str, SubmissionResult]]:
    """The `--against` folders, each entry named "<folder>/<student>" (so that it never takes a
    student's name): a graded output folder gives its stored results (behaviour only: it holds no
    code), any other folder its entries' code."""
    paths: dict[str, Path] = {}
    results: dict[str, SubmissionResult] = {}
    for folder in folders:
        label = folder.resolve().name
        stored = stored_results(folder)
        for student, (path, result) in stored.items():
            paths[f"{label}/{student}"], results[f"{label}/{student}"] = path, result
        if not stored:
            paths |= {f"{label}/{student}": path for student, path in entries(folder).items()}
    return paths, results
