"""The grader's side of a worker: start it limited, send requests, enforce deadlines, kill it."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from autograder.failures import StudentError, WorkerCrashed, WorkerProtocolError, WorkerTimeout
from autograder.runtime import wire
from autograder.sandbox import limits as limits_module
from autograder.sandbox.isolation import WORKER_UID_BASE, Isolation, worker_uid
from autograder.sandbox.limits import Limits

CAPTURE_TAIL_BYTES = 2000
EXIT_GRACE_SECONDS = 1.0
PR_SET_CHILD_SUBREAPER = 36
LIVE_WORKERS: set[int] = set()
WORKER_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


class WorkerProcess:
    """One sandboxed worker serving one submission's code; dies on the first timeout or crash."""

    def __init__(self, code_root: Path, limits: Limits, isolation: Isolation, *,
                 package: str = "", seed: int = 0):
        self.limits, self.isolation = limits, isolation
        self.uid = worker_uid(isolation.switch_user)
        self.scratch = tempfile.TemporaryDirectory(prefix="autograder-worker-")
        if self.uid is not None:  # the worker's private folder for temporary files
            os.chown(self.scratch.name, self.uid, self.uid)
        self.capture_path = Path(self.scratch.name) / "output.txt"
        request_read, self.request_fd = os.pipe()
        self.response_fd, response_write = os.pipe()
        worker_args = ["--request-fd", str(request_read), "--response-fd", str(response_write),
                       "--seed", str(seed)] + (["--package", package] if package else [])
        argv, fds = isolation.worker_argv(code_root, worker_args, (request_read, response_write))
        with open(self.capture_path, "wb") as capture:
            self.process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=capture, stderr=subprocess.STDOUT,
                pass_fds=fds, cwd=self.scratch.name,
                env={**WORKER_ENV, "HOME": self.scratch.name, "TMPDIR": self.scratch.name},
                start_new_session=True, user=self.uid, group=self.uid,
                extra_groups=[] if self.uid is not None else None,
                preexec_fn=lambda: limits_module.apply(limits, isolation.own_network),
            )
        LIVE_WORKERS.add(self.process.pid)
        os.close(request_read)
        os.close(response_write)
        self.next_id = 0
        self.swept = False

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def request(self, what: str, op: str, timeout: float | None = None, **fields: Any) -> Any:
        """Send one request and return the decoded answer; `what` names the call in messages."""
        self.next_id += 1
        tree, buffers = wire.encode({"id": self.next_id, "op": op, **fields}, _no_foreign_objects)
        try:
            wire.write_message(self.request_fd, tree, buffers)
        except OSError:
            raise self._crashed(what) from None
        deadline = time.monotonic() + (timeout or self.limits.call_seconds)
        try:
            reply_tree, reply_buffers = wire.read_message(self.response_fd, deadline)
            reply = wire.decode(reply_tree, reply_buffers, lambda handle: handle)
        except wire.WireTimeout:
            self.kill()
            raise WorkerTimeout(
                f"{what} did not finish within {timeout or self.limits.call_seconds:g} s "
                "(an infinite loop, or very slow code?); the worker was stopped"
            ) from None
        except (wire.WireClosed, OSError):
            raise self._crashed(what) from None
        except wire.WireError as exc:
            self.kill()
            raise WorkerProtocolError(f"{what}: the worker sent an invalid reply ({exc})") from None
        if not isinstance(reply, dict) or reply.get("id") != self.next_id:
            self.kill()
            raise WorkerProtocolError(f"{what}: the worker's reply was out of order")
        if "error" in reply:
            error = reply["error"]
            raise StudentError(what, str(error.get("type")), str(error.get("message")),
                               list(error.get("frames", [])))
        return reply.get("ok")

    def _crashed(self, what: str) -> WorkerCrashed:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=EXIT_GRACE_SECONDS)  # let it report how it died
        self.kill()
        code = self.process.returncode
        if self.isolation.mode == "bubblewrap" and code is not None and code > 128:
            code = 128 - code  # bwrap reports a child killed by signal N as exit code 128 + N
        if code is not None and code < 0:
            cause = f"was killed by {signal.Signals(-code).name}"
            if -code in (signal.SIGKILL, signal.SIGXCPU, signal.SIGSEGV, signal.SIGXFSZ):
                cause += " (a crash, or a memory, CPU or file-size limit)"
        else:
            cause = f"exited with code {code} (os._exit or sys.exit in the code?)"
        tail = self.output_tail()
        return WorkerCrashed(f"{what}: the process running your code {cause}"
                             + (f"\n  its last output:\n{tail}" if tail else ""))

    def output_tail(self) -> str:
        """The end of what the student's code printed, capped."""
        try:
            with open(self.capture_path, "rb") as capture:
                capture.seek(max(0, os.path.getsize(self.capture_path) - CAPTURE_TAIL_BYTES))
                return capture.read().decode(errors="replace").strip()
        except OSError:
            return ""

    def kill(self) -> None:
        """Kill the worker and everything it started, then reap it.

        Its process group goes first; under bubblewrap the pid namespace dies with it. Without
        namespaces, a daemon that left the group was re-parented to this process (a child
        subreaper, see `become_subreaper`) and is found and killed among its children."""
        if not self.swept:
            self.swept = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        LIVE_WORKERS.discard(self.process.pid)
        if self.isolation.mode != "bubblewrap":  # there, no orphan can leave the pid namespace
            sweep_orphans(self.isolation.switch_user)

    def close(self) -> None:
        self.kill()
        for fd in (self.request_fd, self.response_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.scratch.cleanup()


def _no_foreign_objects(value: Any) -> wire.Handle:
    raise TypeError(f"cannot send a {type(value).__name__} to the worker")


def become_subreaper() -> None:
    """Orphans of our workers come back to us instead of init, so `sweep_orphans` finds them."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _children(parent: int) -> list[tuple[int, int]]:
    """(pid, uid) of every child of `parent`, read from /proc."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields.get("PPid", "0")) == parent:
            found.append((int(entry.name), int(fields["Uid"].split()[0])))
    return found


def sweep_orphans(switch_user: bool) -> None:
    """Kill our children that are not live workers (and run as a worker's uid, if workers have
    their own): what an earlier worker left behind as well as this one."""
    for _ in range(20):  # a killed daemon's own children are re-parented to us in turn
        orphans = [pid for pid, owner in _children(os.getpid())
                   if pid not in LIVE_WORKERS and (not switch_user or owner >= WORKER_UID_BASE)]
        if not orphans:
            return
        for pid in orphans:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in orphans:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
