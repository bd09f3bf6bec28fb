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
        # BEGIN SOLUTION
        return np.maximum(input, 0)
        # END SOLUTION

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of an arbitrary size
        :param grad_output: array of the same size
        :return: array of the same size
        """
        # BEGIN SOLUTION
        return grad_output * (input > 0)
        # END SOLUTION


class Sigmoid(Module):
    """Applies the element-wise sigmoid function: y = 1 / (1 + exp(-x))."""

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of an arbitrary size
        :return: array of the same size
        """
        # Hint: scipy.special.expit does not overflow for large |x|.
        # BEGIN SOLUTION
        return special.expit(input)
        # END SOLUTION

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of an arbitrary size
        :param grad_output: array of the same size
        :return: array of the same size
        """
        # BEGIN SOLUTION
        sigmoid = special.expit(input)
        return grad_output * sigmoid * (1 - sigmoid)
        # END SOLUTION


class Softmax(Module):
    """Applies the softmax operator over the last dimension."""

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, num_classes)
        :return: array of the same size
        """
        # Subtract the row maximum (or use scipy.special) so that logits like +-1000 do not
        # overflow: the self-check reports that as a finding, without taking points.
        # BEGIN SOLUTION
        return special.softmax(input, axis=-1)
        # END SOLUTION

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, num_classes)
        :param grad_output: array of the same size
        :return: array of the same size
        """
        # Do not build the (num_classes x num_classes) Jacobian for every object.
        # BEGIN SOLUTION
        softmax = special.softmax(input, axis=-1)
        return softmax * (grad_output - (grad_output * softmax).sum(axis=-1, keepdims=True))
        # END SOLUTION


class LogSoftmax(Module):
    """Applies the log-softmax operator over the last dimension."""

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, num_classes)
        :return: array of the same size
        """
        # The logarithm of Softmax is numerically unstable: use x - logsumexp(x).
        # BEGIN SOLUTION
        return special.log_softmax(input, axis=-1)
        # END SOLUTION

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of size (batch_size, num_classes)
        :param grad_output: array of the same size
        :return: array of the same size
        """
        # BEGIN SOLUTION
        softmax = special.softmax(input, axis=-1)
        return grad_output - softmax * grad_output.sum(axis=-1, keepdims=True)
        # END SOLUTION
