"""Numeric answers a notebook defines at its top level (a hand-computed table, a lecture's worked
numbers), checked cell by cell.

An answer is fetched from the student's `notebook` module (a missing one is "not implemented yet"),
validated as numbers of the expected layout, and compared with a tolerance suited to numbers
computed by hand. A failure names every wrong cell with a hint; a private check never shows the
right value, so that the message cannot be copied back into the notebook. A dict's keys are
matched as a student would spell them: case and everything but letters and digits are ignored
('dMSE/dw' is 'dmse_dw'), and each key may list other spellings ('dw').
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

from autograder import N_
from autograder.failures import CheckFailed, StudentError
from autograder.results import NOT_IMPLEMENTED
from autograder.testing.compare import kind_of

MAX_LISTED = 6


@dataclass(frozen=True)
class HandTolerance:
    """|got - expected| <= atol + rtol * |expected|: room for rounding done by hand."""

    atol: float
    rtol: float

    def accepts(self, got: float, expected: float) -> bool:
        return abs(got - expected) <= self.atol + self.rtol * abs(expected)

    def describe(self) -> str:
        atol, rtol = self.atol, self.rtol
        return N_(f"{atol:g} + {rtol:.0%} of the value") if rtol else f"{atol:g}"


def fetch(module: Any, name: str, hint: str = "") -> Any:
    """The value of `name` in the student's notebook module; missing means not implemented yet
    (`hint`: what to do then, when there is more than filling in the variable's cell)."""
    __tracebackhide__ = True
    try:
        return getattr(module, name)
    except StudentError as exc:
        if exc.type_name != "AttributeError":
            raise
        hint = hint or N_(f"fill in its cell, keeping the name {name}, with numbers, and run the "
                          "cell to see that it works")
        error = exc.message[:400]
        raise CheckFailed(N_(f"{name} {NOT_IMPLEMENTED}, or its cell failed: {error}.\n"
                             f"  Hint: {hint}.")) from None


def _number(value: Any, where: str) -> float:
    __tracebackhide__ = True
    if isinstance(value, str):  # a table cell that does not read as a number keeps its text
        text = value[:60]
        raise CheckFailed(N_(f"{where}: expected a number, got the text {text!r}.\n  Hint: "
                             "write one number, e.g. 0.924, 0,924 or $0{,}924$"))
    if isinstance(value, bool) or not isinstance(value, (Real, np.integer, np.floating)):
        got = kind_of(value)
        raise CheckFailed(N_(f"{where}: expected a number, got {got} (fill it in)")
                          if value is None or value is Ellipsis
                          else N_(f"{where}: expected a number, got {got}"))
    number = float(value)
    if not np.isfinite(number):
        raise CheckFailed(N_(f"{where}: expected a finite number, got {number}"))
    return number


def table(value: Any, name: str, columns: Sequence[str], rows: int) -> list[list[float]]:
    """`value` as `rows` rows of one number per column (a list of lists, or a 2-D array)."""
    __tracebackhide__ = True
    count, names = len(columns), ", ".join(columns)
    layout = N_(f"a list of {rows} rows of {count} numbers ({names})")
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or len(value) != rows:
        got = N_(f"{len(value)} rows") if isinstance(value, (list, tuple)) else kind_of(value)
        raise CheckFailed(N_(f"{name}: expected {layout}, got {got}"))
    result = []
    for index, row in enumerate(value, start=1):
        if not isinstance(row, (list, tuple)) or len(row) != len(columns):
            got = N_(f"{len(row)} numbers") if isinstance(row, (list, tuple)) else kind_of(row)
            raise CheckFailed(N_(f"{name}, row {index}: expected {count} numbers ({names}), got {got}"))
        result.append([_number(cell, N_(f"{name}, row {index}, column {column}"))
                       for cell, column in zip(row, columns, strict=True)])
    return result


def spelling(key: object) -> str:
    """A key as compared: case and everything but letters and digits ignored."""
    return re.sub(r"[\W_]+", "", str(key)).casefold()


def entries(value: Any, name: str,
            keys: Sequence[str] | Mapping[str, Sequence[str]]) -> dict[str, float]:
    """`value` as a dict holding a number under each of `keys` (other keys are ignored), by the
    expected keys. A key is found under its own name, else under one spelling of it (see
    `spelling`; a Mapping lists each key's other spellings); two spellings of one key, or none,
    fail with the keys expected and the keys found."""
    __tracebackhide__ = True
    others: Mapping[str, Sequence[str]] = keys if isinstance(keys, Mapping) else {}
    expected = ", ".join(map(repr, keys))
    if not isinstance(value, dict):
        got = kind_of(value)
        raise CheckFailed(N_(f"{name}: expected a dict with the keys {expected}, got {got}"))
    found, missing, doubled = {}, [], []
    for key in keys:
        accepted = {spelling(s) for s in (key, *others.get(key, ()))}
        matches = [k for k in value if spelling(k) in accepted]
        if key in value or len(matches) == 1:
            found[key] = key if key in value else matches[0]
        elif matches:
            spellings = ", ".join(map(repr, matches))
            doubled.append(N_(f"{spellings} all stand for {key!r}"))
        else:
            missing.append(key)
    if missing or doubled:
        absent = ", ".join(map(repr, missing))
        problems = "; ".join(([N_(f"no key for {absent}")] if missing else []) + doubled)
        spelled = "".join("; " + N_(f"{key!r} may also be {spellings}")
                          for key in missing if others.get(key)
                          for spellings in [", ".join(map(repr, others[key]))])
        keys_found = ", ".join(map(repr, list(value)[:20])) or N_("none (an empty dict)")
        raise CheckFailed(N_(
            f"{name}: {problems}. Expected the keys {expected} (case, spaces and "
            f"'_', '/', '-' do not matter{spelled}); found the keys {keys_found}.\n  Hint: name "
            "each value with its key, as the notebook does beside the exercise."))
    return {key: _number(value[k], f"{name}[{k!r}]") for key, k in found.items()}


def check_cells(got: Mapping[str, float], expected: Mapping[str, float], *, what: str,
                tolerance: HandTolerance, hints: Mapping[str, str], reveal: bool) -> None:
    """Every labelled cell of `expected` against `got`; the failure lists the wrong cells, each
    with its hint, and shows the right values only when `reveal` is set (public checks)."""
    __tracebackhide__ = True
    wrong = [label for label, value in expected.items()
             if not tolerance.accepts(got[label], value)]
    if not wrong:
        return
    count, cells, room = len(wrong), len(expected), tolerance.describe()
    lines = [N_(f"{what}: {count} of {cells} cells are wrong (each may be off by at most {room}).")]
    for label in wrong[:MAX_LISTED]:
        value, right_value, hint = got[label], expected[label], hints.get(label)
        shown = (N_(f"got {value:.6g}, expected {right_value:.6g}") if reveal
                 else N_(f"got {value:.6g}"))
        lines.append(N_(f"  {label}: {shown}.  Hint: {hint}") if hint else N_(f"  {label}: {shown}."))
    if len(wrong) > MAX_LISTED:
        more = len(wrong) - MAX_LISTED
        lines.append(N_(f"  ... and {more} more."))
    raise CheckFailed("\n".join(lines))
