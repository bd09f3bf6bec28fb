"""Losses: MSE, MAE, CrossEntropy and BCE with their gradients, against torch.nn's losses."""

import pytest

from autograder import N_
from autograder.testing.layer_parity import check_loss_and_grad

HINTS = {
    "MSE": {"loss": N_("np.mean((y_predicted - y_actual) ** 2)"),
            "grad": N_("2 * (y_predicted - y_actual) / n, with n the number of elements")},
    "MAE": {"loss": N_("np.mean(np.abs(y_predicted - y_actual))"),
            "grad": N_("np.sign(y_predicted - y_actual) / n, with n the number of elements")},
    "CrossEntropy": {"loss": N_("the mean over the batch of log(sum_j exp(s_j)) - s[y]; subtract "
                                "each row's maximum before np.exp"),
                     "grad": N_("(softmax(logits) - one_hot(y_actual)) / batch")},
    "BCE": {"loss": N_("-np.mean(y * log(p) + (1 - y) * log(1 - p))"),
            "grad": N_("(p - y) / (p * (1 - p)) / n, with n the number of elements")},
}


@pytest.mark.task("Losses")
def test_regression_losses_match_torch(student, rng):
    notebook = student.module("notebook")
    prediction, target = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    for name, torch_loss in (("MSE", "MSELoss"), ("MAE", "L1Loss")):
        check_loss_and_grad(notebook, name, torch_loss, prediction, target,
                            case=N_("arrays of shape (6, 3)"), hints=HINTS[name])


@pytest.mark.task("Losses")
def test_mae_gradient_is_zero_where_the_prediction_equals_the_target(student, rng):
    """The notebook states torch's convention, sign(0) = 0: where a prediction equals its target,
    the gradient of the mean absolute error is 0, as torch.nn.L1Loss's."""
    prediction, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    target[::2] = prediction[::2]
    target[1, 1] = prediction[1, 1]
    check_loss_and_grad(student.module("notebook"), "MAE", "L1Loss", prediction, target,
                        case=N_("arrays of shape (4, 3) whose rows 0 and 2 and element [1, 1] equal "
                                "their targets"), hints={
                            "loss": HINTS["MAE"]["loss"],
                            "grad": N_("np.sign(y_predicted - y_actual) / n: np.sign(0) is 0, so "
                                       "a prediction equal to its target gets a zero gradient, as "
                                       "in torch (not +1 or -1, as np.where(diff >= 0, 1, -1) "
                                       "gives)")})


@pytest.mark.task("Losses")
def test_classification_losses_match_torch(student, rng):
    notebook = student.module("notebook")
    logits = rng.standard_normal((8, 5)) * 2
    check_loss_and_grad(notebook, "CrossEntropy", "CrossEntropyLoss", logits,
                        rng.integers(0, 5, 8), case=N_("logits of shape (8, 5)"),
                        hints=HINTS["CrossEntropy"])
    check_loss_and_grad(notebook, "BCE", "BCELoss", rng.uniform(0.05, 0.95, 10),
                        rng.integers(0, 2, 10).astype(float),
                        case=N_("10 probabilities and 0/1 targets"), hints=HINTS["BCE"])
    # torch.nn.BCELoss, the prototype, takes targets anywhere in [0, 1] and any shape
    check_loss_and_grad(notebook, "BCE", "BCELoss", rng.uniform(0.05, 0.95, (3, 2)),
                        rng.uniform(0, 1, (3, 2)),
                        case=N_("probabilities of shape (3, 2) and targets in [0, 1]"),
                        hints=HINTS["BCE"])
