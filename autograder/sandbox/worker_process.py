"""The grader's side of the sandbox: a warm zygote per grading process, a worker forked from it per task.

`Zygote` starts the sandboxed process (`Isolation.worker_argv`: bubblewrap or the fallback, as an
unprivileged uid of its own, with rlimits and the seccomp filter) that imports numpy, the worker
runtime and the trusted modules the submissions import, but never student code (`runtime.zygote`).
`WorkerProcess` is one task's worker, forked from it with fresh pipes, a fresh output file and a
fresh folder: it sends requests and enforces the per-call deadline; a timeout or a crash kills the
whole sandbox, zygote included. `Zygotes` keeps the zygote warm from task to task and from
submission to submission while tasks end cleanly, and starts a new one, on a new uid, after any
task that did not: what a misbehaving task left behind (a fork bomb's processes, still dying, a
file in the sandbox's /tmp) never reaches the next task, nor the next submission.

Why one zygote for many submissions: starting one costs its imports (~1.2 s of CPU for a notebook
importing scikit-learn, a third of grading such a submission). It sees the submission being graded
in a spool folder that `Zygotes.load` empties and refills between submissions, always bound at the
same place; nothing a task can write survives the clean check or the refill. It serves the next
submission only if that one imports exactly the site modules it preloaded (`preload_key`), so its
tasks fork from the very zygote a fresh start would give it, whatever was graded before.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import multiprocessing.util
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from autograder.failures import StudentError, WorkerCrashed, WorkerProtocolError, WorkerTimeout
from autograder.intake.bundle import unlistable_parent
from autograder.runtime import wire
from autograder.runtime.zygote import NOT_PRELOADED, SHARED_TMP_FOLDERS, wanted_imports
from autograder.sandbox import limits as limits_module
from autograder.sandbox.isolation import (
    SANDBOX_TASK_FOLDERS,
    WORKER_UID_BASE,
    Isolation,
    link_tree,
    worker_uid,
)
from autograder.sandbox.limits import Limits

CAPTURE_TAIL_BYTES = 2000
EXIT_GRACE_SECONDS = 1.0
ZYGOTE_REPLY_SECONDS = 5.0  # a worker exits at once when its pipe closes; no answer: a stopped zygote
PIPE_BYTES = 2**20  # big arrays cross in fewer wake-ups than with the default 64 KiB
MAX_REPLY_BYTES = 4096
# A zygote is replaced after this many submissions even when all went well: its own CPU time (every
# fork copies its page tables) counts against its RLIMIT_CPU, which it must never reach.
SUBMISSIONS_PER_ZYGOTE = 100
PreloadKey = frozenset[tuple[str, frozenset[str]]]
PR_SET_CHILD_SUBREAPER = 36
# Requests left out of busy_seconds: a new worker's first seeding waits for its zygote to start,
# and an import runs the submission's module-level code once; neither times the code's speed.
UNTIMED_OPS = frozenset({"seed", "import"})
LIVE_ZYGOTES: set[int] = set()
WORKER_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


class Zygote:
    """A warm sandboxed process, as its own uid, on the code in `code_root`; forks a worker for
    each task."""

    def __init__(self, code_root: Path, limits: Limits, isolation: Isolation, package: str = "") -> None:
        self.limits, self.isolation = limits, isolation
        self.uid = worker_uid(isolation.switch_user)
        self.scratch = self.private_folder()
        if self.uid is not None:  # the spool: root's, readable by this zygote's group only
            os.chown(code_root, -1, self.uid)
        self.output = tempfile.TemporaryFile(prefix="autograder-zygote-")  # noqa: SIM115 - closed in close()
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        args = ["--control-fd", str(theirs.fileno())] + (["--package", package] if package else [])
        argv, fds = isolation.worker_argv(code_root, args, (theirs.fileno(),))
        try:
            self.process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=self.output, stderr=subprocess.STDOUT,
                pass_fds=fds, cwd=self.scratch.name,
                env={**WORKER_ENV, "HOME": self.scratch.name, "TMPDIR": self.scratch.name,
                     **isolation.worker_env(code_root)},
                start_new_session=True, user=self.uid, group=self.uid,
                extra_groups=[] if self.uid is not None else None,
                preexec_fn=lambda: limits_module.apply(limits, isolation.own_network),
            )
        finally:
            for fd in fds:  # the zygote's end of the socket, and bubblewrap's arguments' pipe
                os.close(fd)
            theirs.detach()
        LIVE_ZYGOTES.add(self.process.pid)
        self.swept = False

    @property
    def alive(self) -> bool:
        return not self.swept and self.process.poll() is None

    def private_folder(self) -> tempfile.TemporaryDirectory:
        """A folder for the sandbox's temporary files, its own uid's only, where no other uid can
        list it (and not in /tmp itself, where anything of this uid's is a task's leftover)."""
        folder = tempfile.TemporaryDirectory(prefix="autograder-worker-", dir=unlistable_parent())
        if self.uid is not None:
            os.chown(folder.name, self.uid, self.uid)
        return folder

    def fork(self, seed: int, folders: list[str], fds: tuple[int, int, int]) -> None:
        """Ask for a worker serving these descriptors (sent along) in the first of `folders`,
        which it must leave empty. If the zygote is gone they are never served, which the first
        request reports as a crash."""
        message = json.dumps({"op": "fork", "seed": seed, "folders": folders}).encode()
        with contextlib.suppress(OSError):
            socket.send_fds(self.control, [message], list(fds))

    def wait(self) -> dict[str, Any] | None:
        """How the last worker ended, as the zygote saw it: {"code": exit code or minus the
        signal, "clean": bool}; None if the zygote did not say so in time."""
        try:
            self.control.settimeout(ZYGOTE_REPLY_SECONDS)
            self.control.send(b'{"op": "wait"}')
            reply = json.loads(self.control.recv(MAX_REPLY_BYTES))
        except (OSError, ValueError):
            return None
        if not isinstance(reply, dict) or type(reply.get("code")) is not int \
                or type(reply.get("clean")) is not bool:
            return None
        return reply

    def exit_code(self) -> int | None:
        """How the zygote itself ended (minus the signal if killed), once it has, within a grace period."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=EXIT_GRACE_SECONDS)
        code = self.process.returncode
        if self.isolation.mode == "bubblewrap" and code is not None and code > 128:
            code = 128 - code  # bwrap reports a child killed by signal N as exit code 128 + N
        return code

    def kill(self) -> None:
        """Kill the zygote, its workers and everything they started, then reap it.

        Its process group goes first; under bubblewrap the pid namespace dies with it. Without
        namespaces, a daemon that left the group was re-parented to this process (a child
        subreaper, see `become_subreaper`) and is found and killed among its children."""
        if not self.swept:
            self.swept = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        LIVE_ZYGOTES.discard(self.process.pid)
        if self.isolation.mode != "bubblewrap":  # there, no orphan can leave the pid namespace
            sweep_orphans(self.isolation.switch_user)
            if self.uid is not None:
                sweep_files(self.uid)

    def close(self) -> None:
        self.kill()
        self.control.close()
        self.output.close()
        self.scratch.cleanup()


class WorkerProcess:
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
        self.next_id += 1
        tree, buffers = wire.encode({"id": self.next_id, "op": op, **fields}, self.offered.offer)
        try:
            wire.write_message(self.request_fd, tree, buffers)
        except OSError:
            raise self._crashed(what) from None
        deadline = time.monotonic() + (timeout or self.limits.call_seconds)
        try:
            reply = self._read_reply(deadline)
            while isinstance(reply, dict) and "callback" in reply:
                wire.write_message(self.request_fd, *self._run_grader_function(reply))
                reply = self._read_reply(deadline)
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
            cause = f"was killed by {signal.Signals(-code).name}"
            if -code in (signal.SIGKILL, signal.SIGXCPU, signal.SIGSEGV, signal.SIGXFSZ):
                cause += " (a crash, or a memory, CPU or file-size limit)"
        else:
            cause = f"exited with code {code} (os._exit or sys.exit in the code?)"
        tail = self.output_tail() or ("" if ending else _tail(self.zygote.output))
        return WorkerCrashed(f"{what}: the process running your code {cause}"
                             + (f"\n  its last output:\n{tail}" if tail else ""))

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


class Zygotes:
    """Where workers come from: the warm zygote on the spool folder, which `load` fills with one
    submission's code, replaced by a new zygote (on a new uid) once it is gone, i.e. killed with a
    worker or after a task that did not end cleanly, or after SUBMISSIONS_PER_ZYGOTE submissions."""

    def __init__(self, limits: Limits, isolation: Isolation, package: str = "", *,
                 claimed: bool = False, shared: bool = False) -> None:
        self.limits, self.isolation, self.package = limits, isolation, package
        self.claimed, self.shared, self.owner = claimed, shared, os.getpid()
        # the grader's own (a task never writes it), readable by the workers' uids, and like every
        # submission's folder, out of sight of other grading processes' workers
        self.spool = Path(tempfile.mkdtemp(prefix="spool-", dir=unlistable_parent()))
        self.spool.chmod(0o750)  # the group: each zygote's uid in turn (`Zygote`)
        self.current: Zygote | None = None
        self.served = 0
        self.spool_key: PreloadKey = frozenset()  # what a zygote started now would preload
        self.zygote_key: PreloadKey = frozenset()  # what the current one preloaded

    @property
    def settings(self) -> tuple[Limits, Isolation, str]:
        return self.limits, self.isolation, self.package

    def load(self, code_root: Path) -> None:
        """Make `code_root`'s code the one the next workers see. Call it only between tasks."""
        for entry in list(self.spool.iterdir()):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        for entry in code_root.iterdir():
            link_tree(entry, self.spool / entry.name)
        self.spool_key = preload_key(code_root, self.isolation.site)
        if (self.current is None or not self.current.alive or self.served >= SUBMISSIONS_PER_ZYGOTE
                or self.zygote_key != self.spool_key):
            self._replace()  # now, to warm up while the grader collects its tests
        self.served += 1

    def fork_worker(self, seed: int = 0) -> WorkerProcess:
        if self.current is None or not self.current.alive:
            self._replace()
        assert self.current is not None
        return WorkerProcess(self.current, seed)

    def _replace(self) -> None:
        self._close_zygote()
        self.current = Zygote(self.spool, self.limits, self.isolation, self.package)
        self.served, self.zygote_key = 0, self.spool_key

    def _close_zygote(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None

    def release(self) -> None:
        """The sandbox using them is done: shared ones stay warm for the next, others close."""
        self.claimed = False
        if not self.shared:
            self.close()

    def close(self) -> None:
        """Kill the zygote and remove the spool."""
        self._close_zygote()
        shutil.rmtree(self.spool, ignore_errors=True)


def preload_key(code_root: Path, site: Path) -> PreloadKey:
    """What a zygote started on this submission preloads (`runtime.zygote.preload`): the imports
    of its code whose top-level package is in the worker's site folder."""
    tops = {entry.name.removesuffix(".py") for entry in site.iterdir()} - set(NOT_PRELOADED)
    return frozenset((module, frozenset(names))
                     for module, names in wanted_imports(str(code_root)).items()
                     if module.partition(".")[0] in tops)


_shared: list[Zygotes] = []  # this process's shared Zygotes, once it has graded anything


def claim_zygotes(limits: Limits, isolation: Isolation, package: str = "") -> Zygotes:
    """Zygotes for one sandbox, to `release` when it is done: this process's shared ones, kept
    warm from one submission to the next (those of other settings are closed first: a grading
    process grades one assignment at a time), or private ones while those are in use by another
    sandbox. A forked child never uses its parent's."""
    current = _shared[0] if _shared else None
    if current is not None and current.owner == os.getpid():
        if current.claimed:
            return Zygotes(limits, isolation, package, claimed=True)
        if current.settings == (limits, isolation, package):
            current.claimed = True
            return current
        current.close()
    zygotes = Zygotes(limits, isolation, package, claimed=True, shared=True)
    # closed at exit, in multiprocessing's children too (they skip atexit), never in another process
    multiprocessing.util.Finalize(None, zygotes.close, exitpriority=10)
    _shared[:] = [zygotes]
    return zygotes


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


def sweep_files(uid: int) -> None:
    """Remove what a dead sandbox's uid left in the shared temporary folders (the fallback's: a
    worker without Landlock may write there, and its files must not outlive its task)."""
    for folder in SHARED_TMP_FOLDERS:
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_uid != uid:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path)
                    else:
                        os.unlink(entry.path)


def sweep_orphans(switch_user: bool) -> None:
    """Kill our children that are not live zygotes (and run as a worker's uid, if workers have
    their own): what an earlier sandbox left behind as well as this one."""
    for _ in range(20):  # a killed daemon's own children are re-parented to us in turn
        orphans = [pid for pid, owner in _children(os.getpid())
                   if pid not in LIVE_ZYGOTES and (not switch_user or owner >= WORKER_UID_BASE)]
        if not orphans:
            return
        for pid in orphans:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in orphans:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
