"""The ways a test can fail that are the submission's doing, each with a student-facing message.

Anything else a test raises is a grader error: a bug in the kit, reported to the instructor and
never shown to the student as a traceback.
"""

from __future__ import annotations

from autograder import N_
from autograder.results import NOT_IMPLEMENTED


class GradingFailure(AssertionError):
    """Base of every failure a student may see; `kind` names it in reports."""

    kind = "failed"


class CheckFailed(GradingFailure):
    """A value the student computed did not match what was expected."""


class StudentError(GradingFailure):
    """The student's code raised an exception in the worker."""

    kind = "error"

    def __init__(self, what: str, type_name: str, message: str, frames: list[list]) -> None:
        self.what, self.type_name, self.message, self.frames = what, type_name, message, frames
        super().__init__(self.render())

    def render(self) -> str:
        what, type_name, message = self.what, self.type_name, self.message
        if type_name == "NotImplementedError":
            head = N_(f"{what} is not implemented yet (it raised NotImplementedError)")
            assert NOT_IMPLEMENTED in head  # how results tell a missing method from a failure
        elif message:
            head = N_(f"{what} raised {type_name}: {message}")
        else:
            head = N_(f"{what} raised {type_name}")
        lines = [head]
        if self.frames:
            lines.append(N_("  in your code:"))
            lines += [N_(f"    {path}:{line} in {func}: {code}") for path, line, func, code in self.frames]
        return "\n".join(lines)


class WorkerTimeout(GradingFailure):
    """A call into the student's code did not return in time; the worker was killed."""

    kind = "timeout"

    @classmethod
    def cpu(cls, what: str, seconds: float) -> WorkerTimeout:
        """The call used up its CPU time (runtime.timers)."""
        return cls(N_(f"{what} did not finish within {seconds:g} s of CPU time (an infinite loop, "
                      "or very slow code?)"))

    @classmethod
    def wall(cls, what: str, seconds: float) -> WorkerTimeout:
        """The call outlived the wall-clock backstop without using up its CPU time."""
        return cls(N_(f"{what} did not finish within {seconds:g} s: it waited (a sleep, a read) "
                      "or ran one very long call into compiled code"))


class WorkerCrashed(GradingFailure):
    """The worker process died (os._exit, a segfault, a resource limit) during a call."""

    kind = "crash"


class WorkerProtocolError(GradingFailure):
    """The worker answered with something that is not a valid message; it was killed."""

    kind = "crash"


class TaskAborted(GradingFailure):
    """An earlier test of the same task timed out, so the rest of that task is not run."""

    kind = "timeout"
