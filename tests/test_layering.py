"""Import rules read from the source: imports point down the package's rooms (ROOMS), the worker
runtime stays small, each assignment's tests use only the interfaces its spec names, and nothing
unpickles."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import autograder
from autograder import config

PACKAGE_ROOT = Path(autograder.__file__).parent
RUNTIME = PACKAGE_ROOT / "runtime"
INTERFACES = PACKAGE_ROOT / "interfaces"
PROBES = RUNTIME / "probes"
PICKLE_FAMILY = {"pickle", "_pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle",
                 "joblib"}
# The package's rooms, bottom to top: a module imports modules of its own room or a lower one (the
# README's Layout says what each holds). A name stands for that module and every module under it.
ROOMS = (
    ("plain data and helpers", ("autograder", "autograder.results", "autograder.config",
                                "autograder.failures", "autograder.atomic", "autograder.folders",
                                "autograder.digest")),
    ("worker runtime", ("autograder.runtime",)),
    ("datasets", ("autograder.datasets",)),
    ("intake", ("autograder.intake",)),
    ("sandbox", ("autograder.sandbox",)),
    ("test toolkit", ("autograder.testing",)),
    ("interfaces", ("autograder.interfaces",)),
    ("assignments", ("autograder.assignments",)),
    ("scoring", ("autograder.scoring",)),
    ("grading one submission", ("autograder.grading",)),
    ("reports", ("autograder.reports",)),
    ("similarity", ("autograder.similarity",)),
    ("grading a folder, then reporting", ("autograder.batch", "autograder.cluster")),
    ("authoring", ("autograder.authoring",)),
    ("the student's own runs", ("autograder.selfcheck", "autograder.student_pytest")),
    ("command line", ("autograder.cli",)),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, package: str) -> list[tuple[int, str]]:
    """Every module some source in `package` imports, absolute, with its line: `import x`,
    `from x import y`, relative imports, and `import_module` / `__import__` of a literal name."""
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names
                      if is_kit_module(f"{name}.{alias.name}")]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def is_kit_module(name: str) -> bool:
    """Whether `name` is a module or package of the kit (`from autograder.x import y`: is y one?)."""
    path = PACKAGE_ROOT.parent.joinpath(*name.split("."))
    return name.startswith("autograder.") and (path.with_suffix(".py").is_file()
                                               or (path / "__init__.py").is_file())


def file_imports(path: Path) -> list[tuple[int, str]]:
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return imported_modules(path.read_text(), package)


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def runtime_import_allowed(name: str) -> bool:
    top = name.partition(".")[0]
    if top in sys.stdlib_module_names:
        return True
    if top in ("numpy", "pyseccomp"):  # what the worker's site folder holds (sandbox.isolation)
        return True
    return name in ("autograder", "autograder.runtime") or name.startswith("autograder.runtime.")


def test_the_runtime_has_modules_to_check():
    names = {p.relative_to(RUNTIME).as_posix() for p in python_files(RUNTIME)}
    assert {"wire.py", "worker.py", "probes/__init__.py", "probes/jacobian.py"} <= names


@pytest.mark.parametrize("path", python_files(RUNTIME), ids=lambda p: p.relative_to(RUNTIME).as_posix())
def test_runtime_modules_import_only_the_standard_library_numpy_pyseccomp_and_the_runtime(path):
    bad = [f"{path.name}:{line} imports {name}" for line, name in file_imports(path)
           if not runtime_import_allowed(name)]
    assert not bad, "the worker runtime must not import these:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "name",
    ["torch", "torch.nn", "autograder.sandbox", "autograder.grading.plugin", "autograder.testing",
     "autograder.interfaces", "autograder.failures", "autograder.assignments", "scipy", "rich",
     "modules.base"],
)
def test_the_runtime_rule_refuses_the_grader_and_heavy_libraries(name):
    assert not runtime_import_allowed(name)


def interface_modules(root: Path) -> set[str]:
    return {p.stem for p in root.glob("*.py")} - {"__init__"}


def interfaces_imported(path: Path) -> set[str]:
    """The interfaces (modules of autograder.interfaces or autograder.runtime.probes) a file uses."""
    prefixes = ("autograder.interfaces.", "autograder.runtime.probes.")
    return {name.removeprefix(prefix).partition(".")[0] for _, name in file_imports(path)
            for prefix in prefixes if name.startswith(prefix)} & (
        interface_modules(INTERFACES) | interface_modules(PROBES))


@pytest.mark.parametrize("assignment", config.available())
def test_an_assignments_tests_use_only_the_interfaces_its_spec_names(assignment):
    spec = config.load(assignment)
    used = {(path.name, interface) for path in python_files(spec.directory)
            for interface in interfaces_imported(path)}
    assert {interface for _, interface in used} <= set(spec.interfaces), (
        f"{assignment}'s tests use interfaces its assignment.toml does not name: "
        f"{sorted(u for u in used if u[1] not in spec.interfaces)}")


def test_every_interface_is_named_by_an_assignment_and_none_is_core():
    named = {interface for name in config.available() for interface in config.load(name).interfaces}
    assert interface_modules(INTERFACES) | interface_modules(PROBES) <= named
    core = [f"{path.relative_to(PACKAGE_ROOT)}:{line} imports {name}"
            for root in ("testing", "sandbox", "grading", "scoring", "reports", "intake")
            for path in python_files(PACKAGE_ROOT / root)
            for line, name in file_imports(path) if name.startswith("autograder.interfaces")]
    assert not core, "the core must not depend on one assignment's interface:\n" + "\n".join(core)


def test_the_import_scanner_sees_every_kind_of_import():
    source = ("import torch\nfrom autograder import sandbox\nfrom .. import testing\n"
              "from . import wire\nimport importlib\nimportlib.import_module('pickle')\n"
              "__import__('marshal')\n")
    names = {name for _, name in imported_modules(source, "autograder.runtime")}
    assert {"torch", "autograder.sandbox", "autograder.testing", "autograder.runtime.wire",
            "pickle", "marshal"} <= names


@pytest.mark.parametrize("path", python_files(PACKAGE_ROOT),
                         ids=lambda p: p.relative_to(PACKAGE_ROOT).as_posix())
def test_no_module_of_the_kit_uses_pickle_marshal_or_shelve(path):
    bad = [f"line {line}: {name}" for line, name in file_imports(path)
           if name.partition(".")[0] in PICKLE_FAMILY]
    tree = ast.parse(path.read_text())
    bad += [f"line {node.lineno}: allow_pickle=True" for node in ast.walk(tree)
            if isinstance(node, ast.keyword) and node.arg == "allow_pickle"
            and not (isinstance(node.value, ast.Constant) and node.value.value is False)]
    assert not bad, f"{path.relative_to(PACKAGE_ROOT)} deserializes with pickle: {bad}"


def room(name: str) -> int | None:
    """The floor of the room holding module `name` (0 the lowest), None for no room of the kit."""
    floors = [(len(prefix), floor) for floor, (_, prefixes) in enumerate(ROOMS) for prefix in prefixes
              if name == prefix or (prefix != "autograder" and name.startswith(prefix + "."))]
    return max(floors)[1] if floors else None


def kit_modules() -> list[Path]:
    return python_files(PACKAGE_ROOT)


def test_every_module_of_the_kit_has_a_room():
    homeless = [module_name(path) for path in kit_modules() if room(module_name(path)) is None]
    assert not homeless, f"add these modules to a room of ROOMS (and the README's Layout): {homeless}"


def imports_from_above(name: str, imports: list[tuple[int, str]]) -> list[str]:
    """Those of `imports` (module `name`'s) that come from a room above the module's own."""
    floor = room(name)
    return [f"line {line}: {imported} ({ROOMS[room(imported)][0]})" for line, imported in imports
            if floor is not None and room(imported) is not None and room(imported) > floor]


@pytest.mark.parametrize("path", kit_modules(), ids=module_name)
def test_imports_point_down(path):
    """The module (the test's id) imports nothing from a room above its own."""
    name = module_name(path)
    up = imports_from_above(name, file_imports(path))
    assert not up, f"{name} ({ROOMS[room(name)][0]}) imports from rooms above its own:\n" + "\n".join(up)


def test_the_room_rule_refuses_what_grading_once_imported_from_reports():
    source = "from autograder.config import Limits\nfrom autograder.reports import files\n"
    imports = imported_modules(source, "autograder.grading")
    assert imports_from_above("autograder.grading.batch", imports) == [
        "line 2: autograder.reports (reports)", "line 2: autograder.reports.files (reports)"]
    assert imports_from_above("autograder.batch", imports) == []
