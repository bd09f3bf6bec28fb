"""A student's feedback, per task: the points, what passed, and for what failed, what was compared
(with shapes and the largest error, as the checks wrote it) and a hint.

One view of a result feeds both `feedback.md` and `feedback.html`. Private tests appear by name and
message only: messages are written for students by the checks, test source is never read here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from autograder.reports.escape import md_code, md_fence, md_text
from autograder.reports.html import render
from autograder.results import (
    INTEGRITY_FLAGS,
    SPEED_HINTS,
    SpeedCheck,
    SubmissionResult,
    TaskResult,
    TestRecord,
)

HINT_MARK = re.compile(r"\n\s*Hint: ")
# What to try when the check itself gave no hint: by how the test ended.
OUTCOME_HINTS = {
    "failed": "Compare your result with the expected one on a tiny input you can work out by hand.",
    "error": "Your code raised an exception (the message says where); call it yourself with "
             "arrays of the same shapes to reproduce it.",
    "timeout": "Look for a loop that never ends, or for Python loops over array elements where one "
               "vectorised NumPy expression would do.",
    "crash": "The process running your code died: look for sys.exit / os._exit, endless recursion, "
             "or arrays far larger than the inputs.",
    "grader-error": "This one is the grader's fault, not yours: the instructor has been told.",
}
VISIBILITY_LABELS = {"public": "public test", "private": "hidden test"}
NOTICE_LABELS = {"finding": "Noticed", "hint": "Hint", "speed": "Speed",
                 "robustness": "Beyond the course (no points taken)"}
FINDINGS_CAVEAT = "facts the instructor reviews, not deductions by themselves"


@dataclass(frozen=True)
class Failure:
    """Tests that did not pass with the same problem, split into what went wrong and what to try
    (a crash or an unimplemented method fails every test of a task the same way: said once)."""

    tests: tuple[str, ...]
    visibility: str
    outcome: str
    problem: str
    hint: str

    @property
    def names(self) -> str:
        shown = ", ".join(self.tests[:3])
        return shown + (f" and {len(self.tests) - 3} more" if len(self.tests) > 3 else "")


@dataclass(frozen=True)
class Notice:
    """What the grader noticed besides the tests: a finding of the static scan, a hint about slow
    code, or a speed flag; `place` and `code` point at the student's own line."""

    kind: str  # a key of NOTICE_LABELS
    place: str
    code: str
    text: str

    def sentence(self, code: Callable[[str], str] = str, text: Callable[[str], str] = str) -> str:
        """One line: the label, where, the code (as `code` formats it) and what it means (the
        place and the meaning as `text` formats them: both may quote what the student wrote)."""
        where = f"{text(self.place)}: {code(self.code)}: " if self.place else ""
        return f"{NOTICE_LABELS[self.kind]}: {where}{text(self.text)}"


@dataclass(frozen=True)
class TaskFeedback:
    name: str
    description: str
    points: float
    max_points: float
    passed: tuple[str, ...]
    failures: tuple[Failure, ...]
    notices: tuple[Notice, ...] = ()

    @property
    def total(self) -> int:
        return len(self.passed) + sum(len(f.tests) for f in self.failures)

    @property
    def full(self) -> bool:
        return self.points == self.max_points and self.total > 0


def split_hint(message: str, outcome: str) -> tuple[str, str]:
    """The message without its hint, and the hint (the check's own, else one for the outcome)."""
    parts = HINT_MARK.split(message.strip(), maxsplit=1)
    hint = parts[1].strip() if len(parts) == 2 else OUTCOME_HINTS.get(outcome, "")
    return parts[0].rstrip(), " ".join(hint.split())


def speed_text(check: SpeedCheck) -> str:
    """A speed flag in words that stay the same from run to run (the threshold, not the ratio)."""
    taken = (f"{check.deducted:g} point(s) were taken off" if check.deducted
             else "no points were taken off")
    return (f"your code took over {check.threshold:g} times as long as the reference solution on "
            f"this task's tests ({check.timings} timing(s) agreed); {taken}")


def probe_notice(test: TestRecord) -> Notice:
    """A failed robustness probe: the test, what it found (as code: it may quote the student's
    output), the hint, and the course's own advice it rests on."""
    problem, hint = split_hint(test.message or "a check of this test failed", test.outcome)
    text = f"Hint: {hint}" if hint else ""
    if test.advice:
        text += f' The course: "{test.advice}"'
    return Notice("robustness", f"{test.name} ({VISIBILITY_LABELS[test.visibility]})",
                  " ".join(problem.split()), text.strip())


def notices(result: SubmissionResult, task: str) -> tuple[Notice, ...]:
    """What was noticed in the code of `task` ("" for the submission as a whole): the scan's
    findings, failed robustness probes and speed flags."""
    found = [Notice("hint" if f.kind in SPEED_HINTS else "finding", f"{f.where}, line {f.line}",
                    f.construct, SPEED_HINTS.get(f.kind) or INTEGRITY_FLAGS.get(f.kind, f.kind))
             for f in result.findings if f.task == task]
    probes = [probe_notice(test) for graded in result.tasks if graded.name == task
              for test in graded.findings]
    return tuple(found) + tuple(probes) + tuple(Notice("speed", "", "", speed_text(c))
                                                for c in result.slow if c.task == task)


def task_feedback(task: TaskResult, description: str = "",
                  task_notices: tuple[Notice, ...] = ()) -> TaskFeedback:
    groups: dict[tuple[str, str, str, str], list[str]] = {}
    for test in task.graded:
        if not test.passed:
            problem, hint = split_hint(test.message or "a check of this test failed", test.outcome)
            groups.setdefault((test.visibility, test.outcome, problem, hint), []).append(test.name)
    failures = tuple(Failure(tuple(names), *key) for key, names in groups.items())
    return TaskFeedback(task.name, description, task.points, task.max_points,
                        tuple(t.name for t in task.graded if t.passed), failures, task_notices)


def feedback_view(result: SubmissionResult, descriptions: Mapping[str, str]) -> list[TaskFeedback]:
    return [task_feedback(task, descriptions.get(task.name, ""), notices(result, task.name))
            for task in result.tasks]


def score_line(result: SubmissionResult) -> str:
    line = f"{result.final:g} / {result.max_points:g}"
    if result.multiplier != 1:
        line += (f" (raw {result.raw:g}, {result.late_minutes / 60:.1f} hours late, "
                 f"x{result.multiplier:.4f})")
    return line


def feedback_markdown(result: SubmissionResult, descriptions: Mapping[str, str] | None = None) -> str:
    """The feedback as Markdown: readable as plain text, rendered by GitHub and GitLab. What a
    student controls (their name, file names, messages, output) is escaped or fenced
    (reports/escape.py), so it renders as written and never as headings, links or HTML."""
    lines = [f"# Feedback: {md_text(result.assignment)}, {md_text(result.student)}", "",
             f"**Score: {score_line(result)}**", ""]
    lines += [f"- Note: {md_text(message)}" for message in result.intake_messages]
    overall = notices(result, "")
    if overall:
        lines += ["", f"In your code as a whole ({FINDINGS_CAVEAT}):", ""]
        lines += [f"- {notice.sentence(md_code, md_text)}" for notice in overall]
    for task in feedback_view(result, descriptions or {}):
        lines += ["", f"## {md_text(task.name)}: {task.points:g} / {task.max_points:g}", ""]
        if task.description:
            lines += [f"_{md_text(task.description)}_", ""]
        if not task.total:
            lines.append("No test of this task could run (see the notes above).")
        if task.passed:
            lines.append(f"Passed {len(task.passed)} of {task.total} tests: "
                         + ", ".join(md_code(name) for name in task.passed))
        for failure in task.failures:
            names = ", ".join(md_code(name) for name in failure.tests)
            lines += ["", f"- {names} ({VISIBILITY_LABELS[failure.visibility]}"
                      f"{'s' if len(failure.tests) > 1 else ''}): {failure.outcome}", "",
                      *md_fence(failure.problem, indent="  ")]
            if failure.hint:
                lines.append(f"  Hint: {md_text(failure.hint)}")
        if task.notices:
            caveat = f" ({FINDINGS_CAVEAT})" if any(n.kind == "finding" for n in task.notices) else ""
            lines += ["", f"Besides the tests{caveat}:", ""]
            lines += [f"- {notice.sentence(md_code, md_text)}" for notice in task.notices]
    return "\n".join(lines) + "\n"


def feedback_html(result: SubmissionResult, title: str = "",
                  descriptions: Mapping[str, str] | None = None) -> str:
    """The feedback as one self-contained HTML page."""
    return render("feedback.html.j2", result=result, title=title or result.assignment,
                  score=score_line(result), tasks=feedback_view(result, descriptions or {}),
                  labels=VISIBILITY_LABELS, overall=notices(result, ""), notice_labels=NOTICE_LABELS,
                  caveat=FINDINGS_CAVEAT)
