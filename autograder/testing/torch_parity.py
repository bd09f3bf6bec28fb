"""PyTorch as the reference: run torch modules, losses and optimizers on the grader's float64 data
and compare a student's module with them, pass by pass, with messages that say what differed.

Everything here runs in the grader (never in the worker): `module` arguments are the proxies of the
`student` fixture (or anything with the same methods), torch objects are built from plain arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from autograder import N_
from autograder.testing.compare import as_array, assert_close, in_context, require
from autograder.testing.gradcheck import numerical_gradient

DTYPE = torch.float64


def tensor(array: Any, *, requires_grad: bool = False) -> torch.Tensor:
    """A float64 torch copy of `array` (integer arrays stay integer, for class labels)."""
    array = np.asarray(array)
    if array.dtype.kind in "iu":
        return torch.from_numpy(array.astype(np.int64))
    result = torch.from_numpy(np.array(array, dtype=np.float64))
    result.requires_grad_(requires_grad)
    return result


def numpy(value: torch.Tensor) -> np.ndarray:
    """A float64 numpy copy of a tensor."""
    return value.detach().cpu().numpy().astype(np.float64, copy=True)


@dataclass(frozen=True)
class TorchPass:
    """What torch computed in one forward+backward pass (parameter grads are accumulated)."""

    output: np.ndarray
    grad_input: np.ndarray
    grads: dict[str, np.ndarray] = field(default_factory=dict)


def forward_backward(module: torch.nn.Module, x: np.ndarray, grad_output: np.ndarray
                     ) -> TorchPass:
    """Run `module` on `x`, backpropagate `grad_output`; parameter grads add to earlier ones."""
    inputs = tensor(x, requires_grad=True)
    output = module(inputs)
    output.backward(tensor(grad_output))
    grads = {name: numpy(p.grad) if p.grad is not None else np.zeros(tuple(p.shape))
             for name, p in module.named_parameters()}
    return TorchPass(numpy(output), numpy(inputs.grad), grads)


def linear(weight: np.ndarray, bias: np.ndarray | None) -> torch.nn.Linear:
    """torch.nn.Linear in float64 with the given weight (out, in) and bias (out) or None."""
    out_features, in_features = np.shape(weight)
    module = torch.nn.Linear(in_features, out_features, bias=bias is not None, dtype=DTYPE)
    with torch.no_grad():
        module.weight.copy_(tensor(weight))
        if bias is not None:
            module.bias.copy_(tensor(bias))
    return module


def batch_norm(num_features: int, *, eps: float = 1e-5, momentum: float = 0.1,
               affine: bool = True, weight: np.ndarray | None = None,
               bias: np.ndarray | None = None, running_mean: np.ndarray | None = None,
               running_var: np.ndarray | None = None, training: bool = True
               ) -> torch.nn.BatchNorm1d:
    """torch.nn.BatchNorm1d in float64 with the given parameters and running statistics."""
    module = torch.nn.BatchNorm1d(num_features, eps=eps, momentum=momentum, affine=affine,
                                  dtype=DTYPE)
    with torch.no_grad():
        for name, value in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                            ("running_var", running_var)):
            if value is not None and getattr(module, name) is not None:
                getattr(module, name).copy_(tensor(value))
    module.train(training)
    return module


def running_stats(module: torch.nn.BatchNorm1d) -> dict[str, np.ndarray]:
    return {"running_mean": numpy(module.running_mean), "running_var": numpy(module.running_var)}


def activation(name: str) -> torch.nn.Module:
    """The torch twin of an activation module of the course: ReLU, Sigmoid, Softmax, LogSoftmax."""
    if name in ("Softmax", "LogSoftmax"):
        return getattr(torch.nn, name)(dim=-1)
    return getattr(torch.nn, name)()


class AffineChain(torch.nn.Module):
    """y = (((x * s0 + h0) * s1 + h1) ...): the torch twin of a Sequential of affine probes."""

    def __init__(self, scales: Sequence[np.ndarray], shifts: Sequence[np.ndarray]) -> None:
        super().__init__()
        self.scales = torch.nn.ParameterList(
            [torch.nn.Parameter(tensor(s)) for s in scales])
        self.shifts = torch.nn.ParameterList(
            [torch.nn.Parameter(tensor(h)) for h in shifts])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for scale, shift in zip(self.scales, self.shifts, strict=True):
            x = x * scale + shift
        return x

    def child_grads(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(grad of scale, grad of shift) of each child, zeros before any backward."""
        return [tuple(numpy(p.grad) if p.grad is not None else np.zeros(tuple(p.shape))
                      for p in (s, h)) for s, h in zip(self.scales, self.shifts, strict=True)]


def loss_and_grad(name: str, prediction: np.ndarray, target: np.ndarray
                  ) -> tuple[float, np.ndarray]:
    """torch.nn.MSELoss / CrossEntropyLoss (mean reduction): the loss and d loss / d prediction."""
    inputs = tensor(prediction, requires_grad=True)
    loss = getattr(torch.nn, name)()(inputs, tensor(target))
    loss.backward()
    return float(loss.detach()), numpy(inputs.grad)


# The course's defaults (torch.optim.SGD's own default lr is 1e-3, the course's is 1e-2).
COURSE_OPTIMIZER_DEFAULTS = {
    "SGD": {"lr": 1e-2, "momentum": 0.0, "weight_decay": 0.0},
    "Adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0},
}


def optimizer_trajectory(name: str, parameters: Sequence[np.ndarray],
                         grads: Sequence[Sequence[np.ndarray]], **kwargs: Any
                         ) -> list[list[np.ndarray]]:
    """The parameters after each step of torch.optim.<name> (SGD, Adam) with the course's
    defaults for the arguments not given; `grads[k]` holds the gradients of step k."""
    options = {**COURSE_OPTIMIZER_DEFAULTS[name], **kwargs}
    return scheduled_trajectory(name, parameters, grads, [options.pop("lr")] * len(grads),
                                **options)


def scheduled_trajectory(name: str, parameters: Sequence[np.ndarray],
                         grads: Sequence[Sequence[np.ndarray]], lrs: Sequence[float],
                         **kwargs: Any) -> list[list[np.ndarray]]:
    """`optimizer_trajectory` with a learning rate of its own at each step (`lrs[k]`), as a
    learning-rate scheduler sets torch's `param_group["lr"]` between steps.

    This calls torch.optim's functional forms (torch.optim.sgd.sgd, torch.optim.adam.adam), the
    very code that SGD.step and Adam.step run: building a torch.optim.Optimizer imports
    torch._dynamo, which costs about two seconds per grading process.
    """
    from torch.optim.adam import adam
    from torch.optim.sgd import sgd

    options = {**COURSE_OPTIMIZER_DEFAULTS[name], **kwargs}
    params = [tensor(p) for p in parameters]
    momentum_buffers: list[torch.Tensor | None] = [None] * len(params)
    exp_avgs = [torch.zeros_like(p) for p in params]
    exp_avg_sqs = [torch.zeros_like(p) for p in params]
    steps = [torch.tensor(0.0) for _ in params]
    trajectory = []
    with torch.no_grad():
        for step_grads, lr in zip(grads, lrs, strict=True):
            step_grads = [tensor(g) for g in step_grads]
            if name == "SGD":
                sgd(params, step_grads, momentum_buffers, foreach=False,
                    weight_decay=options["weight_decay"], momentum=options["momentum"],
                    lr=lr, dampening=0.0, nesterov=False, maximize=False)
            elif name == "Adam":
                beta1, beta2 = options["betas"]
                adam(params, step_grads, exp_avgs, exp_avg_sqs, [], steps, foreach=False,
                     amsgrad=False, beta1=beta1, beta2=beta2, lr=lr,
                     weight_decay=options["weight_decay"], eps=options["eps"], maximize=False)
            else:
                raise ValueError(f"no torch twin for optimizer {name!r}")
            trajectory.append([numpy(p) for p in params])
    return trajectory


# ---- comparing a student's module with torch -------------------------------------------------


def tolerance_for(value: Any) -> str:
    """float64 tolerances, or float32 ones for a float32/float16 result: a wrong dtype must fail
    the float64 rule with its own message (`check_float64`), not a value comparison."""
    if isinstance(value, np.ndarray) and value.dtype in (np.float32, np.float16):
        return "float32"
    return "float64"


def compare_pass(module: Any, reference: torch.nn.Module, x: np.ndarray,
                 grad_output: np.ndarray, *, name: str, against: str,
                 params: Sequence[str] = (), context: str = "",
                 hints: dict[str, str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """forward(x) and backward(x, grad_output) of a student's module against a torch module.

    `params` names parameter attributes: the student's `grad_<name>` is compared with the torch
    parameter's accumulated `.grad`. `context` says what came before ("pass #2 without
    zero_grad"). `hints` may hold "forward", "backward" and "params" hints. Returns the student's
    output and gradient (validated arrays), e.g. for `check_float64`.
    """
    __tracebackhide__ = True
    hints = hints or {}
    expected = forward_backward(reference, x, grad_output)
    output = module(x)  # Module.__call__ is forward (one request instead of two)
    output = assert_close(output, expected.output,
                          in_context(N_(f"{name}: forward(x) output for x of shape {np.shape(x)}"), context),
                          against=against, tolerance=tolerance_for(output),
                          hint=hints.get("forward", ""))
    grad_input = module.backward(x, grad_output)
    grad_input = assert_close(
        grad_input, expected.grad_input,
        in_context(N_(f"{name}: backward(x, grad_output) return value (the gradient w.r.t. x) for x "
                      f"of shape {np.shape(x)}"), context),
        against=against, tolerance=tolerance_for(grad_input),
        hint=hints.get("backward", ""))
    for param in params:
        grad = getattr(module, f"grad_{param}")
        assert_close(grad, expected.grads[param],
                     in_context(N_(f"{name}: grad_{param} after backward with x of shape {np.shape(x)}"),
                                context),
                     against=N_(f"{against}, {param}.grad"), tolerance=tolerance_for(grad),
                     hint=hints.get("params", ""))
    return output, grad_input


def check_parameter(value: Any, before: np.ndarray, expected: np.ndarray, what: str, *,
                    against: str, hint: str) -> np.ndarray:
    """A parameter after an optimizer step: first "did it change at all", then its value."""
    __tracebackhide__ = True
    value = as_array(value, what, shape=np.shape(expected))
    require(not np.array_equal(value, before) or np.array_equal(expected, before),
          N_(f"{what}: the parameter did not change at all after step().\n  Hint: update the "
             "module's own arrays in place (param -= ..., or np.add(param, ..., out=param)): "
             "`param = param - ...` only rebinds a local name and the module never sees it."))
    return assert_close(value, expected, what, against=against, tolerance=tolerance_for(value),
                        hint=hint)


def check_float64(value: Any, what: str, *, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """The float64-in, float64-out rule, as its own check with its own message."""
    __tracebackhide__ = True
    array = as_array(value, what, shape=shape)
    require(array.dtype == np.float64,
          N_(f"{what}: the input was float64 but the result has dtype {array.dtype}.\n"
             "  Hint: keep the input's precision: do not cast to float32 or int, and create helper "
             "arrays with np.zeros_like(x) / dtype=x.dtype (or np.float64)."))
    return array


def gradient_check(f: Callable[[np.ndarray], float], x: np.ndarray, analytic: Any, *,
                   what: str, hint: str = "") -> np.ndarray:
    """Compare an analytic gradient with central finite differences of `f` at `x` (float64)."""
    __tracebackhide__ = True
    analytic = check_float64(analytic, f"{what} (finite differences need float64)",
                             shape=np.shape(x))
    numeric = numerical_gradient(f, x)
    return assert_close(analytic, numeric, what, against=N_("central finite differences of the "
                        "forward pass (eps=1e-6)"), tolerance="finite-difference", hint=hint)


def weighted_sum(forward: Callable[[np.ndarray], Any], weights: np.ndarray, what: str
                 ) -> Callable[[np.ndarray], float]:
    """x -> sum(forward(x) * weights): a scalar whose gradient is backward(x, weights)."""

    def f(x: np.ndarray) -> float:
        __tracebackhide__ = True
        out = check_float64(forward(x), f"{what} (finite differences need float64)",
                            shape=np.shape(weights))
        return float(np.sum(out * weights))

    return f


# ---- iterating a student's iterator ----------------------------------------------------------


def take_epoch(iterable: Any, expected: int, what: str) -> list[Any]:
    """The items of one pass over `iterable`, stopping one that does not stop after `expected`."""
    __tracebackhide__ = True
    items = []
    iterator = iter(iterable)
    for _ in range(expected + 2):
        try:
            items.append(next(iterator))
        except StopIteration:
            return items
    require(False, N_(f"{what}: iteration did not stop after {expected + 2} batches, but an epoch "
                 f"has {expected}.\n  Hint: raise StopIteration in __next__ once every batch of "
                 "the epoch was returned, and start over in __iter__."))
    return items


# ---- driving a student's objects as the course's training loop does ---------------------------


def affine_grads(x: np.ndarray, grad_output: np.ndarray) -> list[np.ndarray]:
    """The gradients [d scale, d shift] that one backward(x, grad_output) of the affine probe
    (runtime.probes.torch_modules, y = x * scale + shift) stores: what an optimizer's step() then reads."""
    return [(grad_output * x).sum(axis=0), grad_output.sum(axis=0)]


def training_step(optimizer: Any, module: Any, x: np.ndarray, grad_output: np.ndarray) -> None:
    """One step as the course's training loop takes it: optimizer.zero_grad(), forward, backward
    (which stores fresh gradients), optimizer.step(). Never step() twice on the same gradients:
    an optimizer may use the gradient arrays as scratch space (weight decay added in place),
    which is harmless in training, where backward recomputes them every step."""
    __tracebackhide__ = True
    optimizer.zero_grad()
    module(x)
    module.backward(x, grad_output)
    optimizer.step()
