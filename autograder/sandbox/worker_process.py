"""The grader's side of a worker: start it limited, send requests, enforce deadlines, kill it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from autograder.failures import StudentError, WorkerCrashed, WorkerProtocolError, WorkerTimeout
from autograder.runtime import wire
from autograder.sandbox import limits as limits_module
from autograder.sandbox.limits import Limits

CAPTURE_TAIL_BYTES = 2000
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

    def __init__(self, code_root: Path, limits: Limits, *, isolate_network: bool,
                 package: str = "", seed: int = 0):
        self.limits = limits
        self.scratch = tempfile.TemporaryDirectory(prefix="autograder-worker-")
        self.capture_path = Path(self.scratch.name) / "output.txt"
        request_read, self.request_fd = os.pipe()
        self.response_fd, response_write = os.pipe()
        with open(self.capture_path, "wb") as capture:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-m", "autograder.runtime.worker", "--root", str(code_root),
                 "--request-fd", str(request_read), "--response-fd", str(response_write),
                 "--seed", str(seed)] + (["--package", package] if package else []),
                stdin=subprocess.DEVNULL, stdout=capture, stderr=subprocess.STDOUT,
                pass_fds=(request_read, response_write), cwd=self.scratch.name,
                env={**WORKER_ENV, "HOME": self.scratch.name, "TMPDIR": self.scratch.name},
                start_new_session=True,
                preexec_fn=lambda: limits_module.apply(limits, isolate_network),
            )
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
        self.kill()
        code = self.process.returncode
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
        """Kill the worker and everything it started, then reap it."""
        if not self.swept:
            self.swept = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def close(self) -> None:
        self.kill()
        for fd in (self.request_fd, self.response_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.scratch.cleanup()


def _no_foreign_objects(value: Any) -> wire.Handle:
    raise TypeError(f"cannot send a {type(value).__name__} to the worker")
