"""The gradebook and a self-check as tables in the terminal.

Every string a student controls goes through `escape.terminal` (no control characters, Rich
markup shown as written) and the consoles print without emoji codes, so a name such as
`[link=...]`, `:skull:` or one holding ESC[2K prints exactly as written and moves no cursor."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from autograder.config import Deadlines
from autograder.reports.check_table import check_rows, verdict
from autograder.reports.escape import terminal
from autograder.reports.language import SOURCE_LANGUAGE, language
from autograder.results import INTEGRITY_FLAGS, SubmissionResult
from autograder.scoring import policy


def gradebook_table(title: str, tasks: list[str], results: list[SubmissionResult]) -> Table:
    table = Table(title=title)
    table.add_column("student")
    for task in tasks:
        table.add_column(task, justify="right")
    for column in ("raw", "final", "flags"):
        table.add_column(column, justify="right" if column != "flags" else "left")
    for result in sorted(results, key=lambda r: r.student):
        points = {t.name: t for t in result.tasks}
        cells = [f"{points[name].points:g}" if points[name].points == points[name].max_points
                 else f"[red]{points[name].points:g}[/red]" for name in tasks]
        flags = []
        if result.grader_errors:
            flags.append(f"[bold red]{result.grader_errors} grader error(s)[/bold red]")
        if result.multiplier != 1:
            flags.append(f"late x{result.multiplier:.3f}")
        if result.intake_messages:
            flags.append("intake notes")
        integrity = sum(f.kind in INTEGRITY_FLAGS for f in result.findings)
        if integrity:
            flags.append(f"[yellow]{integrity} scan finding(s)[/yellow]")
        if result.slow:
            flags.append(f"[yellow]slow: {', '.join(terminal(c.task) for c in result.slow)}[/yellow]")
        table.add_row(terminal(result.student), *cells, f"{result.raw:g}", f"{result.final:g}",
                      ", ".join(flags))
    return table


def print_gradebook(title: str, tasks: list[str], results: list[SubmissionResult]) -> None:
    console = Console(emoji=False)
    console.width = max(console.width, 150)  # one line per student even in a narrow CI log
    console.print(gradebook_table(title, tasks, results))


def print_deadlines(deadlines: Deadlines, results: list[SubmissionResult]) -> None:
    """The deadlines the gradebook was reported under, and, in a red box, the warning that every
    submission is past the hard deadline (most likely another term's deadlines)."""
    console = Console(emoji=False)
    console.print(f"deadlines: {policy.deadlines_sentence(deadlines)}", highlight=False,
                  soft_wrap=True)
    if policy.all_past_hard_deadline(results, deadlines):
        console.print(Panel(policy.all_past_warning(deadlines), title="WARNING", style="bold red"),
                      highlight=False)


def print_check(result: SubmissionResult, only: frozenset[str], lang: str = SOURCE_LANGUAGE) -> None:
    """A student's self-check, in `lang`: per task, the public tests that passed and why the
    others failed."""
    _ = language(lang)
    console = Console(emoji=False)
    rows = check_rows(result, only, lang)
    table = Table(title=_("Self-check with the public tests"))
    for column in (_("task"), _("public tests passed"), _("first problem")):
        table.add_column(column)
    for row in rows:
        mark = f"[green]{_('ok')}[/green]" if row.ok else f"[red]{_('to fix')}[/red]"
        table.add_row(f"{terminal(row.task)} {mark}", f"{row.passed} / {row.total}", terminal(row.problem))
    console.print(table)
    for task in result.tasks:
        for test in task.tests:
            if ((not test.passed and test.counts) or test.is_finding) and (not only or task.name in only):
                label = "" if test.counts else _(" (a finding beyond the course: costs no points)")
                console.print(f"[bold]{terminal(task.name)}[/bold] {terminal(test.name)}{label}:\n"
                              f"{terminal(_.message(test.message))}\n", highlight=False)
    console.print(terminal(verdict(rows, lang)), highlight=False)
