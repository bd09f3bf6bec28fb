"""The zygote: a warm sandboxed process that a worker is forked from for each task.

`Zygote` starts the sandboxed process (`Isolation.worker_argv`: bubblewrap or the fallback, as an
unprivileged uid of its own, with rlimits and the seccomp filter) that imports numpy, the worker
runtime and the trusted modules the submissions import, but never student code (`runtime.zygote`).
It forks a worker on request (`worker_client`), says how the last one ended, and, when killed,
takes its workers and everything they started with it (`reaper`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from autograder.config import Limits
from autograder.folders import unlistable_parent
from autograder.sandbox import limits as limits_module
from autograder.sandbox.isolation import Isolation, worker_uid
from autograder.sandbox.reaper import LIVE_ZYGOTES, sweep_files, sweep_orphans

EXIT_GRACE_SECONDS = 1.0
ZYGOTE_REPLY_SECONDS = 5.0  # a worker exits at once when its pipe closes; no answer: a stopped zygote
MAX_REPLY_BYTES = 4096
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
        subreaper, see `reaper.become_subreaper`) and is found and killed among its children."""
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
