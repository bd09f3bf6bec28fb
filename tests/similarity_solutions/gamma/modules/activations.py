"""Element-wise activations and the softmax family (over the last axis)."""

import numpy as np
from scipy import special

from .base import Module

__all__ = ['ReLU', 'Sigmoid', 'Softmax', 'LogSoftmax']


class ReLU(Module):
    """Applies the element-wise ReLU function: y = max(x, 0)."""

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of an arbitrary size
        :return: array of the same size
        """
        return input.clip(min=0)

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of an arbitrary size
        :param grad_output: array of the same size
        :return: array of the same size
        """
        d = grad_output.copy()
        d[input <= 0] = 0
        return d


class Sigmoid(Module):
    """Applies the element-wise sigmoid function: y = 1 / (1 + exp(-x))."""

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of an arbitrary size
        :return: array of the same size
        """
        # Hint: scipy.special.expit does not overflow for large |x|.
        return special.expit(input)

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of an arbitrary size
        :param grad_output: array of the same size
        :return: array of the same size
        """
        s = special.expit(input)
        return grad_output * (s - s * s)


class Softmax(Module):
    """Applies the softmax operator over the last dimension."""

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, num_classes)
        :return: array of the same size
        """
        # Subtract the row maximum (or use scipy.special) so that logits like +-1000 do not
        # overflow: the self-check reports that as a finding, without taking points.
        m = np.amax(input, axis=-1, keepdims=True)
        ex = np.exp(input - m)
        total = np.add.reduce(ex, axis=-1, keepdims=True)
        return ex / total

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, num_classes)
        :param grad_output: array of the same size
        :return: array of the same size
        """
        # Do not build the (num_classes x num_classes) Jacobian for every object.
        p = special.softmax(input, axis=-1)
        inner = (p * grad_output).sum(-1)[..., np.newaxis]
        return p * (grad_output - inner)


class LogSoftmax(Module):
    """Applies the log-softmax operator over the last dimension."""

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, num_classes)
        :return: array of the same size
        """
        # The logarithm of Softmax is numerically unstable: use x - logsumexp(x).
        m = np.amax(input, axis=-1, keepdims=True)
        lse = m + np.log(np.exp(input - m).sum(axis=-1, keepdims=True))
        return input - lse

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, num_classes)
        :param grad_output: array of the same size
        :return: array of the same size
        """
        p = special.softmax(input, axis=-1)
        total = grad_output.sum(-1)[..., np.newaxis]
        return grad_output - p * total
