"""Resource limits for a worker, applied in the child between fork and exec."""

from __future__ import annotations

import ctypes
import os
import resource
from dataclasses import dataclass

CLONE_NEWNET = 0x40000000


@dataclass(frozen=True)
class Limits:
    """What one worker process may use. Defaults suit the course assignments; configs may raise them."""

    memory_bytes: int = 2 * 2**30
    cpu_seconds: int = 120
    file_bytes: int = 64 * 2**20
    open_files: int = 64
    processes: int = 64
    call_seconds: float = 10.0


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
