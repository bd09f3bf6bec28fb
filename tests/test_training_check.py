"""The training, SGD-linear and activation checks, and the worker's training loop, on plain
in-process objects: a correct model passes, a broken one fails with a message that says what went
wrong."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.failures import CheckFailed
from autograder.interfaces.sgd_linear import check_activation_pass, check_linear_step
from autograder.runtime.probes.sgd_linear import logits_training
from autograder.testing.known_good import softmax_crossentropy_step
from autograder.testing.training import held_out_report, held_out_split

HINTS = dict.fromkeys(("forward", "backward", "grad_W", "grad_b", "step"), "a hint")


class SoftmaxRegression:
    """logits = x @ W + b, with the SGD step inside backward, as the engine notebook's Linear."""

    def __init__(self, features: int, classes: int, learning_rate: float = 0.5,
                 bias_mean: bool = False) -> None:
        self.W = np.zeros((features, classes))
        self.b = np.zeros(classes)
        self.learning_rate, self.bias_mean = learning_rate, bias_mean

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad: np.ndarray) -> np.ndarray:
        self.grad_W = self.x.T @ grad
        self.grad_b = grad.mean(axis=0) if self.bias_mean else grad.sum(axis=0)
        self.grad = grad @ self.W.T
        self.W = self.W - self.learning_rate * self.grad_W
        self.b = self.b - self.learning_rate * self.grad_b
        return self.grad


def blobs(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Three well separated Gaussian blobs in 2-D."""
    labels = rng.integers(0, 3, count)
    centres = np.array([[4.0, 0.0], [-4.0, 0.0], [0.0, 4.0]])
    return centres[labels] + rng.standard_normal((count, 2)), labels


def test_held_out_split_is_a_fixed_partition() -> None:
    train, held = held_out_split(100, 20, seed=5)
    again, _ = held_out_split(100, 20, seed=5)
    assert len(held) == 20 and np.array_equal(train, again)
    assert sorted(np.concatenate([train, held]).tolist()) == list(range(100))


def test_check_linear_step_accepts_a_correct_layer() -> None:
    rng = np.random.default_rng(3)
    layer = SoftmaxRegression(4, 3, learning_rate=0.2)
    layer.W, layer.b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    check_linear_step(layer, rng.standard_normal((5, 4)), rng.standard_normal((5, 3)),
                      learning_rate=0.2, name="Linear(4, 3)", hints=HINTS)


def test_check_linear_step_names_a_wrong_bias_gradient() -> None:
    rng = np.random.default_rng(4)
    layer = SoftmaxRegression(4, 3, learning_rate=0.2, bias_mean=True)
    layer.W, layer.b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    with pytest.raises(CheckFailed, match="Linear\\(4, 3\\): grad_b after backward: does not match"):
        check_linear_step(layer, rng.standard_normal((5, 4)), rng.standard_normal((5, 3)),
                          learning_rate=0.2, name="Linear(4, 3)", hints=HINTS)


def test_check_activation_pass_accepts_relu_and_names_a_backward_that_ignores_grad() -> None:
    class Relu:
        def forward(self, x: np.ndarray) -> np.ndarray:
            self.x = x
            return np.maximum(x, 0)

        def backward(self, grad: np.ndarray) -> np.ndarray:
            return (self.x > 0).astype(float)  # the derivative alone, grad forgotten

    rng = np.random.default_rng(5)
    x, grad = rng.standard_normal((4, 3)) + 0.1, rng.standard_normal((4, 3))
    hints = {"forward": "a hint", "backward": "a hint"}
    with pytest.raises(CheckFailed, match=r"ReLU.backward\(grad\) for grad of shape \(4, 3\)"):
        check_activation_pass(Relu(), "ReLU", x, grad, hints=hints)
    Relu.backward = lambda self, grad: grad * (self.x > 0)
    check_activation_pass(Relu(), "ReLU", x, grad, hints=hints)


def test_the_workers_training_loop_measures_every_epoch_and_the_grader_scores_it() -> None:
    rng = np.random.default_rng(6)
    x, y = blobs(rng, 600)
    np.random.seed(0)
    run = logits_training(SoftmaxRegression(2, 3, learning_rate=0.1), x[:500], y[:500], x[500:],
                          batch_size=32, epochs=3, seed=7, classes=3, loss=softmax_crossentropy_step)
    assert run["stopped"] == "" and len(run["held_out"]) == len(run["training_loss"]) == 3
    report = held_out_report(run, y[500:], classes=3, window=16, what="a run")
    assert report.best_accuracy > 0.95 and report.best_loss < 0.3
    assert report.training_loss[-1] < report.training_loss[0]


def test_logits_of_the_wrong_shape_stop_the_workers_loop_and_fail_with_where() -> None:
    x, y = blobs(np.random.default_rng(8), 100)
    run = logits_training(SoftmaxRegression(2, 2), x, y, x, batch_size=32, epochs=2, seed=0,
                          classes=3, loss=softmax_crossentropy_step)
    assert run["held_out"] == [] and "returned shape (32, 2), expected (32, 3)" in run["stopped"]
    with pytest.raises(CheckFailed, match=r"stopped: epoch 1, training batch #1: network.forward"):
        held_out_report(run, y, classes=3, window=4, what="The course's train loop")


def test_a_diverging_run_stops_at_the_first_non_finite_logits() -> None:
    x, y = blobs(np.random.default_rng(9), 100)
    model = SoftmaxRegression(2, 3)
    model.b = np.array([0.0, np.nan, 0.0])
    run = logits_training(model, x, y, x, batch_size=32, epochs=2, seed=0, classes=3,
                          loss=softmax_crossentropy_step)
    assert "non-finite logits (nan or inf): training diverged" in run["stopped"]


@pytest.mark.parametrize(("run", "expected"), [
    ("not a dict", "returned a str, not its curves"),
    ({"training_loss": [1.0], "held_out": [np.zeros((3, 3))], "stopped": ""},
     r"held-out logits at measurement 1: expected shape \(10, 3\), got shape \(3, 3\)"),
    ({"training_loss": [1.0, 0.5], "held_out": [np.zeros((10, 3))], "stopped": ""},
     "1 held-out measurements for 2 training losses"),
])
def test_a_malformed_reply_of_the_worker_fails_with_what_came_back(run, expected) -> None:
    with pytest.raises(CheckFailed, match=expected):
        held_out_report(run, np.zeros(10, dtype=int), classes=3, window=4, what="a run")
