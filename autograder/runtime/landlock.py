"""Landlock: the fallback mode's file-system wall, as tight as bubblewrap's view.

Where namespaces are unavailable (a restricted CI runner, a server that forbids unprivileged user
namespaces), the worker still sees the host's file system. Landlock (Linux 5.13+, unprivileged)
lets a process give up access to every file but the ones it names, for itself and everything it
starts, irrevocably. A task's worker calls `restrict` after it is forked and before it imports any
student code: it may then read and run the interpreter, the system libraries and the worker's site
folder, read its one submission, and write only its task's private folder, exactly what bubblewrap
binds. Nothing else: no other submission, no checkout, no `.git`, no reference, no private tests,
no shared /tmp. With ABI 4 it also gives up TCP, and with ABI 6 signals to processes outside its
domain (the zygote, the grader) and abstract Unix sockets.

It runs inside the worker, so it uses only the standard library (ctypes, raw system calls: their
numbers are the same on every architecture since Landlock was added).
"""

from __future__ import annotations

import ctypes
import os
import stat
import struct

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38
# File-system rights (uapi/linux/landlock.h), and the ABI that introduced the later ones.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
ABI1_RIGHTS = (1 << 13) - 1  # EXECUTE .. MAKE_SYM: every right of the first ABI
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # the only ones a file takes
READ = EXECUTE | READ_FILE | READ_DIR
# What the interpreter needs besides its prefix, as bubblewrap binds it (sandbox.isolation).
SYSTEM_READ_ONLY = ("/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc/ld.so.cache")
DEVICES_READ_ONLY = ("/dev/urandom", "/dev/random", "/proc/self")  # /proc/self: the caller's own
DEVICES_READ_WRITE = ("/dev/null", "/dev/zero", "/dev/full")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def abi_version() -> int:
    """The kernel's Landlock ABI version, 0 where it has none (or it is disabled at boot)."""
    version = _libc.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0),
                            ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(int(version), 0)


def handled_rights(abi: int) -> tuple[int, int, int]:
    """The file-system rights, network rights and scopes this ABI can restrict: all of them."""
    fs = ABI1_RIGHTS | (REFER if abi >= 2 else 0) | (TRUNCATE if abi >= 3 else 0) \
        | (IOCTL_DEV if abi >= 5 else 0)
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    return fs, net, scoped


def _check(result: int, what: str) -> int:
    if result < 0:
        error = ctypes.get_errno()
        raise OSError(error, f"landlock: {what}: {os.strerror(error)}")
    return result


def restrict(read_only: list[str], read_write: list[str]) -> int:
    """Give up, for this process and its future children, every file access but reading (and
    running) `read_only` and reading and writing `read_write`, each a file or a folder with what it
    holds. Paths that do not exist are skipped. Returns the ABI used; raises OSError if the kernel
    refuses (never a half-applied ruleset: nothing is restricted until the last call)."""
    abi = abi_version()
    if abi < 1:
        raise OSError(0, "landlock: not supported by this kernel")
    fs, net, scoped = handled_rights(abi)
    attr = struct.pack("=QQQ", fs, net, scoped)
    ruleset = _check(_libc.syscall(SYS_CREATE_RULESET, attr, ctypes.c_size_t(len(attr)),
                                   ctypes.c_uint32(0)), "create_ruleset")
    try:
        for paths, rights in ((read_only, READ), (read_write, fs)):
            for path in paths:
                _allow(ruleset, path, rights & fs)
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        _check(_libc.syscall(SYS_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)), "restrict_self")
    finally:
        os.close(ruleset)
    return abi


def _allow(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # e.g. no /lib64 on this system
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= FILE_RIGHTS
        rule = struct.pack("=Qi", rights, fd)
        _check(_libc.syscall(SYS_ADD_RULE, ruleset, ctypes.c_uint32(RULE_PATH_BENEATH), rule,
                             ctypes.c_uint32(0)), f"add_rule {path}")
    finally:
        os.close(fd)
