"""Shared fixtures: the kit's sample submissions, written and graded once per test session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import config
from autograder.build.samples import Sample, write_samples
from autograder.grading.batch import grade_folder
from autograder.results import SubmissionResult


@dataclass
class GradedSamples:
    samples: dict[str, Sample]
    results: dict[str, SubmissionResult]
    folder: Path
    out: Path


@pytest.fixture(scope="session")
def graded_samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GradedSamples]:
    """Every assignment's samples, graded by the batch grader as `make grade` does."""
    graded = {}
    for name in config.available():
        root = tmp_path_factory.mktemp(name)
        samples = write_samples(config.load(name), root / "submissions")
        results = grade_folder(root / "submissions", name, root / "grades", jobs=2,
                               show_progress=False)
        graded[name] = GradedSamples({s.name: s for s in samples},
                                     {r.student: r for r in results}, root / "submissions",
                                     root / "grades")
    return graded
