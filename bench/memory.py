"""Figure 5: peak resident memory of the grader and of a sandboxed worker, read from /proc.

A monitor thread polls the process tree of one `autograder grade` run and keeps, per role, the
largest VmHWM (the kernel's own record of a process's peak resident memory):
- "grader": the `autograder grade` command itself (discovery, reports, the gradebook);
- "grading": the processes of its pool, which run the tests (pytest, torch, keras);
- "worker": the sandboxed processes running student code (the worker runtime on their command line).
bubblewrap's own small processes are left out. Shared pages count in every process that maps them,
so `tree_peak_mib`, the largest sum over the tree at one moment, is an upper bound. A process that
lives less than one polling interval can be missed; workers live for a task, at least a second.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any

ROLES = ("grader", "grading", "worker")
WORKER_MARK = b"autograder.runtime"  # on every worker's command line (its bootstrap imports it)
POLL_SECONDS = 0.05  # one poll costs ~1.4 ms of CPU: ~3% of a core, little noise in the timings


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    return int(stat[stat.rindex(b")") + 2:].split()[1])  # the name may hold spaces and parentheses


def _status(pid: int) -> dict[str, str] | None:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def _kib(status: dict[str, str], key: str) -> int:
    return int(status.get(key, "0 kB").split()[0])


class ProcessTreeMonitor:
    """Peak memory per role in the process tree under `root`, while in a `with` block."""

    def __init__(self, root: int, interval: float = POLL_SECONDS):
        self.root, self.interval = root, interval
        self.peaks_kib = dict.fromkeys(ROLES, 0)
        self.tree_peak_kib = 0
        self.first_worker_at: float | None = None  # time.time() when a worker was first seen
        self._parents: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ProcessTreeMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.poll()
            if self._stop.wait(self.interval):
                return

    def _tree(self) -> set[int]:
        live = {int(name) for name in os.listdir("/proc") if name.isdigit()}
        for pid in self._parents.keys() - live:
            del self._parents[pid]
        for pid in live - self._parents.keys():
            parent = _parent(pid)
            if parent is not None:
                self._parents[pid] = parent
        tree, grown = {self.root}, True
        while grown:
            children = {pid for pid, parent in self._parents.items() if parent in tree} - tree
            tree |= children
            grown = bool(children)
        return tree

    def _role(self, pid: int, status: dict[str, str]) -> str | None:
        if pid == self.root:
            return "grader"
        if status.get("Name", "").strip() == "bwrap":
            return None
        with contextlib.suppress(OSError):
            if WORKER_MARK in Path(f"/proc/{pid}/cmdline").read_bytes():
                return "worker"
        return "grading"

    def poll(self) -> None:
        total = 0
        for pid in self._tree():
            status = _status(pid)
            if status is None:
                continue
            total += _kib(status, "VmRSS")
            role = self._role(pid, status)
            if role is None:
                continue
            self.peaks_kib[role] = max(self.peaks_kib[role], _kib(status, "VmHWM"))
            if role == "worker" and self.first_worker_at is None:
                self.first_worker_at = time.time()
        self.tree_peak_kib = max(self.tree_peak_kib, total)

    def peaks_mib(self) -> dict[str, float]:
        peaks = {f"{role}_mib": round(kib / 1024, 1) for role, kib in self.peaks_kib.items()}
        return peaks | {"tree_peak_mib": round(self.tree_peak_kib / 1024, 1)}


def figure(peaks_by_assignment: dict[str, list[dict[str, float]]]) -> dict[str, Any]:
    """Per assignment, the largest peak of each role over the runs grading one reference submission."""
    return {assignment: {key: max(run[key] for run in runs) for key in runs[0]}
            for assignment, runs in peaks_by_assignment.items()}
