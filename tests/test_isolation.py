"""The isolation mode is chosen honestly, can be forced, and the worker's view holds no torch; the
fallback's walls (Landlock, the syscall filter, the spool's permissions) hold on their own."""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import json
import os
import signal
import stat
import struct
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from sandbox_helpers import open_sandbox, write_package

from autograder import cli, config
from autograder.config import Limits
from autograder.intake import prepare
from autograder.runtime import landlock, syscall_filter, zygote
from autograder.sandbox import isolation
from autograder.sandbox.session import Sandbox


def test_forcing_the_fallback_is_obeyed_and_reported():
    chosen = isolation.detect("fallback")
    assert chosen.mode == "fallback"
    assert chosen.description.startswith("fallback; ")


def test_an_unknown_mode_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="bubblewrap, fallback"):
        isolation.detect("chroot")


def test_the_workers_site_folder_holds_numpy_and_the_runtime_but_no_torch():
    site = isolation.detect().site
    names = {p.name for p in site.iterdir()}
    assert {"numpy", "autograder"} <= names
    assert not {"torch", "keras", "tensorflow", "jax"} & names
    assert {p.name for p in (site / "autograder").iterdir()} == {"__init__.py", "runtime"}


def test_the_workers_site_folder_keeps_compiled_files_so_workers_do_not_recompile():
    site = isolation.detect().site
    assert any((site / "sklearn" / "__pycache__").glob("*.pyc"))
    assert not (site / "sklearn" / "tests").exists()


def test_every_zygote_gets_a_uid_no_other_live_sandbox_has():
    uids = [isolation.worker_uid(True) for _ in range(isolation.WORKERS_PER_PID)]
    assert len(set(uids)) == len(uids)
    assert min(uids) >= isolation.WORKER_UID_BASE
    assert max(uids) < 2**32 - 2  # (uid_t)-1 means "no change" to setuid
    assert isolation.worker_uid(False) is None


def test_doctor_prints_every_capability_and_the_mode_used(capsys):
    assert cli.main(["doctor"]) == 0
    printed = capsys.readouterr().out
    for capability in ("bubblewrap installed", "seccomp filter", "mode used"):
        assert capability in printed
    assert isolation.detect().description in printed


@pytest.mark.parametrize("mode", isolation.MODES)
def test_notebooks_may_import_train_test_split_and_tqdm_in_either_mode(tmp_path, monkeypatch, mode):
    """Real course notebooks import both at top level; without them every later definition fails."""
    if mode == "bubblewrap" and isolation.detect().mode != "bubblewrap":
        pytest.skip("bubblewrap is not available on this machine")
    monkeypatch.setenv(isolation.FORCE_ENV, mode)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in (
        "import sys\ndef preloaded(seen=sorted(m for m in ('sklearn.model_selection', 'tqdm', "
        "'sklearn.datasets') if m in sys.modules)):\n    return seen",  # before the imports below ran
        "import numpy as np\nfrom sklearn.model_selection import train_test_split\nfrom tqdm import tqdm",
        "def split(n):\n    a, b = train_test_split(np.arange(n), test_size=0.25, random_state=0)\n"
        "    return sorted(int(v) for v in b)",
        "def count(n):\n    return sum(1 for _ in tqdm(range(n)))")]
    (tmp_path / "notebook.ipynb").write_text(nbformat.writes(notebook))
    bundle = prepare(tmp_path / "notebook.ipynb", notebook_name="notebook.ipynb")
    sandbox = Sandbox(bundle.root, Limits())
    try:
        assert sandbox.isolation.mode == mode
        notebook = sandbox.student_for("imports").module("notebook")
        assert notebook.split(8) == [2, 6]
        assert notebook.count(5) == 5
        assert notebook.preloaded() == ["sklearn.model_selection", "tqdm"]  # by the zygote, warm
    finally:
        sandbox.close()
        bundle.cleanup()


def test_the_zygote_reads_which_modules_a_submission_imports_without_running_it():
    source = ("import numpy as np, os.path\nfrom sklearn.model_selection import train_test_split\n"
              "from . import sibling\nfrom tqdm import *\ndef f():\n    from scipy import special\n"
              "raise SystemExit('never run')\n")
    assert zygote.imported_names(source) == {
        "numpy": set(), "os.path": set(), "sklearn.model_selection": {"train_test_split"},
        "tqdm": set(), "scipy": {"special"}}
    assert zygote.imported_names("def broken(:\n") == {}


def _in_child(body: Callable[[], object]) -> object:
    """What `body` returns when run in a forked child (whose restrictions die with it)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write_end, json.dumps(body()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with open(read_end, "rb") as stream:
        reply = stream.read()
    os.waitpid(pid, 0)
    return json.loads(reply)


def _attempts(calls: dict[str, Callable[[], int]]) -> dict[str, int | str]:
    """Each call's errno name, or "ok" (a clone that succeeded: its child exits at once)."""
    found: dict[str, int | str] = {}
    for name, call in calls.items():
        ctypes.set_errno(0)
        result = call()
        if result == 0 and name.startswith("clone"):
            os._exit(0)
        found[name] = "ok" if result >= 0 else errno.errorcode[ctypes.get_errno()]
    return found


def test_the_syscall_filter_refuses_namespace_clones_clone3_and_the_mount_api():
    libc = ctypes.CDLL(None, use_errno=True)
    clone_args = struct.pack("8Q", 0x10000000, 0, 0, 0, signal.SIGCHLD, 0, 0, 0)
    calls = {f"clone {flag:#x}": (lambda flag=flag: libc.syscall(56, flag | signal.SIGCHLD, 0, 0, 0, 0))
             for flag in syscall_filter.CLONE_NAMESPACE_FLAGS}
    calls |= {"clone3": lambda: libc.syscall(435, clone_args, len(clone_args)),
              "fsopen": lambda: libc.syscall(430, b"tmpfs", 0),
              "open_tree": lambda: libc.syscall(428, -100, b"/", 1),
              "move_mount": lambda: libc.syscall(429, -1, b"", -1, b"", 0),
              "mount_setattr": lambda: libc.syscall(442, -1, b"", 0, None, 0)}

    def filtered() -> dict[str, int | str]:
        syscall_filter.install()
        return _attempts(calls)

    refused = _in_child(filtered)
    assert refused == {**{name: "EPERM" for name in calls}, "clone3": "ENOSYS"}  # ENOSYS: glibc falls back


def test_the_filter_keeps_threads_and_subprocesses_working():
    def filtered() -> list[str]:
        syscall_filter.install()
        seen: list[str] = []
        thread = threading.Thread(target=seen.append, args=["thread"])
        thread.start()
        thread.join()
        return seen + [subprocess.run(["echo", "process"], capture_output=True, text=True).stdout.strip()]

    assert _in_child(filtered) == ["thread", "process"]


@pytest.mark.skipif(not landlock.abi_version(), reason="this kernel has no Landlock")
def test_a_landlocked_process_reads_only_what_it_was_given_and_writes_only_its_folder(tmp_path):
    given, other = tmp_path / "given", tmp_path / "other"
    for folder in (given, other):
        folder.mkdir()
        (folder / "file").write_text("text")
    writable = tmp_path / "writable"
    writable.mkdir()

    def walled() -> dict[str, str]:
        landlock.restrict(read_only=[*landlock.SYSTEM_READ_ONLY, str(given)], read_write=[str(writable)])
        outcome = {}
        for what, path, mode in (("read given", given / "file", "r"), ("read other", other / "file", "r"),
                                 ("write given", given / "new", "w"), ("write own", writable / "new", "w"),
                                 ("write /tmp", Path("/tmp") / f"landlock-{os.getpid()}", "w")):
            try:
                with open(path, mode):
                    outcome[what] = "ok"
            except OSError as exc:
                outcome[what] = type(exc).__name__
        return outcome

    assert _in_child(walled) == {"read given": "ok", "read other": "PermissionError",
                                 "write given": "PermissionError", "write own": "ok",
                                 "write /tmp": "PermissionError"}


def test_the_landlock_abi_is_reported_by_doctor_and_in_every_fallback_result(capsys):
    abi = landlock.abi_version()
    assert cli.main(["doctor"]) == 0
    printed = capsys.readouterr().out
    assert "Landlock (fallback)" in printed and (f"ABI {abi}" if abi else "Linux 5.13+") in printed
    fallback = isolation.detect("fallback")
    assert fallback.landlock == abi
    assert (f"Landlock ABI {abi}" if abi else "MISSING: no Landlock") in fallback.description


def test_switching_landlock_off_is_obeyed_and_every_result_says_what_is_missing(monkeypatch):
    monkeypatch.setenv(isolation.LANDLOCK_ENV, "off")
    chosen = isolation.detect("fallback")
    assert chosen.landlock == 0
    assert "--landlock" not in chosen.worker_argv(Path("/spool"), [], ())[0]
    assert "MISSING: no Landlock" in chosen.description
    if not chosen.switch_user:
        assert "the grader's user can" in chosen.description


def test_a_non_root_grader_is_told_that_only_landlock_separates_its_workers():
    chosen = dataclasses.replace(isolation.detect("fallback"), switch_user=False, landlock=7)
    assert "only Landlock separates workers" in chosen.description


@pytest.mark.parametrize("mode", isolation.MODES)
def test_no_command_line_names_a_submission_and_the_spool_is_the_zygotes_group_only(monkeypatch, mode):
    if mode == "bubblewrap" and isolation.detect().mode != "bubblewrap":
        pytest.skip("bubblewrap is not available on this machine")
    monkeypatch.setenv(isolation.FORCE_ENV, mode)
    sandbox = open_sandbox(write_package({"__init__.py": "", "m.py": "X = 1\n"}))
    try:
        assert sandbox.student_for("task").module("modules.m").X == 1
        zygote = sandbox.zygotes.current
        assert zygote is not None
        cmdline = Path(f"/proc/{zygote.process.pid}/cmdline").read_bytes().decode()
        assert str(sandbox.zygotes.spool) not in cmdline and "spool-" not in cmdline
        assert "submission-" not in cmdline
        if zygote.uid is not None:
            info = sandbox.zygotes.spool.stat()
            assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o750, 0, zygote.uid)
    finally:
        sandbox.close()


def test_every_secret_of_the_kit_is_hidden_in_the_fallback():
    secrets = isolation.secret_paths()
    for name in config.available():
        spec = config.load(name)
        assert {spec.solution_dir, spec.test_dirs["private"]} <= set(secrets)
    if (config.REPO_ROOT / ".git").exists():
        assert {config.REPO_ROOT, config.REPO_ROOT / ".git"} <= set(secrets)
