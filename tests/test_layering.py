"""Import rules read from the source: the worker runtime stays small, and nothing unpickles."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import autograder

PACKAGE_ROOT = Path(autograder.__file__).parent
RUNTIME = PACKAGE_ROOT / "runtime"
PICKLE_FAMILY = {"pickle", "_pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle",
                 "joblib"}


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
                      if name in ("autograder", "autograder.runtime")]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


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
    if name in ("autograder", "autograder.runtime") or name.startswith("autograder.runtime."):
        return True
    return name == "modules" or name.startswith("modules.")  # the student's own package


def test_the_runtime_has_modules_to_check():
    names = {p.name for p in python_files(RUNTIME)}
    assert {"wire.py", "worker.py", "probes.py"} <= names


@pytest.mark.parametrize("path", python_files(RUNTIME), ids=lambda p: p.name)
def test_runtime_modules_import_only_the_standard_library_numpy_pyseccomp_and_the_runtime(path):
    bad = [f"{path.name}:{line} imports {name}" for line, name in file_imports(path)
           if not runtime_import_allowed(name)]
    assert not bad, "the worker runtime must not import these:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "name",
    ["torch", "torch.nn", "autograder.sandbox", "autograder.grading.plugin", "autograder.checks",
     "autograder.failures", "autograder.assignments", "scipy", "rich"],
)
def test_the_runtime_rule_refuses_the_grader_and_heavy_libraries(name):
    assert not runtime_import_allowed(name)


def test_the_import_scanner_sees_every_kind_of_import():
    source = ("import torch\nfrom autograder import sandbox\nfrom .. import checks\n"
              "from . import wire\nimport importlib\nimportlib.import_module('pickle')\n"
              "__import__('marshal')\n")
    names = {name for _, name in imported_modules(source, "autograder.runtime")}
    assert {"torch", "autograder.sandbox", "autograder.checks", "autograder.runtime.wire",
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
