"""Part 3 on other MNIST digits than the public test: your Network and DenseLayer, trained by the
course's given Network.fit with the grader's softmax cross-entropy loss (so that only part 3's
code is graded), must raise the accuracy on digits the grader holds back, as in the course."""

import pytest

from autograder import N_
from autograder.interfaces.jacobian import check_fit_raises_held_out_accuracy

TASK = "Parameter gradients and training"


@pytest.mark.task(TASK)
@pytest.mark.extends("test_fit_on_mnist_raises_held_out_accuracy")
def test_fit_on_other_mnist_digits_raises_held_out_accuracy(student):
    check_fit_raises_held_out_accuracy(student, slice(1600, 3200), slice(8000, 9000))
