"""A self-check's table: per task, how many public tests passed and the first problem, with a note
that says which part was checked. Shared by `autograder check`, `check()` in a notebook and CI.

It never says "all tests passed": only the public tests ran. Every property a hidden test deducts
for has a public test (tests/test_fairness_markers.py), so the public tests predict the grade except
for bugs that only the hidden tests' other data, shapes or seeds reveal, and hidden answer values.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from autograder import N_
from autograder.reports.escape import strip_controls
from autograder.reports.feedback import split_hint
from autograder.reports.language import SOURCE_LANGUAGE, Language, language
from autograder.results import SubmissionResult

PUBLIC_ONLY = N_("Public tests only: every property the hidden tests grade has a public test, so "
                 "this predicts your grade, except for bugs that only the hidden tests' other data, "
                 "shapes or seeds reveal, and hidden answer values.")
PROBLEM_CHARS = 160
# Here, in the student's process, torch is real; the grader's worker has only inert stand-ins.
LIBRARY_USE = N_("uses torch or another deep-learning library: this will score 0 when graded, "
                 "where there is none ({where}, line {line}: {construct})")


@dataclass(frozen=True)
class CheckRow:
    task: str
    passed: int
    total: int
    problem: str
    hint: str
    scores_zero: bool = False  # passes here, yet scores 0 when graded (a deep-learning library)

    @property
    def ok(self) -> bool:
        return self.total > 0 and self.passed == self.total and not self.scores_zero


def check_rows(result: SubmissionResult, only: frozenset[str] = frozenset(),
               lang: str = SOURCE_LANGUAGE) -> list[CheckRow]:
    """Per task (of `only`, if given), the public tests passed and the first problem, in `lang`."""
    _ = language(lang)
    rows = []
    for task in result.tasks:
        if only and task.name not in only:
            continue
        failed = [t for t in task.graded if not t.passed]
        problem, hint = split_hint(failed[0].message, failed[0].outcome) if failed else ("", "")
        problem, hint = _.message(problem), _.message(hint)
        if not failed and task.findings:
            problem = _("{count} finding(s) beyond what the course requires (no points taken)",
                        count=len(task.findings))
        if not task.graded:
            problem = _("no public test of this task ran")
        uses = [f for f in result.findings if f.task == task.name and f.kind == "forbidden-import"]
        if uses:
            problem, hint = _(LIBRARY_USE, where=uses[0].where, line=uses[0].line,
                              construct=uses[0].construct), _("implement it with numpy.")
        # without control characters: check_text prints it as it is (an ESC would reach the terminal)
        first_line = next(iter(strip_controls(problem).splitlines()), "")
        if len(first_line) > PROBLEM_CHARS:
            first_line = first_line[: PROBLEM_CHARS - 3] + "..."
        rows.append(CheckRow(task.name, task.passed, len(task.graded), first_line,
                             strip_controls(hint), scores_zero=bool(uses)))
    return rows


def verdict(rows: list[CheckRow], lang: str = SOURCE_LANGUAGE) -> str:
    """One honest sentence about what passed: it names the public tests, never 'all tests'."""
    _ = language(lang)
    passed, total = sum(r.passed for r in rows), sum(r.total for r in rows)
    tasks = ", ".join(r.task for r in rows)
    failing = ", ".join(r.task for r in rows if not r.ok)
    if total and passed == total and not failing:
        return _("{tasks}: every one of the {total} public tests passed. {public_only}",
                 tasks=tasks, total=total, public_only=_(PUBLIC_ONLY))
    return _("{passed} of {total} public tests passed; to fix: {failing}. {public_only}",
             passed=passed, total=total, failing=failing, public_only=_(PUBLIC_ONLY))


def headers(_: Language) -> tuple[str, str, str]:
    return _("task"), _("public tests"), _("first problem")


def check_text(rows: list[CheckRow], lang: str = SOURCE_LANGUAGE) -> str:
    """A plain-text table for a terminal or a notebook without HTML."""
    _ = language(lang)
    task, tests, problem = headers(_)
    width = max([len(task), *(len(r.task) for r in rows)])
    counts = max(len(tests), 12)
    lines = [f"{task:<{width}}  {tests:<{counts}}  {problem}",
             f"{'-' * width}  {'-' * counts}  {'-' * len(problem)}"]
    for row in rows:
        lines.append(f"{row.task:<{width}}  {f'{row.passed:>5} / {row.total:<4}':<{counts}}  {row.problem}")
        if row.hint:
            lines.append(f"{'':<{width}}  {'':{counts}}  {_('Hint: {hint}', hint=row.hint)}")
    return "\n".join([*lines, "", verdict(rows, lang)])


def check_html(rows: list[CheckRow], lang: str = SOURCE_LANGUAGE) -> str:
    """A small HTML table for a notebook (inline styles: a notebook has no stylesheet of ours)."""
    _ = language(lang)
    cell = 'style="text-align:left;padding:4px 8px;border-bottom:1px solid #d1d9e0;vertical-align:top"'
    body = []
    for row in rows:
        mark = ('<span style="color:#1a7f37">&#10004;</span>' if row.ok
                else '<span style="color:#cf222e">&#10008;</span>')
        hint = (f'<br><span style="color:#0969da">{html.escape(_("Hint: {hint}", hint=row.hint))}</span>'
                if row.hint else "")
        body.append(f"<tr><td {cell}>{mark} {html.escape(row.task)}</td>"
                    f"<td {cell}>{row.passed} / {row.total}</td>"
                    f"<td {cell}><code>{html.escape(row.problem)}</code>{hint}</td></tr>")
    head = "".join(f"<th {cell}>{html.escape(name)}</th>" for name in headers(_))
    return (f'<table class="autograder-check"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table><p>{html.escape(verdict(rows, lang))}</p>')
