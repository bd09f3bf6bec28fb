"""An equivalent of the autodiff course's own test suite (seed 003: HSE Intro to DL, homework 1
part 1, its `tests/` folder), run in one process against a `modules` package, to time it.

The course's eight test functions, with their shapes, trial counts, seeds and checks: each module
against its torch counterpart on random float64 inputs (forward, input gradient and parameter
gradients, each compared by dtype, shape and np.allclose), Dropout's masks and drop rate, SGD and
Adam after ten steps of a small network against torch.optim, and the DataLoader's batches on
datasets up to 10000 x 500. `--fraction` scales the trial counts down for quick runs.

`python -m bench.course_suite` runs it in a process of its own and prints JSON: per test function,
seconds and the first failure. It runs single-threaded (the `bench` package sets the thread
variables), as the grader's processes do: on a loaded 2-core machine torch's and OpenBLAS's default
two threads made it 7-10 times slower (measured at a load average of 5), which would flatter us.

`course_verdicts` gives the course's verdict on other packages (the kit's course-parity test runs
it on every sample): each test function's first failure, "" when it passes, with every function
bounded in time and run in a child process that a crash of the package (os._exit) cannot take
the caller down with.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import math
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch
from torch import nn

SHAPES = [(64, 16), (128, 32), (256, 64)]  # (batch, features), shared by most of the course's tests
REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCE = REPO_ROOT / "solutions" / "autodiff"
# The course's DataLoader datasets (samples, features): the largest takes 8 of the suite's
# 14 seconds even at a twentieth of the trials.
DATASET_SHAPES = ((100, 20), (1000, 100), (10000, 500))


def trials(count: int, fraction: float) -> int:
    return max(1, round(count * fraction))


def _same_kind(ours: Any, theirs: Any, what: str) -> None:
    if ours.dtype != theirs.dtype:
        raise AssertionError(f"{what}: dtype {ours.dtype} != {theirs.dtype}")
    if ours.shape != theirs.shape:
        raise AssertionError(f"{what}: shape {ours.shape} != {theirs.shape}")


def assert_close(first: Any, second: Any, what: str) -> None:
    """The course's check: same dtype, same shape, np.allclose (argument order as the course's)."""
    _same_kind(first, second, what)
    if not np.allclose(first, second):
        raise AssertionError(f"{what}: values differ")


def assert_equal(first: Any, second: Any, what: str) -> None:
    _same_kind(first, second, what)
    if not (first == second).all():
        raise AssertionError(f"{what}: values differ")


def assert_close_or_zero(first: Any, second: Any, what: str) -> None:
    _same_kind(first, second, what)
    if not ((second == 0) | np.isclose(first, second)).all():
        raise AssertionError(f"{what}: values differ")


def check_pass(ours: Any, theirs: nn.Module, x: np.ndarray, what: str) -> None:
    """One batch through both modules: the output (its dtype, then its values), then the input
    gradient for a random output gradient; parameter gradients are left in both for the caller."""
    x_torch = torch.from_numpy(x)
    x_torch.requires_grad = True
    y, y_torch = ours(x), theirs(x_torch)
    if y.dtype != x.dtype:
        raise AssertionError(f"{what}: output dtype {y.dtype}, input {x.dtype}")
    assert_close(y, y_torch.detach().numpy(), f"{what} forward")
    grad_output = np.random.randn(*y.shape)
    y_torch.backward(torch.from_numpy(grad_output))
    assert_close(x_torch.grad.numpy(), ours.backward(x, grad_output), f"{what} input grad")


def compare_module(ours_class: type, torch_class: type, shape: tuple[int, int], *, kwargs: dict,
                   copied: tuple[str, ...], with_grads: tuple[str, ...], eval_mode: bool,
                   outer: int, inner: int, seed: int) -> None:
    """The course's generic module test: `outer` fresh module pairs with perturbed shared
    parameters, `inner` random batches each."""
    np.random.seed(seed)
    what = f"{ours_class.__name__} ({'eval' if eval_mode else 'train'})"
    for _ in range(outer):
        ours, theirs = ours_class(**kwargs), torch_class(**kwargs)
        for module in (ours, theirs):
            module.eval() if eval_mode else module.train()
        if hasattr(theirs, "dim"):
            theirs.dim = -1
        for attr in copied:  # the course shares the arrays between both modules
            value = getattr(ours, attr)
            value += 0.1 * np.random.randn(*value.shape)
            setattr(ours, attr, value)
            getattr(theirs, attr).data = torch.from_numpy(value)
        for _ in range(inner):
            check_pass(ours, theirs, np.random.randn(*shape), what)
            for attr in with_grads:
                assert_close(getattr(ours, "grad_" + attr), getattr(theirs, attr).grad.numpy(),
                             f"{what} grad of {attr}")


def test_linear(mm: ModuleType, fraction: float) -> None:
    for shape in SHAPES:
        for bias in (True, False):
            attrs = ("weight", "bias") if bias else ("weight",)
            compare_module(mm.Linear, nn.Linear, shape, copied=attrs, with_grads=attrs,
                           kwargs={"in_features": shape[1], "out_features": 2 * shape[1], "bias": bias},
                           eval_mode=False, outer=trials(50, fraction), inner=5, seed=shape[0] + 1)


def test_bn(mm: ModuleType, fraction: float) -> None:
    for momentum, shape in zip((0.1, 0.5, 0.9), SHAPES, strict=True):
        for affine in (True, False):
            for eval_mode in (False, True):
                attrs = ("running_mean", "running_var") + (("weight", "bias") if affine else ())
                compare_module(mm.BatchNormalization, nn.BatchNorm1d, shape, copied=attrs,
                               with_grads=attrs[2:], eval_mode=eval_mode,
                               kwargs={"num_features": shape[1], "affine": affine, "momentum": momentum},
                               outer=trials(100, fraction), inner=5, seed=shape[0] + 2)


def _dropout_trials(mm: ModuleType, shape: tuple[int, int], p: float, eval_mode: bool, outer: int,
                    seed: int) -> None:
    np.random.seed(seed)
    what = f"Dropout ({'eval' if eval_mode else 'train'})"
    for _ in range(outer):
        x = 0.01 + np.random.rand(*shape)
        grad_output = 0.01 + np.random.rand(*shape)
        module = mm.Dropout(p)
        module.eval() if eval_mode else module.train()
        y = module(x)
        grad_input = module.backward(x, grad_output)
        if eval_mode:
            assert_equal(x, y, f"{what} forward")
            assert_equal(grad_output, grad_input, f"{what} input grad")
            continue
        assert_close_or_zero(x, y * (1 - p), f"{what} forward")
        assert_close_or_zero(grad_output, grad_input * (1 - p), f"{what} input grad")
        if not ((y != 0) | (y == grad_input)).all():
            raise AssertionError(f"{what}: forward and backward masks differ")
        margin = 3.9 * np.sqrt(p * (1 - p) / x.size)  # a 99.99% binomial confidence interval
        if not p - margin <= (y == 0).mean() <= p + margin:
            raise AssertionError(f"{what}: the share of zeros is not p")


def test_dropout(mm: ModuleType, fraction: float) -> None:
    for shape in SHAPES:
        for p in (0.0, 0.1, 0.5, 0.9):
            for eval_mode in (False, True):
                _dropout_trials(mm, shape, p, eval_mode, trials(30, fraction), seed=shape[0] + 3)


def test_activations(mm: ModuleType, fraction: float) -> None:
    pairs = [(mm.ReLU, nn.ReLU), (mm.Sigmoid, nn.Sigmoid), (mm.Softmax, nn.Softmax),
             (mm.LogSoftmax, nn.LogSoftmax)]
    for shape in SHAPES:
        for ours_class, torch_class in pairs:
            compare_module(ours_class, torch_class, shape, kwargs={}, copied=(), with_grads=(),
                           eval_mode=False, outer=trials(100, fraction), inner=1, seed=shape[0] + 4)


def _sequential_trials(mm: ModuleType, features: int, width: int, batch: int, eval_mode: bool,
                       outer: int, seed: int) -> None:
    np.random.seed(seed)
    what = f"Sequential ({'eval' if eval_mode else 'train'})"
    for _ in range(outer):
        ours = mm.Sequential(mm.Linear(features, width), mm.BatchNormalization(width), mm.ReLU(),
                             mm.Linear(width, width), mm.BatchNormalization(width), mm.Sigmoid())
        theirs = nn.Sequential(nn.Linear(features, width, dtype=torch.float64),
                               nn.BatchNorm1d(width, dtype=torch.float64), nn.ReLU(),
                               nn.Linear(width, width, dtype=torch.float64),
                               nn.BatchNorm1d(width, dtype=torch.float64), nn.Sigmoid())
        for module in (ours, theirs):
            module.eval() if eval_mode else module.train()
        for mine, torch_param in zip(ours.parameters(), theirs.parameters(), strict=False):
            torch_param.data = torch.from_numpy(mine)
        for _ in range(5):
            check_pass(ours, theirs, np.random.randn(batch, features), what)
            for grad, torch_param in zip(ours.parameters_grad(), theirs.parameters(), strict=False):
                assert_close(grad, torch_param.grad.numpy(), f"{what} parameter grad")


def test_sequential(mm: ModuleType, fraction: float) -> None:
    for batch, features in SHAPES:
        for eval_mode in (False, True):
            _sequential_trials(mm, features, 2 * features, batch, eval_mode, trials(20, fraction),
                               seed=batch + 5)


def test_criterions(mm: ModuleType, fraction: float) -> None:
    for shape in SHAPES:
        for mse in (True, False):
            np.random.seed(shape[0] + 6)
            ours, theirs = (mm.MSELoss(), nn.MSELoss()) if mse else (mm.CrossEntropyLoss(),
                                                                     nn.CrossEntropyLoss())
            what = type(ours).__name__
            for _ in range(trials(200, fraction)):
                x = np.random.randn(*shape)
                y = np.random.randn(*shape) if mse else np.random.randint(shape[1], size=(shape[0],))
                x_torch = torch.from_numpy(x)
                x_torch.requires_grad = True
                loss, loss_torch = ours(x, y), theirs(x_torch, torch.from_numpy(y))
                assert_close(loss, loss_torch.detach().numpy(), f"{what} forward")
                loss_torch.backward()
                assert_close(x_torch.grad.numpy(), ours.backward(x, y), f"{what} input grad")


def _optimizer_trials(mm: ModuleType, ours_class: type, torch_class: type, options: dict,
                      outer: int, seed: int) -> None:
    batch, features = 256, 64
    width = 2 * features
    np.random.seed(seed)
    for _ in range(outer):
        ours = mm.Sequential(mm.Linear(features, width), mm.BatchNormalization(width), mm.ReLU(),
                             mm.Linear(width, 1))
        theirs = nn.Sequential(nn.Linear(features, width, dtype=torch.float64),
                               nn.BatchNorm1d(width, dtype=torch.float64), nn.ReLU(),
                               nn.Linear(width, 1, dtype=torch.float64))
        our_loss, their_loss = mm.MSELoss(), nn.MSELoss()
        our_optimizer = ours_class(ours, **options)
        their_optimizer = torch_class(theirs.parameters(), **options)
        for mine, torch_param in zip(ours.parameters(), theirs.parameters(), strict=False):
            torch_param.data = torch.from_numpy(np.copy(mine))
        for _ in range(10):
            x, y = np.random.randn(batch, features), np.random.randn(batch, 1)
            our_optimizer.zero_grad()
            output = ours(x)
            ours.backward(x, our_loss.backward(output, y))
            our_optimizer.step()
            their_optimizer.zero_grad()
            their_loss(theirs(torch.from_numpy(x)), torch.from_numpy(y)).backward()
            their_optimizer.step()
        for mine, torch_param in zip(ours.parameters(), theirs.parameters(), strict=False):
            assert_close(mine, torch_param.detach().numpy(), f"{ours_class.__name__} parameter update")


def test_optimizers(mm: ModuleType, fraction: float) -> None:
    outer, seed = trials(10, fraction), 256 + 7
    for lr, weight_decay in ((1e-3, 0), (1e-2, 1e-3), (1e-1, 1e-2)):
        for momentum in (0, 0.5, 0.9):
            _optimizer_trials(mm, mm.SGD, torch.optim.SGD,
                              {"lr": lr, "momentum": momentum, "weight_decay": weight_decay}, outer, seed)
        for betas in ((0.9, 0.999), (0.8, 0.888), (0.7, 0.777)):
            _optimizer_trials(mm, mm.Adam, torch.optim.Adam,
                              {"lr": lr, "betas": betas, "weight_decay": weight_decay}, outer, seed + 1)


def _check_batches(batches: list[tuple[Any, Any]], batch_size: int, features: int, column: bool) -> None:
    for index, (x, y) in enumerate(batches):
        if index < len(batches) - 1:
            if x.shape != (batch_size, features) or y.shape != ((batch_size, 1) if column else (batch_size,)):
                raise AssertionError("DataLoader: wrong mini-batch shape")
        elif not (x.ndim == 2 and x.shape[0] <= batch_size and x.shape[1] == features
                  and y.shape[0] <= batch_size and x.shape[0] == y.shape[0]
                  and (y.ndim == 2 and y.shape[1] == 1 if column else y.ndim == 1)):
            raise AssertionError("DataLoader: wrong last mini-batch shape")


def _dataloader_trials(mm: ModuleType, dataset_shape: tuple[int, int], batch_size: int, shuffle: bool,
                       column: bool, outer: int, seed: int) -> None:
    np.random.seed(seed)
    samples, features = dataset_shape
    for _ in range(outer):
        x = np.random.randn(samples, features)
        y = np.sort(np.random.randn(samples, 1), axis=0) if column else np.sort(np.random.randn(samples))
        loader = mm.DataLoader(x, y, batch_size=batch_size, shuffle=shuffle)
        if len(loader) != math.ceil(samples / batch_size) or loader.num_samples() != samples:
            raise AssertionError("DataLoader: wrong len() or num_samples()")
        previous = None
        for _ in range(2):
            batches = list(loader)
            _check_batches(batches, batch_size, features, column)
            x_all = np.concatenate([b[0] for b in batches], axis=0)
            y_all = np.concatenate([b[1] for b in batches], axis=0)
            if x_all.shape != x.shape or y_all.shape != y.shape or x_all.dtype != x.dtype \
                    or y_all.dtype != y.dtype:
                raise AssertionError("DataLoader: the collected dataset has the wrong shape or dtype")
            if shuffle:
                if (x == x_all).all() or (y == y_all).all():
                    raise AssertionError("DataLoader: dataset not shuffled")
                if previous is not None and ((x == previous[0]).all() or (y == previous[1]).all()):
                    raise AssertionError("DataLoader: dataset not shuffled")
                previous = (x_all, y_all)
                order = np.argsort(y_all[:, 0] if column else y_all)
                x_all, y_all = x_all[order], y_all[order]
            if not ((x == x_all).all() and (y == y_all).all()):
                raise AssertionError("DataLoader: collected and initial datasets differ")


def test_dataloader(mm: ModuleType, fraction: float,
                    dataset_shapes: Sequence[tuple[int, int]] = DATASET_SHAPES) -> None:
    for dataset_shape in dataset_shapes:
        for batch_size in (1, 16, 100, 500, 512, 1000):
            for shuffle in (False, True):
                for column in (False, True):
                    _dataloader_trials(mm, dataset_shape, batch_size, shuffle, column,
                                       trials(3, fraction), seed=dataset_shape[0] + 9)


SUITE: dict[str, Callable[[ModuleType, float], None]] = {
    "linear": test_linear, "bn": test_bn, "dropout": test_dropout, "activations": test_activations,
    "sequential": test_sequential, "criterions": test_criterions, "optimizers": test_optimizers,
    "dataloader": test_dataloader,
}


# Without the largest DataLoader dataset: the same checks at a fraction of the cost, for runs on
# many packages (course_verdicts); the bugs they catch show on 100 and 1000 samples as well.
QUICK_SUITE = {**SUITE, "dataloader": functools.partial(test_dataloader,
                                                        dataset_shapes=DATASET_SHAPES[:2])}
VERDICT = "course-suite-verdict "  # prefixes the lines `--verdicts` prints, amid the package's own


def load_modules(package_root: Path = REFERENCE) -> ModuleType:
    """The `modules` package in `package_root` (by default the reference solution), imported
    afresh: a package imported earlier under that name is forgotten first."""
    for name in [name for name in sys.modules if name == "modules" or name.startswith("modules.")]:
        del sys.modules[name]
    sys.path.insert(0, str(package_root))
    try:
        return importlib.import_module("modules")
    finally:
        sys.path.remove(str(package_root))


def _raise_timeout(signum: int, frame: Any) -> None:
    raise TimeoutError


def failure_of(test: Callable[[ModuleType, float], None], mm: ModuleType, fraction: float,
               time_limit: float = 0.0) -> str:
    """Run one test function: "" when it passes, else its first failure. Any exception the
    package raises fails it, as it fails the course's own test; so does running past
    `time_limit` seconds (when set: an infinite loop in the package)."""
    if time_limit:
        signal.signal(signal.SIGALRM, _raise_timeout)
        signal.setitimer(signal.ITIMER_REAL, time_limit)
    try:
        test(mm, fraction)
        return ""
    except AssertionError as exc:
        return str(exc) or "an assertion failed"
    except TimeoutError:
        return f"did not finish within {time_limit:g} s"
    except Exception as exc:  # the package's own error fails the course's test
        return f"{type(exc).__name__}: {exc}"
    finally:
        if time_limit:
            signal.setitimer(signal.ITIMER_REAL, 0)


def run(package_root: Path, fraction: float) -> dict[str, Any]:
    """Import `modules` from `package_root` and time each test function of the suite."""
    mm = load_modules(package_root)
    results: dict[str, Any] = {}
    for name, test in SUITE.items():
        started = time.perf_counter()
        failure = failure_of(test, mm, fraction)
        results[name] = {"seconds": round(time.perf_counter() - started, 3), "failure": failure}
    return {"torch_threads": torch.get_num_threads(), "fraction": fraction, "tests": results}


def _print_verdicts(package_roots: Sequence[Path], start: int, fraction: float,
                    time_limit: float) -> None:
    """The child's side of `course_verdicts`: one line per (package, test function), from the
    `start`-th pair on, printed as soon as it is known."""
    index = 0
    for root in package_roots:
        names = list(QUICK_SUITE)[max(0, start - index):]
        index += len(QUICK_SUITE) - len(names)
        if not names:
            continue
        try:
            mm: ModuleType | None = load_modules(root)
            broken = ""
        except Exception as exc:  # the package does not even import: every test fails
            mm, broken = None, f"importing modules: {type(exc).__name__}: {exc}"
        for name in names:
            failure = broken or failure_of(QUICK_SUITE[name], mm, fraction, time_limit)
            print(VERDICT + json.dumps({"index": index, "failure": failure}), flush=True)
            index += 1


def _pairs(package_roots: Sequence[Path]) -> Iterator[tuple[Path, str]]:
    return ((root, name) for root in package_roots for name in QUICK_SUITE)


def course_verdicts(package_roots: Sequence[Path], *, fraction: float = 0.05,
                    time_limit: float = 30.0) -> dict[Path, dict[str, str]]:
    """The course's verdict on each package: per test function of QUICK_SUITE, "" when it passes,
    else its first failure. The packages run one after another in a child process; when one
    kills that process (os._exit), the test function it died in fails and a new child takes over
    from the next one."""
    pairs = list(_pairs(package_roots))
    verdicts: dict[int, str] = {}
    while len(verdicts) < len(pairs):
        start = len(verdicts)
        command = [sys.executable, "-m", "bench.course_suite", "--verdicts", "--start", str(start),
                   "--fraction", str(fraction), "--time-limit", str(time_limit),
                   *map(str, package_roots)]
        child = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True,
                               timeout=time_limit * (len(pairs) - start) + 120)
        for line in child.stdout.splitlines():
            if line.startswith(VERDICT):
                record = json.loads(line[len(VERDICT):])
                verdicts[record["index"]] = record["failure"]
        if len(verdicts) < len(pairs) and len(verdicts) == start:
            verdicts[start] = (f"the process running the course's tests died (exit code "
                               f"{child.returncode}): {child.stderr.strip()[-300:]}")
    result: dict[Path, dict[str, str]] = {root: {} for root in package_roots}
    for index, (root, name) in enumerate(pairs):
        result[root][name] = verdicts[index]
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=1.0, help="share of the course's trials")
    parser.add_argument("--package-root", type=Path, default=REFERENCE,
                        help="the folder holding `modules/` (default: the reference solution)")
    parser.add_argument("--verdicts", action="store_true",
                        help="print the verdict of QUICK_SUITE on each package given (the child "
                             "process of course_verdicts)")
    parser.add_argument("--start", type=int, default=0, help="with --verdicts: the first pair")
    parser.add_argument("--time-limit", type=float, default=0.0,
                        help="with --verdicts: seconds each test function may run")
    parser.add_argument("package_roots", type=Path, nargs="*", help="with --verdicts: packages")
    arguments = parser.parse_args()
    if arguments.verdicts:
        _print_verdicts(arguments.package_roots, arguments.start, arguments.fraction,
                        arguments.time_limit)
    else:
        print(json.dumps(run(arguments.package_root, arguments.fraction)))
