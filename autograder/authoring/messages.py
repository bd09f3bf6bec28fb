"""The message catalog's sources: Babel extractors for what students read (`make messages` runs
`pybabel extract -F babel.cfg`, which names them).

- Python: `N_(...)` (a stored message: autograder.N_) and `_("...", **values)` (a report's own words,
  autograder.reports.language). An
  f-string's template is its text with each `{expression}` as a named placeholder (`{shape}`,
  `{tuple_shape}`), the way the reports match a stored English message against the catalog
  (autograder.reports.language); a plain string is its own template. A message with its hint
  ("...\n  Hint: ...") is two templates, the message and the hint.
- assignment.toml: its `title` and each task's `description`.
- The HTML templates go through Jinja's own extractor (`_("...")` calls).
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from typing import IO, Any

# A check's message and its hint are shown, and so translated, apart (feedback.split_hint): a
# message written with its hint is two messages of the catalog.
from autograder.reports.language import HINT_MARK, STORED

KEYWORDS = ("N_", "_")
NOT_IN_NAME = re.compile(r"\W+")
# what Babel expects from an extractor: line, function, message, translator comments
Extracted = tuple[int, str | None, str, list[str]]


def placeholder(expression: ast.expr) -> str:
    """A placeholder's name, from the expression it stands for: `shape`, `self.what` -> `what`,
    `tuple(expected.shape)` -> `tuple_expected_shape`."""
    if isinstance(expression, ast.Attribute):
        return expression.attr
    name = NOT_IN_NAME.sub("_", ast.unparse(expression)).strip("_")[:40] or "value"
    return name if name[0].isalpha() else f"v_{name}"


def template(node: ast.expr) -> str | None:
    """The catalog template of a string or f-string node (None for anything else): literal text
    with braces doubled, `{name}` for each formatted value; one expression twice is one name."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if not isinstance(node, ast.JoinedStr):
        return None
    names: dict[str, str] = {}  # expression source -> name
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value).replace("{", "{{").replace("}", "}}"))
            continue
        assert isinstance(value, ast.FormattedValue)
        source = ast.unparse(value.value)
        if source not in names:
            name = unique = placeholder(value.value)
            number = 2
            while unique in names.values():
                unique, number = f"{name}_{number}", number + 1
            names[source] = unique
        parts.append(f"{{{names[source]}}}")
    return "".join(parts)


def python_messages(source: str, filename: str = "<source>") -> Iterator[Extracted]:
    """Every message marked in Python source, in order. `N_` of anything but a string or an
    f-string, and `_` of an f-string, are refused, so nothing marked is missed silently; `_` of a
    name (a constant marked N_ where it is defined) has nothing to extract."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else None
        if called not in KEYWORDS:
            continue
        argument = node.args[0]
        if called == "_" and isinstance(argument, ast.JoinedStr):
            raise ValueError(f"{filename}:{node.lineno}: _() of an f-string never finds its "
                             f"translation: give _ the template and the values as keywords")
        found = template(argument)
        if found is None and called == "N_":
            raise ValueError(f"{filename}:{node.lineno}: N_() of something that is not a string "
                             f"or an f-string: {ast.unparse(argument)}")
        for part in HINT_MARK.split(found or ""):
            if part.strip():
                yield node.lineno, called, part, [STORED] if called == "N_" else []


def extract_python(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                   options: Any) -> Iterator[Extracted]:
    """Babel's extractor interface, for the kit's Python files."""
    yield from sorted(python_messages(fileobj.read().decode("utf-8"), getattr(fileobj, "name", "")))


def toml_messages(text: str) -> Iterator[Extracted]:
    """The title and the task descriptions of an assignment.toml, with their lines."""
    lines = text.splitlines()
    spec = tomllib.loads(text)
    found = [("title", spec.get("title", ""))]
    found += [("description", task.get("description", "")) for task in spec.get("tasks", [])]
    for key, value in found:
        if value:
            line = next((number for number, content in enumerate(lines, start=1)
                         if content.startswith(key) and value[:30] in content), 0)
            yield line, None, value, []


def extract_toml(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                 options: Any) -> Iterator[Extracted]:
    """Babel's extractor interface, for assignment.toml."""
    yield from toml_messages(fileobj.read().decode("utf-8"))
