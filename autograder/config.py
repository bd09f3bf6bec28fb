"""Assignment specifications: tasks, points, policy, deadlines and limits, read from TOML.

Each assignment lives in `autograder/assignments/<name>/` with an `assignment.toml` and its tests in
`tests/public` (shipped to students) and `tests/private` (never leaves the grader).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from autograder.sandbox.limits import Limits

ASSIGNMENTS_DIR = Path(__file__).parent / "assignments"
REPO_ROOT = Path(__file__).resolve().parent.parent
Policy = Literal["all_or_nothing", "fraction"]


class ConfigError(Exception):
    """An assignment file is missing or wrong; the message names the file and the key."""


@dataclass(frozen=True)
class TaskSpec:
    name: str
    points: float
    description: str = ""
    # A bonus task's points count above the assignment's maximum (the course's "extra points").
    bonus: bool = False
    # The classes, functions, methods ("Class.method") or answer names this task grades: the
    # static scan (autograder.intake.scan) files what it finds in them under this task.
    code: tuple[str, ...] = ()


@dataclass(frozen=True)
class Deadlines:
    soft: datetime | None = None
    hard: datetime | None = None


@dataclass(frozen=True)
class SpeedSpec:
    """Timing each task's tests against the reference's (autograder.grading.speed), from the
    assignment's [speed] table; without it nothing is timed."""

    # flag a task whose tests take this many times the reference's worker time (0: never time)
    flag_ratio: float = 0.0
    # and take `deduct_fraction` of its points beyond this ratio (0: never deduct)
    deduct_ratio: float = 0.0
    deduct_fraction: float = 0.0
    # a task is timed only when the reference spends at least this long on its tests
    min_reference_seconds: float = 0.05
    # a flag or deduction stands only if this many timings of the student's tests agree
    timings: int = 3


@dataclass(frozen=True)
class AssignmentSpec:
    name: str
    title: str
    policy: Policy
    tasks: tuple[TaskSpec, ...]
    deadlines: Deadlines
    limits: Limits
    package: str
    directory: Path
    late_base: float = 0.85
    # Notebook assignments name the notebook students hand in instead of a package, and the
    # top-level names holding numeric answers (kept by intake besides definitions).
    notebook: str = ""
    answers: frozenset[str] = frozenset()
    speed: SpeedSpec = SpeedSpec()
    # Whether a failed robustness probe (a finding: beyond what the course requires) costs its
    # task points; the [robustness] table's `deduct`, off by default.
    robustness_deducts: bool = False
    # The course's given code ("Class", "Class.method", "function"): what the course's template
    # hands students written. Never a test's subject; the student version keeps it as the course
    # wrote it (tests/test_given_code.py), and a notebook gets the kit's copy before its own cells.
    given: tuple[str, ...] = ()

    @property
    def max_points(self) -> float:
        """The maximum without bonus tasks."""
        return sum(t.points for t in self.tasks if not t.bonus)

    @property
    def bonus_points(self) -> float:
        return sum(t.points for t in self.tasks if t.bonus)

    @property
    def test_dirs(self) -> dict[str, Path]:
        return {kind: self.directory / "tests" / kind for kind in ("public", "private")}

    @property
    def solution_dir(self) -> Path:
        return REPO_ROOT / "solutions" / self.name

    @property
    def student_dir(self) -> Path:
        return REPO_ROOT / "assignments" / self.name

    def task(self, name: str) -> TaskSpec:
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(name)


def available() -> list[str]:
    """Assignments ready to grade: an assignment whose file says `draft = true` is left out of
    `make grade` and of the self-grading tests until its reference earns full marks."""
    return sorted(p.parent.name for p in ASSIGNMENTS_DIR.glob("*/assignment.toml")
                  if not tomllib.loads(p.read_text()).get("draft", False))


def guess(folder: Path) -> str:
    """The one assignment whose package folder `folder` holds (for a student's self-check)."""
    matches = [name for name in available() if _holds(folder, load(name))]
    if len(matches) != 1:
        raise ConfigError(f"cannot tell which assignment {folder} holds; "
                          f"pass --assignment (one of: {', '.join(available())})")
    return matches[0]


def _holds(folder: Path, spec: AssignmentSpec) -> bool:
    if spec.notebook:
        return folder.name == spec.notebook or (folder / spec.notebook).is_file()
    return (folder / spec.package).is_dir()


def load(name: str) -> AssignmentSpec:
    """Read and validate `autograder/assignments/<name>/assignment.toml`."""
    path = ASSIGNMENTS_DIR / name / "assignment.toml"
    if not path.is_file():
        raise ConfigError(f"no assignment named {name!r} (known: {', '.join(available())})")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None

    def need(table: dict, key: str, kind: type, where: str) -> object:
        if not isinstance(table.get(key), kind):
            raise ConfigError(f"{path}: {where}{key} must be a {kind.__name__}")
        return table[key]

    tasks = []
    for index, task in enumerate(need(data, "tasks", list, "")):
        where = f"tasks[{index}]."
        points = task.get("points")
        if not isinstance(points, (int, float)) or points < 0:
            raise ConfigError(f"{path}: {where}points must be a non-negative number")
        if not isinstance(task.get("bonus", False), bool):
            raise ConfigError(f"{path}: {where}bonus must be true or false")
        code = task.get("code", [])
        if not isinstance(code, list) or not all(isinstance(name, str) for name in code):
            raise ConfigError(f"{path}: {where}code must be a list of names")
        tasks.append(TaskSpec(str(need(task, "name", str, where)), float(points),
                              str(task.get("description", "")), task.get("bonus", False),
                              tuple(code)))
    if len({t.name for t in tasks}) != len(tasks):
        raise ConfigError(f"{path}: task names must be unique")
    policy = data.get("policy", "all_or_nothing")
    if policy not in ("all_or_nothing", "fraction"):
        raise ConfigError(f"{path}: policy must be 'all_or_nothing' or 'fraction'")
    raw_deadlines = data.get("deadlines", {})
    deadlines = Deadlines(*(_parse_time(raw_deadlines.get(k), path, k) for k in ("soft", "hard")))
    raw_limits = data.get("limits", {})
    limits = Limits(
        memory_bytes=int(raw_limits.get("memory_mb", 2048)) * 2**20,
        cpu_seconds=int(raw_limits.get("cpu_seconds", 120)),
        call_seconds=float(raw_limits.get("call_seconds", 10.0)),
    )
    if ("package" in data) == ("notebook" in data):
        raise ConfigError(f"{path}: give either package (a folder of .py files students hand in) "
                          "or notebook (the .ipynb file they hand in), not both")
    answers = data.get("answers", [])
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise ConfigError(f"{path}: answers must be a list of names")
    given = data.get("given", [])
    if not isinstance(given, list) or not all(isinstance(g, str) for g in given):
        raise ConfigError(f"{path}: given must be a list of names (Class, Class.method, function)")
    return AssignmentSpec(
        name=name, title=str(need(data, "title", str, "")), policy=policy, tasks=tuple(tasks),
        deadlines=deadlines, limits=limits, package=str(data.get("package", "")),
        directory=path.parent, late_base=float(data.get("late_base", 0.85)),
        notebook=str(data.get("notebook", "")), answers=frozenset(answers),
        speed=_speed(data.get("speed", {}), path),
        robustness_deducts=_robustness_deducts(data.get("robustness", {}), path),
        given=tuple(given),
    )


def _robustness_deducts(table: object, path: Path) -> bool:
    """The [robustness] table: `deduct = true` makes failed robustness probes cost points."""
    if not isinstance(table, dict) or set(table) - {"deduct"} or not isinstance(
            table.get("deduct", False), bool):
        raise ConfigError(f"{path}: [robustness] takes only deduct = true or false")
    return table.get("deduct", False)


def _speed(table: object, path: Path) -> SpeedSpec:
    """The [speed] table, validated: ratios beyond 1, a fraction of points, at least one timing."""
    if not isinstance(table, dict) or set(table) - set(SpeedSpec.__dataclass_fields__):
        raise ConfigError(f"{path}: [speed] takes only {', '.join(SpeedSpec.__dataclass_fields__)}")
    speed = SpeedSpec(**table)
    for key, value in vars(speed).items():
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{path}: speed.{key} must be a non-negative number")
    if any(0 < ratio <= 1 for ratio in (speed.flag_ratio, speed.deduct_ratio)):
        raise ConfigError(f"{path}: speed ratios must be above 1 (a task as fast as the reference "
                          "must never be flagged), or 0 to turn them off")
    if speed.deduct_ratio and not 0 < speed.flag_ratio <= speed.deduct_ratio:
        raise ConfigError(f"{path}: speed.deduct_ratio needs a speed.flag_ratio, not above it")
    if speed.deduct_fraction > 1 or not isinstance(speed.timings, int) or speed.timings < 1:
        raise ConfigError(f"{path}: speed.deduct_fraction must be at most 1 and speed.timings a "
                          "whole number of at least 1")
    return SpeedSpec(**{key: value if key == "timings" else float(value)
                        for key, value in vars(speed).items()})


def _parse_time(value: object, path: Path, key: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    raise ConfigError(f"{path}: deadlines.{key} must be a date-time with a time zone, "
                      "e.g. 2026-10-04T23:59:00+03:00")
