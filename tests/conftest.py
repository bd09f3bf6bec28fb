"""Shared fixtures: the kit's sample submissions, written and graded once per test session, and
the session's private data cache."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import config
from autograder.authoring.samples import Sample, write_samples
from autograder.batch import grade_folder
from autograder.datasets import cache
from autograder.datasets.manifest import read_manifest
from autograder.results import SubmissionResult

# The real MNIST test split on the project's machines (never committed; see data/README.md).
SHARED_MNIST = config.REPO_ROOT.parent / "shared" / "data" / "mnist"


@pytest.fixture(scope="session", autouse=True)
def data_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point $AUTOGRADER_DATA, for the whole session and every grading process it starts, at a
    private cache holding a verified copy of the MNIST test split, so that no test downloads and
    none touches data/cache."""
    root = tmp_path_factory.mktemp("data-cache")
    mnist = read_manifest().dataset("mnist")
    for entry in (mnist.split("test").images, mnist.split("test").labels):
        for folder in (SHARED_MNIST, cache.DEFAULT_CACHE / "mnist"):
            if (folder / entry.name).is_file() and cache.copy_in(folder / entry.name, mnist, entry, root):
                break
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(cache.ENV_VAR, str(root))
        yield root


@pytest.fixture(scope="session")
def mnist_cache(data_cache: Path) -> Path:
    """The session's data cache, known to hold the real MNIST test split (10,000 images)."""
    mnist = read_manifest().dataset("mnist")
    missing = [e.name for e in (mnist.split("test").images, mnist.split("test").labels)
               if not cache.is_cached(mnist, e, data_cache)]
    if missing:
        pytest.fail(f"the MNIST test split ({', '.join(missing)}) was found neither in "
                    f"{SHARED_MNIST} nor in {cache.DEFAULT_CACHE / 'mnist'}: run `make data`")
    return data_cache


@dataclass
class GradedSamples:
    samples: dict[str, Sample]
    results: dict[str, SubmissionResult]
    folder: Path
    out: Path


class AllGradedSamples(Mapping[str, GradedSamples]):
    """Every assignment's samples, graded by the batch grader as `make grade` does, each
    assignment on first use (a run of one assignment's tests grades only its samples)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.graded: dict[str, GradedSamples] = {}

    def __getitem__(self, name: str) -> GradedSamples:
        if name not in self.graded:
            root = self.tmp_path_factory.mktemp(name)
            samples = write_samples(config.load(name), root / "submissions")
            results = grade_folder(root / "submissions", name, root / "grades", jobs=2,
                                   show_progress=False)
            self.graded[name] = GradedSamples({s.name: s for s in samples},
                                              {r.student: r for r in results},
                                              root / "submissions", root / "grades")
        return self.graded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(config.available())

    def __len__(self) -> int:
        return len(config.available())


@pytest.fixture(scope="session")
def graded_samples(tmp_path_factory: pytest.TempPathFactory) -> AllGradedSamples:
    return AllGradedSamples(tmp_path_factory)


@pytest.hookimpl(tryfirst=True)  # before `-m "not slow"` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `slow` every test that reads the graded samples: it waits for whole batches, and a
    marker added here cannot be forgotten on a new test."""
    for item in items:
        if "graded_samples" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say loudly when the browser tests of the report pages did not run (no Chromium here)."""
    skipped = [report for report in terminalreporter.stats.get("skipped", [])
               if "BROWSER TESTS SKIPPED" in str(report.longrepr)]
    if skipped:
        terminalreporter.section("BROWSER TESTS SKIPPED", sep="!", red=True, bold=True)
        terminalreporter.line(f"{len(skipped)} test(s) of the HTML reports did not run: no Chromium "
                              "on PATH. Install it (Debian: apt-get install chromium chromium-driver; "
                              ".ci/run does this when it runs as root).", red=True, bold=True)
