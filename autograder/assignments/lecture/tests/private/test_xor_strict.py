"""XORNet, hidden checks: other sizes and learning rates, fit as repeated steps, predict."""

import pytest

from autograder import N_
from autograder.testing import as_array, assert_close
from autograder.interfaces.two_layer import Parameters, check_step, loss_curve, torch_step

HINTS = {
    "forward": N_("p = sigmoid(sigmoid(X @ W1 + b1) @ W2 + b2)[:, 0], for any batch and hidden size."),
    "loss": N_("the mean binary cross-entropy before the step, one number."),
    "step": N_("every gradient from the parameters before the step, each parameter -= "
               "self.learning_rate * its gradient."),
}


def random_parameters(rng, hidden):
    return Parameters(rng.normal(0, 1, (2, hidden)), rng.normal(0, 0.5, hidden),
                      rng.normal(0, 1, (hidden, 1)), rng.normal(0, 0.5, 1))


@pytest.mark.task("XOR network")
@pytest.mark.extends("test_xor_forward_and_one_step_match_torch")
@pytest.mark.parametrize("hidden, learning_rate, batch", [(3, 0.5, 6), (1, 2.0, 1)])
def test_xor_steps_for_other_sizes(student, rng, hidden, learning_rate, batch):
    net = student.module("notebook").XORNet(hidden_units=hidden, learning_rate=learning_rate)
    x, y = rng.normal(0, 1, (batch, 2)), rng.integers(0, 2, batch)
    params = random_parameters(rng, hidden)
    for _ in range(2):
        params = check_step(net, params, x, y, learning_rate=learning_rate,
                            name=N_(f"XORNet(hidden_units={hidden}, learning_rate={learning_rate})"),
                            hints=HINTS)


@pytest.mark.task("XOR network")
@pytest.mark.extends("test_xor_forward_and_one_step_match_torch",
                     "test_xor_training_from_the_lecture_weights_solves_xor")
def test_xor_fit_is_repeated_steps_and_predict_thresholds(student, rng):
    net = student.module("notebook").XORNet(hidden_units=3, learning_rate=0.7)
    x, y = rng.normal(0, 1, (5, 2)), rng.integers(0, 2, 5)
    params = random_parameters(rng, 3)
    for name, value in params.items():
        setattr(net, name, value)
    expected_losses = []
    for _ in range(3):
        step = torch_step(params, x, y, 0.7)
        expected_losses.append(step.loss)
        params = step.after
    losses = loss_curve(net.fit(x, y, 3), "XORNet.fit(X, y, epochs=3)", 3)
    assert_close(losses, expected_losses, N_("XORNet.fit(X, y, epochs=3): the losses returned"),
                 against=N_("three gradient steps in torch"),
                 hint=N_("fit calls backward(X, y) once per epoch and returns their losses."))
    for name, value in params.items():
        assert_close(getattr(net, name), value, N_(f"XORNet.{name} after fit(X, y, epochs=3)"),
                     against=N_("three gradient steps in torch"), hint=HINTS["step"])
    probabilities = torch_step(params, x, y, 0.0).probabilities
    predictions = as_array(net.predict(x), N_("XORNet.predict(X) for X of shape (5, 2)"),
                           shape=(5,))
    assert_close(predictions, (probabilities > 0.5).astype(int),
                 N_("XORNet.predict(X) for X of shape (5, 2)"), against=N_("forward(X) > 0.5"),
                 hint=N_("1 where forward(X) > 0.5, else 0."))
