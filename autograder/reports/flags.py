"""Integrity flags for the instructor: what in a class's results deserves a human look.

A flag is a fact, not a verdict: identical code may be a shared starter, a timeout may be slow code.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from autograder.results import INTEGRITY_FLAGS, SubmissionResult

TROUBLE_OUTCOMES = ("timeout", "crash")


@dataclass(frozen=True)
class Flag:
    student: str
    kind: str
    detail: str


def identical_code(results: list[SubmissionResult]) -> list[Flag]:
    """Submissions whose graded code is byte for byte the same as another's (zero scores aside:
    handing in the untouched template is not copying)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for result in results:
        if result.fingerprint and result.raw > 0:
            groups[result.fingerprint].append(result.student)
    flags = []
    for students in groups.values():
        for student in students if len(students) > 1 else []:
            others = ", ".join(s for s in sorted(students) if s != student)
            flags.append(Flag(student, "identical code", f"same code as {others}"))
    return flags


def _own_flags(result: SubmissionResult, usual_isolation: str) -> list[Flag]:
    flags = []
    if result.grader_errors:
        flags.append(Flag(result.student, "grader error",
                          f"{result.grader_errors} test(s): see grader-errors.log"))
    for task in result.tasks:
        trouble = Counter(t.outcome for t in task.tests if t.outcome in TROUBLE_OUTCOMES)
        for outcome, count in sorted(trouble.items()):
            flags.append(Flag(result.student, outcome, f"{task.name}: {count} test(s)"))
    if result.multiplier == 0:
        flags.append(Flag(result.student, "after hard deadline",
                          f"{result.late_minutes / 60:.1f} hours late: scored zero"))
    elif result.multiplier != 1:
        flags.append(Flag(result.student, "late", f"{result.late_minutes / 60:.1f} hours late, "
                                                  f"x{result.multiplier:.4f}"))
    flags += [Flag(result.student, "intake", message) for message in result.intake_messages]
    flags += [Flag(result.student, finding.kind, f"{finding.task or 'submission'}: {finding.where}, "
                                                 f"line {finding.line}: {finding.construct}")
              for finding in result.findings if finding.kind in INTEGRITY_FLAGS]
    flags += [Flag(result.student, "beyond the course", f"{task.name}: "
                   + ", ".join(t.name for t in task.findings) + " (a finding, no points taken)")
              for task in result.tasks if task.findings]
    flags += [Flag(result.student, "slow", f"{check.task}: {check.ratio:.1f}x the reference's time "
                                           f"(least of {check.timings} timing(s)), "
                                           f"{check.deducted:g} point(s) taken off")
              for check in result.slow]
    if result.isolation and result.isolation != usual_isolation:
        flags.append(Flag(result.student, "isolation", f"graded with {result.isolation}"))
    return flags


def integrity_flags(results: list[SubmissionResult]) -> list[Flag]:
    """Every flag of the class, by student."""
    modes = Counter(r.isolation for r in results if r.isolation)
    usual = modes.most_common(1)[0][0] if modes else ""
    flags = identical_code(results)
    for result in results:
        flags += _own_flags(result, usual)
    return sorted(flags, key=lambda f: (f.student, f.kind))
