"""Figure 4: the reference NumPy layers against torch on the CPU, forward + backward, as ratios.

Linear and an MLP training epoch use the autodiff reference (`solutions/autodiff/modules`); Conv2d,
MaxPool and ConvTranspose the ownpackage reference notebook's classes (what intake keeps of it).
Both sides run single-threaded in this process, like the grader's worker (the `bench` package sets
the thread variables, and torch is told here). Every case first checks that both compute the same
forward output, then times alternating calls; the ratio is NumPy / torch per pair of calls.
Targets: convolution within 1.3x of torch in float64 and 2x in float32.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from autograder.intake.notebook import notebook_statements
from bench.course_suite import REFERENCE, load_modules
from bench.stats import interleaved, ratios, summary

OWNPACKAGE = REFERENCE.parent / "ownpackage" / "notebook.ipynb"
CONV_CASES = [(64, 1, 8, 28), (64, 16, 32, 14)]  # batch, in, out, size; 3x3 kernel, 'same'
CONV_TARGETS = {"float64": 1.3, "float32": 2.0}
Pass = Callable[[], object]


def notebook_classes() -> dict[str, Any]:
    """The ownpackage reference notebook's definitions (what intake keeps), run in a namespace."""
    namespace: dict[str, Any] = {}
    for statement in notebook_statements(OWNPACKAGE.read_bytes(), OWNPACKAGE.name, frozenset(), []):
        try:
            exec(compile(statement.source, f"{OWNPACKAGE.name} cell {statement.cell}", "exec"), namespace)
        except ImportError:  # the course's keras / sklearn / tqdm imports: not needed here
            continue
    return namespace


def _row(layer: str, case: str, dtype: str, numpy_pass: Pass, torch_pass: Pass, repeats: int,
         target: float | None = None) -> dict[str, Any]:
    numpy_seconds, torch_seconds = interleaved(numpy_pass, torch_pass, repeats)
    return {"layer": layer, "case": case, "dtype": dtype,
            "numpy_ms": summary([s * 1e3 for s in numpy_seconds], 2),
            "torch_ms": summary([s * 1e3 for s in torch_seconds], 2),
            "ratio": ratios(numpy_seconds, torch_seconds), "target": target}


def _same_output(ours: np.ndarray, theirs: torch.Tensor, what: str) -> None:
    """Both sides must compute the same thing, or the ratio compares different work."""
    expected = theirs.detach().numpy()
    if ours.shape != expected.shape or not np.allclose(ours, expected, rtol=1e-4, atol=1e-4):
        raise AssertionError(f"{what}: the NumPy reference and torch disagree")


def _tensors(*arrays: np.ndarray, grad: bool = True) -> list[torch.Tensor]:
    return [torch.tensor(a, requires_grad=grad) for a in arrays]


def linear(repeats: int) -> dict[str, Any]:
    batch, features, width = 128, 784, 256
    rng = np.random.default_rng(0)
    x, grad = rng.standard_normal((batch, features)), rng.standard_normal((batch, width))
    layer = load_modules().Linear(features, width)
    xt, wt, bt = _tensors(x, layer.weight, layer.bias)
    gt = torch.tensor(grad)
    _same_output(layer(x), F.linear(xt, wt, bt), "Linear")
    return _row("Linear", f"({batch}, {features}) -> {width}", "float64",
                lambda: (layer(x), layer.backward(x, grad)),
                lambda: F.linear(xt, wt, bt).backward(gt), repeats)


def conv2d(classes: dict[str, Any], dtype: str, batch: int, c_in: int, c_out: int, size: int,
           repeats: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, c_in, size, size)).astype(dtype)
    kernel = rng.standard_normal((3, 3, c_in, c_out)).astype(dtype)
    bias = rng.standard_normal(c_out).astype(dtype)
    grad = rng.standard_normal((batch, c_out, size, size)).astype(dtype)
    layer = classes["Conv2DLayer"](3, c_in, c_out, "same", 1, kernel, bias)
    xt, wt, bt = _tensors(x, kernel.transpose(3, 2, 0, 1).copy(), bias)
    gt = torch.tensor(grad)
    _same_output(layer.forward(x), F.conv2d(xt, wt, bt, padding=1), "Conv2d")
    return _row("Conv2d", f"({batch}, {c_in}->{c_out}, {size}x{size}, 3x3)", dtype,
                lambda: (layer.forward(x), layer.backward(x, grad)),
                lambda: F.conv2d(xt, wt, bt, padding=1).backward(gt), repeats, CONV_TARGETS[dtype])


def maxpool(classes: dict[str, Any], dtype: str, repeats: int) -> dict[str, Any]:
    batch, channels, size = 64, 16, 28
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, channels, size, size)).astype(dtype)
    grad = rng.standard_normal((batch, channels, size // 2, size // 2)).astype(dtype)
    layer = classes["MaxPooling"]((2, 2), 2)
    (xt,), gt = _tensors(x), torch.tensor(grad)
    _same_output(layer.forward(x), F.max_pool2d(xt, 2), "MaxPool")
    return _row("MaxPool", f"({batch}, {channels}, {size}x{size}, 2x2)", dtype,
                lambda: (layer.forward(x), layer.backward(x, grad)),
                lambda: F.max_pool2d(xt, 2).backward(gt), repeats)


def conv_transpose(classes: dict[str, Any], dtype: str, repeats: int) -> dict[str, Any]:
    batch, c_in, c_out, size, stride, crop = 64, 16, 8, 14, 2, 1
    out_size = (size - 1) * stride - 2 * crop + 3
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, c_in, size, size)).astype(dtype)
    kernel = rng.standard_normal((3, 3, c_in, c_out)).astype(dtype)
    bias = rng.standard_normal(c_out).astype(dtype)
    grad = rng.standard_normal((batch, c_out, out_size, out_size)).astype(dtype)
    layer = classes["Conv2DTrLayer"](3, c_in, c_out, crop, stride, kernel, bias)
    xt, wt, bt = _tensors(x, kernel.transpose(2, 3, 0, 1).copy(), bias)
    gt = torch.tensor(grad)

    def torch_forward() -> torch.Tensor:
        return F.conv_transpose2d(xt, wt, bt, stride=stride, padding=crop)

    _same_output(layer.forward(x), torch_forward(), "ConvTranspose")
    return _row("ConvTranspose", f"({batch}, {c_in}->{c_out}, {size}x{size}, 3x3, stride {stride})",
                dtype, lambda: (layer.forward(x), layer.backward(x, grad)),
                lambda: torch_forward().backward(gt), repeats)


def mlp_epoch(samples: int, repeats: int) -> dict[str, Any]:
    """One training epoch of a 784-40-40-10 MLP, batch 32, SGD, cross-entropy, shuffled."""
    mm = load_modules()
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((samples, 784)), rng.integers(0, 10, samples)
    ours = mm.Sequential(mm.Linear(784, 40), mm.ReLU(), mm.Linear(40, 40), mm.ReLU(), mm.Linear(40, 10))
    our_loss, our_optimizer = mm.CrossEntropyLoss(), mm.SGD(ours, lr=1e-2)
    loader = mm.DataLoader(x, y, batch_size=32, shuffle=True)
    theirs = torch.nn.Sequential(torch.nn.Linear(784, 40), torch.nn.ReLU(), torch.nn.Linear(40, 40),
                                 torch.nn.ReLU(), torch.nn.Linear(40, 10)).double()
    their_loss, their_optimizer = torch.nn.CrossEntropyLoss(), torch.optim.SGD(theirs.parameters(), lr=1e-2)
    xt, yt = torch.tensor(x), torch.tensor(y)

    def numpy_epoch() -> None:
        for x_batch, y_batch in loader:
            our_optimizer.zero_grad()
            output = ours(x_batch)
            our_loss(output, y_batch)
            ours.backward(x_batch, our_loss.backward(output, y_batch))
            our_optimizer.step()

    def torch_epoch() -> None:
        for batch in torch.randperm(samples).split(32):
            their_optimizer.zero_grad()
            their_loss(theirs(xt[batch]), yt[batch]).backward()
            their_optimizer.step()

    return _row("MLP epoch", f"784-40-40-10, {samples} samples, batch 32, SGD", "float64",
                numpy_epoch, torch_epoch, repeats)


def run(repeats: int, mlp_samples: int) -> list[dict[str, Any]]:
    torch.set_num_threads(1)
    classes = notebook_classes()
    rows = [linear(repeats)]
    for dtype in CONV_TARGETS:
        rows += [conv2d(classes, dtype, *case, repeats) for case in CONV_CASES]
        rows += [maxpool(classes, dtype, repeats), conv_transpose(classes, dtype, repeats)]
    rows.append(mlp_epoch(mlp_samples, max(1, repeats // 5)))
    return rows
