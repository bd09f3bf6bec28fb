"""A corpus for the similarity report's tests and bench: the autodiff assignment's samples (written
with `write_samples`) and independently written solutions (tests/similarity_solutions/), disguised
and mixed by plain `ast` transforms, so that who copied from whom is known.

A disguise is what a student who copies does to hide it: identifiers renamed consistently, methods
and classes reordered, docstrings reworded and comments dropped, equivalent expressions swapped
(`a @ b` / `np.dot(a, b)`, `x ** 2` / `x * x`), temporaries split or inlined. It never changes what
the code computes, so a disguised copy grades as its original does.
"""

from __future__ import annotations

import ast
import random
import shutil
from pathlib import Path

from autograder.authoring.samples import write_samples
from autograder.config import AssignmentSpec

SOLUTIONS = Path(__file__).resolve().parent / "similarity_solutions"
STYLES = ("alpha", "beta", "gamma")  # written independently of the reference and of each other
UNTOUCHED = ("base.py", "__init__.py")  # the course's given files: nobody edits them
WORDS = ("val", "arr", "tmp", "buf", "res", "acc", "data", "vec", "mat", "cur")
DOCSTRINGS = ("My implementation.", "Computes the layer as explained in class.", "Done, see notes.",
              "Works on the examples from the seminar.")
# A common bug, written into each style its own way: BatchNormalization normalises with the unbiased
# batch variance; every style then computes the same wrong numbers. (The reference's own version is
# the sample "batchnorm-unbiased-variance".)
UNBIASED_BN = {
    "alpha": ("sigma2 = np.sum(centered ** 2, axis=0) / n\n",
              "sigma2 = np.sum(centered ** 2, axis=0) / (n - 1)\n"),
    "beta": ("batch_var = ((input - batch_mean) ** 2).mean(0)\n",
             "batch_var = input.var(0, ddof=1)\n"),
    "gamma": ("(input.mean(axis=0), input.var(axis=0))", "(input.mean(axis=0), input.var(axis=0, ddof=1))"),
}


def write_bases(spec: AssignmentSpec, target: Path) -> dict[str, Path]:
    """Every independent starting point: the samples (the reference, the template as handed out,
    the reference with each of its bugs) and the styles, each a submission folder under `target`."""
    samples = target / "samples"
    bases = {sample.name: samples / sample.name for sample in write_samples(spec, samples)}
    for style in STYLES:
        folder = target / "styles" / style
        shutil.copytree(spec.student_dir, folder, ignore=shutil.ignore_patterns("tests", "__pycache__"))
        shutil.copytree(SOLUTIONS / style, folder, dirs_exist_ok=True)
        bases[style] = folder
    return bases


def with_common_bug(style: Path, target: Path) -> Path:
    """A copy of a style's submission with the common BatchNormalization bug, in its own words."""
    shutil.copytree(style, target)
    old, new = UNBIASED_BN[style.name]
    layers = target / "modules" / "layers.py"
    text = layers.read_text()
    assert text.count(old) == 1, f"{style.name}: the common bug's edit no longer applies"
    layers.write_text(text.replace(old, new))
    return target


def _package_files(folder: Path) -> list[Path]:
    return sorted(p for p in (folder / "modules").glob("*.py") if p.name not in UNTOUCHED)


def disguise(source: Path, target: Path, seed: int) -> Path:
    """A disguised copy of the submission `source` in `target` (the same seed, the same copy)."""
    shutil.copytree(source, target)
    rng = random.Random(seed)
    for path in _package_files(target):
        path.write_text(disguise_source(path.read_text(), rng))
    return target


def disguise_source(text: str, rng: random.Random) -> str:
    """One file disguised: every transform, each choosing where it applies with `rng`."""
    tree = ast.parse(text)
    for transform in (_Inline(rng), _Split(rng), _Swap(rng), _Rename(rng), _Redocument(rng)):
        tree = transform.visit(tree)
    _reorder(tree, rng)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def transplant(source: Path, target: Path, classes: set[str]) -> None:
    """Replace the classes named in `classes` in the submission `target` by `source`'s, file by file,
    with the imports they need."""
    for path in _package_files(source):
        donor, receiver_path = ast.parse(path.read_text()), target / "modules" / path.name
        receiver = ast.parse(receiver_path.read_text())
        moved = {node.name: node for node in donor.body
                 if isinstance(node, ast.ClassDef) and node.name in classes}
        if not moved:
            continue
        have = {ast.dump(node) for node in receiver.body if isinstance(node, ast.Import | ast.ImportFrom)}
        imports = [node for node in donor.body
                   if isinstance(node, ast.Import | ast.ImportFrom) and ast.dump(node) not in have]
        receiver.body = imports + [moved.get(getattr(node, "name", ""), node) for node in receiver.body]
        receiver_path.write_text(ast.unparse(receiver) + "\n")


def partial_copy(copied_from: Path, rest_from: Path, tasks: set[str], spec: AssignmentSpec,
                 target: Path, seed: int) -> Path:
    """A submission whose `tasks` come from `copied_from` and the rest from `rest_from`, disguised."""
    mixed = target.with_name(target.name + ".mixed")
    shutil.copytree(rest_from, mixed)
    transplant(copied_from, mixed, {name for task in spec.tasks if task.name in tasks for name in task.code})
    disguise(mixed, target, seed)
    shutil.rmtree(mixed)
    return target


class _Swap(ast.NodeTransformer):
    """Equivalent expressions, each swapped with probability one half: `a @ b` <-> `np.dot(a, b)`,
    `x ** 2` <-> `x * x` (x free of calls, so evaluating it twice changes nothing)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if not self.rng.random() < 0.5:
            return node
        if isinstance(node.op, ast.MatMult):
            dot = ast.Attribute(ast.Name("np", ast.Load()), "dot", ast.Load())
            return ast.Call(dot, [node.left, node.right], [])
        if (isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant)
                and node.right.value == 2 and _pure(node.left)):
            return ast.BinOp(node.left, ast.Mult(), node.left)
        if isinstance(node.op, ast.Mult) and ast.dump(node.left) == ast.dump(node.right) and _pure(node.left):
            return ast.BinOp(node.left, ast.Pow(), ast.Constant(2))
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr == "dot" and isinstance(func.value, ast.Name)
                and func.value.id == "np" and len(node.args) == 2 and not node.keywords
                and self.rng.random() < 0.5):
            return ast.BinOp(node.args[0], ast.MatMult(), node.args[1])
        return node


def _pure(node: ast.AST) -> bool:
    return not any(isinstance(child, ast.Call | ast.NamedExpr) for child in ast.walk(node))


def _functions(tree: ast.AST) -> list[ast.FunctionDef]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]


class _Rename(ast.NodeTransformer):
    """Each function's local names and positional parameters renamed consistently to another
    student's words; not `self`, nor the parameters of `__init__` or with defaults, which callers
    pass by keyword (`BatchNormalization(num_features=16)`)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        arguments = node.args.posonlyargs + node.args.args
        positional = ([] if node.name == "__init__"
                      else arguments[1:len(arguments) - len(node.args.defaults)])
        stored = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        local = sorted(stored | {a.arg for a in positional})
        taken = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        words = [w for w in WORDS if w not in taken]
        self.rng.shuffle(words)
        names = {name: f"{words[i % len(words)]}{i // len(words) or ''}_" for i, name in enumerate(local)}
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and child.id in names:
                child.id = names[child.id]
            elif isinstance(child, ast.arg) and child.arg in names:
                child.arg = names[child.arg]
        return node


class _Redocument(ast.NodeTransformer):
    """Docstrings reworded or dropped (comments are gone already: `ast` keeps none)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def _redo(self, node: ast.Module | ast.ClassDef | ast.FunctionDef) -> ast.AST:
        self.generic_visit(node)
        if ast.get_docstring(node) is not None:
            if len(node.body) > 1 and self.rng.random() < 0.5:
                node.body = node.body[1:]
            else:
                node.body[0] = ast.Expr(ast.Constant(self.rng.choice(DOCSTRINGS)))
        return node

    visit_Module = visit_ClassDef = visit_FunctionDef = _redo


class _Split(ast.NodeTransformer):
    """`return <expression>` split into a temporary and `return` of it, at random."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0

    def visit_Return(self, node: ast.Return) -> ast.AST | list[ast.stmt]:
        if not isinstance(node.value, ast.BinOp | ast.Call) or self.rng.random() < 0.5:
            return node
        self.count += 1
        name = f"result_{self.count}"
        return [ast.Assign([ast.Name(name, ast.Store())], node.value),
                ast.Return(ast.Name(name, ast.Load()))]


class _Inline(ast.NodeTransformer):
    """A temporary used once, by the very next simple statement, inlined into it at random."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        for body in _bodies(node):
            index = 0
            while index < len(body) - 1:
                if self._inline(node, body[index], body[index + 1]):
                    del body[index]
                else:
                    index += 1
        return node

    def _inline(self, function: ast.FunctionDef, assign: ast.stmt, user: ast.stmt) -> bool:
        if not (isinstance(assign, ast.Assign) and len(assign.targets) == 1
                and isinstance(assign.targets[0], ast.Name)
                and isinstance(user, ast.Return | ast.Assign | ast.Expr)):
            return False
        name = assign.targets[0].id
        uses = [n for n in ast.walk(function) if isinstance(n, ast.Name) and n.id == name]
        in_user = [n for n in ast.walk(user) if isinstance(n, ast.Name) and n.id == name]
        if len(uses) != 2 or len(in_user) != 1 or not isinstance(in_user[0].ctx, ast.Load):
            return False
        if any(isinstance(n, ast.comprehension | ast.Lambda) for n in ast.walk(user)):
            return False
        if self.rng.random() < 0.5:
            return False
        _Replace(name, assign.value).visit(user)
        return True


def _bodies(function: ast.FunctionDef) -> list[list[ast.stmt]]:
    return [body for node in ast.walk(function)
            for body in (getattr(node, "body", None), getattr(node, "orelse", None))
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt)]


class _Replace(ast.NodeTransformer):
    def __init__(self, name: str, value: ast.expr) -> None:
        self.name, self.value = name, value

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self.value if node.id == self.name else node


def _reorder(tree: ast.Module, rng: random.Random) -> None:
    """Methods within each class and the classes within the file shuffled (a docstring stays
    first; classes stay after everything else, which in these files is imports and `__all__`)."""
    defined = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    for node in classes:
        head = node.body[:1] if ast.get_docstring(node) is not None else []
        rest = node.body[len(head):]
        rng.shuffle(rest)
        node.body = head + rest
    if any(isinstance(base, ast.Name) and base.id in defined for node in classes for base in node.bases):
        return  # a class defined here before its subclass: keep the file's order
    rng.shuffle(classes)
    tree.body = [node for node in tree.body if not isinstance(node, ast.ClassDef)] + classes
