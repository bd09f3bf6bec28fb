"""Numeric answers a notebook defines at its top level (a hand-computed table, a lecture's worked
numbers), checked cell by cell.

An answer is fetched from the student's `notebook` module (a missing one is "not implemented yet"),
validated as numbers of the expected layout, and compared with a tolerance suited to numbers
computed by hand. A failure names every wrong cell with a hint; a private check never shows the
right value, so that the message cannot be copied back into the notebook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

from autograder.checks.compare import kind_of
from autograder.failures import CheckFailed, StudentError
from autograder.results import NOT_IMPLEMENTED

MAX_LISTED = 6


@dataclass(frozen=True)
class HandTolerance:
    """|got - expected| <= atol + rtol * |expected|: room for rounding done by hand."""

    atol: float
    rtol: float

    def accepts(self, got: float, expected: float) -> bool:
        return abs(got - expected) <= self.atol + self.rtol * abs(expected)

    def describe(self) -> str:
        relative = f" + {self.rtol:.0%} of the value" if self.rtol else ""
        return f"{self.atol:g}{relative}"


def fetch(module: Any, name: str) -> Any:
    """The value of `name` in the student's notebook module; missing means not implemented yet."""
    __tracebackhide__ = True
    try:
        return getattr(module, name)
    except StudentError as exc:
        if exc.type_name != "AttributeError":
            raise
        raise CheckFailed(
            f"{name} {NOT_IMPLEMENTED}, or its cell failed: {exc.message[:400]}.\n  Hint: "
            f"fill in its cell, keeping the name {name}, with numbers, and run the cell to see "
            "that it works.") from None


def _number(value: Any, where: str) -> float:
    __tracebackhide__ = True
    if isinstance(value, bool) or not isinstance(value, (Real, np.integer, np.floating)):
        raise CheckFailed(f"{where}: expected a number, got {kind_of(value)}"
                          + (" (fill it in)" if value is None or value is Ellipsis else ""))
    number = float(value)
    if not np.isfinite(number):
        raise CheckFailed(f"{where}: expected a finite number, got {number}")
    return number


def table(value: Any, name: str, columns: Sequence[str], rows: int) -> list[list[float]]:
    """`value` as `rows` rows of one number per column (a list of lists, or a 2-D array)."""
    __tracebackhide__ = True
    layout = f"a list of {rows} rows of {len(columns)} numbers ({', '.join(columns)})"
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or len(value) != rows:
        got = f"{len(value)} rows" if isinstance(value, (list, tuple)) else kind_of(value)
        raise CheckFailed(f"{name}: expected {layout}, got {got}")
    result = []
    for index, row in enumerate(value, start=1):
        if not isinstance(row, (list, tuple)) or len(row) != len(columns):
            got = f"{len(row)} numbers" if isinstance(row, (list, tuple)) else kind_of(row)
            raise CheckFailed(f"{name}, row {index}: expected {len(columns)} numbers "
                              f"({', '.join(columns)}), got {got}")
        result.append([_number(cell, f"{name}, row {index}, column {column}")
                       for cell, column in zip(row, columns, strict=True)])
    return result


def entries(value: Any, name: str, keys: Sequence[str]) -> dict[str, float]:
    """`value` as a dict holding a number under each of `keys` (other keys are ignored)."""
    __tracebackhide__ = True
    if not isinstance(value, dict):
        raise CheckFailed(f"{name}: expected a dict with the keys {', '.join(map(repr, keys))}, "
                          f"got {kind_of(value)}")
    missing = [key for key in keys if key not in value]
    if missing:
        raise CheckFailed(f"{name}: the keys {', '.join(map(repr, missing))} are missing "
                          f"(expected {', '.join(map(repr, keys))})")
    return {key: _number(value[key], f"{name}[{key!r}]") for key in keys}


def check_cells(got: Mapping[str, float], expected: Mapping[str, float], *, what: str,
                tolerance: HandTolerance, hints: Mapping[str, str], reveal: bool) -> None:
    """Every labelled cell of `expected` against `got`; the failure lists the wrong cells, each
    with its hint, and shows the right values only when `reveal` is set (public checks)."""
    __tracebackhide__ = True
    wrong = [label for label, value in expected.items()
             if not tolerance.accepts(got[label], value)]
    if not wrong:
        return
    lines = [f"{what}: {len(wrong)} of {len(expected)} cells are wrong (each may be off by at most "
             f"{tolerance.describe()})."]
    for label in wrong[:MAX_LISTED]:
        right = f", expected {expected[label]:.6g}" if reveal else ""
        hint = f"  Hint: {hints[label]}" if hints.get(label) else ""
        lines.append(f"  {label}: got {got[label]:.6g}{right}.{hint}")
    if len(wrong) > MAX_LISTED:
        lines.append(f"  ... and {len(wrong) - MAX_LISTED} more.")
    raise CheckFailed("\n".join(lines))
