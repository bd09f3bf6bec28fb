"""Hidden checks of modules.criterions on other shapes and data than the public test: more shapes,
finite differences, float64 gradients; and, as a robustness probe beyond the course's inputs (a
finding that costs nothing), cross-entropy on logits of +-1000."""

import numpy as np
import pytest

from autograder import N_
from autograder.testing import as_array, assert_close, require
from autograder.testing.torch_parity import (
    check_float64,
    gradient_check,
    loss_and_grad,
    tolerance_for,
)

HINTS = {
    "MSELoss": {"forward": N_("the mean of (input - target) ** 2 over ALL entries (divide by the "
                              "number of entries, input.size), for inputs of any shape."),
                "backward": N_("dL/df = 2 * (input - target) / input.size.")},
    "CrossEntropyLoss": {
        "forward": N_("-mean over the batch of log_softmax(input)[i, target[i]] (index with "
                      "np.arange(B) and target), averaging over the batch, not over classes."),
        "backward": N_("dL/df = (softmax(input) - one_hot(target)) / batch_size. CrossEntropyLoss "
                       "builds on your LogSoftmax: if LogSoftmax fails its own tests, fix it first."),
    },
}
# The course, section 6 (translated); its tests never feed logits of +-1000.
LOG_SOFTMAX = (N_("Important: computing Softmax and then its logarithm is a numerically unstable "
                  "operation. Use the LogSoftmax layer."))
STABLE = (N_("use LogSoftmax (x - logsumexp(x) with the row maximum subtracted), never "
             "log(softmax(x)): on logits of +-1000 softmax underflows to 0 and log(0) = -inf. "
             "CrossEntropyLoss builds on your LogSoftmax: if LogSoftmax fails its own stability "
             "test (Activations), fix it first."))


def value_of(criterion, x, target, what, hint):
    __tracebackhide__ = True
    return as_array(criterion(x, target), what, shape=(),
                    hint="return the loss as a number (a float or a 0-d array). " + hint)


def compare_loss(criterion, name, x, target, described, hints):
    __tracebackhide__ = True
    loss, grad = loss_and_grad(name, x, target)
    what = N_(f"{name}(input, target) for {described}")
    value = value_of(criterion, x, target, what, hints["forward"])
    assert_close(value, np.float64(loss), what, against=N_(f"torch.nn.{name}"),
                 tolerance=tolerance_for(value), hint=hints["forward"])
    grad_input = criterion.backward(x, target)
    return assert_close(grad_input, grad, N_(f"{name}.backward(input, target) for {described}"),
                        against=N_(f"torch.nn.{name} (gradient w.r.t. the input)"),
                        tolerance=tolerance_for(grad_input), hint=hints["backward"])


def labels(rng, batch, classes):
    return rng.integers(classes, size=batch)


@pytest.mark.task("Criterions")
@pytest.mark.extends("test_criterions")
def test_mse_more_shapes(student, rng):
    criterion = student.module("modules.criterions").MSELoss()
    for shape in ((1, 1), (5, 3), (16, 1), (2, 3, 4)):
        x, target = rng.standard_normal(shape), rng.standard_normal(shape)
        compare_loss(criterion, "MSELoss", x, target, f"input and target of shape {shape}",
                     HINTS["MSELoss"])


@pytest.mark.task("Criterions")
@pytest.mark.extends("test_criterions")
def test_cross_entropy_more_shapes(student, rng):
    criterion = student.module("modules.criterions").CrossEntropyLoss()
    for batch, classes in ((1, 2), (5, 3), (16, 10), (3, 1)):
        x = 3 * rng.standard_normal((batch, classes))
        target = labels(rng, batch, classes)
        compare_loss(criterion, "CrossEntropyLoss", x, target,
                     f"logits of shape {x.shape} and labels {target.tolist()}",
                     HINTS["CrossEntropyLoss"])


@pytest.mark.task("Criterions")
@pytest.mark.robustness(advice=LOG_SOFTMAX)
def test_cross_entropy_is_stable_on_huge_logits(student, rng):
    criterion = student.module("modules.criterions").CrossEntropyLoss()
    x = np.array([[1000.0, -1000.0, 999.0, 0.0],
                  [-1000.0, -999.0, -1000.0, -998.5],
                  [1000.0, 1000.0, -1000.0, 10.0]])
    target = np.array([1, 3, 2])
    compare_loss(criterion, "CrossEntropyLoss", x, target,
                 f"logits of +-1000 {x.tolist()} and labels {target.tolist()}",
                 {"forward": STABLE, "backward": STABLE})


@pytest.mark.task("Criterions")
@pytest.mark.extends("test_criterions")
@pytest.mark.parametrize("name", list(HINTS))
def test_criterion_finite_differences(student, rng, name):
    criterion = getattr(student.module("modules.criterions"), name)()
    x = rng.standard_normal((3, 4))
    target = rng.standard_normal(x.shape) if name == "MSELoss" else labels(rng, 3, 4)
    what = N_(f"{name}(input, target) for an input of shape {x.shape}")
    forward = criterion.forward
    forward(x, target)
    grad = criterion.backward(x, target)

    def f(v):
        return float(value_of(forward, v, target, what, HINTS[name]["forward"]))

    gradient_check(f, x, grad, what=N_(f"{name}.backward(input, target) for an input of shape "
                                       f"{x.shape}"), hint=HINTS[name]["backward"])


@pytest.mark.task("Criterions")
@pytest.mark.extends("test_criterions")
def test_criterions_keep_float64(student, rng):
    criterions = student.module("modules.criterions")
    x = rng.standard_normal((3, 4))
    for name, target in (("MSELoss", rng.standard_normal((3, 4))),
                         ("CrossEntropyLoss", labels(rng, 3, 4))):
        criterion = getattr(criterions, name)()
        value = value_of(criterion, x, target, f"{name}(input, target)", "")
        require(bool(np.isfinite(value)), N_(f"{name}(input, target) returned {value} for a float64 "
                                        "input of shape (3, 4)"))
        check_float64(criterion.backward(x, target), f"{name}.backward(input, target) for a "
                      "float64 input", shape=x.shape)
