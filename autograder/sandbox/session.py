"""One submission's sandbox: a fresh worker per task (forked from the grading process's warm zygote),
and what a test sees of the student's code (the contract's `Student`)."""

from __future__ import annotations

from pathlib import Path

from autograder.config import Limits
from autograder.sandbox import isolation as isolation_module
from autograder.sandbox.contract import Student
from autograder.sandbox.reaper import become_subreaper
from autograder.sandbox.worker_client import WorkerClient
from autograder.sandbox.zygote_pool import claim_zygotes


class Sandbox:
    """The workers of one submission: one per task, replaced when a call kills it."""

    def __init__(self, code_root: Path, limits: Limits, package: str = "") -> None:
        self.code_root, self.limits, self.package = code_root, limits, package
        self.isolation = isolation_module.detect()
        become_subreaper()
        self.zygotes = claim_zygotes(limits, self.isolation, package)
        self.zygotes.load(code_root)
        self.current: tuple[str, WorkerClient] | None = None
        # per task, the wall time its workers spent answering requests (grading.speed)
        self.busy_seconds: dict[str, float] = {}

    def student_for(self, task: str) -> Student:
        """A Student backed by this task's worker, started afresh for a new task or after a crash."""
        if self.current and (self.current[0] != task or not self.current[1].alive):
            self._retire()
        if self.current is None:
            self.current = (task, self.zygotes.fork_worker())
        return Student(self.current[1])

    def _retire(self) -> None:
        """Close the current worker, adding its busy time to its task's."""
        if self.current:
            task, worker = self.current
            worker.close()
            self.busy_seconds[task] = self.busy_seconds.get(task, 0.0) + worker.busy_seconds
            self.current = None

    def close(self) -> None:
        """End the last task; the zygote stays warm for the next submission if it ended cleanly."""
        self._retire()
        self.zygotes.release()
