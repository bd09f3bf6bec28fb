"""No hidden-only requirement: every property a hidden test deducts for is also checked by a public
test. Each private test names the public test whose property it extends (`extends("test_name")`),
or is a hidden answer value (`answer`, only in a task that grades an answer), or is a robustness
probe that costs nothing (`robustness`, unless the assignment deducts for them). Collected with
pytest itself, so the markers read here are the ones grading reads."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import config
from autograder.grading.plugin import MARKERS, task_of
from autograder.grading.runner import PYTEST_INI


@dataclass(frozen=True)
class Collected:
    name: str  # the test function's name, without parameters
    task: str
    markers: frozenset[str]
    extends: tuple[str, ...]


class Collector:
    """A pytest plugin that collects an assignment's tests with their markers and runs none."""

    def __init__(self) -> None:
        self.items: list[pytest.Item] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        for marker in MARKERS:
            config.addinivalue_line("markers", marker)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.items = list(items)
        items[:] = []


def collect(folder: Path) -> list[Collected]:
    """The tests in `folder`, collected as grading collects them (rooted at the assignment's
    folder, so every assignment's test modules get the same names: `tests.public.test_training`);
    their modules are forgotten afterwards, so the next assignment's are imported afresh."""
    collector = Collector()
    try:
        exit_code = pytest.main([str(folder), "-q", "-p", "no:cacheprovider",
                                 "--import-mode=importlib", "-c", str(PYTEST_INI),
                                 "--rootdir", str(folder.parent.parent)], plugins=[collector])
    finally:
        for name in [name for name, module in sys.modules.items()
                     if Path(getattr(module, "__file__", None) or "/").is_relative_to(folder)]:
            del sys.modules[name]
    assert exit_code in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED), exit_code
    return [Collected(item.originalname, task_of(item),  # type: ignore[attr-defined]
                      frozenset(m.name for m in item.iter_markers()),
                      tuple(str(arg) for m in item.iter_markers("extends") for arg in m.args))
            for item in collector.items]


@pytest.fixture(scope="module", params=config.available())
def assignment(request: pytest.FixtureRequest):
    spec = config.load(request.param)
    return spec, collect(spec.test_dirs["public"]), collect(spec.test_dirs["private"])


def deducts(spec: config.AssignmentSpec, test: Collected) -> bool:
    return "robustness" not in test.markers or spec.robustness_deducts


def test_every_deducting_hidden_test_names_a_public_test_of_its_task(assignment) -> None:
    spec, public, private = assignment
    public_names = {(t.task, t.name) for t in public if deducts(spec, t)}
    orphans = [f"{t.name} ({t.task}): extends {t.extends or 'nothing'}" for t in private
               if deducts(spec, t) and "answer" not in t.markers
               and (not t.extends or any((t.task, name) not in public_names for name in t.extends))]
    assert not orphans, (f"{spec.name}: hidden tests that deduct for a property no public test of "
                         f"their task checks: {sorted(set(orphans))}")


def test_only_a_task_that_grades_an_answer_hides_answer_values(assignment) -> None:
    spec, public, private = assignment
    answer_tasks = {task.name for task in spec.tasks if set(task.code) & spec.answers}
    misplaced = {t.name for t in public + private if "answer" in t.markers
                 and t.task not in answer_tasks}
    assert not misplaced, f"{spec.name}: tests marked answer outside the answer tasks: {misplaced}"


def test_every_answer_task_has_a_public_test_of_the_answers_form(assignment) -> None:
    spec, public, _ = assignment
    answer_tasks = {task.name for task in spec.tasks if set(task.code) & spec.answers}
    assert answer_tasks <= {t.task for t in public}, spec.name


def test_a_robustness_probe_says_so_and_is_never_also_an_answer(assignment) -> None:
    spec, public, private = assignment
    both = {t.name for t in public + private if {"robustness", "answer"} <= t.markers}
    assert not both, f"{spec.name}: {both}"
