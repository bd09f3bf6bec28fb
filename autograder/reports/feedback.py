"""A student's feedback, per task: the points, what passed, and for what failed, what was compared
(with shapes and the largest error, as the checks wrote it) and a hint.

One view of a result feeds both `feedback.md` and `feedback.html`. Private tests appear by name and
message only: messages are written for students by the checks, test source is never read here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from autograder import N_
from autograder.reports.escape import md_code, md_fence, md_text
from autograder.reports.html import render
from autograder.reports.language import HINT_MARK, SOURCE_LANGUAGE, Language, language
from autograder.results import (
    INTEGRITY_FLAGS,
    SPEED_HINTS,
    SpeedCheck,
    SubmissionResult,
    TaskResult,
    TestRecord,
)

# What to try when the check itself gave no hint: by how the test ended.
OUTCOME_HINTS = {
    "failed": N_("Compare your result with the expected one on a tiny input you can work out by hand."),
    "error": N_("Your code raised an exception (the message says where); call it yourself with "
                "arrays of the same shapes to reproduce it."),
    "timeout": N_("Look for a loop that never ends, or for Python loops over array elements where "
                  "one vectorised NumPy expression would do."),
    "crash": N_("The process running your code died: look for sys.exit / os._exit, endless "
                "recursion, or arrays far larger than the inputs."),
    "grader-error": N_("This one is the grader's fault, not yours: the instructor has been told."),
}
# how a failed test ended, in words (the outcome itself is an identifier of results.json)
OUTCOME_LABELS = {"failed": N_("failed"), "error": N_("error"), "timeout": N_("timeout"),
                  "crash": N_("crash"), "grader-error": N_("grader error")}
# one test, several tests
VISIBILITY_LABELS = {"public": (N_("public test"), N_("public tests")),
                     "private": (N_("hidden test"), N_("hidden tests"))}
NOTICE_LABELS = {"finding": N_("Noticed"), "hint": N_("Hint"), "speed": N_("Speed"),
                 "robustness": N_("Beyond the course (no points taken)")}
FINDINGS_CAVEAT = N_("facts the instructor reviews, not deductions by themselves")
NO_DETAIL = N_("a check of this test failed")


@dataclass(frozen=True)
class Failure:
    """Tests that did not pass with the same problem, split into what went wrong and what to try
    (a crash or an unimplemented method fails every test of a task the same way: said once)."""

    tests: tuple[str, ...]
    visibility: str
    outcome: str  # in words, in the feedback's language
    problem: str
    hint: str
    label: str = ""  # "public test(s)" in the feedback's language

    def names(self, _: Language) -> str:
        shown = ", ".join(self.tests[:3])
        return _("{shown} and {more} more", shown=shown, more=len(self.tests) - 3) \
            if len(self.tests) > 3 else shown


@dataclass(frozen=True)
class Notice:
    """What the grader noticed besides the tests: a finding of the static scan, a hint about slow
    code, or a speed flag; `place` and `code` point at the student's own line."""

    kind: str  # a key of NOTICE_LABELS
    place: str
    code: str
    text: str
    label: str = ""  # NOTICE_LABELS[kind] in the feedback's language

    def sentence(self, code: Callable[[str], str] = str, text: Callable[[str], str] = str) -> str:
        """One line: the label, where, the code (as `code` formats it) and what it means (the
        place and the meaning as `text` formats them: both may quote what the student wrote)."""
        where = f"{text(self.place)}: {code(self.code)}: " if self.place else ""
        return f"{self.label or NOTICE_LABELS[self.kind]}: {where}{text(self.text)}"


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


def visibility_label(visibility: str, count: int, _: Language) -> str:
    """"public test", "hidden tests": the label of `count` tests of a visibility."""
    return _(VISIBILITY_LABELS[visibility][count > 1])


def speed_text(check: SpeedCheck, _: Language | None = None) -> str:
    """A speed flag in words that stay the same from run to run (the threshold, not the ratio)."""
    _ = _ or language()
    taken = (_("{deducted} point(s) were taken off", deducted=f"{check.deducted:g}")
             if check.deducted else _("no points were taken off"))
    return _("your code took over {threshold} times as long as the reference solution on this "
             "task's tests ({timings} timing(s) agreed); {taken}",
             threshold=f"{check.threshold:g}", timings=check.timings, taken=taken)


def probe_notice(test: TestRecord, _: Language | None = None) -> Notice:
    """A failed robustness probe: the test, what it found (as code: it may quote the student's
    output), the hint, and the course's own advice it rests on."""
    _ = _ or language()
    problem, hint = split_hint(test.message or NO_DETAIL, test.outcome)
    text = _("Hint: {hint}", hint=_.message(hint)) if hint else ""
    if test.advice:
        text += " " + _('The course: "{advice}"', advice=_.message(test.advice))
    place = f"{test.name} ({visibility_label(test.visibility, 1, _)})"
    return Notice("robustness", place, " ".join(_.message(problem).split()), text.strip(),
                  _(NOTICE_LABELS["robustness"]))


def notices(result: SubmissionResult, task: str, _: Language | None = None) -> tuple[Notice, ...]:
    """What was noticed in the code of `task` ("" for the submission as a whole): the scan's
    findings, failed robustness probes and speed flags, in the language of `_`."""
    _ = _ or language()
    found = []
    for f in result.findings:
        if f.task == task:
            kind = "hint" if f.kind in SPEED_HINTS else "finding"
            meaning = SPEED_HINTS.get(f.kind) or INTEGRITY_FLAGS.get(f.kind, f.kind)
            found.append(Notice(kind, _("{where}, line {line}", where=f.where, line=f.line),
                                f.construct, _(meaning), _(NOTICE_LABELS[kind])))
    probes = [probe_notice(test, _) for graded in result.tasks if graded.name == task
              for test in graded.findings]
    return tuple(found) + tuple(probes) + tuple(
        Notice("speed", "", "", speed_text(c, _), _(NOTICE_LABELS["speed"]))
        for c in result.slow if c.task == task)


def task_feedback(task: TaskResult, description: str = "", task_notices: tuple[Notice, ...] = (),
                  _: Language | None = None) -> TaskFeedback:
    """One task's view, its failures grouped and, like its description, in the language of `_`."""
    _ = _ or language()
    groups: dict[tuple[str, str, str, str], list[str]] = {}
    for test in task.graded:
        if not test.passed:
            problem, hint = split_hint(test.message or NO_DETAIL, test.outcome)
            groups.setdefault((test.visibility, test.outcome, problem, hint), []).append(test.name)
    failures = tuple(Failure(tuple(names), visibility, _(OUTCOME_LABELS.get(outcome, outcome)),
                             _.message(problem), _.message(hint),
                             visibility_label(visibility, len(names), _))
                     for (visibility, outcome, problem, hint), names in groups.items())
    return TaskFeedback(task.name, _(description) if description else "", task.points,
                        task.max_points, tuple(t.name for t in task.graded if t.passed), failures,
                        task_notices)


def feedback_view(result: SubmissionResult, descriptions: Mapping[str, str],
                  _: Language | None = None) -> list[TaskFeedback]:
    _ = _ or language()
    return [task_feedback(task, descriptions.get(task.name, ""), notices(result, task.name, _), _)
            for task in result.tasks]


def score_line(result: SubmissionResult, _: Language | None = None) -> str:
    """The final score, and how the late penalty made it."""
    _ = _ or language()
    line = _.points(result.final, result.max_points)
    if result.multiplier != 1:
        line = _("{score} (raw {raw}, {hours} hours late, x{multiplier})", score=line,
                 raw=f"{result.raw:g}", hours=f"{result.late_minutes / 60:.1f}",
                 multiplier=f"{result.multiplier:.4f}")
    return line


def feedback_markdown(result: SubmissionResult, descriptions: Mapping[str, str] | None = None,
                      lang: str = SOURCE_LANGUAGE) -> str:
    """The feedback as Markdown, in `lang`: readable as plain text, rendered by GitHub and GitLab.
    What a student controls (their name, file names, messages, output) is escaped or fenced
    (reports/escape.py), so it renders as written and never as headings, links or HTML."""
    _ = language(lang)
    lines = [_("# Feedback: {assignment}, {student}", assignment=md_text(result.assignment),
               student=md_text(result.student)), "",
             f"**{_('Score: {score}', score=score_line(result, _))}**", ""]
    lines += [f"- {_('Note: {note}', note=md_text(_.message(message)))}"
              for message in result.intake_messages]
    overall = notices(result, "", _)
    if overall:
        lines += ["", _("In your code as a whole ({caveat}):", caveat=_(FINDINGS_CAVEAT)), ""]
        lines += [f"- {notice.sentence(md_code, md_text)}" for notice in overall]
    for task in feedback_view(result, descriptions or {}, _):
        lines += ["", f"## {md_text(task.name)}: {_.points(task.points, task.max_points)}", ""]
        if task.description:
            lines += [f"_{md_text(task.description)}_", ""]
        if not task.total:
            lines.append(_("No test of this task could run (see the notes above)."))
        if task.passed:
            lines.append(_("Passed {passed} of {total} tests: {names}", passed=len(task.passed),
                           total=task.total, names=", ".join(md_code(name) for name in task.passed)))
        for failure in task.failures:
            names = ", ".join(md_code(name) for name in failure.tests)
            lines += ["", f"- {names} ({failure.label}): {failure.outcome}", "",
                      *md_fence(failure.problem, indent="  ")]
            if failure.hint:
                lines.append("  " + _("Hint: {hint}", hint=md_text(failure.hint)))
        if task.notices:
            lines += ["", besides_the_tests(task, _), ""]
            lines += [f"- {notice.sentence(md_code, md_text)}" for notice in task.notices]
    return "\n".join(lines) + "\n"


def besides_the_tests(task: TaskFeedback, _: Language) -> str:
    """The heading of a task's notices, with the caveat when a scan finding is among them."""
    if any(n.kind == "finding" for n in task.notices):
        return _("Besides the tests ({caveat}):", caveat=_(FINDINGS_CAVEAT))
    return _("Besides the tests:")


def feedback_html(result: SubmissionResult, title: str = "",
                  descriptions: Mapping[str, str] | None = None, lang: str = SOURCE_LANGUAGE) -> str:
    """The feedback as one self-contained HTML page, in `lang`."""
    _ = language(lang)
    tasks = feedback_view(result, descriptions or {}, _)
    return render("feedback.html.j2", result=result, title=_(title) if title else result.assignment,
                  score=score_line(result, _), tasks=tasks, overall=notices(result, "", _),
                  caveat=_(FINDINGS_CAVEAT), notes=[_.message(m) for m in result.intake_messages],
                  besides={task.name: besides_the_tests(task, _) for task in tasks},
                  _=_, lang=lang)
