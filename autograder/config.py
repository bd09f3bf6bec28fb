"""Assignment specifications: tasks, points, policy, late-penalty formula and limits, read from
TOML; and what a course offering sets for them (deadlines, feedback language), read from its
`course.toml`.

Each assignment lives in `autograder/assignments/<name>/` with an `assignment.toml` and its tests in
`tests/public` (shipped to students) and `tests/private` (never leaves the grader). Deadlines are
not the kit's: they change every term, so a kit that shipped them would give every student of the
next term a zero (see `Offering`).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Literal, TypeVar

ASSIGNMENTS_DIR = Path(__file__).parent / "assignments"
# Where an interface's grader checks and worker probes live, each module named for its interface.
INTERFACE_DIRS = (Path(__file__).parent / "interfaces", Path(__file__).parent / "runtime" / "probes")
REPO_ROOT = Path(__file__).resolve().parent.parent
Policy = Literal["all_or_nothing", "fraction"]
# The course file an instructor puts beside the submissions (or names with `grade --course`).
COURSE_FILE = "course.toml"
DEADLINE_EXAMPLE = "2026-10-04T23:59:00+03:00"
# A feedback language: a two-letter ISO 639-1 code ("en", "ru").
LANGUAGE = re.compile(r"[a-z]{2}")
# A name a notebook's code cell defines at its top level: `class X`, `def x`, `x = ...`.
TOP_LEVEL_NAME = re.compile(r"^(?:class|def|async def)\s+(\w+)|^(\w+)\s*(?::[^=\n]*)?=(?!=)", re.M)


class ConfigError(Exception):
    """An assignment file is missing or wrong; the message names the file and the key."""


Shape = TypeVar("Shape")
# The top-level keys `load` reads itself; any other table is the assignment's own (`tables`).
SPEC_KEYS = frozenset({"title", "package", "notebook", "policy", "late_base", "answers", "given",
                       "draft", "interfaces", "tasks", "limits", "speed", "robustness",
                       "answer_tables", "answer_keys", "deadlines", "similarity", "lang"})


@dataclass(frozen=True)
class Limits:
    """What one worker process may use (the sandbox applies them: `sandbox.limits`). Defaults suit
    the course assignments; an assignment's [limits] table may raise them."""

    memory_bytes: int = 2 * 2**30
    cpu_seconds: int = 120
    file_bytes: int = 64 * 2**20
    open_files: int = 64
    processes: int = 64
    call_seconds: float = 10.0


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
    """An offering's deadlines for one assignment: the late penalty runs from `soft`, and a
    submission after `hard` scores zero. Neither set: no late penalty at all."""

    soft: datetime | None = None
    hard: datetime | None = None

    @property
    def is_set(self) -> bool:
        return self.soft is not None or self.hard is not None


@dataclass(frozen=True)
class Offering:
    """What one course offering sets for an assignment, from its course file: the deadlines and
    the language of the feedback ("": the assignment's own, `AssignmentSpec.lang`)."""

    deadlines: Deadlines = Deadlines()
    lang: str = ""


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
class SimilaritySpec:
    """How the similarity report (autograder.similarity) weighs a batch, from the assignment's
    [similarity] table; every key optional."""

    # a fingerprint, or a failed test's wrong output, found in more than this share of the batch
    # is common code or a common bug: it counts for no pair
    common_share: float = 0.25
    # a task whose own code has fewer fingerprints is alike by necessity (a one-line ReLU): its
    # code alone never flags a pair
    min_fingerprints: int = 20
    # a pair's task is flagged at this score, and listed from `floor` up (scores in [0, 1])
    threshold: float = 0.5
    floor: float = 0.2


@dataclass(frozen=True)
class AnswerTableSpec:
    """An answer the course has students fill in as a markdown table (autograder.intake.
    answer_table), from an [[answer_tables]] entry: a real notebook of the course has no variable
    for it, so intake reads the table into the answer `name` when no code cell assigns `name`."""

    name: str
    # the exercise's heading as the kit's and the course's notebooks write it ("Exercise 1")
    headings: tuple[str, ...]
    columns: int
    # the leading columns the template fills in: a table with nothing more is not filled in
    given_columns: int = 0


@dataclass(frozen=True)
class AssignmentSpec:
    name: str
    title: str
    policy: Policy
    tasks: tuple[TaskSpec, ...]
    limits: Limits
    package: str
    directory: Path
    # The course's late penalty: final = raw * late_base^(t/1440), t minutes after the soft
    # deadline (the deadlines themselves come from the course file: `Offering`).
    late_base: float = 0.85
    # Notebook assignments name the notebook students hand in instead of a package, and the
    # top-level names holding numeric answers (kept by intake besides definitions).
    notebook: str = ""
    answers: frozenset[str] = frozenset()
    speed: SpeedSpec = SpeedSpec()
    # Whether a failed robustness probe (a finding: beyond what the course requires) costs its
    # task points; the [robustness] table's `deduct`, off by default.
    robustness_deducts: bool = False
    similarity: SimilaritySpec = SimilaritySpec()
    # The course's given code ("Class", "Class.method", "function"): what the course's template
    # hands students written. Never a test's subject; the student version keeps it as the course
    # wrote it (tests/test_given_code.py), and a notebook gets the kit's copy before its own cells.
    given: tuple[str, ...] = ()
    # Answers the course's notebook has students fill in as markdown tables ([[answer_tables]]).
    answer_tables: tuple[AnswerTableSpec, ...] = ()
    # The interfaces of the students' code its tests check (`interfaces = [...]`): modules of that
    # name in INTERFACE_DIRS; its tests import no other interface's (tests/test_layering.py).
    interfaces: tuple[str, ...] = ()
    # Per answer dict, its keys, each with the other spellings read for it ([answer_keys.<answer>]).
    answer_keys: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict,
                                                                     hash=False)
    # The assignment's own tables ([xor], [training]...), for its tests to read with `table`.
    tables: Mapping[str, Mapping[str, object]] = field(default_factory=dict, hash=False)
    # The feedback's language unless the course file or --lang says otherwise (`lang = "ru"`);
    # applied when results are reported, so the resume key never sees it (grading.resume).
    lang: str = "en"

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

    def copy_as_handed_in(self, version: Path, target: Path) -> None:
        """Copy a version of the assignment (`solution_dir`, `student_dir`) into `target` as a
        student of the English edition hands it in: without its tests, caches or the Russian
        notebook (tests/test_russian_notebooks.py grades that one as its students hand it in)."""
        shutil.copytree(version, target, ignore=shutil.ignore_patterns("__pycache__", "tests",
                                                                       "*.ru.ipynb"))

    def task(self, name: str) -> TaskSpec:
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(name)

    def table(self, name: str, shape: type[Shape]) -> Shape:
        """The assignment's own table [name] as the dataclass `shape`: every field given, no other
        key, each value of its field's type (a whole number does for a float)."""
        where = f"{self.directory / 'assignment.toml'}: [{name}]"
        if name not in self.tables:
            raise ConfigError(f"{where} is missing")
        # a field's type by name: a string where its module postpones annotations
        kinds = {f.name: getattr(f.type, "__name__", f.type) for f in fields(shape)}
        table = self.tables[name]
        if set(table) != set(kinds):
            raise ConfigError(f"{where} takes exactly {', '.join(kinds)}")
        values = {}
        for key, kind in kinds.items():
            value = table[key]
            if kind == "float" and type(value) is int:
                value = float(value)
            if type(value).__name__ != kind:
                raise ConfigError(f"{where} {key} must be {'an' if kind == 'int' else 'a'} {kind}")
            values[key] = value
        return shape(**values)


def available() -> list[str]:
    """Assignments ready to grade: an assignment whose file says `draft = true` is left out of
    `make grade` and of the self-grading tests until its reference earns full marks."""
    return sorted(p.parent.name for p in ASSIGNMENTS_DIR.glob("*/assignment.toml")
                  if not tomllib.loads(p.read_text()).get("draft", False))


def choose(assignment: str | None, where: Path, tasks: Collection[str] = (), *,
           defined: Collection[str] | None = None) -> AssignmentSpec:
    """The assignment a student's self-check is for: the one named, else the one `guess` finds;
    either way one that has every task of `tasks`."""
    spec = load(assignment) if assignment else guess(where, tasks, defined)
    unknown = set(tasks) - {t.name for t in spec.tasks}
    if unknown:
        raise ConfigError(f"{spec.name} has no task {', '.join(sorted(unknown))}; its tasks: "
                          + ", ".join(t.name for t in spec.tasks))
    return spec


def guess(where: Path, tasks: Collection[str] = (), defined: Collection[str] | None = None
          ) -> AssignmentSpec:
    """The one assignment, among those with every task of `tasks`, that `where` holds: the package
    assignment whose package folder it holds; else, if it is or holds a notebook (or a running
    notebook defines the names `defined`), the notebook assignment whose own names (its tasks'
    code, given code and answers) the notebook defines the most of. Every notebook assignment's
    notebook has one name (`notebook.ipynb`, `notebook.ru.ipynb` in Russian): only its content
    tells them apart."""
    specs = [spec for spec in map(load, available()) if set(tasks) <= {t.name for t in spec.tasks}]
    packages = [spec for spec in specs if spec.package and (where / spec.package).is_dir()]
    if len(packages) == 1:
        return packages[0]
    names = set(defined) if defined is not None else _names_defined(where)
    notebooks = [spec for spec in specs if spec.notebook] if names is not None and not packages else []
    if len(notebooks) > 1:
        shares = {spec.name: len(names & _own_names(spec)) / len(_own_names(spec)) for spec in notebooks}
        best = max(shares.values())
        notebooks = [spec for spec in notebooks if best > 0 and shares[spec.name] == best]
    if len(notebooks) != 1:
        raise ConfigError(
            f"cannot tell which assignment {where} holds{' with ' + ', '.join(tasks) if tasks else ''}"
            f"; name it (--assignment on the command line, check(..., assignment=...) in Python), "
            f"one of: {', '.join(available())}")
    return notebooks[0]


def _own_names(spec: AssignmentSpec) -> set[str]:
    """The top-level names a notebook of this assignment defines: what its tasks grade, the
    course's given code and the answers."""
    return {name.partition(".")[0] for name in (*(c for t in spec.tasks for c in t.code),
                                                  *spec.given, *spec.answers)}


def _names_defined(where: Path) -> set[str] | None:
    """The top-level names (classes, functions, variables) that the notebook `where` is, or the
    notebooks `where` holds (a student version holds one and its translation, `notebook.ipynb`
    beside `notebook.ru.ipynb`), define together, read from their text, never run; None without
    one."""
    notebooks = [where] if where.suffix == ".ipynb" else sorted(where.glob("*.ipynb"))
    if not notebooks or not all(path.is_file() for path in notebooks):
        return None
    names: set[str] = set()
    for path in notebooks:
        try:
            cells = json.loads(path.read_bytes()).get("cells", [])
        except (OSError, ValueError, AttributeError):
            continue
        code = "\n".join("".join(cell.get("source", "")) for cell in cells
                         if isinstance(cell, dict) and cell.get("cell_type") == "code")
        names |= {cls_or_def or variable for cls_or_def, variable in TOP_LEVEL_NAME.findall(code)}
    return names


def load_for(path: str | Path) -> AssignmentSpec:
    """The spec of the assignment a file belongs to, so that its tests never name it: a file in
    the assignment's folder (its tests, its protocol), or a student version's copy of one of its
    public tests (`autograder build`), found by its bytes."""
    path = Path(path).resolve()
    if path.is_relative_to(ASSIGNMENTS_DIR.resolve()):
        return load(path.relative_to(ASSIGNMENTS_DIR.resolve()).parts[0])
    for name in available():
        public = load(name).test_dirs["public"] / path.name
        if public.is_file() and public.read_bytes() == path.read_bytes():
            return load(name)
    raise ConfigError(f"{path} is not one of the tests of an assignment of this kit")


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
    if "deadlines" in data:
        raise ConfigError(f"{path}: [deadlines] belongs to a course offering, not to the kit: put "
                          f"soft and hard under [{name}] in {COURSE_FILE} beside the submissions "
                          "(or pass --course FILE, --soft-deadline, --hard-deadline)")
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
    tables = {key: value for key, value in data.items() if key not in SPEC_KEYS}
    for key, value in tables.items():
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: {key} is not a key of an assignment file (an assignment's "
                              f"own settings go in a table, [{key}])")
    return AssignmentSpec(
        name=name, title=str(need(data, "title", str, "")), policy=policy, tasks=tuple(tasks),
        limits=limits, package=str(data.get("package", "")),
        directory=path.parent, late_base=float(data.get("late_base", 0.85)),
        notebook=str(data.get("notebook", "")), answers=frozenset(answers),
        speed=_speed(data.get("speed", {}), path),
        robustness_deducts=_robustness_deducts(data.get("robustness", {}), path),
        similarity=_similarity(data.get("similarity", {}), path),
        given=tuple(given),
        answer_tables=_answer_tables(data.get("answer_tables", []), path, frozenset(answers)),
        interfaces=_interfaces(data.get("interfaces", []), path),
        answer_keys=_answer_keys(data.get("answer_keys", {}), path, frozenset(answers)),
        tables=tables, lang=_language(data.get("lang", "en"), f"{path}: lang"),
    )


def _language(lang: object, where: str) -> str:
    """A feedback language: a two-letter code (whether the kit has its catalog, the reports say)."""
    if not (isinstance(lang, str) and LANGUAGE.fullmatch(lang)):
        raise ConfigError(f"{where} must be a two-letter language code such as \"en\" or \"ru\" "
                          f"(got {lang!r})")
    return lang


def _interfaces(names: object, path: Path) -> tuple[str, ...]:
    """The `interfaces` list: each the name of a module in INTERFACE_DIRS."""
    known = sorted({p.stem for folder in INTERFACE_DIRS for p in folder.glob("*.py")} - {"__init__"})
    if not isinstance(names, list) or not all(isinstance(n, str) and n in known for n in names):
        raise ConfigError(f"{path}: interfaces must be a list of interface names (known: "
                          f"{', '.join(known)})")
    return tuple(names)


def _answer_keys(table: object, path: Path, answers: frozenset[str]
                 ) -> dict[str, dict[str, tuple[str, ...]]]:
    """The [answer_keys.<answer>] tables: per answer, each key with a list of its other spellings."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: answer_keys must be tables, [answer_keys.<answer>]")
    keys: dict[str, dict[str, tuple[str, ...]]] = {}
    for answer, spellings in table.items():
        if not (answer in answers and isinstance(spellings, dict) and all(
                isinstance(others, list) and all(isinstance(o, str) for o in others)
                for others in spellings.values())):
            raise ConfigError(f"{path}: [answer_keys.{answer}] must name one of answers and give "
                              "each key a list of its other spellings")
        keys[answer] = {key: tuple(others) for key, others in spellings.items()}
    return keys


def _answer_tables(entries: object, path: Path, answers: frozenset[str]
                   ) -> tuple[AnswerTableSpec, ...]:
    """The [[answer_tables]] entries: each names one of the `answers`, its headings and columns."""
    keys = {"name", "headings", "columns", "given_columns"}
    tables = []
    for index, entry in enumerate(entries if isinstance(entries, list) else [None]):
        headings = entry.get("headings") if isinstance(entry, dict) else None
        if not (isinstance(entry, dict) and set(entry) <= keys and entry.get("name") in answers
                and isinstance(headings, list) and headings
                and all(isinstance(h, str) and h for h in headings)
                and isinstance(entry.get("columns"), int) and entry["columns"] > 0
                and isinstance(entry.get("given_columns", 0), int)):
            raise ConfigError(f"{path}: answer_tables[{index}] takes name (one of answers), "
                              "headings (a list of texts), columns and given_columns (counts)")
        tables.append(AnswerTableSpec(entry["name"], tuple(headings), entry["columns"],
                                      entry.get("given_columns", 0)))
    return tuple(tables)


def _robustness_deducts(table: object, path: Path) -> bool:
    """The [robustness] table: `deduct = true` makes failed robustness probes cost points."""
    if not isinstance(table, dict) or set(table) - {"deduct"} or not isinstance(
            table.get("deduct", False), bool):
        raise ConfigError(f"{path}: [robustness] takes only deduct = true or false")
    return table.get("deduct", False)


def _similarity(table: object, path: Path) -> SimilaritySpec:
    """The [similarity] table: shares and scores in [0, 1], a whole number of fingerprints."""
    known = SimilaritySpec.__dataclass_fields__
    if not isinstance(table, dict) or set(table) - set(known):
        raise ConfigError(f"{path}: [similarity] takes only {', '.join(known)}")
    for key, value in table.items():
        whole = key == "min_fingerprints"
        if isinstance(value, bool) or not isinstance(value, int if whole else int | float) \
                or value < 0 or (not whole and value > 1):
            raise ConfigError(f"{path}: similarity.{key} must be "
                              + ("a whole number of at least 0" if whole else "a number in [0, 1]"))
    return SimilaritySpec(**{key: value if key == "min_fingerprints" else float(value)
                             for key, value in table.items()})


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


def deadline(value: object, where: str) -> datetime | None:
    """A deadline as a TOML date-time or an ISO 8601 text (a quoted value, a command-line option),
    with a time zone: without one, the same file means another moment on another machine."""
    if value is None:
        return None
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # not a time: reported below, quoted
            value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, datetime):
        got = f"{value.isoformat()}, which has none"
    else:  # a TOML date or time of day, or anything else
        got = value.isoformat() if isinstance(value, date | time) else repr(value)
    raise ConfigError(f"{where} must be a date-time with a time zone, e.g. {DEADLINE_EXAMPLE} "
                      f"(got {got})")


def _checked(deadlines: Deadlines, where: str) -> Deadlines:
    if deadlines.soft and deadlines.hard and deadlines.hard < deadlines.soft:
        raise ConfigError(f"{where}: the hard deadline ({deadlines.hard.isoformat()}) is before the "
                          f"soft one ({deadlines.soft.isoformat()})")
    return deadlines


def load_course(path: Path) -> dict[str, Offering]:
    """Every assignment's settings in the course file at `path`: one table per assignment,

        [autodiff]
        soft = 2026-10-04T23:59:00+03:00   # the late penalty runs from here
        hard = 2026-10-11T23:59:00+03:00   # after this, zero
        lang = "en"                        # the feedback's language

    every key optional. Anything else is an error naming the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    offerings = {}
    for name, table in data.items():
        if not (ASSIGNMENTS_DIR / name / "assignment.toml").is_file():
            raise ConfigError(f"{path}: [{name}] is not an assignment of this kit: the file holds "
                              f"one table per assignment ({', '.join(available())})")
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {name} must be a table, [{name}], of soft, hard and lang")
        unknown = set(table) - {"soft", "hard", "lang"}
        if unknown:
            raise ConfigError(f"{path}: [{name}] {', '.join(sorted(unknown))}: unknown key "
                              "(known: soft, hard, lang)")
        lang = _language(table["lang"], f"{path}: [{name}] lang") if "lang" in table else ""
        deadlines = Deadlines(*(deadline(table.get(key), f"{path}: [{name}] {key}")
                                for key in ("soft", "hard")))
        offerings[name] = Offering(_checked(deadlines, f"{path}: [{name}]"), lang)
    return offerings


def feedback_language(spec: AssignmentSpec, found: Offering = Offering(), chosen: str = "") -> str:
    """The language the feedback is reported in: `chosen` (the command line's --lang), else the
    offering's (its course file), else the assignment's own default."""
    return chosen or found.lang or spec.lang


def offering(assignment: str, course_file: Path, *, required: bool = False,
             soft: str | None = None, hard: str | None = None) -> Offering:
    """The offering of `assignment`: its table of `course_file` (none if the file does not exist,
    unless `required`), with the deadlines `soft` and `hard` (ISO 8601 texts, the command line's
    --soft-deadline and --hard-deadline) put in place of the file's."""
    if course_file.is_file() or required:
        found = load_course(course_file).get(assignment, Offering())
    else:
        found = Offering()
    given = {key: deadline(value, f"--{key}-deadline")
             for key, value in (("soft", soft), ("hard", hard)) if value is not None}
    where = f"{course_file} with the command line's deadlines" if given else str(course_file)
    return replace(found, deadlines=_checked(replace(found.deadlines, **given), where))
