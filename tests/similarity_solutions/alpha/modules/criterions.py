"""Loss functions: the sinks of the computational graph."""

import numpy as np

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
        diff = input - target
        return float(np.sum(diff * diff) / diff.size)

    def compute_grad_input(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, *)
        :param target: array of size (batch_size, *)
        :return: array of size (batch_size, *)
        """
        assert input.shape == target.shape, 'input and target shapes not matching'
        return (input - target) * (2.0 / np.prod(input.shape))


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
        n = input.shape[0]
        logp = self.log_softmax.compute_output(input)
        return float(-np.sum(logp[np.arange(n), target]) / n)

    def compute_grad_input(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        """
        :param input: logits array of size (batch_size, num_classes)
        :param target: labels array of size (batch_size, )
        :return: array of size (batch_size, num_classes)
        """
        n = input.shape[0]
        onehot = np.zeros_like(input)
        onehot[np.arange(n), target] = 1.0
        probs = np.exp(self.log_softmax.compute_output(input))
        return (probs - onehot) / n
