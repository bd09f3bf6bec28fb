"""The sandboxed worker seen from a test: data comes back, failures become student-facing errors."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import numpy as np
import pytest
from sandbox_helpers import FOLDER_FUNCTIONS, open_sandbox, write_package

from autograder.config import Limits
from autograder.failures import StudentError, WorkerCrashed, WorkerProtocolError, WorkerTimeout
from autograder.runtime.wire import GraderFunction
from autograder.sandbox import isolation
from autograder.sandbox.contract import SandboxContract
from autograder.sandbox.proxy import RemoteObject
from autograder.sandbox.session import Sandbox
from autograder.sandbox.zygote_pool import Zygotes

pytestmark = pytest.mark.sandbox

LAYERS = '''
import os
import sys

import numpy as np


class Linear:
    def __init__(self, n_in, n_out):
        self.weight = np.arange(n_in * n_out, dtype=np.float64).reshape(n_in, n_out)
        self.name = "linear"

    def forward(self, x):
        return x @ self.weight

    def child_forward(self, x):
        return self.child.forward(x)


def check_shape(x):
    raise ValueError(f"bad shape {x.shape}")  # FAIL-LINE


def fail(x):
    return check_shape(x)


def todo(x):
    raise NotImplementedError


def spin():
    while True:
        pass


def wait(seconds):
    import time
    time.sleep(seconds)
    return "woke"


def exit3():
    os._exit(3)


def segfault():
    import ctypes
    ctypes.string_at(0)


def allocate():
    return np.ones(50 * 2**30 // 8)


def reserve(nbytes):
    return np.empty(nbytes, dtype=np.uint8).nbytes


def chatter():
    print("x" * 2**20)
    sys.stdout.flush()
    os.write(1, b"{" * 2**16)
    sys.stderr.write("e" * 2**16)
    sys.stderr.flush()
    return "done"


def use(name):
    import importlib
    importlib.import_module(name)


def torch_relu(x):
    import torch
    from torch import nn
    return torch.relu(torch.from_numpy(x)).numpy()  # TORCH-LINE


def torch_kept_but_unused(x):
    import torch.nn.functional as F
    from scipy import special
    class Net(F.Module):
        pass
    return special.log_softmax(x, axis=-1), repr(F.relu), Net.__name__


def torch_isinstance(x):
    import torch
    return isinstance(x, torch.Tensor)


def torch_subclass_built():
    import torch
    class Net(torch.nn.Module):
        pass
    return Net()


def connect(port):
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        return "connected"


def leave_child(marker):
    import subprocess
    subprocess.Popen(["sleep", marker])


def leave_daemon(marker):
    import os
    import subprocess
    if os.fork() == 0:
        os.setsid()
        subprocess.Popen(["sleep", marker])
        os._exit(0)


class Liar:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__

    def speak(self):
        return "still a liar"


class Tricky(list):
    pass


def make_liars():
    return Liar(), [Liar(), 2], Tricky([1, 2]), {"x": Liar()}


def count(n):
    yield from range(n)


class Bag:
    def __iter__(self):
        return iter([np.arange(2), "b", (3, 4)])


STATE = {"calls": 0}
PID = os.getpid()


def taint():
    import builtins
    np.TAINTED = True
    builtins.TAINTED = True
    STATE["calls"] += 1
    print("TAINT-OUTPUT", flush=True)


def traces():
    import builtins
    return [hasattr(np, "TAINTED"), hasattr(builtins, "TAINTED"), STATE["calls"]]


def draws():
    import random
    return float(np.random.rand()), random.random()


def pids():
    return PID, os.getpid()


def read_parent(what):
    with open(f"/proc/{os.getppid()}/{what}", "rb") as stream:
        return len(stream.read(1))


def kill_parent():
    import signal
    import time
    os.kill(os.getppid(), signal.SIGKILL)
    time.sleep(30)


def fork_bomb():
    while True:
        os.fork()


def call(function, *args):
    try:
        return function(*args)
    except (TypeError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"


def call_with_a_linear(function):
    return call(function, Linear(2, 3))
''' + FOLDER_FUNCTIONS


@pytest.fixture
def code_root() -> Path:
    return write_package({"layers.py": LAYERS})


@pytest.fixture
def sandbox(code_root: Path):
    box = open_sandbox(code_root)
    yield box
    box.close()


@pytest.fixture(scope="module")
def shared_sandbox():
    """One worker for the tests that leave it alive, to keep startup costs down."""
    box = open_sandbox(write_package({"layers.py": LAYERS}))
    yield box
    box.close()


@pytest.fixture
def layers(shared_sandbox: Sandbox) -> RemoteObject:
    return shared_sandbox.student_for("task").module("modules.layers")


def line_of(marker: str) -> int:
    return next(i for i, line in enumerate(LAYERS.splitlines(), 1) if marker in line)


def assert_works(sandbox: Sandbox, task: str = "task") -> None:
    layer = sandbox.student_for(task).module("modules.layers").Linear(2, 3)
    np.testing.assert_array_equal(layer.forward(np.ones((1, 2))), [[3.0, 5.0, 7.0]])


def test_a_methods_return_value_arrives_as_data(layers):
    layer = layers.Linear(2, 3)
    got = layer.forward(np.ones((4, 2)))
    assert type(got) is np.ndarray and got.dtype == np.float64
    np.testing.assert_array_equal(got, np.ones((4, 2)) @ np.arange(6.0).reshape(2, 3))
    assert layer.name == "linear"


def test_attributes_set_and_get_round_trip(layers):
    layer = layers.Linear(2, 3)
    weight = np.full((2, 3), 0.5)
    layer.weight = weight
    got = layer.weight
    np.testing.assert_array_equal(got, weight)
    got[...] = 7  # a copy: changing it does not reach the worker
    np.testing.assert_array_equal(layer.forward(np.ones((1, 2))), [[1.0, 1.0, 1.0]])
    layer.name = {"a": (1, None, [2.5])}
    assert layer.name == {"a": (1, None, [2.5])}
    layer.child = layers.Linear(2, 1)
    np.testing.assert_array_equal(layer.child_forward(np.ones((1, 2))), [[1.0]])


def test_a_grader_function_computes_in_the_grader_on_what_the_students_code_passes(layers):
    seen = []

    def scaled_sum(x, scale=1.0):
        seen.append((x.copy(), scale))
        return {"sum": float(x.sum()) * scale, "shape": x.shape}

    offered = GraderFunction("scaled_sum", scaled_sum)
    assert layers.call(offered, np.ones((2, 3))) == {"sum": 6.0, "shape": (2, 3)}
    assert len(seen) == 1 and seen[0][0].shape == (2, 3)  # it ran here, in the grader
    layers.stored = offered
    assert layers.call(layers.stored, np.arange(4.0)) == {"sum": 6.0, "shape": (4,)}


def test_a_grader_functions_error_is_raised_in_the_students_code_and_the_worker_goes_on(layers):
    def refuse(x):
        raise ValueError(f"expected 2-d logits, got shape {np.shape(x)}")

    answer = layers.call(GraderFunction("the loss", refuse), np.ones(3))
    assert answer == "ValueError: the loss: expected 2-d logits, got shape (3,)"
    assert layers.count(3) is not None  # the same worker still answers


def test_a_grader_function_gets_plain_data_never_a_worker_object(layers):
    received = []

    def first_value(x):
        received.append(type(x))
        return float(np.asarray(x, dtype=np.float64).ravel()[0])

    answer = layers.call_with_a_linear(GraderFunction("first_value", first_value))
    assert received and all(kind is not RemoteObject for kind in received)
    assert answer.startswith("TypeError")


def test_an_exception_in_student_code_names_the_call_the_type_the_message_and_the_line(layers):
    with pytest.raises(StudentError) as caught:
        layers.fail(np.zeros((2, 3)))
    message = str(caught.value)
    assert caught.value.type_name == "ValueError"
    assert "fail(array(2, 3)) raised ValueError: bad shape (2, 3)" in message
    assert f"modules/layers.py:{line_of('FAIL-LINE')} in check_shape" in message
    assert "autograder" not in message and "worker.py" not in message
    assert all(not frame[0].startswith("..") for frame in caught.value.frames)


def test_not_implemented_error_says_the_call_is_not_implemented_yet(layers):
    with pytest.raises(StudentError, match=r"todo\(1\) is not implemented yet"):
        layers.todo(1)


def test_an_infinite_loop_times_out_and_the_next_student_gets_a_fresh_worker(code_root):
    box = open_sandbox(code_root, call_seconds=1)
    try:
        assert_works(box)
        student = box.student_for("task")
        spin = student.module("modules.layers").spin
        with pytest.raises(WorkerTimeout, match=r"spin\(\) did not finish within 1 s of CPU time"):
            spin()
        assert not student.worker.alive
        fresh = box.student_for("task")
        assert fresh.worker is not student.worker
        assert_works(box)
    finally:
        box.close()


@pytest.mark.parametrize(
    ("function", "expected"),
    [("exit3", r"exit3\(\): .* exited with code 3"), ("segfault", r"killed by SIGSEGV")],
)
def test_a_dying_worker_becomes_worker_crashed_naming_how_it_died(sandbox, function, expected):
    student = sandbox.student_for("task")
    with pytest.raises(WorkerCrashed, match=expected):
        getattr(student.module("modules.layers"), function)()
    assert not student.worker.alive
    assert_works(sandbox)


def test_a_50_gb_allocation_fails_quickly_and_the_next_worker_works(sandbox):
    allocate = sandbox.student_for("task").module("modules.layers").allocate
    start = time.monotonic()
    with pytest.raises((StudentError, WorkerCrashed)) as caught:
        allocate()
    assert time.monotonic() - start < 5
    if isinstance(caught.value, StudentError):
        assert caught.value.type_name == "MemoryError"
    assert_works(sandbox)


def test_the_memory_limit_applies_even_to_untouched_memory(layers):
    assert layers.reserve(2**20) == 2**20
    with pytest.raises(StudentError) as caught:
        layers.reserve(Limits().memory_bytes + 2**30)  # the kernel alone would allow this
    assert caught.value.type_name == "MemoryError"


def test_printing_a_megabyte_does_not_corrupt_the_protocol(sandbox):
    student = sandbox.student_for("task")
    assert student.module("modules.layers").chatter() == "done"
    assert_works(sandbox)
    assert student.worker.output_tail().endswith("e" * 100)


@pytest.mark.parametrize("name", ["autograder", "autograder.testing", "autograder.runtime.probes",
                                  "autograder.runtime.wire"])
def test_importing_the_kits_own_modules_fails_with_a_hint_to_write_the_code(layers, name):
    with pytest.raises(StudentError) as caught:
        layers.use(name)
    assert caught.value.type_name == "ImportError"
    assert "the grader's own code" in caught.value.message and "numpy" in caught.value.message


@pytest.mark.parametrize("name", ["torch", "torch.nn", "keras.layers", "tensorflow", "jax.numpy"])
def test_a_deep_learning_library_imports_as_an_inert_stand_in(layers, name):
    assert layers.use(name) is None


def test_naming_torch_costs_nothing_and_scipy_still_works_beside_it(layers):
    x = np.array([[1.0, 2.0, 3.0]])
    log_p, shown, name = layers.torch_kept_but_unused(x)
    np.testing.assert_allclose(np.exp(log_p).sum(), 1.0)
    assert "not available while grading" in shown and name == "Net"


@pytest.mark.parametrize(("function", "used"), [
    ("torch_relu", "torch.from_numpy"), ("torch_isinstance", "torch.Tensor"),
    ("torch_subclass_built", "torch.nn.Module")])
def test_using_a_stand_in_fails_naming_the_library_and_the_students_line(layers, function, used):
    with pytest.raises(StudentError) as caught:
        getattr(layers, function)(*([np.ones(2)] if function != "torch_subclass_built" else []))
    assert caught.value.type_name == "LibraryUnavailable"
    assert f"torch is not available while grading ({used}); used at modules/layers.py line" \
        in caught.value.message


def test_a_socket_connect_to_localhost_fails_in_every_isolation_mode(layers):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with pytest.raises(StudentError) as caught:
            layers.connect(port)
    assert "Error" in caught.value.type_name


def processes_running(marker: str) -> list[int]:
    """Host pids of live `sleep <marker>` processes (pids inside a sandbox differ from ours)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes() == \
                    b"sleep\0" + marker.encode() + b"\0" and \
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("how", ["leave_child", "leave_daemon"])
def test_processes_left_behind_are_gone_when_the_next_task_starts_on_a_new_zygote(sandbox, how):
    marker = f"{1000 + os.getpid() % 1000}.{time.monotonic_ns() % 10**6}"
    first = sandbox.student_for("first")
    getattr(first.module("modules.layers"), how)(marker)
    deadline = time.monotonic() + 5
    while not processes_running(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_running(marker), "the test's process never started"
    assert_works(sandbox, "second")
    assert sandbox.current[1].zygote is not first.worker.zygote
    deadline = time.monotonic() + 5
    while processes_running(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not processes_running(marker), f"{how}: a process survived the worker"


def test_the_zygote_preloads_the_site_modules_the_submission_imports_and_no_other():
    root = write_package({"layers.py": LAYERS, "special.py": (
        "import sys\nBEFORE = sorted(m for m in ('scipy.special', 'sklearn', 'tqdm') if m in sys.modules)\n"
        "from scipy import special\n")})
    box = open_sandbox(root)
    try:
        assert box.student_for("task").module("modules.special").BEFORE == ["scipy.special"]
    finally:
        box.close()


def test_a_raising_package_init_does_not_prevent_importing_modules_layers():
    root = write_package({
        "__init__.py": "raise RuntimeError('__init__ must not run')\n",
        "layers.py": LAYERS,
    })
    box = open_sandbox(root)
    try:
        assert_works(box)
    finally:
        box.close()


def test_a_broken_sibling_module_does_not_prevent_importing_modules_layers():
    root = write_package({
        "__init__.py": "from .activations import *\nfrom .layers import *\n",
        "activations.py": "def relu(x:\n    return x\n",
        "layers.py": LAYERS,
    })
    box = open_sandbox(root)
    try:
        student = box.student_for("task")
        with pytest.raises(StudentError) as caught:
            student.module("modules.activations")
        assert caught.value.type_name == "SyntaxError"
        assert_works(box)
    finally:
        box.close()


def test_a_returned_object_that_is_not_plain_data_comes_back_as_a_callable_proxy(layers):
    layer = layers.Linear(3, 1)
    assert isinstance(layer, RemoteObject)
    assert repr(layer) == "<student Linear>"
    np.testing.assert_array_equal(layer.forward(np.ones((2, 3))), [[3.0], [3.0]])


def test_a_lying_object_comes_back_as_a_proxy_that_does_not_compare_equal(layers):
    liar, (inner, two), tricky, mapping = layers.make_liars()
    for proxy in (liar, inner, tricky, mapping["x"]):
        assert isinstance(proxy, RemoteObject)
        assert (proxy == 1) is False
        assert proxy != "anything"
    assert liar != inner
    assert two == 2
    assert liar.speak() == "still a liar"
    assert len(tricky) == 2 and list(tricky) == [1, 2]


def test_iterating_a_student_iterator_with_list_works(layers):
    assert list(layers.count(4)) == [0, 1, 2, 3]
    items = list(layers.Bag())
    assert len(items) == 3
    np.testing.assert_array_equal(items[0], [0, 1])
    assert items[1:] == ["b", (3, 4)]


def test_next_beyond_the_end_keeps_stopping(layers):
    iterator = iter(layers.count(1))
    assert next(iterator) == 0
    for _ in range(2):
        with pytest.raises(StopIteration):
            next(iterator)


def test_len_of_an_object_without_one_is_still_the_students_failure(layers):
    with pytest.raises(StudentError, match=r"len\(generator\) raised TypeError"):
        len(layers.count(2))


def test_a_worker_process_answers_directly_and_closes_cleanly(code_root):
    zygotes = Zygotes(Limits(call_seconds=10), isolation.detect(), package="modules")
    try:
        zygotes.load(code_root)
        worker = zygotes.fork_worker()
        module = worker.request("import modules.layers", "import", module="modules.layers")
        assert module.type_name == "module"
        assert worker.alive
        worker.close()
        assert not worker.alive
        assert zygotes.current is worker.zygote and worker.zygote.alive  # kept warm
    finally:
        zygotes.close()
    assert not worker.zygote.alive
    assert not Path(worker.zygote.scratch.name).exists()
    assert not zygotes.spool.exists()


def test_the_sandboxed_sandbox_keeps_the_sandbox_contract(shared_sandbox):
    """The grading plugin takes any SandboxContract; the self-check's is checked in test_selfcheck.py."""
    assert isinstance(shared_sandbox, SandboxContract)


def test_busy_seconds_add_up_the_time_spent_in_calls(layers):
    worker = object.__getattribute__(layers, "_worker")
    before = worker.busy_seconds
    started = time.perf_counter()
    layers.draws()
    spent = time.perf_counter() - started
    assert 0 < worker.busy_seconds - before <= spent


def test_a_task_sees_no_state_left_by_the_previous_task_of_the_same_zygote(sandbox):
    first = sandbox.student_for("first")
    layers = first.module("modules.layers")
    layers.taint()
    assert layers.traces() == [True, True, 1]
    assert "TAINT-OUTPUT" in first.worker.output_tail()
    second = sandbox.student_for("second")
    assert second.worker.zygote is first.worker.zygote, "a clean task keeps the zygote warm"
    assert second.module("modules.layers").traces() == [False, False, 0]
    assert "TAINT-OUTPUT" not in second.worker.output_tail()


def test_every_task_imports_the_students_code_in_its_own_process_never_in_the_zygote(sandbox):
    seen = set()
    for task in ("first", "second"):
        module_pid, own_pid = sandbox.student_for(task).module("modules.layers").pids()
        assert module_pid == own_pid
        seen.add(own_pid)
    assert len(seen) == 2


def test_every_task_starts_with_the_same_seeded_generators(sandbox):
    expected = [np.random.RandomState(0).rand(), __import__("random").Random(0).random()]
    for task in ("first", "second"):
        layers = sandbox.student_for(task).module("modules.layers")
        assert list(layers.draws()) == expected


@pytest.mark.parametrize("what", ["mem", "environ", "fd/0"])
def test_a_task_cannot_read_the_zygote_that_forked_it(layers, what):
    with pytest.raises(StudentError) as caught:
        layers.read_parent(what)
    assert caught.value.type_name == "PermissionError"


def test_a_task_that_kills_its_zygote_costs_only_that_task(sandbox):
    student = sandbox.student_for("first")
    if sandbox.isolation.mode == "fallback" and sandbox.isolation.landlock >= 6:
        # Landlock's signal scoping: a worker cannot even signal its zygote
        with pytest.raises(StudentError, match="PermissionError"):
            student.module("modules.layers").kill_parent()
        assert_works(sandbox, "second")
        return
    with pytest.raises(WorkerCrashed, match="killed by SIGKILL"):
        student.module("modules.layers").kill_parent()
    assert_works(sandbox, "second")
    assert sandbox.current[1].zygote is not student.worker.zygote


def test_a_call_s_limit_counts_its_cpu_time_not_the_time_it_waited(code_root):
    """What a busy machine does to a call (it waits for a core) costs it nothing: a call that
    waits past its 1 s limit returns, and one that waits past 10 s on the clock is stopped."""
    box = open_sandbox(code_root, call_seconds=1)
    try:
        student = box.student_for("task")
        layers = student.module("modules.layers")
        assert layers.wait(1.5) == "woke"
        with pytest.raises(WorkerTimeout, match=r"wait\(100\) did not finish within 10 s: it waited"):
            layers.wait(100)
        assert not student.worker.alive
    finally:
        box.close()


def test_a_timed_out_task_gets_the_next_task_a_new_zygote_on_a_new_uid(code_root):
    box = open_sandbox(code_root, call_seconds=1)
    try:
        first = box.student_for("first")
        with pytest.raises(WorkerTimeout):
            first.module("modules.layers").spin()
        assert not first.worker.zygote.alive
        assert_works(box, "second")
        second = box.current[1]
        assert second.zygote is not first.worker.zygote
        if box.isolation.switch_user:
            assert second.zygote.uid != first.worker.zygote.uid
    finally:
        box.close()


def test_a_file_left_by_a_task_is_not_seen_by_the_next_one(sandbox):
    first = sandbox.student_for("first")
    first_layers = first.module("modules.layers")
    assert first_layers.listing() == []
    first_layers.write_file("left.txt")
    assert first_layers.listing() == ["left.txt"]
    second = sandbox.student_for("second")
    assert second.module("modules.layers").listing() == []
    assert second.worker.zygote is not first.worker.zygote


def test_a_fork_bomb_costs_only_its_task_and_the_next_task_starts_at_once(sandbox):
    if not sandbox.isolation.switch_user:
        pytest.skip("RLIMIT_NPROC does not bind root: only a grader running as root gives "
                    "workers their own uid")
    with pytest.raises((StudentError, WorkerCrashed, WorkerTimeout, WorkerProtocolError)):
        sandbox.student_for("first").module("modules.layers").fork_bomb()
    for task in ("second", "third"):
        assert_works(sandbox, task)
    # Whether the next task's zygote is new depends on whether the bomb's processes had all ended
    # when its task did (they stop at RLIMIT_NPROC and unwind on their own): the zygote's clean
    # check decides, and test_processes_left_behind_are_gone_... proves it with processes that stay.

