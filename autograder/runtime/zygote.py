"""The zygote: one warm process per grading process, inside its sandbox, that forks a worker per task.

Started by `autograder.sandbox.zygote_process.Zygote` the way a worker used to be (same bubblewrap
namespaces, uid, rlimits and seccomp filter), it imports numpy, the worker runtime and the trusted
modules the submission imports: the modules of the worker's site folder named by its import
statements, found by reading the submission's files, never by running them. It never runs student
code. It sees the submission at a fixed place, which the grader refills between submissions; it
serves the next one only if that one imports exactly what it preloaded (`sandbox.zygote_pool`),
so no submission's tasks depend on which submission came before. For each task the grader sends
it, over a local socket, the task's request and response pipes and its output file; it forks a
child that imports the student's code afresh and serves that task, like a freshly started worker,
so no task sees what another task's code did.

After each task the grader asks how it ended. The zygote reaps the task's process and says whether
the task ended cleanly: its process exited by itself, and it left no process (the zygote is a child
subreaper, so every process a task leaves behind becomes the zygote's child) and no file in the
task's folders, nor, in the fallback as a uid of its own, any file of that uid in the shared
temporary folders (`SHARED_TMP_FOLDERS`, which the grader sweeps when the zygote goes). The grader
replaces the zygote, on a new uid, after any task that did not.

In the fallback mode the worker gives up, before importing any student code, every file access but
those bubblewrap would bind (`runtime.landlock`). The submission's folder comes in the environment
($AUTOGRADER_ROOT), never on the command line, which every process on the machine can read.

The zygote cannot be reached by the code it forks: it is not dumpable (no /proc/<pid>/mem, no
/proc/<pid>/fd, no ptrace, besides the seccomp filter), the child closes the control socket before
importing any student code, and forked memory is a copy. A task may still kill or stop it; the
grader then gets no answer and replaces it.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import ctypes
import gc
import importlib
import importlib.util
import json
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

from autograder.runtime import landlock, notebook_module, syscall_filter, worker

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
MAX_MESSAGE_BYTES = 65536
TASK_FDS = 3  # request pipe (read end), response pipe (write end), output file
# Reading the submission for its imports is only a speed-up: bounded, so a huge submission
# cannot stall the zygote before its first task.
MAX_SCANNED_FILE_BYTES = 512 * 2**10
MAX_SCANNED_BYTES = 4 * 2**20
NOT_PRELOADED = ("autograder",)
SITE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # holds autograder/
ROOT_ENV = "AUTOGRADER_ROOT"
# Where any user may write in the fallback: a task's files there must go with the task.
SHARED_TMP_FOLDERS = ("/tmp", "/dev/shm", "/var/tmp")


def submission_sources(root: str) -> list[str]:
    """The submission's code as text, at most MAX_SCANNED_BYTES of it."""
    sources, total = [], 0
    for source in _code_texts(root):
        total += len(source)
        if total > MAX_SCANNED_BYTES:
            break
        sources.append(source)
    return sources


def _code_texts(root: str) -> Iterator[str]:
    """The notebook's kept statements, or the .py files up to MAX_SCANNED_FILE_BYTES each."""
    statements_path = os.path.join(root, notebook_module.STATEMENTS_FILE)
    if os.path.isfile(statements_path):
        with open(statements_path, encoding="utf-8") as stream:
            yield from (str(statement.get("source", "")) for statement in json.load(stream))
        return
    for folder, _, names in sorted(os.walk(root)):
        for name in sorted(names):
            path = os.path.join(folder, name)
            if name.endswith(".py") and os.path.getsize(path) <= MAX_SCANNED_FILE_BYTES:
                with open(path, encoding="utf-8-sig", errors="replace") as stream:
                    yield stream.read()


def imported_names(source: str) -> dict[str, set[str]]:
    """Absolute imports of one source: module -> the names taken from it (`from m import a`)."""
    if "import" not in source:  # no import statement without the keyword: nothing to parse
        return {}
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    found: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.setdefault(alias.name, set())
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.setdefault(node.module, set()).update(a.name for a in node.names if a.name != "*")
    return found


def in_site_folder(module: str, site: str) -> bool:
    """Whether a module's top-level package lives in the worker's site folder (found, not run)."""
    top = module.partition(".")[0]
    if top in NOT_PRELOADED:
        return False
    spec = importlib.util.find_spec(top)
    return bool(spec and spec.origin and spec.origin.startswith(site + os.sep))


def wanted_imports(root: str) -> dict[str, set[str]]:
    """Every absolute import in the submission's code: module -> the names taken from it."""
    wanted: dict[str, set[str]] = {}
    try:
        sources = submission_sources(root)
    except (OSError, ValueError):
        sources = []
    for source in sources:
        for module, names in imported_names(source).items():
            wanted.setdefault(module, set()).update(names)
    return wanted


def preload(root: str, site: str) -> None:
    """Import the site folder's modules that the submission imports, as `import` would (a name
    taken with `from m import a` may be a submodule). The submission's folder is never on the
    zygote's path (each worker adds it for itself), so nothing there can stand in for them."""
    wanted = wanted_imports(root)
    for module in sorted(wanted):
        try:
            if not in_site_folder(module, site):
                continue
            imported = importlib.import_module(module)
            for name in sorted(wanted[module]):
                if not hasattr(imported, name):
                    importlib.import_module(f"{module}.{name}")
        except Exception:  # the task's own import will say what is wrong
            continue


def _prctl(option: int, value: int) -> None:
    if ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}, {value}) failed")


def wall_off(root: str, folder: str) -> None:
    """Give up every file but what bubblewrap would bind: the interpreter and the system's
    libraries, the site folder and the submission to read, the task's folder to write."""
    landlock.restrict(
        read_only=[*landlock.SYSTEM_READ_ONLY, *landlock.DEVICES_READ_ONLY, sys.base_prefix, SITE, root],
        read_write=[folder, *landlock.DEVICES_READ_WRITE])


def run_task(control: socket.socket, fds: list[int], request: dict[str, Any], root: str,
             package: str | None, walled: bool = False) -> None:
    """In the forked child: serve one task, then exit at once (none of the student's atexit
    handlers or finalizers run once the task is over)."""
    status = 1
    try:
        control.close()
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # a task that kills the zygote dies with it
        request_fd, response_fd, output_fd = fds
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.close(output_fd)
        folder = request["folders"][0]
        if walled:
            wall_off(root, folder)  # raises rather than run student code unwalled
        os.chdir(folder)
        os.environ["HOME"] = os.environ["TMPDIR"] = tempfile.tempdir = folder
        worker.seed(request["seed"])
        worker.prepare_imports(root, package)
        worker.Worker(root, request_fd, response_fd).serve()
        status = 0
    finally:
        os._exit(status)


def left_behind() -> bool:
    """Whether any process is still this process's child (finished ones are reaped)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def shared_files_left() -> bool:
    """Whether this uid owns anything in the shared temporary folders (only ever a task's: the
    grader keeps the sandbox's own folders elsewhere)."""
    uid = os.getuid()
    for folder in SHARED_TMP_FOLDERS:
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            if any(_owner(entry) == uid for entry in entries):
                return True
    return False


def _owner(entry: os.DirEntry) -> int | None:
    try:
        return entry.stat(follow_symlinks=False).st_uid
    except OSError:
        return None


def ending(child: int, folders: list[str], own_uid: bool = False) -> dict[str, Any]:
    """How a task's process ended (exit code, or minus the signal) and whether it ended cleanly:
    nothing left in its folders nor in the zygote's own (a task can learn its path), and, when this
    uid is the sandbox's own, nothing of it in the shared temporary folders."""
    _, status = os.waitpid(child, 0)
    code = os.waitstatus_to_exitcode(status)
    files_left = any(os.listdir(folder) for folder in [*folders, os.getcwd()] if os.path.isdir(folder))
    files_left = files_left or (own_uid and shared_files_left())
    return {"code": code, "clean": code == 0 and not left_behind() and not files_left}


def serve(control: socket.socket, root: str, package: str | None, walled: bool = False,
          own_uid: bool = False) -> None:
    """Fork a worker for each "fork" message, report its ending on "wait"; stop when the grader
    closes the socket."""
    child, folders = 0, []
    while True:
        message, fds, _, _ = socket.recv_fds(control, MAX_MESSAGE_BYTES, TASK_FDS)
        if not message:
            return
        request = json.loads(message)
        if request["op"] == "fork":
            child = os.fork()
            if child == 0:
                run_task(control, fds, request, root, package, walled)
            for fd in fds:
                os.close(fd)
            folders = request["folders"]
        elif request["op"] == "wait":
            control.send(json.dumps(ending(child, folders, own_uid)).encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--package", help="a package whose __init__.py is not run")
    parser.add_argument("--seccomp", action="store_true", help="load the syscall filter first")
    parser.add_argument("--landlock", action="store_true",
                        help="wall each task's worker off with Landlock before its student code")
    parser.add_argument("--own-uid", action="store_true",
                        help="this uid is the sandbox's own: a file it owns in /tmp is a task's")
    args = parser.parse_args()
    root = os.environ.pop(ROOT_ENV)  # the folder holding the student's code
    preload(root, SITE)
    if args.seccomp:
        syscall_filter.install()
    _prctl(PR_SET_DUMPABLE, 0)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    gc.freeze()  # the workers' collections skip what they inherit: no copy of every page on write
    with contextlib.closing(socket.socket(fileno=args.control_fd)) as control:
        serve(control, root, args.package, args.landlock, args.own_uid)
