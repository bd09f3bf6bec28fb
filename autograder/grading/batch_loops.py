"""A hint for slow code, beside the speed check (`speed`): a Python loop over the samples of a batch
in a task's code (`for x in input`, `range(input.shape[0])`...), where one NumPy expression over the
whole batch is usually many times faster.

Read, never run, during the static scan (`intake.scan`), which tells the hint of every node it walks
and files what it reports under the task whose code holds the loop (kind "batch-loop", worded in
`results.SPEED_HINTS`); a hint, never an integrity flag nor a deduction.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from autograder.intake.scan import TASK, Scanner

# attributes that show an argument is an array (a batch loop is over an array's samples)
ARRAY_ATTRIBUTES = frozenset({"shape", "ndim", "dtype", "T", "reshape", "size", "astype"})


class BatchLoops:
    """Reports the batch loops of one source, as its scanner walks it (a `scan.Hint`)."""

    def __init__(self, scanner: Scanner) -> None:
        self.scanner = scanner
        self.batches: dict[int, tuple[set[str], set[str]]] = {}  # by function id: `_batch_of`

    def check(self, node: ast.AST) -> None:
        """Report `node` if it is a loop over the samples of a batch (a comprehension at its
        iterable)."""
        if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            loops = self._over_batch(node.iter)
        elif isinstance(node, ast.While):
            loops = any(self._batch_size(n) for n in ast.walk(node.test) if isinstance(n, ast.expr))
        else:
            return
        if loops:
            where = node.iter if isinstance(node, ast.comprehension) else node
            self.scanner.report("batch-loop", where, least=TASK)

    def _batch(self) -> tuple[set[str], set[str]]:
        """The array inputs of the method around and the names it binds to their batch size."""
        function = self.scanner.place.function
        if function is None or function.name == "__init__":  # a constructor takes sizes and layers
            return set(), set()
        if id(function) not in self.batches:
            self.batches[id(function)] = _batch_of(function)
        return self.batches[id(function)]

    def _over_batch(self, iterable: ast.expr) -> bool:
        """`for x in input`, `zip(input, ...)`, `enumerate(input)`, `range(len(input))`,
        `range(input.shape[0])` or `range(n)` with `n = input.shape[0]`; not stepped ranges (over
        mini-batches)."""
        inputs, _ = self._batch()
        if isinstance(iterable, ast.Name):
            return iterable.id in inputs
        if not isinstance(iterable, ast.Call) or not isinstance(iterable.func, ast.Name):
            return False
        name, args = iterable.func.id, iterable.args
        if name in ("zip", "enumerate"):
            return any(isinstance(a, ast.Name) and a.id in inputs for a in args)
        return name == "range" and 1 <= len(args) <= 2 and self._batch_size(args[-1])

    def _batch_size(self, node: ast.expr) -> bool:
        inputs, sizes = self._batch()
        return (node.id in sizes) if isinstance(node, ast.Name) else _is_batch_size_of(node, inputs)


def _batch_of(function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[set[str], set[str]]:
    """A function's array inputs (arguments it uses as arrays: `x.shape`, `x.T`, `x @ w`,
    `x[i, j]`...; a list of layers or parameters is not one) and the names it binds to their batch
    size (`n = x.shape[0]`, `n, d = x.shape`, `n = len(x)`)."""
    arguments = function.args.posonlyargs + function.args.args + function.args.kwonlyargs
    names = {a.arg for a in arguments} - {"self", "cls"}
    inputs = set()
    for node in _walk(function):
        if isinstance(node, ast.Attribute) and node.attr in ARRAY_ATTRIBUTES:
            inputs |= _name_in(node.value, names)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            inputs |= _name_in(node.left, names) | _name_in(node.right, names)
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple | ast.Slice):
            inputs |= _name_in(node.value, names)
    sizes = set()
    for node in _walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if isinstance(target, ast.Name) and _is_batch_size_of(value, inputs):
                sizes.add(target.id)
            elif (isinstance(target, ast.Tuple) and target.elts
                  and isinstance(target.elts[0], ast.Name) and _is_shape_of(value, inputs)):
                sizes.add(target.elts[0].id)
    return inputs, sizes


def _name_in(node: ast.expr, names: set[str]) -> set[str]:
    return {node.id} & names if isinstance(node, ast.Name) else set()


def _is_batch_size_of(node: ast.expr, inputs: set[str]) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len":
        return any(isinstance(a, ast.Name) and a.id in inputs for a in node.args)
    return (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
            and node.slice.value == 0 and _is_shape_of(node.value, inputs))


def _is_shape_of(node: ast.expr, inputs: set[str]) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "shape"
            and isinstance(node.value, ast.Name) and node.value.id in inputs)


def _walk(function: ast.AST) -> Iterator[ast.AST]:
    """The statements of a function, not those of functions or classes nested in it."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))
