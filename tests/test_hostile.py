"""A corpus of hostile submissions, graded together in one batch with an honest one.

Each is the reference "autodiff" solution with an attack planted in `Sigmoid.compute_output`
(graded with the Activations task, which it must lose, and the Linear task, which it must keep).
The batch must finish, every result must be written, nothing secret may leak into any message,
the grader's files must be unchanged, and the honest submission in the same batch keeps full marks.
`make test` runs this file once in the machine's best isolation mode and once in the fallback.
While the batch is graded, another sandbox (a "victim" student's) is live in this process: no
attacker may read its spool, even told where it is. The fallback's behaviour on a kernel without
Landlock is proven at the end, with Landlock switched off ($AUTOGRADER_LANDLOCK=off).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import textwrap
import time
from pathlib import Path

import pytest
from sandbox_helpers import FOLDER_FUNCTIONS, open_sandbox, write_package

from autograder import config
from autograder.batch import grade_folder
from autograder.runtime.zygote import SHARED_TMP_FOLDERS
from autograder.sandbox import isolation

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

SPEC = config.load("autodiff")
ANCHOR = "        return special.expit(input)\n"
PRIVATE_TEST = SPEC.test_dirs["private"] / "test_linear_strict.py"
REFERENCE = SPEC.solution_dir / "modules" / "layers.py"
GRADER_FILE = Path(config.__file__)
WRONG = "return special.expit(input) + 1"
SERVER = socket.create_server(("127.0.0.1", 0))
PORT = SERVER.getsockname()[1]
MARKER = f"{2000 + os.getpid() % 1000}.{time.monotonic_ns() % 10**6}"
OTHER_SOLUTION = config.load("seminar").solution_dir / "notebook.ipynb"
OTHER_PRIVATE_TEST = config.load("seminar").test_dirs["private"] / "test_dense_strict.py"
GIT_HEAD = config.REPO_ROOT / ".git" / "HEAD"
LEFTOVER = f"autograder-hostile-{MARKER}"  # what the temp-file attack leaves, if it can
VICTIM_SECRET = "victim's secret"
# clone() flags that make namespaces (with SIGCHLD, so a clone that succeeds is a plain fork whose
# child exits at once): each must fail, and so must clone3 and the new mount API.
NAMESPACE_FLAGS = "(0x10000000, 0x00020000, 0x20000000, 0x40000000, 0x08000000, 0x04000000, 0x02000000)"


# Another grading process's spool named in any process's command line or environment.
FIND_SPOOLS = textwrap.dedent("""\
    import os
    mine = os.path.dirname(os.path.dirname(__file__))
    for pid in os.listdir('/proc'):
        for name in ('cmdline', 'environ'):
            try:
                text = open(f'/proc/{pid}/{name}', 'rb').read().decode()
            except (OSError, ValueError):
                continue
            for word in text.replace('\\0', ' ').replace('=', ' ').split():
                if 'spool-' in word and not word.startswith(mine):
                    raise RuntimeError('LE' + 'AKED>' + word)
    """)


def leak(path_expression: str) -> str:
    return f"raise RuntimeError('LE' + 'AKED>' + open({path_expression}).read()[:60])"


# name -> (attack code run at the start of Sigmoid.compute_output, a regex the Activations
# failure message must match)
ATTACKS: dict[str, tuple[str, str]] = {
    "infinite-loop": ("while True:\n    pass", r"did not finish within"),
    "sleep-forever": ("import time\ntime.sleep(10**6)", r"did not finish within"),
    "allocate-50gb": ("import numpy as np\nnp.ones(50 * 2**30 // 8)", r"MemoryError"),
    "write-10gb-file": ("with open('big.bin', 'wb') as f:\n    for _ in range(10 * 1024):\n"
                        "        f.write(b'x' * 2**20)", r"OSError|killed by SIGXFSZ|exited"),
    "print-gigabytes": ("import sys\nfor _ in range(4096):\n    sys.stdout.write('x' * 2**20)",
                        r"killed by SIGXFSZ|OSError"),
    "fork-bomb": ("import os\nwhile True:\n    os.fork()", r"BlockingIOError|killed|worker"),
    "read-private-tests": (leak(repr(str(PRIVATE_TEST))), r"PermissionError|FileNotFoundError"),
    "read-reference": (leak(repr(str(REFERENCE))), r"PermissionError|FileNotFoundError"),
    "read-other-submission": (leak("OTHER"), r"PermissionError|FileNotFoundError"),
    "read-live-spool": (leak("VICTIM"), r"PermissionError|FileNotFoundError"),
    "find-spools-in-proc": (FIND_SPOOLS + WRONG, r"Sigmoid"),
    "read-other-solution": (leak(repr(str(OTHER_SOLUTION))), r"PermissionError|FileNotFoundError"),
    "read-other-private-tests": (leak(repr(str(OTHER_PRIVATE_TEST))),
                                 r"PermissionError|FileNotFoundError"),
    "read-git": (leak(repr(str(GIT_HEAD))), r"PermissionError|FileNotFoundError"),
    "leave-shared-temp-files": (f"for folder in {SHARED_TMP_FOLDERS!r}:\n    try:\n"
                                f"        open(folder + '/{LEFTOVER}', 'w').write('x')\n"
                                "    except OSError:\n        pass\n" + WRONG, r"Sigmoid"),
    "namespace-clone": ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                        f"for flag in {NAMESPACE_FLAGS}:\n"
                        "    pid = libc.syscall(56, flag | 17, 0, 0, 0, 0)\n    if pid == 0:\n"
                        "        os._exit(0)\n    if pid > 0:\n"
                        "        raise RuntimeError('LE' + 'AKED> clone %x' % flag)\n" + WRONG, r"Sigmoid"),
    "clone3": ("import ctypes, os, struct\nargs = struct.pack('8Q', 0x10000000, 0, 0, 0, 17, 0, 0, 0)\n"
               "pid = ctypes.CDLL(None).syscall(435, args, len(args))\nif pid == 0:\n    os._exit(0)\n"
               "if pid > 0:\n    raise RuntimeError('LE' + 'AKED> clone3')\n" + WRONG, r"Sigmoid"),
    "mount-api": ("import ctypes\nlibc = ctypes.CDLL(None)\n"
                  "if libc.syscall(430, b'tmpfs', 0) >= 0 or libc.syscall(428, -100, b'/', 1) >= 0:\n"
                  "    raise RuntimeError('LE' + 'AKED> mount API')\n" + WRONG, r"Sigmoid"),
    "open-socket": (f"import socket\nsocket.create_connection(('127.0.0.1', {PORT}), timeout=2)\n"
                    "raise RuntimeError('LE' + 'AKED> connected')", r"PermissionError|OSError"),
    "raw-ctypes-socket": ("import ctypes\nfd = ctypes.CDLL(None).syscall(41, 2, 1, 0)\n"
                          "if fd >= 0:\n    raise RuntimeError('LE' + 'AKED> raw socket')\n" + WRONG,
                          r"Sigmoid"),
    "os-exit": ("import os\nos._exit(3)", r"exited with code 3"),
    "segfault": ("import ctypes\nctypes.string_at(0)", r"killed by SIGSEGV"),
    "daemon-left-behind": ("import os, subprocess\nif os.fork() == 0:\n    os.setsid()\n"
                           f"    subprocess.Popen(['sleep', '{MARKER}'])\n    os._exit(0)\n"
                           + WRONG, r"Sigmoid"),
    "patch-allclose": ("import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                       "np.testing.assert_allclose = lambda *a, **k: None\n" + WRONG, r"Sigmoid"),
    "patch-builtins": ("import builtins\nbuiltins.abs = lambda x: 0\nbuiltins.max = lambda *a, **k: 0\n"
                       + WRONG, r"Sigmoid"),
    "lying-ndarray-subclass": ("import numpy as np\nclass Liar(np.ndarray):\n"
                               "    def __eq__(self, other):\n        return True\n"
                               "    def __array__(self, *a, **k):\n        return np.asarray(0)\n"
                               "return (special.expit(input) + 1).view(Liar)", r"Sigmoid"),
    "lying-array-protocol": ("class Liar:\n    def __array__(self, *a, **k):\n"
                             "        return special.expit(input)\nreturn Liar()", r"Liar"),
    "code-when-touched": ("import os\nclass Trap:\n    def __getattr__(self, name):\n"
                          "        os._exit(9)\n    def __len__(self):\n        os._exit(9)\n"
                          "    def __del__(self):\n        os._exit(9)\nreturn Trap()",
                          r"Trap|exited"),
    "fake-results-file": ("import json\nfor path in ('results.json', '../results.json', OUT + "
                          "'/results.json', OUT + '/hostile-fake-results-file/results.json'):\n"
                          "    try:\n        open(path, 'w').write(json.dumps({'score': 100}))\n"
                          "    except OSError:\n        pass\n" + WRONG, r"Sigmoid"),
    # an inert stand-in: the import works, the first use fails (runtime.stand_ins)
    "import-torch": ("import torch\nreturn torch.sigmoid(torch.tensor(input)).numpy()",
                     r"LibraryUnavailable: torch is not available while grading \(torch.tensor\)"
                     r"; used at modules/activations.py line \d+.*numpy"),
    "huge-return": ("import numpy as np\nreturn np.zeros((16000, 16000))", r"MemoryError|too large"),
    "deeply-nested-return": ("value = []\nfor _ in range(100000):\n    value = [value]\nreturn value",
                             r"nested|Recursion|deep"),
    "edit-grader-files": (f"open({str(GRADER_FILE)!r}, 'a').write('# owned')\n" + WRONG,
                          r"PermissionError|FileNotFoundError|Read-only"),
}


def plant(attack: str) -> str:
    body = textwrap.indent(attack, " " * 8) + "\n"
    return body if "return" in attack.splitlines()[-1] else body + ANCHOR


@pytest.fixture(scope="module")
def victim():
    """Another student's sandbox, live while the batch is graded: the path of a file in its spool."""
    sandbox = open_sandbox(write_package({"__init__.py": "", "secret.py": f"S = {VICTIM_SECRET!r}\n"}))
    try:
        assert sandbox.student_for("victim").module("modules.secret").S == VICTIM_SECRET
        yield sandbox.zygotes.spool / "modules" / "secret.py"
    finally:
        sandbox.close()


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, victim: Path):
    folder = tmp_path_factory.mktemp("hostile")
    out = tmp_path_factory.mktemp("hostile-grades")
    for name, (attack, _) in ATTACKS.items():
        target = folder / f"hostile-{name}"
        shutil.copytree(SPEC.solution_dir, target, ignore=shutil.ignore_patterns("__pycache__"))
        source = target / "modules" / "activations.py"
        text = source.read_text().replace(ANCHOR, plant(attack), 1)
        constants = (f"OTHER = {str(folder / 'honest' / 'modules' / 'layers.py')!r}\nOUT = {str(out)!r}\n"
                     f"VICTIM = {str(victim)!r}\n")
        source.write_text(constants + text)
    shutil.copytree(SPEC.solution_dir, folder / "honest", ignore=shutil.ignore_patterns("__pycache__"))
    grader_hash = hashlib.sha256(GRADER_FILE.read_bytes()).hexdigest()
    results = grade_folder(folder, "autodiff", out, jobs=2, use_file_times=False,
                           show_progress=False, only_tasks=frozenset({"Activations", "Linear"}))
    return {r.student: r for r in results}, out, grader_hash


def task(result, name):
    return next(t for t in result.tasks if t.name == name)


def messages(result) -> str:
    return "\n".join(record.message for t in result.tasks for record in t.tests)


def test_the_corpus_has_at_least_twenty_attacks():
    assert len(ATTACKS) >= 20


def test_every_submission_in_the_batch_has_a_written_result(batch):
    results, out, _ = batch
    assert set(results) == {f"hostile-{name}" for name in ATTACKS} | {"honest"}
    for student in results:
        assert json.loads((out / student / "results.json").read_text())["score"] is not None


def test_the_honest_submission_in_the_same_batch_is_untouched(batch):
    honest = batch[0]["honest"]
    assert (task(honest, "Activations").points, task(honest, "Linear").points) == (1.5, 1.0)
    assert not honest.grader_errors


@pytest.mark.parametrize("name", list(ATTACKS))
def test_an_attack_costs_only_its_own_task_with_a_clear_message(batch, name):
    if name == "fork-bomb" and not isolation.detect().switch_user:
        pytest.skip("RLIMIT_NPROC does not bind root: without the autograder-worker user a fork "
                    "bomb would reach the whole machine (run `make sandbox-tools` as root)")
    result = batch[0][f"hostile-{name}"]
    assert task(result, "Activations").points == 0.0, messages(result)
    assert task(result, "Linear").points == 1.0, messages(result)
    assert not result.grader_errors, result
    failed = [r.message for r in task(result, "Activations").tests if not r.passed]
    pattern = ATTACKS[name][1]
    assert any(__import__("re").search(pattern, m) for m in failed), "\n".join(failed)


def test_no_secret_reaches_any_message(batch):
    results, out, _ = batch
    everything = "\n".join(messages(r) for r in results.values())
    everything += "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
    assert "LEAKED>" not in everything  # the attacks' own source spells it apart
    assert PRIVATE_TEST.read_text()[:60] not in everything
    assert VICTIM_SECRET not in everything


def test_the_grader_files_and_results_cannot_be_edited_by_a_submission(batch):
    results, out, grader_hash = batch
    assert hashlib.sha256(GRADER_FILE.read_bytes()).hexdigest() == grader_hash
    written = json.loads((out / "hostile-fake-results-file" / "results.json").read_text())
    assert written["score"] == results["hostile-fake-results-file"].final
    assert not (out / "results.json").exists()


def test_no_process_outlives_the_batch(batch):
    leftovers = [p for p in Path("/proc").iterdir() if p.name.isdigit()
                 and _cmdline(p) == b"sleep\0" + MARKER.encode() + b"\0"]
    assert not leftovers


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


def test_no_file_a_task_left_in_the_shared_temporary_folders_outlives_it(batch):
    left = [f"{folder}/{LEFTOVER}" for folder in SHARED_TMP_FOLDERS
            if os.path.lexists(f"{folder}/{LEFTOVER}")]
    assert not left


# Without Landlock (an older kernel, simulated): the fallback hides by permissions what Landlock
# would, as long as the grader is root and every zygote has a uid of its own.
ATTACKER = FOLDER_FUNCTIONS + f"""

def read(path):
    with open(path) as stream:
        return stream.read()


def leave(name):
    for folder in {SHARED_TMP_FOLDERS!r}:
        with open(os.path.join(folder, name), "w") as stream:
            stream.write("x")
"""


@pytest.fixture
def without_landlock(monkeypatch: pytest.MonkeyPatch) -> isolation.Isolation:
    if isolation.detect().mode != "fallback":
        pytest.skip("the fallback's own run (AUTOGRADER_ISOLATION=fallback) covers it")
    monkeypatch.setenv(isolation.LANDLOCK_ENV, "off")
    chosen = isolation.detect()
    if not chosen.switch_user:
        pytest.skip("as a non-root grader, only Landlock separates workers (the README says so)")
    chosen.hide()  # as every grading run does first
    return chosen


def test_without_landlock_every_result_says_so(without_landlock):
    assert without_landlock.landlock == 0
    assert "MISSING: no Landlock" in without_landlock.description


@pytest.mark.parametrize("secret", ["spool", "solution", "private-test", "git"])
def test_without_landlock_a_worker_still_cannot_read_secrets_while_another_is_graded(
        without_landlock, victim, secret):
    path = {"spool": victim, "solution": OTHER_SOLUTION, "private-test": OTHER_PRIVATE_TEST,
            "git": GIT_HEAD}[secret]
    sandbox = open_sandbox(write_package({"__init__.py": "", "attack.py": "import os\n" + ATTACKER}))
    try:
        assert sandbox.isolation.landlock == 0
        with pytest.raises(Exception, match="PermissionError"):
            sandbox.student_for("attack").module("modules.attack").read(str(path))
    finally:
        sandbox.close()


def test_without_landlock_files_left_in_shared_temporary_folders_go_with_their_task(without_landlock):
    sandbox = open_sandbox(write_package({"__init__.py": "", "attack.py": "import os\n" + ATTACKER}))
    name = f"{LEFTOVER}-no-landlock"
    try:
        sandbox.student_for("leave").module("modules.attack").leave(name)
        assert all(os.path.exists(f"{folder}/{name}") for folder in SHARED_TMP_FOLDERS)  # it could
        first = sandbox.zygotes.current
        attack = sandbox.student_for("next task").module("modules.attack")
        assert not [f for f in SHARED_TMP_FOLDERS if os.path.lexists(f"{f}/{name}")]
        assert sandbox.zygotes.current is not first  # a new zygote, on a new uid
        assert attack.listing() == []
    finally:
        sandbox.close()
