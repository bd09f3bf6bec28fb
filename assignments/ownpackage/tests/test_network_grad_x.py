"""Part 2.5: Network.grad_x, the derivative of each sample's loss with respect to its input,
(batch, in_dim). Graded with the grader's own known-good layers and losses (elementwise affine
maps, softsign, a fixed projection, squared error, softmax cross-entropy), so that only your Network
is tested here. It loses points beyond the course's own tolerance (sum of absolute errors < 0.01);
the finer elementwise check is reported as a finding, costing nothing."""

import numpy as np
import pytest

from autograder import N_
from autograder.testing.known_good import HalfSquaredError, Projection, SoftmaxCrossEntropy
from autograder.interfaces.jacobian import TOLERANCE_PARAMS, compare_gradient, loss_gradient
from autograder.runtime.probes import name_of
from autograder.runtime.probes.jacobian import ScaleShift, Softsign

TASK = "Network.grad_x"
HINT = (N_("run the input forward remembering each layer's input, start from loss.grad_x(output, "
           "labels) (batch, out) and multiply by each layer's Jacobian grad_x (batch, out, in), from "
           "the last layer to the first."))


def probe_network(student, nb, rng, loss):
    layers = [student.probe(name_of(ScaleShift), rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)),
              student.probe(name_of(Softsign)),
              student.known_good(Projection(rng.standard_normal((3, 4)))),
              student.probe(name_of(ScaleShift), rng.uniform(0.5, 1.5, 4), rng.standard_normal(4))]
    return nb.Network(layers, loss=student.known_good(loss()))


@pytest.mark.task(TASK)
@pytest.mark.parametrize("tolerance", TOLERANCE_PARAMS)
@pytest.mark.parametrize("loss", [HalfSquaredError, SoftmaxCrossEntropy],
                         ids=["half_squared_error", "softmax_cross_entropy"])
def test_network_grad_x_on_the_course_inputs(student, rng, loss, tolerance):
    nb = student.module("notebook")
    net = probe_network(student, nb, rng, loss)
    x = np.array([[1, 2, 3], [2, 3, 4]])
    labels = np.array([[0.3, 0.2, 0.2, 0.3], [0.1, 0.2, 0.3, 0.4]])
    expected = loss_gradient(lambda v: net.calculate_loss(v, labels), x, "Network.calculate_loss")
    compare_gradient(net.grad_x(x, labels), expected,
                     "Network([ScaleShift, Softsign, Projection(3->4), ScaleShift]).grad_x(x, labels) "
                     "for x of shape (2, 3)", against=N_("central finite differences of calculate_loss"),
                     tolerance=tolerance, hint=HINT)
