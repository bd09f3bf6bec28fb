"""A corpus of hostile submissions, graded together in one batch with an honest one.

Each is the reference "autodiff" solution with an attack planted in `Sigmoid.compute_output`
(graded with the Activations task, which it must lose, and the Linear task, which it must keep).
The batch must finish, every result must be written, nothing secret may leak into any message,
the grader's files must be unchanged, and the honest submission in the same batch keeps full marks.
`make test` runs this file once in the machine's best isolation mode and once in the fallback.
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

from autograder import config
from autograder.grading.batch import grade_folder
from autograder.sandbox import isolation

pytestmark = pytest.mark.sandbox

SPEC = config.load("autodiff")
ANCHOR = "        return special.expit(input)\n"
PRIVATE_TEST = SPEC.test_dirs["private"] / "test_linear_strict.py"
REFERENCE = SPEC.solution_dir / "modules" / "layers.py"
GRADER_FILE = Path(config.__file__)
WRONG = "return special.expit(input) + 1"
SERVER = socket.create_server(("127.0.0.1", 0))
PORT = SERVER.getsockname()[1]
MARKER = f"{2000 + os.getpid() % 1000}.{time.monotonic_ns() % 10**6}"


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
    "import-torch": ("import torch\nreturn torch.sigmoid(torch.tensor(input)).numpy()",
                     r"ImportError.*numpy"),
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
def batch(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("hostile")
    out = tmp_path_factory.mktemp("hostile-grades")
    for name, (attack, _) in ATTACKS.items():
        target = folder / f"hostile-{name}"
        shutil.copytree(SPEC.solution_dir, target, ignore=shutil.ignore_patterns("__pycache__"))
        source = target / "modules" / "activations.py"
        text = source.read_text().replace(ANCHOR, plant(attack), 1)
        constants = f"OTHER = {str(folder / 'honest' / 'modules' / 'layers.py')!r}\nOUT = {str(out)!r}\n"
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
