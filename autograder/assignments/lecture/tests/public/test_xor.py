"""XORNet: the lecture's forward pass (0.34 for I = (1, 0)), one gradient step against torch, and
training from the lecture's weights until XOR is solved (protocol in `[xor]` of assignment.toml)."""

from dataclasses import dataclass

import numpy as np
import pytest

from autograder import N_, config
from autograder.testing import as_array, assert_close, require
from autograder.interfaces.two_layer import Parameters, check_step, loss_curve, set_parameters


@dataclass(frozen=True)
class XorProtocol:
    """The [xor] table: the network's size, its learning rate, the epochs and the loss to reach."""

    hidden_units: int
    learning_rate: float
    epochs: int
    max_loss: float


PROTOCOL = config.load_for(__file__).table("xor", XorProtocol)
X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([0, 1, 1, 0])
LECTURE = Parameters(W1=np.array([[0.45, 0.78], [-0.12, 0.13]]), b1=np.zeros(2),
                     W2=np.array([[1.5], [-2.3]]), b2=np.zeros(1))
HINTS = {
    "forward": N_("h = sigmoid(X @ W1 + b1), p = sigmoid(h @ W2 + b2), returned with shape "
                  "[batch] (p[:, 0])."),
    "loss": N_("return the mean binary cross-entropy of forward(X) against y, computed before the "
               "step."),
    "step": N_("with d = (p - y)[:, None] / batch: dW2 = h.T @ d, db2 = d.sum(0), "
               "dh = d @ W2.T * h * (1 - h), dW1 = X.T @ dh, db1 = dh.sum(0); then each parameter "
               "-= learning_rate * its gradient (all gradients from the parameters before the step)."),
}


@pytest.mark.task("XOR network")
def test_xor_forward_and_one_step_match_torch(student, rng):
    net = student.module("notebook").XORNet(hidden_units=2, learning_rate=1.0)
    start = Parameters(LECTURE.W1, rng.normal(0, 0.5, 2), LECTURE.W2, rng.normal(0, 0.5, 1))
    check_step(net, start, X, Y, learning_rate=1.0, name="XORNet(hidden_units=2)", hints=HINTS)


@pytest.mark.task("XOR network")
def test_xor_training_from_the_lecture_weights_solves_xor(student):
    net = student.module("notebook").XORNet(hidden_units=PROTOCOL.hidden_units,
                                            learning_rate=PROTOCOL.learning_rate)
    set_parameters(net, LECTURE)
    name = N_(f"XORNet(hidden_units={PROTOCOL.hidden_units}, " \
              f"learning_rate={PROTOCOL.learning_rate})")
    assert_close(net.forward(X[2:3]), [0.340474], N_(f"{name}.forward([[1, 0]]) with the lecture's "
                 "weights and zero biases"), against=N_("the lecture's forward pass (0.33, rounded)"),
                 tolerance="float32", hint=HINTS["forward"])
    epochs = PROTOCOL.epochs
    losses = loss_curve(net.fit(X, Y, epochs), f"{name}.fit(X, y, epochs={epochs})", epochs)
    predictions = as_array(net.predict(X), N_(f"{name}.predict(X) after training"), shape=(4,))
    final = float(losses[-1])
    require(np.array_equal(predictions, Y) and final < PROTOCOL.max_loss,
          N_(f"{name}: after fit(X, y, epochs={epochs}) from the lecture's weights (zero biases), "
             f"predict(X) gave {predictions.tolist()} for the XOR targets {Y.tolist()}, with a last "
             f"loss of {final:.4g} (required: all four right and a loss below "
             f"{PROTOCOL.max_loss}; the reference reaches 0.015).\n  Hint: fit calls "
             f"backward(X, y) once per epoch; check backward's gradient step first. "
             f"{HINTS['step']}"))
