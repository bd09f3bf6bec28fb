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
        return input * (input > 0)

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of an arbitrary size
        :param grad_output: array of the same size
        :return: array of the same size
        """
        positive = input > 0
        return grad_output * positive


class Sigmoid(Module):
    """Applies the element-wise sigmoid function: y = 1 / (1 + exp(-x))."""

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of an arbitrary size
        :return: array of the same size
        """
        # Hint: scipy.special.expit does not overflow for large |x|.
        return 0.5 * (1.0 + np.tanh(0.5 * input))

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of an arbitrary size
        :param grad_output: array of the same size
        :return: array of the same size
        """
        y = 0.5 * (1.0 + np.tanh(0.5 * input))
        return grad_output * y * (1 - y)


class Softmax(Module):
    """Applies the softmax operator over the last dimension."""

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, num_classes)
        :return: array of the same size
        """
        # Subtract the row maximum (or use scipy.special) so that logits like +-1000 do not
        # overflow: the self-check reports that as a finding, without taking points.
        z = np.exp(input - input.max(axis=-1, keepdims=True))
        z /= z.sum(axis=-1, keepdims=True)
        return z

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, num_classes)
        :param grad_output: array of the same size
        :return: array of the same size
        """
        # Do not build the (num_classes x num_classes) Jacobian for every object.
        y = self.compute_output(input)
        return y * (grad_output - np.einsum('...i,...i->...', grad_output, y)[..., None])


class LogSoftmax(Module):
    """Applies the log-softmax operator over the last dimension."""

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, num_classes)
        :return: array of the same size
        """
        # The logarithm of Softmax is numerically unstable: use x - logsumexp(x).
        return input - special.logsumexp(input, axis=-1, keepdims=True)

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, num_classes)
        :param grad_output: array of the same size
        :return: array of the same size
        """
        sm = np.exp(input - special.logsumexp(input, axis=-1, keepdims=True))
        return grad_output - sm * grad_output.sum(axis=-1, keepdims=True)
