"""Folders of submissions to grade: copies of an assignment's sample submissions."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Sequence
from pathlib import Path

from autograder import config
from autograder.authoring.samples import write_samples
from autograder.batch import MANIFEST


def sample_batch(assignment: str, target: Path, copies: int = 1,
                 names: Sequence[str] = ()) -> dict[str, float]:
    """Write `copies` copies of the assignment's samples (all, or those in `names`) into `target`,
    named `<sample>-<copy>`, with a manifest of their submission times (so none is late); return
    the raw score each must earn."""
    staging = target.with_name(target.name + "-samples")
    samples = [s for s in write_samples(config.load(assignment), staging) if not names or s.name in names]
    with open(staging / MANIFEST, newline="") as stream:
        submitted = {row["student"]: row["submitted_at"] for row in csv.DictReader(stream)}
    target.mkdir(parents=True)
    expected = {}
    with open(target / MANIFEST, "w", newline="") as stream:
        manifest = csv.writer(stream)
        manifest.writerow(["student", "submitted_at"])
        for sample in samples:
            for copy in range(1, copies + 1):
                student = f"{sample.name}-{copy}"
                shutil.copytree(staging / sample.name, target / student)
                if sample.name in submitted:
                    manifest.writerow([student, submitted[sample.name]])
                expected[student] = sample.expected
    shutil.rmtree(staging)
    return expected
