"""Losses, hidden checks: odd shapes, soft BCE targets, batch sizes, finite differences; and, as
findings only, logits of +-1000 and probabilities of exactly 0 or 1 (torch clamps BCE's log at
-100): the lecture's inputs never come near them."""

import numpy as np
import pytest

from autograder import N_
from autograder.testing.layer_parity import check_loss_and_grad, loss_number
from autograder.testing.torch_parity import gradient_check

HINTS = {
    "loss": N_("the mean over ALL elements (every axis), one number"),
    "grad": N_("the gradient of that mean: shaped like y_predicted, divided by its number of elements"),
}
STABLE = {"loss": N_("subtract each row's maximum from the logits before np.exp, so that exp never "
                     "overflows"), "grad": N_("softmax(logits - max) does not change; compute it so")}


@pytest.mark.task("Losses")
@pytest.mark.extends("test_regression_losses_match_torch")
@pytest.mark.parametrize("shape", [(1,), (7,), (2, 3, 4)])
def test_regression_losses_any_shape(student, rng, shape):
    notebook = student.module("notebook")
    prediction, target = rng.standard_normal(shape), rng.standard_normal(shape)
    for name, torch_loss in (("MSE", "MSELoss"), ("MAE", "L1Loss")):
        check_loss_and_grad(notebook, name, torch_loss, prediction, target,
                            case=N_(f"arrays of shape {shape}"), hints=HINTS)


@pytest.mark.task("Losses")
@pytest.mark.extends("test_classification_losses_match_torch")
def test_bce_with_soft_targets_and_a_matrix(student, rng):
    check_loss_and_grad(student.module("notebook"), "BCE", "BCELoss",
                        rng.uniform(0.02, 0.98, (4, 3)), rng.uniform(0, 1, (4, 3)),
                        case=N_("probabilities of shape (4, 3) and targets in [0, 1]"), hints=HINTS)


@pytest.mark.task("Losses")
@pytest.mark.robustness(advice=N_("the lecture's own CrossEntropyLoss (section 5.3) subtracts each "
                                  "row's maximum: np.exp(scores - np.max(scores, axis=1, "
                                  "keepdims=True))"))
def test_cross_entropy_survives_logits_of_plus_minus_1000(student, rng):
    logits = rng.standard_normal((3, 4))
    logits[0, 0], logits[1, 2], logits[2, 1], logits[2, 3] = 1000.0, -1000.0, 1000.0, 999.0
    check_loss_and_grad(student.module("notebook"), "CrossEntropy", "CrossEntropyLoss", logits,
                        np.array([0, 2, 3]), case=N_("logits with entries of +-1000"), hints=STABLE)


@pytest.mark.task("Losses")
@pytest.mark.extends("test_classification_losses_match_torch")
@pytest.mark.parametrize("batch", [1, 16])
def test_cross_entropy_batch_sizes(student, rng, batch):
    check_loss_and_grad(student.module("notebook"), "CrossEntropy", "CrossEntropyLoss",
                        rng.standard_normal((batch, 3)), rng.integers(0, 3, batch),
                        case=N_(f"logits of shape ({batch}, 3)"),
                        hints={"loss": "the mean over the batch", "grad": "divide by the batch"})


@pytest.mark.task("Losses")
@pytest.mark.robustness
def test_bce_of_probabilities_exactly_0_or_1_matches_torchs_clamp(student, rng):
    """A saturated sigmoid gives probabilities of exactly 0 or 1: torch.nn.BCELoss clamps each log
    at -100 and keeps its gradient's denominator p (1 - p) at least 1e-12."""
    prediction = np.array([[0.0, 1.0, 0.3], [1.0, 0.0, 0.8]])
    target = np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    check_loss_and_grad(student.module("notebook"), "BCE", "BCELoss", prediction, target,
                        case=N_("probabilities of exactly 0 and 1 among others"), hints={
                            "loss": N_("clamp each log at -100, as torch does: "
                                       "np.maximum(np.log(p), -100) and np.maximum(np.log(1 - p), "
                                       "-100)"),
                            "grad": N_("(p - y) / np.maximum(p * (1 - p), 1e-12) / n, as torch "
                                       "computes it")})


@pytest.mark.task("Losses")
@pytest.mark.extends("test_regression_losses_match_torch", "test_classification_losses_match_torch")
def test_gradients_match_finite_differences(student, rng):
    notebook = student.module("notebook")
    cases = {
        "MSE": (rng.standard_normal((3, 2)), rng.standard_normal((3, 2))),
        "MAE": (rng.standard_normal((3, 2)), rng.standard_normal((3, 2))),
        "CrossEntropy": (rng.standard_normal((3, 4)), np.array([1, 0, 3])),
        "BCE": (rng.uniform(0.1, 0.9, (3, 2)), rng.uniform(0, 1, (3, 2))),
    }
    for name, (prediction, target) in cases.items():
        def value(x, name=name, target=target):
            return loss_number(getattr(notebook, name)(x, target), f"{name}(y_predicted, y_actual)")

        gradient_check(value, prediction, getattr(notebook, f"{name}_grad")(prediction, target),
                       what=N_(f"{name}_grad(y_predicted, y_actual) for an input of shape "
                               f"{prediction.shape}"), hint=N_(f"the gradient of the mean that {name} "
                            "returns, w.r.t. its first argument"))
