"""The reference NumPy convolution (solutions/ownpackage) against torch's CPU conv2d, forward +
backward, as ratios NumPy / torch; writes them into bench/results.json under "conv".

Both run single-threaded (OPENBLAS_NUM_THREADS=1, torch.set_num_threads(1)), like the grader's
worker, and each figure is the best of several interleaved repeats, so the ratio is stable on a
shared machine. Targets: within 1.3x of torch in float64 and 2x in float32.
"""

from __future__ import annotations

import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"

import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from autograder.intake.notebook import notebook_statements  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "solutions" / "ownpackage" / "notebook.ipynb"
RESULTS = Path(__file__).with_name("results.json")
CASES = [(64, 1, 8, 28), (64, 16, 32, 14)]  # batch, in, out, size; 3x3 kernel, 'same'
TARGETS = {"float64": 1.3, "float32": 2.0}
REPEATS = 15


def reference_classes() -> dict:
    """The reference notebook's definitions (what intake keeps), run in a fresh namespace."""
    namespace: dict = {}
    for statement in notebook_statements(REFERENCE.read_bytes(), REFERENCE.name, frozenset(), []):
        try:
            exec(compile(statement.source, f"{REFERENCE.name} cell {statement.cell}", "exec"),
                 namespace)
        except ImportError:  # the course's keras / sklearn / tqdm imports: not needed here
            continue
    return namespace


def best_of_interleaved(first, second) -> tuple[float, float]:
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(REPEATS):
        for run, into in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            run()
            into.append(time.perf_counter() - start)
    return min(times[0]), min(times[1])


def measure(conv_class, dtype: str, batch: int, c_in: int, c_out: int, size: int) -> dict:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, c_in, size, size)).astype(dtype)
    kernel = rng.standard_normal((3, 3, c_in, c_out)).astype(dtype)
    bias = rng.standard_normal(c_out).astype(dtype)
    grad = rng.standard_normal((batch, c_out, size, size)).astype(dtype)
    layer = conv_class(3, c_in, c_out, "same", 1, kernel, bias)

    def numpy_pass() -> None:
        layer.forward(x)
        layer.backward(x, grad)

    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(kernel.transpose(3, 2, 0, 1).copy(), requires_grad=True)
    bt, gt = torch.tensor(bias, requires_grad=True), torch.tensor(grad)

    def torch_pass() -> None:
        F.conv2d(xt, wt, bt, padding=1).backward(gt)

    numpy_seconds, torch_seconds = best_of_interleaved(numpy_pass, torch_pass)
    return {"case": f"({batch}, {c_in}->{c_out}, {size}x{size}, 3x3)", "dtype": dtype,
            "numpy_ms": round(numpy_seconds * 1e3, 2), "torch_ms": round(torch_seconds * 1e3, 2),
            "ratio": round(numpy_seconds / torch_seconds, 2), "target": TARGETS[dtype]}


def main() -> None:
    torch.set_num_threads(1)
    conv_class = reference_classes()["Conv2DLayer"]
    rows = [measure(conv_class, dtype, *case) for dtype in TARGETS for case in CASES]
    print(f"{'case':32} {'dtype':8} {'numpy ms':>9} {'torch ms':>9} {'ratio':>6} {'target':>6}")
    for row in rows:
        print(f"{row['case']:32} {row['dtype']:8} {row['numpy_ms']:9.2f} {row['torch_ms']:9.2f} "
              f"{row['ratio']:6.2f} {row['target']:6.1f}")
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    results["conv"] = rows
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
