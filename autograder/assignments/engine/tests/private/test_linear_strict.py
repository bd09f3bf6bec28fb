"""Hidden checks of Linear: odd shapes and float32 input, several SGD steps in a row (each backward
uses the latest forward's input and the current W), and finite differences of the forward pass.
(The default learning rate belongs to the given __init__, which is not graded.)"""

import numpy as np
import pytest

from autograder import N_
from autograder.testing import as_array, assert_close, directional_derivatives, numerical_gradient
from autograder.testing.torch_parity import weighted_sum
from autograder.interfaces.sgd_linear import check_linear_step

HINTS = {
    "forward": N_("y = x @ W + b for any batch size (including 1) and any in/out sizes; keep x."),
    "backward": N_("return grad @ W.T, computed with W before the update and with the x of the "
                   "latest forward call."),
    "grad_W": N_("grad_W = x.T @ grad, of the shape of W (in_channels, out_channels), with x from "
                 "the latest forward call."),
    "grad_b": N_("grad_b = grad.sum(axis=0): a sum over the batch (not a mean: grad already carries "
                 "the 1/batch of the loss), of shape (out_channels,), without keepdims."),
    "step": N_("W = W - grad_W * learning_rate and b = b - grad_b * learning_rate, with the layer's "
               "own learning_rate, once per backward call."),
}
# (batch, in_channels, out_channels, input dtype): the notebook's data is float32
SHAPES = [(1, 1, 1, np.float64), (2, 5, 3, np.float64), (7, 3, 1, np.float32),
          (33, 17, 9, np.float32)]


def layer_with_parameters(notebook, rng, in_channels, out_channels, **options):
    layer = notebook.Linear(in_channels, out_channels, **options)
    layer.W = rng.standard_normal((in_channels, out_channels))
    layer.b = rng.standard_normal(out_channels)
    return layer


@pytest.mark.task("Linear")
@pytest.mark.extends("test_linear_step_matches_torch")
def test_linear_odd_shapes_and_float32_input(student, rng):
    notebook = student.module("notebook")
    for batch, in_channels, out_channels, dtype in SHAPES:
        layer = layer_with_parameters(notebook, rng, in_channels, out_channels, learning_rate=0.03)
        check_linear_step(layer, rng.standard_normal((batch, in_channels)).astype(dtype),
                          rng.standard_normal((batch, out_channels)), learning_rate=0.03,
                          hints=HINTS, name=N_(f"Linear({in_channels}, {out_channels}, "
                          "learning_rate=0.03)"), context=N_(f"{np.dtype(dtype).name} input"))


@pytest.mark.task("Linear")
@pytest.mark.extends("test_linear_step_matches_torch")
def test_linear_several_steps_in_a_row(student, rng):
    layer = layer_with_parameters(student.module("notebook"), rng, 6, 4, learning_rate=0.2)
    for step in range(1, 4):
        layer.forward(rng.standard_normal((9, 6)))  # an older input: backward must use the next
        check_linear_step(layer, rng.standard_normal((3, 6)), rng.standard_normal((3, 4)),
                          learning_rate=0.2, hints=HINTS, name=N_("Linear(6, 4, learning_rate=0.2)"),
                          context=N_(f"step {step} of 3 on the same layer, after an extra forward "
                                     "call on another input"))


@pytest.mark.task("Linear")
@pytest.mark.extends("test_linear_step_matches_torch")
def test_linear_gradients_match_finite_differences(student, rng):
    layer = layer_with_parameters(student.module("notebook"), rng, 4, 3, learning_rate=0.1)
    weight, bias = layer.W, layer.b
    name = N_("Linear(4, 3)")
    x, grad = rng.standard_normal((2, 4)), rng.standard_normal((2, 3))
    loss = weighted_sum(layer.forward, grad, f"{name}.forward(x)")

    def loss_of(attr):
        def f(value):
            setattr(layer, attr, value)
            return loss(x)
        return f

    # every derivative of the forward pass first, at the initial W and b: backward changes them
    directions = rng.standard_normal((3,) + weight.shape)
    expected = {"x": numerical_gradient(loss, x),
                "W": directional_derivatives(loss_of("W"), weight, directions),
                "b": numerical_gradient(loss_of("b"), bias)}
    layer.W, layer.b = weight, bias
    layer.forward(x)
    returned = as_array(layer.backward(grad), N_(f"{name}.backward(grad)"), shape=x.shape)
    grad_w = as_array(layer.grad_W, N_(f"{name}.grad_W"), shape=weight.shape, hint=HINTS["grad_W"])
    grad_b = as_array(layer.grad_b, N_(f"{name}.grad_b"), shape=bias.shape, hint=HINTS["grad_b"])
    got = {"x": returned, "W": np.tensordot(directions, grad_w, axes=2), "b": grad_b}
    what = {"x": N_("backward(grad) return value"), "W": N_("grad_W projected on 3 random directions"),
            "b": "grad_b"}
    for key, hint in (("x", HINTS["backward"]), ("W", HINTS["grad_W"]), ("b", HINTS["grad_b"])):
        assert_close(got[key], expected[key], N_(f"{name}: {what[key]}, for x of shape {x.shape}"),
                     against=N_("central finite differences of the forward pass (eps=1e-6)"),
                     tolerance="finite-difference", hint=hint)
