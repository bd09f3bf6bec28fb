"""Resource limits for a worker (`config.Limits`), applied in the child between fork and exec."""

from __future__ import annotations

import ctypes
import os
import resource

from autograder.config import Limits

CLONE_NEWNET = 0x40000000


def apply(limits: Limits, isolate_network: bool) -> None:
    """Set hard rlimits and, where the kernel allows it, move into an empty network namespace."""
    for kind, value in (
        (resource.RLIMIT_AS, limits.memory_bytes),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_NPROC, limits.processes),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(kind, (value, value))
    if isolate_network:
        ctypes.CDLL(None, use_errno=True).unshare(CLONE_NEWNET)


def network_isolation_available() -> bool:
    """Whether this process may create a network namespace (tried in a short-lived child)."""
    pid = os.fork()
    if pid == 0:
        os._exit(0 if ctypes.CDLL(None, use_errno=True).unshare(CLONE_NEWNET) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0
