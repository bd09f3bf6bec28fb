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
        return np.square(input - target).mean()

    def compute_grad_input(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, *)
        :param target: array of size (batch_size, *)
        :return: array of size (batch_size, *)
        """
        assert input.shape == target.shape, 'input and target shapes not matching'
        n = input.size
        return 2 / n * (input - target)


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
        log_p = self.log_softmax(input)
        picked = np.take_along_axis(log_p, target.reshape(-1, 1).astype(int), axis=1)
        return -picked.mean()

    def compute_grad_input(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        """
        :param input: logits array of size (batch_size, num_classes)
        :param target: labels array of size (batch_size, )
        :return: array of size (batch_size, num_classes)
        """
        grad = np.zeros(input.shape)
        rows = np.arange(len(input))
        grad[rows, target] = -1.0 / len(input)
        return self.log_softmax.backward(input, grad)
