"""The worker's seccomp filter: system calls a NumPy homework never needs fail with EPERM.

Loaded by the worker itself, after its own imports and before any student code, so it holds in
both isolation modes (bubblewrap cannot add it for the fallback). No sockets other than local
ones (so no network even through raw ctypes syscalls), no tracing or reading other processes'
memory, no new namespaces, mounts, kernel keyrings, BPF or io_uring, and no System V or POSIX
message-queue IPC: those objects outlive the processes that made them, so a task could leave one for
the next submission served by the same zygote (`sandbox.zygote_pool`), or reach the machine's.

New namespaces are refused however they are asked for: `unshare`, `setns`, `clone` with any
namespace flag (a fallback worker, unlike one under bubblewrap's --disable-userns, could otherwise
build a user namespace and mount what it likes), and `clone3` entirely, because its flags sit in
a struct the filter cannot read; it fails with ENOSYS, which makes glibc fall back to `clone` for
threads and processes. The new mount API (fsopen ... mount_setattr) goes with `mount`.
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
          "mq_notify", "mq_getsetattr", "fsopen", "fsconfig", "fsmount", "fspick", "open_tree",
          "move_mount", "mount_setattr")
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET (include/uapi/linux/sched.h)
CLONE_NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
                         0x40000000)


def install() -> None:
    """Load the filter into this process (and every process it starts); raises if it cannot."""
    import pyseccomp as seccomp

    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    deny = seccomp.ERRNO(errno.EPERM)
    rules.add_rule(deny, "socket", seccomp.Arg(0, seccomp.NE, AF_UNIX))
    rules.add_rule(deny, "socketpair", seccomp.Arg(0, seccomp.NE, AF_UNIX))
    for name in DENIED:
        rules.add_rule(deny, name)
    for flag in CLONE_NAMESPACE_FLAGS:  # each rule's conditions are ANDed: one rule per flag
        rules.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    rules.load()
