"""Part 3: DenseLayer.grad_b and grad_W (the course's numerical tests, W flattened row by row),
Network.grad_param and update (through the course's given train_step and fit). Network is graded
with the grader's own known-good layers (elementwise affine maps and tanh) and losses, so only
your Network is tested there; the MNIST run uses your DenseLayer too. Gradients lose points beyond
the course's own tolerance (sum of absolute errors < 0.01); the finer elementwise check is
reported as a finding, costing nothing."""

import numpy as np
import pytest

from autograder import N_
from autograder.testing import as_array, numerical_gradient, require
from autograder.testing.known_good import HalfSquaredError
from autograder.interfaces.jacobian import (
    TOLERANCE_PARAMS,
    check_fit_raises_held_out_accuracy,
    compare_gradient,
    numerical_jacobian,
)
from autograder.runtime.probes import name_of
from autograder.runtime.probes.jacobian import ScaleShift, Softsign

TASK = "Parameter gradients and training"


@pytest.mark.task(TASK)
@pytest.mark.parametrize("tolerance", TOLERANCE_PARAMS)
def test_dense_grad_b_and_grad_W_match_the_course_numerical_tests(student, rng, tolerance):
    nb = student.module("notebook")
    W, b, x = rng.random((3, 4)), rng.random(4), rng.random((2, 3))
    dense = nb.DenseLayer(3, 4, W, b)
    expected_b = np.stack([numerical_jacobian(
        lambda v, s=s: nb.DenseLayer(3, 4, W_init=W, b_init=v[0]).forward(x[s:s + 1]),
        b[None], "DenseLayer.forward")[0] for s in range(2)])
    compare_gradient(dense.grad_b(x), expected_b,
                 "DenseLayer(3, 4).grad_b(x) for x of shape (2, 3)",
                 against=N_("central finite differences over b"), tolerance=tolerance,
                 hint=N_("grad_b(x)[s, o, j] = d out[s, o] / d b[j]: shape (batch, output_dim, output_dim)."))
    expected_W = np.stack([numerical_jacobian(
        lambda v, s=s: nb.DenseLayer(3, 4, W_init=v[0].reshape(3, 4), b_init=b).forward(x[s:s + 1]),
        W.reshape(1, -1), "DenseLayer.forward")[0] for s in range(2)])
    compare_gradient(dense.grad_W(x), expected_W, "DenseLayer(3, 4).grad_W(x) for x of shape (2, 3)",
                 against=N_("central finite differences over W flattened row by row"),
                 tolerance=tolerance,
                 hint=N_("grad_W(x)[s, o, i * output_dim + j] = d out[s, o] / d W[i, j] = x[s, i] if "
                         "j == o: shape (batch, output_dim, input_dim * output_dim)."))


def scale_tanh_scale(params, x):
    """The probe network [ScaleShift, Softsign, ScaleShift] in numpy, for the expected values."""
    s1, h1, s2, h2 = params
    hidden = x * s1 + h1
    return hidden / (1 + np.abs(hidden)) * s2 + h2


def per_sample_param_grads(params, x, labels):
    """d loss[b] / d each parameter, (batch, n) each, loss = 0.5 * |out - labels|^2."""
    grads = [np.zeros((len(x), p.size)) for p in params]
    for b in range(len(x)):
        for k, p in enumerate(params):
            def loss(v, k=k, b=b):
                changed = list(params)
                changed[k] = v
                return 0.5 * np.sum((scale_tanh_scale(changed, x[b:b + 1]) - labels[b:b + 1]) ** 2)
            grads[k][b] = numerical_gradient(loss, p)
    return grads


def probe_network(student, nb, params):
    layers = [student.probe(name_of(ScaleShift), params[0], params[1]), student.probe(name_of(Softsign)),
              student.probe(name_of(ScaleShift), params[2], params[3])]
    return nb.Network(layers, loss=student.known_good(HalfSquaredError()))


@pytest.mark.task(TASK)
@pytest.mark.parametrize("tolerance", TOLERANCE_PARAMS)
def test_network_grad_param_and_train_step_with_known_good_layers(student, rng, tolerance):
    nb = student.module("notebook")
    params = [rng.uniform(0.5, 1.5, 3), rng.standard_normal(3), rng.uniform(0.5, 1.5, 3),
              rng.standard_normal(3)]
    x, labels = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    net = probe_network(student, nb, params)
    expected = per_sample_param_grads(params, x, labels)
    got = net.grad_param(x, labels)
    what = N_("Network([ScaleShift, Softsign, ScaleShift]).grad_param(x, labels) for x of shape (5, 3)")
    kind = type(got).__name__
    require(isinstance(got, (list, tuple)) and len(got) == 3,
            N_(f"{what}: expected a list with one entry per layer (3), got {kind} of length {len(got)}")
            if isinstance(got, (list, tuple)) else
            N_(f"{what}: expected a list with one entry per layer (3), got {kind}"))
    for index, (layer_grads, wanted) in enumerate(zip(got, (expected[:2], [], expected[2:]), strict=True)):
        require(isinstance(layer_grads, (list, tuple)) and len(layer_grads) == len(wanted),
              N_(f"{what}: entry {index} should be a list of {len(wanted)} gradient(s)"))
        for name, grad, expect in zip(("scale", "shift"), layer_grads, wanted, strict=False):
            grad = as_array(grad, N_(f"{what}, layer {index} {name}"))
            require(grad.size == expect.size, N_(f"{what}, layer {index} {name}: expected "
                  f"{expect.size} numbers per batch (batch, {expect.shape[1]}), got shape {grad.shape}"))
            compare_gradient(grad.reshape(expect.shape), expect, f"{what}, layer {index} {name}",
                         against=N_("central finite differences of each sample's loss"),
                         tolerance=tolerance,
                         hint=N_("per-sample gradients of each sample's loss: chain loss.grad_x "
                                 "through the later layers' grad_x, then through grad_param."))
    net.train_step(x, labels, 0.1)
    for index, (layer, name) in enumerate([(0, "scale"), (0, "shift"), (2, "scale"), (2, "shift")]):
        compare_gradient(getattr(net.layers[layer], name), params[index] - 0.1 * expected[index].mean(axis=0),
                     f"layer {layer} {name} after train_step(x, labels, learning_rate=0.1)",
                     against=N_("parameter - 0.1 * the batch mean of its gradient"),
                     tolerance=tolerance,
                     hint=N_("Network.update hands each layer its gradients: layer.update_param(grads, "
                             "learning_rate)."))


@pytest.mark.task(TASK)
def test_fit_on_mnist_raises_held_out_accuracy(student):
    """The course's 3.3: "if everything works, the validation accuracy grows"."""
    check_fit_raises_held_out_accuracy(student, slice(0, 800), slice(9000, 10000))
