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
        return np.where(input > 0, input, 0.0)

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of an arbitrary size
        :param grad_output: array of the same size
        :return: array of the same size
        """
        return np.where(input > 0, grad_output, 0.0)


class Sigmoid(Module):
    """Applies the element-wise sigmoid function: y = 1 / (1 + exp(-x))."""

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of an arbitrary size
        :return: array of the same size
        """
        # Hint: scipy.special.expit does not overflow for large |x|.
        out = np.empty_like(input, dtype=float)
        pos = input >= 0
        out[pos] = 1.0 / (1.0 + np.exp(-input[pos]))
        e = np.exp(input[~pos])
        out[~pos] = e / (1.0 + e)
        return out

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of an arbitrary size
        :param grad_output: array of the same size
        :return: array of the same size
        """
        s = self.compute_output(input)
        return grad_output * s * (1.0 - s)


class Softmax(Module):
    """Applies the softmax operator over the last dimension."""

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, num_classes)
        :return: array of the same size
        """
        # Subtract the row maximum (or use scipy.special) so that logits like +-1000 do not
        # overflow: the self-check reports that as a finding, without taking points.
        shifted = input - np.max(input, axis=-1, keepdims=True)
        e = np.exp(shifted)
        return e / np.sum(e, axis=-1, keepdims=True)

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, num_classes)
        :param grad_output: array of the same size
        :return: array of the same size
        """
        # Do not build the (num_classes x num_classes) Jacobian for every object.
        s = self.compute_output(input)
        dot = np.sum(grad_output * s, axis=-1, keepdims=True)
        return s * grad_output - s * dot


class LogSoftmax(Module):
    """Applies the log-softmax operator over the last dimension."""

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, num_classes)
        :return: array of the same size
        """
        # The logarithm of Softmax is numerically unstable: use x - logsumexp(x).
        shifted = input - np.max(input, axis=-1, keepdims=True)
        return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, num_classes)
        :param grad_output: array of the same size
        :return: array of the same size
        """
        probs = np.exp(self.compute_output(input))
        return grad_output - probs * np.sum(grad_output, axis=-1, keepdims=True)
