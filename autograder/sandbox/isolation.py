"""How a worker is walled off: which mode this machine allows, and the command that starts it.

Two modes (see the README's "Security model"):
- "bubblewrap": the worker runs under bwrap in its own user, mount, pid, network and IPC
  namespaces, seeing only a read-only system, the Python runtime, a small site folder (numpy,
  scipy, scikit-learn, tqdm, pyseccomp, the worker runtime) and the one submission.
- "fallback": where namespaces are unavailable. Each task's worker walls itself off with Landlock
  (`runtime.landlock`) to the same files bubblewrap would show it, and writes only to a private
  folder of its own (its TMPDIR, removed after the task). Where the kernel has no Landlock, file
  permissions do the same as far as they can: the spool is root's, readable by the zygote's group
  only, task folders are the worker uid's only, and the checkout, every reference, every private
  test folder and `.git` lose their permissions for other users; files a worker's uid leaves in
  the shared temporary folders are swept. A grader that is not root cannot give workers uids of
  their own: there Landlock is all that separates them (`Isolation.missing` says what is missing).
The sandboxed process is a grading process's zygote (`runtime.zygote`), which forks a worker per
task, for one submission after another. When the grader runs as root, every zygote runs as an
unprivileged uid of its own (`worker_uid`): it owns no file, and its process limit and its leftovers
are its own. A zygote serves a new task only after the previous one left no process and no file
behind; otherwise the next task gets a new zygote and uid, so a fork bomb cannot starve the next
worker (its processes may still be dying when that one starts) nor another submission's.
Both add rlimits (`limits`), a seccomp filter loaded before any student code is imported
(`runtime.syscall_filter`), a per-call deadline and a sweep of leftover processes.

The worker's interpreter runs with `-I -S`: no site-packages at all, only the worker site folder,
so torch and the grader's other dependencies are not even on its path.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import autograder
from autograder import config
from autograder.runtime import landlock
from autograder.runtime.zygote import ROOT_ENV
from autograder.sandbox.limits import network_isolation_available

WORKER_UID_BASE = 2_000_000_000  # far above real users
WORKERS_PER_PID = 512  # pids stay below 2**22, so uids stay below 2**32 - 2
FORCE_ENV = "AUTOGRADER_ISOLATION"
LANDLOCK_ENV = "AUTOGRADER_LANDLOCK"  # "off": run the fallback without it (how tests simulate old kernels)
MODES = ("bubblewrap", "fallback")
# What the worker may import besides the standard library (whole top-level entries of site-packages).
# scikit-learn (with what `sklearn.model_selection` imports: joblib, cloudpickle, threadpoolctl,
# narwhals) and tqdm are there because real notebooks import train_test_split and tqdm at top level.
WORKER_SITE_ENTRIES = ("numpy", "numpy.libs", "scipy", "scipy.libs", "pyseccomp.py",
                       "sklearn", "scikit_learn.libs", "joblib", "cloudpickle", "threadpoolctl.py",
                       "narwhals", "tqdm")
# Left out of the worker's site folder. Compiled files (__pycache__) are kept: the folder is read-only
# to the worker, which would otherwise recompile everything it imports, in every task's worker
# (3.5 s instead of 0.4 s to start one for a notebook importing sklearn.model_selection).
SITE_SKIPPED = ("tests",)
SANDBOX_SITE = "/opt/autograder-site"
SANDBOX_SUBMISSION = "/submission"  # where the zygote's spool folder is bound
SANDBOX_TMP_BYTES = 64 * 2**20
# The sandbox's writable folders: each task must leave them empty for the zygote to serve another.
SANDBOX_TASK_FOLDERS = ("/tmp", "/dev/shm")
BOOTSTRAP = ("import sys; sys.path[:0] = [{site!r}]; "
             "from autograder.runtime.zygote import main; main()")


@dataclass(frozen=True)
class Isolation:
    """The mode chosen for this machine, and what it runs the worker with."""

    mode: str
    switch_user: bool  # run the worker as its own unprivileged uid (the grader is root)
    python: str
    site: Path
    seccomp: bool
    own_network: bool  # fallback as the grader's user: an empty network namespace in preexec
    notes: tuple[str, ...] = ()
    landlock: int = 0  # the Landlock ABI each fallback worker walls itself off with; 0: none

    @property
    def missing(self) -> tuple[str, ...]:
        """The protections bubblewrap would give that this sandbox lacks, in words for reports."""
        if self.mode == "bubblewrap":
            return () if self.seccomp else ("no seccomp filter",)
        gaps = [] if self.seccomp else ["no seccomp filter"]
        if not self.landlock:
            gaps.append("no Landlock: files hidden by permissions only, and a task's files in /tmp "
                        "live until it ends" if self.switch_user else
                        "no Landlock and no uid of its own: a worker can read what the grader's "
                        "user can, other submissions included")
        elif not self.switch_user:
            gaps.append("no uid of its own (the grader is not root): only Landlock separates workers")
        return tuple(gaps)

    @property
    def description(self) -> str:
        """One line for reports: which protections were in force, and which were missing."""
        user = "own unprivileged uid" if self.switch_user else "the grader's user"
        parts = [self.mode, user, "seccomp" if self.seccomp else "no seccomp", "rlimits"]
        if self.landlock:
            parts.append(f"Landlock ABI {self.landlock}")
        return "; ".join(parts + [f"MISSING: {gap}" for gap in self.missing])

    def worker_argv(self, code_root: Path, worker_args: list[str], pass_fds: tuple[int, ...]
                    ) -> tuple[list[str], tuple[int, ...]]:
        """The command that starts a zygote on `code_root` (its spool folder, which goes in the
        environment, `worker_env`), and the descriptors it must inherit; the caller closes those
        not in `pass_fds` once it has started. No path of a submission is on the command line,
        which any process can read in /proc: bubblewrap reads its binds from a pipe."""
        site = SANDBOX_SITE if self.mode == "bubblewrap" else str(self.site)
        flags = [flag for flag, wanted in (("--seccomp", self.seccomp), ("--landlock", bool(self.landlock)),
                                           ("--own-uid", self.mode == "fallback" and self.switch_user))
                 if wanted]
        python = [self.python, "-I", "-S", "-c", BOOTSTRAP.format(site=site), *worker_args, *flags]
        if self.mode != "bubblewrap":
            return python, pass_fds
        args_read, args_write = os.pipe()  # far below a pipe's capacity: written at once
        with open(args_write, "wb") as stream:
            options = bubblewrap_argv(self, code_root)[1:]  # without the program's name
            stream.write(b"".join(option.encode() + b"\0" for option in options))
        return ["bwrap", "--args", str(args_read), "--", *python], (*pass_fds, args_read)

    def worker_env(self, code_root: Path) -> dict[str, str]:
        """What the zygote's environment adds: where its submission is. Not on its command line,
        which any process can read in /proc (`/proc/<pid>/environ` is its own uid's only)."""
        return {ROOT_ENV: SANDBOX_SUBMISSION if self.mode == "bubblewrap" else str(code_root)}


    def hide(self, *paths: Path) -> None:
        """Make secrets unreadable to the worker's user, where nothing else hides them.

        Under bubblewrap the worker sees only what is bound; in the fallback, Landlock shows it no
        more, but where the kernel lacks it the worker sees the whole file system as its own uid. So
        `paths` (the submissions, the results) and every secret of the kit (`secret_paths`) lose
        their permissions for "others" (the worker's uid owns none of them), in either case."""
        if self.mode != "fallback" or not self.switch_user:
            return
        for path in (*paths, *secret_paths()):
            if path.exists():
                path.chmod(path.stat().st_mode & ~0o007)


@functools.cache
def secret_paths() -> tuple[Path, ...]:
    """What no worker may read: every assignment's reference and private tests, and the checkout
    itself with its `.git` (whose packs hold every reference), when the kit runs from one."""
    specs = [config.load(name) for name in config.available()]
    found = [path for spec in specs for path in (spec.solution_dir, spec.test_dirs["private"])]
    if (config.REPO_ROOT / ".git").exists():
        found += [config.REPO_ROOT / ".git", config.REPO_ROOT]
    return tuple(found)


def bubblewrap_argv(isolation: Isolation, code_root: Path) -> list[str]:
    argv = ["bwrap", "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
            "--new-session", "--cap-drop", "ALL"]
    for top in landlock.SYSTEM_READ_ONLY:  # the system the fallback's Landlock lets workers read
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.exists(top):
            argv += ["--ro-bind", top, top]
    prefix = Path(isolation.python).resolve().parent.parent
    if not str(prefix).startswith("/usr"):
        argv += ["--ro-bind", str(prefix), str(prefix)]
    argv += ["--ro-bind", str(isolation.site), SANDBOX_SITE,
             "--ro-bind", str(code_root), SANDBOX_SUBMISSION,
             "--proc", "/proc", "--dev", "/dev"]
    for folder in SANDBOX_TASK_FOLDERS:  # size-limited, or /dev/shm could fill the memory
        argv += ["--size", str(SANDBOX_TMP_BYTES), "--tmpfs", folder]
    return argv + ["--remount-ro", "/", "--chdir", "/tmp", "--setenv", "HOME", "/tmp",
                   "--setenv", "TMPDIR", "/tmp"]


def worker_uid(switch_user: bool) -> int | None:
    """A uid no other live sandbox has (see the module docstring), or None to stay the grader's
    own user: the grading process's pid and a count of the zygotes it started, which wraps only
    after WORKERS_PER_PID zygotes, long after the first one's processes are gone."""
    if not switch_user:
        return None
    return WORKER_UID_BASE + os.getpid() * WORKERS_PER_PID + next(_workers_started) % WORKERS_PER_PID


_workers_started = itertools.count()


def _reachable_by_others(path: Path) -> bool:
    """Whether a user other than the owner can reach and read `path` (every parent searchable)."""
    path = path.resolve()
    for parent in path.parents:
        if not os.stat(parent).st_mode & stat.S_IXOTH:
            return False
    return bool(os.stat(path).st_mode & stat.S_IROTH)


def worker_python(switch_user: bool) -> str | None:
    """An interpreter of the grader's Python version the worker's user can run."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [Path(sys.executable).resolve(), Path(sys.base_prefix) / "bin" / version,
                  Path("/usr/bin") / version, Path("/usr/local/bin") / version]
    for candidate in candidates:
        if candidate.is_file() and (not switch_user or _reachable_by_others(candidate)):
            return str(candidate)
    return None


def worker_site() -> Path:
    """A folder, readable by every user, holding exactly what the worker may import.

    Built once per version of its contents, by hard links where possible (instant, and readable
    even when the grader's own folders are not), in a folder only this user can write."""
    purelib = Path(sysconfig.get_paths()["purelib"])
    package = Path(autograder.__file__)  # __version__ and the catalog's marker N_: no imports
    runtime = package.parent / "runtime"
    sources = [purelib / entry for entry in WORKER_SITE_ENTRIES if (purelib / entry).exists()]
    digest = hashlib.sha256(repr(SITE_SKIPPED).encode())
    for source in [*sources, package, *sorted(runtime.rglob("*.py"))]:
        digest.update(str(source).encode() + str(source.stat().st_mtime_ns).encode())
    base = Path(os.environ.get("AUTOGRADER_WORKER_SITE", "/var/tmp")) / f"autograder-site-{os.getuid()}"
    target = base / digest.hexdigest()[:16]
    if _trusted_folder(base) and (target / "autograder" / "runtime" / "worker.py").exists():
        return target
    base.mkdir(mode=0o755, exist_ok=True)
    if not _trusted_folder(base):
        raise RuntimeError(f"{base} is not owned by this user or is writable by others; remove it")
    building = Path(f"{target}.{os.getpid()}.tmp")
    shutil.rmtree(building, ignore_errors=True)
    for source in sources:
        link_tree(source, building / source.name, SITE_SKIPPED)
    link_tree(runtime, building / "autograder" / "runtime", SITE_SKIPPED)
    shutil.copyfile(package, building / "autograder" / "__init__.py")
    for folder, _, _ in os.walk(building):
        os.chmod(folder, 0o755)
    try:
        building.rename(target)
    except OSError:  # another grader built it first
        shutil.rmtree(building, ignore_errors=True)
    return target


def _trusted_folder(folder: Path) -> bool:
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def link_tree(source: Path, target: Path, skipped: tuple[str, ...] = ()) -> None:
    """Hard-link (else copy) a file or folder to `target`, readable by every user."""
    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
        os.chmod(dst, os.stat(dst).st_mode | stat.S_IROTH | stat.S_IRGRP)

    target.parent.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(*skipped)
    if source.is_dir():
        shutil.copytree(source, target, copy_function=link_or_copy, ignore=ignore)
    else:
        link_or_copy(str(source), str(target))


def bubblewrap_works(uid: int | None) -> bool:
    """Whether bwrap can build its namespaces here, as the worker's user (tried once)."""
    if shutil.which("bwrap") is None:
        return False
    try:
        result = subprocess.run(
            ["bwrap", "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
             "--cap-drop", "ALL", "--ro-bind", "/", "/", "--", "/bin/true"],
            user=uid, group=uid, extra_groups=[] if uid is not None else None,
            capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def seccomp_available() -> bool:
    try:
        import pyseccomp  # noqa: F401 - only whether it loads (it finds libseccomp with ctypes)
    except (ImportError, OSError, RuntimeError):
        return False
    return True


def landlock_abi() -> int:
    """The Landlock ABI the fallback's workers will use: the kernel's, unless $AUTOGRADER_LANDLOCK
    is "off"."""
    return 0 if os.environ.get(LANDLOCK_ENV) == "off" else landlock.abi_version()


def detect(forced: str | None = None) -> Isolation:
    """The strongest mode this machine supports, or the one forced by argument or by
    $AUTOGRADER_ISOLATION (how the kit's tests run the fallback mode on a machine with both)."""
    return _detect(forced or os.environ.get(FORCE_ENV) or None, landlock_abi())


@functools.cache
def _detect(forced: str | None, landlock_version: int) -> Isolation:
    if forced not in (None, *MODES):
        raise ValueError(f"{FORCE_ENV} must be one of {', '.join(MODES)}, not {forced!r}")
    notes: list[str] = []
    switch_user = os.geteuid() == 0
    python = worker_python(switch_user)
    if python is None:
        notes.append(f"no Python {sys.version_info.major}.{sys.version_info.minor} readable by "
                     "other users: the worker runs as root")
        switch_user = False
        python = worker_python(False)
    assert python is not None
    works = bubblewrap_works(worker_uid(switch_user))
    mode = forced or ("bubblewrap" if works else "fallback")
    if mode == "bubblewrap" and not works:
        raise RuntimeError("bubblewrap mode was asked for, but bwrap cannot run here "
                           "(see `autograder doctor`)")
    own_network = mode == "fallback" and not switch_user and network_isolation_available()
    return Isolation(mode=mode, switch_user=switch_user, python=python, site=worker_site(),
                     seccomp=seccomp_available(), own_network=own_network, notes=tuple(notes),
                     landlock=landlock_version if mode == "fallback" else 0)


def doctor() -> list[tuple[str, bool, str]]:
    """What this machine supports, as (capability, available, detail) rows for `autograder doctor`."""
    root = os.geteuid() == 0
    python = worker_python(root)
    bwrap = shutil.which("bwrap")
    namespaces = bubblewrap_works(worker_uid(root))
    chosen = detect()
    fallback = detect("fallback")
    abi = landlock.abi_version()
    return [
        ("running as root", root, "workers get their own unprivileged uid" if root
         else "workers run as your user: secrets rely on bubblewrap hiding them"),
        ("worker interpreter", python is not None, python or "no Python the worker's user can run"),
        ("bubblewrap installed", bwrap is not None, bwrap or "apt-get install bubblewrap"),
        ("bubblewrap namespaces work", namespaces,
         "user, pid, mount, network namespaces" if namespaces else
         "e.g. kernel.apparmor_restrict_unprivileged_userns=1 or no user namespaces"),
        ("seccomp filter", seccomp_available(), "pyseccomp + libseccomp"),
        ("private network namespace (fallback)", network_isolation_available(),
         "unshare(CLONE_NEWNET)"),
        ("Landlock (fallback)", abi > 0,
         (f"ABI {abi}" + (f", but {LANDLOCK_ENV}=off" if abi and not fallback.landlock else ""))
         if abi else "Linux 5.13+ with landlock in the lsm= boot list"),
        ("fallback as tight as bubblewrap", not fallback.missing,
         "; ".join(fallback.missing) or "Landlock, and a uid of its own for every zygote"),
        ("mode used", True, chosen.description + "".join(f" ({n})" for n in chosen.notes)),
    ]
