"""Parts 2 and 3 on other data, shapes and seeds than the public tests: every Jacobian against
central differences (through random directions for the larger ones) at the course's tolerance
(sum of absolute errors < 0.01), and Network.grad_x on deeper probe networks; and, as a finding,
CrossEntropy's gradient elementwise on small probabilities."""

import numpy as np
import pytest

from autograder import N_
from autograder.testing import assert_close
from autograder.testing.known_good import Projection, SoftmaxCrossEntropy
from autograder.interfaces.jacobian import (
    assert_within_course_tolerance,
    check_jacobian,
    check_jacobian_by_directions,
    loss_gradient,
)
from autograder.runtime.probes import name_of
from autograder.runtime.probes.jacobian import ScaleShift, Softsign


@pytest.mark.task("Layer gradients")
@pytest.mark.extends("test_grad_x_on_the_course_inputs", "test_crossentropy_forward_and_grad_x")
@pytest.mark.parametrize("batch, width", [(1, 2), (5, 9)])
def test_layer_jacobians_on_random_shapes(student, rng, batch, width):
    nb = student.module("notebook")
    x = rng.standard_normal((batch, width))
    x = np.where(np.abs(x) < 0.05, 0.3, x)  # away from ReLU's kink
    W, b = rng.standard_normal((width, width + 2)), rng.standard_normal(width + 2)
    for name, layer in (("Softmax()", nb.Softmax()), ("ReLU()", nb.ReLU()),
                        (f"DenseLayer({width}, {width + 2})", nb.DenseLayer(width, width + 2, W, b))):
        check_jacobian(layer.grad_x(x), layer.forward, x,
                       what=N_(f"{name}.grad_x(x) for x of shape {x.shape}"))
    # probabilities well above the course's eps (1e-5), where where eps goes does not matter
    p = rng.uniform(0.2, 1, (batch, width))
    labels = np.eye(width)[rng.integers(0, width, batch)]
    ce = nb.CrossEntropy()
    assert_within_course_tolerance(
        ce.grad_x(p, labels), loss_gradient(lambda v: ce.forward(v, labels), p, "CrossEntropy"),
        f"CrossEntropy().grad_x(p, labels) for p of shape {p.shape}",
        against=N_("central finite differences of your forward"))


@pytest.mark.task("Layer gradients")
@pytest.mark.robustness
def test_crossentropy_grad_x_matches_its_forward_on_small_probabilities(student, rng):
    """Finer than the course: elementwise, at probabilities down to 0.01, where a gradient that
    adds eps to p while the forward does not (or the reverse) is off by ~1e-3 relative."""
    ce = student.module("notebook").CrossEntropy()
    p = rng.uniform(0.01, 1, (4, 6))
    labels = np.eye(6)[rng.integers(0, 6, 4)]
    assert_close(ce.grad_x(p, labels), loss_gradient(lambda v: ce.forward(v, labels), p, "CrossEntropy"),
                 N_(f"CrossEntropy().grad_x(p, labels) for p of shape {p.shape}, p in [0.01, 1]"),
                 against=N_("central finite differences of your forward"), tolerance="finite-difference",
                 hint=N_("use eps the same way in forward and grad_x: log(p + eps) has the derivative "
                         "1 / (p + eps)."))


@pytest.mark.task("Layer gradients")
@pytest.mark.extends("test_grad_x_on_the_course_inputs")
def test_dense_jacobian_on_a_wide_layer_by_directions(student, rng):
    nb = student.module("notebook")
    W, b, x = rng.standard_normal((40, 30)), rng.standard_normal(30), rng.standard_normal((4, 40))
    layer = nb.DenseLayer(40, 30, W, b)
    check_jacobian_by_directions(layer.grad_x(x), layer.forward, x, rng,
                                 what=N_("DenseLayer(40, 30).grad_x(x) for x of shape (4, 40)"))


@pytest.mark.task("Network.grad_x")
@pytest.mark.extends("test_network_grad_x_on_the_course_inputs")
def test_network_grad_x_on_a_deeper_probe_network(student, rng):
    nb = student.module("notebook")
    layers = []
    width = 6
    for out in (5, 8, 4):
        layers += [student.known_good(Projection(rng.standard_normal((width, out)) / np.sqrt(width))),
                   student.probe(name_of(Softsign)),
                   student.probe(name_of(ScaleShift), rng.uniform(0.5, 1.5, out),
                                 rng.standard_normal(out))]
        width = out
    net = nb.Network(layers, loss=student.known_good(SoftmaxCrossEntropy()))
    x, labels = rng.standard_normal((7, 6)), np.eye(4)[rng.integers(0, 4, 7)]
    assert_within_course_tolerance(
        net.grad_x(x, labels),
        loss_gradient(lambda v: net.calculate_loss(v, labels), x, "Network.calculate_loss"),
        "Network of 9 probe layers (6 -> 5 -> 8 -> 4).grad_x(x, labels) for x of shape (7, 6)",
        against=N_("central finite differences of calculate_loss"))
