"""The process-wide pool of zygotes: one warm zygote per grading process, kept from task to task
and from submission to submission while tasks end cleanly.

`Zygotes` starts a new zygote (`zygote_process`), on a new uid, after any task that did not end
cleanly: what a misbehaving task left behind (a fork bomb's processes, still dying, a file in the
sandbox's /tmp) never reaches the next task, nor the next submission.

Why one zygote for many submissions: starting one costs its imports (~1.2 s of CPU for a notebook
importing scikit-learn, a third of grading such a submission). It sees the submission being graded
in a spool folder that `Zygotes.load` empties and refills between submissions, always bound at the
same place; nothing a task can write survives the clean check or the refill. It serves the next
submission only if that one imports exactly the site modules it preloaded (`preload_key`), so its
tasks fork from the very zygote a fresh start would give it, whatever was graded before.
"""

from __future__ import annotations

import multiprocessing.util
import os
import shutil
import tempfile
from pathlib import Path

from autograder.config import Limits
from autograder.folders import unlistable_parent
from autograder.runtime.zygote import NOT_PRELOADED, wanted_imports
from autograder.sandbox.isolation import Isolation, link_tree
from autograder.sandbox.worker_client import WorkerClient
from autograder.sandbox.zygote_process import Zygote

# A zygote is replaced after this many submissions even when all went well: its own CPU time (every
# fork copies its page tables) counts against its RLIMIT_CPU, which it must never reach.
SUBMISSIONS_PER_ZYGOTE = 100
PreloadKey = frozenset[tuple[str, frozenset[str]]]


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

    def fork_worker(self, seed: int = 0) -> WorkerClient:
        if self.current is None or not self.current.alive:
            self._replace()
        assert self.current is not None
        return WorkerClient(self.current, seed)

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
