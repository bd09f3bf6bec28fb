"""Loss functions: the sinks of the computational graph."""

import numpy as np
from scipy import special

from .activations import LogSoftmax
from .base import Criterion

__all__ = ['MSELoss', 'CrossEntropyLoss']


class MSELoss(Criterion):
    """Mean squared error over all entries: l = sum((f - y)^2) / (B * N)."""

    def compute_output(self, input: np.ndarray, target: np.ndarray) -> float:
        """
        :param input: array of size (batch_size, *)
        :param target: array of size (batch_size, *)
        :return: loss value
        """
        assert input.shape == target.shape, 'input and target shapes not matching'
        return ((input - target) ** 2).sum() / input.size

    def compute_grad_input(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, *)
        :param target: array of size (batch_size, *)
        :return: array of size (batch_size, *)
        """
        assert input.shape == target.shape, 'input and target shapes not matching'
        count = input.size
        return (input - target) * 2 / count


class CrossEntropyLoss(Criterion):
    """Cross-entropy over class logits, averaged over the batch."""

    def __init__(self):
        super().__init__()
        self.log_softmax = LogSoftmax()

    def compute_output(self, input: np.ndarray, target: np.ndarray) -> float:
        """
        :param input: logits array of size (batch_size, num_classes)
        :param target: labels array of size (batch_size, )
        :return: loss value
        """
        # Use self.log_softmax: log(softmax(x)) is numerically unstable.
        lsm = self.log_softmax(input)
        total = 0.0
        for row, label in enumerate(target):
            total -= lsm[row, label]
        return total / len(target)

    def compute_grad_input(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        """
        :param input: logits array of size (batch_size, num_classes)
        :param target: labels array of size (batch_size, )
        :return: array of size (batch_size, num_classes)
        """
        p = special.softmax(input, axis=1)
        p[np.arange(len(target)), target] -= 1
        return p / len(target)
