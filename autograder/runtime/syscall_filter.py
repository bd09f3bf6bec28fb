"""The worker's seccomp filter: system calls a NumPy homework never needs fail with EPERM.

Loaded by the worker itself, after its own imports and before any student code, so it holds in
both isolation modes (bubblewrap cannot add it for the fallback). No sockets other than local
ones (so no network even through raw ctypes syscalls), no tracing or reading other processes'
memory, no new namespaces, mounts, kernel keyrings, BPF or io_uring, and no System V or POSIX
message-queue IPC: those objects outlive the processes that made them, so a task could leave one for
the next submission served by the same zygote (`sandbox.worker_process`), or reach the machine's.
"""

from __future__ import annotations

import errno

AF_UNIX = 1
DENIED = ("ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "pivot_root",
          "chroot", "unshare", "setns", "bpf", "perf_event_open", "keyctl", "add_key",
          "request_key", "userfaultfd", "io_uring_setup", "kexec_load", "init_module",
          "finit_module", "delete_module", "reboot", "swapon", "swapoff", "acct",
          "shmget", "shmat", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop",
          "semtimedop", "semctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive",
          "mq_notify", "mq_getsetattr")


def install() -> None:
    """Load the filter into this process (and every process it starts); raises if it cannot."""
    import pyseccomp as seccomp

    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    deny = seccomp.ERRNO(errno.EPERM)
    rules.add_rule(deny, "socket", seccomp.Arg(0, seccomp.NE, AF_UNIX))
    rules.add_rule(deny, "socketpair", seccomp.Arg(0, seccomp.NE, AF_UNIX))
    for name in DENIED:
        rules.add_rule(deny, name)
    rules.load()
