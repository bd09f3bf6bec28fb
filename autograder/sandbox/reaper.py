"""What a dead sandbox leaves behind, found through /proc and removed: its orphaned processes and
the files its uid wrote to the shared temporary folders.

Without namespaces (the fallback isolation), a daemon that left its zygote's process group is
re-parented to the grading process, which `become_subreaper` makes their reaper instead of init;
`sweep_orphans` then finds and kills it among the grading process's children. Live zygotes are
registered in `LIVE_ZYGOTES` so that a sweep never takes one of them for an orphan.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
from pathlib import Path

from autograder.runtime.zygote import SHARED_TMP_FOLDERS
from autograder.sandbox.isolation import WORKER_UID_BASE

PR_SET_CHILD_SUBREAPER = 36
LIVE_ZYGOTES: set[int] = set()


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
