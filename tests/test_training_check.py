"""The training and SGD-linear checks, on plain in-process objects: a correct model passes, a broken
one fails with a message that says what went wrong."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.checks.sgd_linear import check_linear_step
from autograder.checks.training import evaluate, held_out_split, train_classifier
from autograder.failures import CheckFailed

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


def test_training_a_correct_model_yields_one_falling_loss_per_window_and_learns() -> None:
    rng = np.random.default_rng(0)
    x, y = blobs(rng, 600)
    model = SoftmaxRegression(2, 3)
    losses = list(train_classifier(model.forward, model.backward, x[:500], y[:500], classes=3,
                                   batch_size=32, steps=50, rng=rng, window=20))
    assert len(losses) == 3 and losses[-1] < losses[0] < np.log(3) + 1e-9
    accuracy, loss = evaluate(model.forward, x[500:], y[500:], classes=3)
    assert accuracy > 0.95 and loss < 0.3


def test_a_diverging_network_fails_with_a_message_about_non_finite_logits() -> None:
    rng = np.random.default_rng(1)
    x, y = blobs(rng, 200)
    model = SoftmaxRegression(2, 3)
    model.b = np.array([0.0, np.inf, 0.0])  # as after an update that overflowed
    with pytest.raises(CheckFailed, match="non-finite values .* training diverged"):
        list(train_classifier(model.forward, model.backward, x, y, classes=3, batch_size=32,
                              steps=20, rng=rng, window=5))


def test_logits_of_the_wrong_shape_fail_before_any_loss_is_computed() -> None:
    x, y = blobs(np.random.default_rng(2), 10)
    with pytest.raises(CheckFailed, match=r"expected shape \(10, 3\), got shape \(10, 2\)"):
        evaluate(lambda batch: batch, x, y, classes=3)


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
