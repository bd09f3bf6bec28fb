"""The grader's end of one task's worker: requests out, answers back, a deadline on each call.

`WorkerClient` asks the zygote (`zygote_process`) to fork a worker with fresh pipes, a fresh output
file and a fresh folder; it sends requests over the wire format (`runtime.wire`), computes the
grader functions the worker calls back, and enforces the per-call deadline. A timeout or a crash
kills the whole sandbox, zygote included; a task that ends cleanly leaves the zygote warm.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import tempfile
import time
from typing import IO, Any

from autograder import N_
from autograder.failures import StudentError, WorkerCrashed, WorkerProtocolError, WorkerTimeout
from autograder.runtime import timers, wire
from autograder.runtime.worker import CallOverran
from autograder.sandbox.isolation import SANDBOX_TASK_FOLDERS
from autograder.sandbox.proxy import OutputLog
from autograder.sandbox.zygote_process import Zygote

CAPTURE_TAIL_BYTES = 2000
PIPE_BYTES = 2**20  # big arrays cross in fewer wake-ups than with the default 64 KiB
# Requests left out of busy_seconds: a new worker's first seeding waits for its zygote to start,
# and an import runs the submission's module-level code once; neither times the code's speed.
UNTIMED_OPS = frozenset({"seed", "import"})
OVERRAN = CallOverran.__name__  # the worker's reply when a request used up its CPU time


class WorkerClient:
    """One task's worker, forked from a zygote; on the first timeout or crash it dies with it."""

    def __init__(self, zygote: Zygote, seed: int = 0) -> None:
        self.zygote, self.limits = zygote, zygote.limits
        self.output = tempfile.TemporaryFile(prefix="autograder-output-")  # noqa: SIM115 - closed in close()
        self.scratch: tempfile.TemporaryDirectory | None = None
        if zygote.isolation.mode == "bubblewrap":
            folders = list(SANDBOX_TASK_FOLDERS)  # the sandbox's own, empty while tasks end cleanly
        else:
            self.scratch = zygote.private_folder()
            folders = [self.scratch.name]
        request_read, self.request_fd = _pipe()
        self.response_fd, response_write = _pipe()
        zygote.fork(seed, folders, (request_read, response_write, self.output.fileno()))
        os.close(request_read)
        os.close(response_write)
        self.next_id = 0
        self.busy_seconds = 0.0  # wall time spent in request() round trips (but UNTIMED_OPS)
        self.ended = False
        self.offered = wire.OfferedFunctions()
        self.outputs = OutputLog()  # what the running test received (proxy.wrap)

    @property
    def alive(self) -> bool:
        """Until it is killed or closed, or found dead: the end of its reply pipe (or a reply
        nobody asked for) is waiting there."""
        return (not self.ended and self.zygote.alive
                and not select.select([self.response_fd], [], [], 0)[0])

    def request(self, what: str, op: str, timeout: float | None = None, **fields: Any) -> Any:
        """Send one request and return the decoded answer; `what` names the call in messages."""
        started = time.perf_counter()
        try:
            return self._round_trip(what, op, timeout, fields)
        finally:
            if op not in UNTIMED_OPS:
                self.busy_seconds += time.perf_counter() - started

    def _round_trip(self, what: str, op: str, timeout: float | None, fields: dict[str, Any]) -> Any:
        """One request under its limit: `timeout` (else call_seconds) of the worker's CPU time,
        which the worker counts itself (`runtime.timers`), and that many times WALL_FACTOR on the
        clock here, for a call that waits instead."""
        self.next_id += 1
        seconds = timeout or self.limits.call_seconds
        tree, buffers = wire.encode({"id": self.next_id, "op": op, "cpu_seconds": seconds, **fields},
                                    self.offered.offer)
        try:
            wire.write_message(self.request_fd, tree, buffers)
        except OSError:
            raise self._crashed(what) from None
        wall = seconds * timers.WALL_FACTOR
        deadline = time.monotonic() + wall
        try:
            reply = self._read_reply(deadline)
            while isinstance(reply, dict) and "callback" in reply:
                wire.write_message(self.request_fd, *self._run_grader_function(reply))
                reply = self._read_reply(deadline)
        except wire.WireTimeout:
            self.kill()
            raise WorkerTimeout.wall(what, wall) from None
        except (wire.WireClosed, OSError):
            raise self._crashed(what) from None
        except wire.WireError as exc:
            self.kill()
            raise WorkerProtocolError(N_(f"{what}: the worker sent an invalid reply ({exc})")) from None
        if not isinstance(reply, dict) or reply.get("id") != self.next_id:
            self.kill()
            raise WorkerProtocolError(N_(f"{what}: the worker's reply was out of order"))
        if "error" in reply:
            error = reply["error"]
            if error.get("type") == OVERRAN:
                self.kill()
                raise WorkerTimeout.cpu(what, seconds)
            raise StudentError(what, str(error.get("type")), str(error.get("message")),
                               list(error.get("frames", [])))
        return reply.get("ok")

    def _read_reply(self, deadline: float) -> Any:
        tree, buffers = wire.read_message(self.response_fd, deadline)
        return wire.decode(tree, buffers, lambda handle: handle)

    def _run_grader_function(self, call: dict[str, Any]) -> tuple[Any, list[bytes]]:
        """Compute a grader function the worker called, on the arguments it sent (plain data: a
        handle of a worker object arrives as a `wire.Handle`, which the function refuses); its
        error, if any, goes back to be raised in the worker."""
        function, args, kwargs = self.offered.get(call.get("callback")), call.get("args"), call.get("kwargs")
        if type(args) is not list or type(kwargs) is not dict:
            raise wire.WireError("a malformed call of a grader function")
        try:
            return wire.encode({"return": function(*args, **kwargs)}, _no_foreign_objects)
        except Exception as exc:  # the known-good code refusing what the student's code passed
            kind = type(exc).__name__ if isinstance(exc, (TypeError, ValueError)) else "ValueError"
            return wire.encode({"raise": {"type": kind, "message": f"{function.name}: {exc}"[:2000]}},
                               _no_foreign_objects)

    def _crashed(self, what: str) -> WorkerCrashed:
        ending = None if self.ended else self._end()
        code = ending["code"] if ending else self.zygote.exit_code()
        self.kill()
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            cause = (N_(f"was killed by {name} (a crash, or a memory, CPU or file-size limit)")
                     if -code in (signal.SIGKILL, signal.SIGXCPU, signal.SIGSEGV, signal.SIGXFSZ)
                     else N_(f"was killed by {name}"))
        else:
            cause = N_(f"exited with code {code} (os._exit or sys.exit in the code?)")
        tail = self.output_tail() or ("" if ending else _tail(self.zygote.output))
        message = N_(f"{what}: the process running your code {cause}")
        return WorkerCrashed(message + ("\n" + N_("  its last output:") + f"\n{tail}" if tail else ""))

    def _end(self) -> dict[str, Any] | None:
        """Stop serving (the worker then exits by itself) and learn from the zygote how it ended."""
        self.ended = True
        os.close(self.request_fd)
        self.request_fd = -1
        return self.zygote.wait()

    def output_tail(self) -> str:
        """The end of what the student's code printed, capped."""
        return _tail(self.output)

    def kill(self) -> None:
        """Kill the worker with its zygote (the next task gets a new one)."""
        self.ended = True
        self.zygote.kill()

    def close(self) -> None:
        """End the task; the zygote stays warm only if the worker ended cleanly."""
        if not self.ended:
            ending = self._end()
            if not (ending and ending["clean"]):
                self.zygote.kill()
        for fd in (self.request_fd, self.response_fd):
            if fd >= 0:
                os.close(fd)
        self.request_fd = self.response_fd = -1
        self.output.close()
        if self.scratch is not None:
            self.scratch.cleanup()


def _pipe() -> tuple[int, int]:
    read_end, write_end = os.pipe()
    with contextlib.suppress(OSError):  # a non-root grader may be over its pipe-buffer quota
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    return read_end, write_end


def _tail(output: IO[bytes]) -> str:
    """The last bytes of an output file, read without moving the offset its writers share."""
    try:
        size = os.fstat(output.fileno()).st_size
        return os.pread(output.fileno(), CAPTURE_TAIL_BYTES, max(0, size - CAPTURE_TAIL_BYTES)) \
            .decode(errors="replace").strip()
    except (OSError, ValueError):
        return ""


def _no_foreign_objects(value: Any) -> wire.Handle:
    raise TypeError(f"cannot send a {type(value).__name__} to the worker")
