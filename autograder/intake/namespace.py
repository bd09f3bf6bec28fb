"""What the names of a student's code mean, for the static scan (`intake.scan`): the modules its
imports bind (`np.testing` is "numpy.testing"), its string constants (a path in a variable), and
which task owns each definition: the one naming it in assignment.toml (`code = [...]`), its class's,
or, for a module-level helper, every task whose code refers to it (at any remove)."""

from __future__ import annotations

import ast
from collections.abc import Mapping

# Built-ins a call may name bare (`open(...)` is "builtins.open"), unless the code rebinds the name.
BUILTIN_CALLEES = frozenset({"open", "exec", "eval", "compile", "__import__", "breakpoint",
                             "setattr", "delattr", "vars"})


class Namespace:
    """What a module's names mean: the modules its imports bind, its string constants, and which
    tasks own its top-level definitions (helpers included)."""

    def __init__(self, trees: list[ast.Module], owners: Mapping[str, str]) -> None:
        self.owners = owners
        self.modules: dict[str, str] = {}  # name -> the module (or module attribute) it is bound to
        self.top_level_modules: set[str] = set()  # of those, the names bound at the top level
        self.constants: dict[str, str] = {}  # top-level names bound to a string constant
        for tree in trees:
            top_level = {id(node) for node in tree.body}
            for node in ast.walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    self._bind(node, top_level=id(node) in top_level)
            for node in tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                        and isinstance(node.targets[0], ast.Name):
                    self._alias(node.targets[0].id, node.value)
        self.helpers = self._helpers(trees)

    def _bind(self, node: ast.Import | ast.ImportFrom, top_level: bool) -> None:
        for alias in node.names:
            if isinstance(node, ast.Import):
                name = alias.asname or alias.name.partition(".")[0]
                bound = alias.name if alias.asname else name
            elif node.level or alias.name == "*":
                continue  # the student's own modules; a star import is reported where it is
            else:
                name, bound = alias.asname or alias.name, f"{node.module}.{alias.name}"
            self.modules[name] = bound
            if top_level:
                self.top_level_modules.add(name)

    def _alias(self, name: str, value: ast.expr) -> None:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            self.constants[name] = value.value
        elif (module := self.dotted(value)) is not None:  # xp = np
            self.modules[name] = module
            self.top_level_modules.add(name)

    def dotted(self, node: ast.expr) -> str | None:
        """The module path an expression stands for (`np.testing` -> "numpy.testing"), if any."""
        if isinstance(node, ast.Name):
            return "builtins" if node.id == "__builtins__" else self.modules.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Subscript) and self.dotted(node.value) == "sys.modules":
            return constant_text(node.slice)  # sys.modules["numpy"]
        if isinstance(node, ast.Call) and node.args and self.callee(node) in (
                "builtins.__import__", "importlib.import_module", "builtins.vars"):
            return constant_text(node.args[0]) or self.dotted(node.args[0])
        return None

    def callee(self, call: ast.Call) -> str | None:
        func = call.func
        if isinstance(func, ast.Name) and func.id in BUILTIN_CALLEES and func.id not in self.modules:
            return f"builtins.{func.id}"
        return self.dotted(func)

    def text(self, node: ast.expr) -> str | None:
        """The leading text of a path expression: a constant, a top-level constant's name, or the
        start of a concatenation, an f-string or an os.path.join."""
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        if isinstance(node, ast.BinOp):
            return self.text(node.left)
        if isinstance(node, ast.JoinedStr) and node.values:
            return self.text(node.values[0])
        if isinstance(node, ast.Call) and node.args and self.callee(node) == "os.path.join":
            return self.text(node.args[0])
        return constant_text(node)

    def owner(self, qualname: str) -> tuple[str, ...]:
        """The tasks that own a definition: by its own name ("Class.method"), else its class's,
        else as a helper of task code."""
        parts = qualname.split(".")
        for end in range(len(parts), 0, -1):
            if ".".join(parts[:end]) in self.owners:
                return (self.owners[".".join(parts[:end])],)
        return tuple(sorted(self.helpers.get(qualname, ())))

    def _helpers(self, trees: list[ast.Module]) -> dict[str, set[str]]:
        """Top-level functions no task names, by the tasks whose code refers to them (at any
        remove: a helper's helper too)."""
        definitions: dict[str, list[ast.AST]] = {}
        for tree in trees:
            for node in tree.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Assign):
                    for name in defined_names(node):
                        definitions.setdefault(name, []).append(node)
        functions = {name for name, nodes in definitions.items() if name not in self.owners
                     and any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) for n in nodes)}
        helpers: dict[str, set[str]] = {}
        pending = [(task, node) for name, task in self.owners.items()
                   for node in _definitions_of(name, definitions)]
        while pending:
            task, node = pending.pop()
            for used in _names_used(node) & functions:
                if task not in helpers.setdefault(used, set()):
                    helpers[used].add(task)
                    pending += [(task, definition) for definition in definitions[used]]
        return helpers


def _definitions_of(qualname: str, definitions: dict[str, list[ast.AST]]) -> list[ast.AST]:
    """The nodes that define "Class.method" (or a top-level name)."""
    first, *rest = qualname.split(".")
    nodes = definitions.get(first, [])
    for part in rest:
        nodes = [child for node in nodes for child in getattr(node, "body", [])
                 if getattr(child, "name", None) == part]
    return nodes


def defined_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    return [node.name]  # type: ignore[attr-defined]


def _names_used(node: ast.AST) -> set[str]:
    """The free names a definition reads (a local variable `loss` is not the function `loss`)."""
    loaded, bound = set(), set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            (loaded if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
    return loaded - bound


def constant_text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
