"""Hidden checks of modules.layers.Linear on other shapes and data than the public test: odd
shapes, accumulation until zero_grad, finite differences, float64 in -> float64 out."""

import numpy as np
import pytest

from autograder import N_
from autograder.testing import assert_close, directional_derivatives
from autograder.testing.torch_parity import (
    check_float64,
    compare_pass,
    gradient_check,
    linear,
    weighted_sum,
)

# (batch, in_features, out_features)
SHAPES = [(1, 1, 1), (2, 5, 3), (7, 3, 1), (33, 17, 9)]
HINTS = {
    "forward": N_("y = x @ W.T + b, with W of shape (out_features, in_features); it must work for "
                  "any batch size, including 1."),
    "backward": N_("dL/dx = grad_output @ W, of the shape of x."),
    "params": N_("dL/dW = grad_output.T @ x and dL/db = grad_output.sum(axis=0) (sum over the batch, "
                 "not mean); add them to grad_weight / grad_bias with +=."),
}
ACCUMULATE = (N_("gradients must accumulate: update_grad_parameters adds (+=) to grad_weight and "
                 "grad_bias; only zero_grad() resets them."))


def build(layers, rng, in_features, out_features, bias):
    module = layers.Linear(in_features, out_features, bias=bias)
    weight = rng.standard_normal((out_features, in_features))
    bias_value = rng.standard_normal(out_features) if bias else None
    module.weight = weight
    if bias:
        module.bias = bias_value
    return module, weight, bias_value


@pytest.mark.task("Linear")
@pytest.mark.extends("test_linear")
def test_linear_odd_shapes(student, rng):
    layers = student.module("modules.layers")
    for batch, in_features, out_features in SHAPES:
        for bias in (True, False):
            module, weight, bias_value = build(layers, rng, in_features, out_features, bias)
            compare_pass(module, linear(weight, bias_value), rng.standard_normal(
                (batch, in_features)), rng.standard_normal((batch, out_features)),
                name=N_(f"Linear({in_features}, {out_features}, bias={bias})"),
                against="torch.nn.Linear", params=["weight", "bias"] if bias else ["weight"],
                hints=HINTS)


@pytest.mark.task("Linear")
@pytest.mark.extends("test_linear")
def test_linear_gradients_accumulate_until_zero_grad(student, rng):
    layers = student.module("modules.layers")
    module, weight, bias_value = build(layers, rng, 4, 3, True)
    name = N_("Linear(4, 3)")
    total_w, total_b = np.zeros((3, 4)), np.zeros(3)
    for call in range(1, 4):
        x, g = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
        module.forward(x)
        module.backward(x, g)
        total_w, total_b = total_w + g.T @ x, total_b + g.sum(axis=0)
        assert_close(module.grad_weight, total_w,
                     N_(f"{name}.grad_weight after {call} backward calls without zero_grad"),
                     against=N_("the sum of grad_output.T @ x over those calls"), hint=ACCUMULATE)
        assert_close(module.grad_bias, total_b,
                     N_(f"{name}.grad_bias after {call} backward calls without zero_grad"),
                     against=N_("the sum of grad_output.sum(axis=0) over those calls"),
                     hint=ACCUMULATE)
    module.zero_grad()
    x, g = rng.standard_normal((2, 4)), rng.standard_normal((2, 3))
    module.forward(x)
    module.backward(x, g)
    assert_close(module.grad_weight, g.T @ x,
                 N_(f"{name}.grad_weight after zero_grad() and one more backward call"),
                 against=N_("grad_output.T @ x of that call alone"),
                 hint=N_("zero_grad() must reset the gradients to zero, in place (fill(0))."))


@pytest.mark.task("Linear")
@pytest.mark.extends("test_linear")
def test_linear_finite_differences(student, rng):
    layers = student.module("modules.layers")
    module, weight, bias_value = build(layers, rng, 4, 3, True)
    name = N_("Linear(4, 3)")
    x, g = rng.standard_normal((2, 4)), rng.standard_normal((2, 3))
    forward = module.forward
    module.forward(x)
    grad_input = module.backward(x, g)
    gradient_check(weighted_sum(forward, g, f"{name}.forward(x)"), x, grad_input,
                   what=N_(f"{name}.backward(x, grad_output) for x of shape {x.shape}"),
                   hint=HINTS["backward"])

    def loss_of(attr):
        def f(value):
            setattr(module, attr, value)
            return weighted_sum(forward, g, f"{name}.forward(x)")(x)
        return f

    for attr, value in (("weight", weight), ("bias", bias_value)):
        directions = rng.standard_normal((3,) + value.shape)
        numeric = directional_derivatives(loss_of(attr), value, directions)
        setattr(module, attr, value)
        analytic = check_float64(getattr(module, f"grad_{attr}"), f"{name}.grad_{attr}",
                                 shape=value.shape)
        assert_close(np.tensordot(directions, analytic, axes=value.ndim), numeric,
                     N_(f"{name}.grad_{attr} projected on 3 random directions, for x of shape "
                        f"{x.shape}"), against=N_("central finite differences of the forward pass"),
                     tolerance="finite-difference", hint=HINTS["params"])


@pytest.mark.task("Linear")
@pytest.mark.extends("test_linear")
def test_linear_keeps_float64(student, rng):
    layers = student.module("modules.layers")
    module, _, _ = build(layers, rng, 3, 2, True)
    x, g = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    check_float64(module.forward(x), "Linear(3, 2).forward(x) for a float64 x", shape=(4, 2))
    check_float64(module.backward(x, g), "Linear(3, 2).backward(x, grad_output) for float64 "
                  "x and grad_output", shape=(4, 3))
    check_float64(module.grad_weight, "Linear(3, 2).grad_weight after a float64 backward pass",
                  shape=(2, 3))
