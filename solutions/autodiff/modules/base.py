"""Base classes of the framework: modules (layers), criterions (losses) and optimizers.

This file is given to students as is. The interface copies PyTorch, so that writing the
subclasses shows how `torch.nn` and `torch.optim` work inside.
"""

from abc import ABC, abstractmethod

import numpy as np


class Module(ABC):
    """Base class of all neural network modules.

    A module is a function y = f(x, w) of its input x and its trainable parameters w.
    The forward pass computes y and keeps it in `self.output`, so that the next module's
    backward pass can be given its input. The backward pass receives x and dl/dy, returns
    dl/dx and adds dl/dw to the parameter gradients.
    """

    def __init__(self):
        self.output = None
        self.training = True

    @abstractmethod
    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """Compute the output of the forward pass, y = f(x).

        :param input: module input (x)
        :return: module output (y)
        """
        raise NotImplementedError

    @abstractmethod
    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """Compute the gradient of the loss w.r.t. the input, dl/dx = dl/dy * dy/dx.

        :param input: module input (x)
        :param grad_output: gradient of the loss w.r.t. the output (dl/dy)
        :return: gradient of the loss w.r.t. the input (dl/dx)
        """
        raise NotImplementedError

    def update_grad_parameters(  # noqa: B027 (a hook: modules without parameters skip it)
        self, input: np.ndarray, grad_output: np.ndarray
    ) -> None:
        """Add the gradient of the loss w.r.t. the parameters, dl/dw = dl/dy * dy/dw.

        Gradients accumulate over backward passes until `zero_grad` is called, as in PyTorch.
        Modules without parameters have nothing to do here.

        :param input: module input (x)
        :param grad_output: gradient of the loss w.r.t. the output (dl/dy)
        """
        pass

    def __call__(self, input: np.ndarray) -> np.ndarray:
        """Alias for `forward`, so that a module is called like a function."""
        return self.forward(input)

    def forward(self, input: np.ndarray) -> np.ndarray:
        """Forward pass: compute the output and keep it for the backward pass.

        :param input: module input
        :return: module output
        """
        self.output = self.compute_output(input)
        return self.output

    def backward(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """Backward pass: accumulate the parameter gradients and return dl/dx.

        :param input: module input
        :param grad_output: gradient of the loss w.r.t. the output
        :return: gradient of the loss w.r.t. the input
        """
        grad_input = self.compute_grad_input(input, grad_output)
        self.update_grad_parameters(input, grad_output)
        return grad_input

    def train(self) -> None:
        """Switch the module to training mode (matters for BatchNormalization, Dropout)."""
        self.training = True

    def eval(self) -> None:
        """Switch the module to evaluation mode."""
        self.training = False

    def zero_grad(self) -> None:  # noqa: B027 (a hook: modules without parameters skip it)
        """Set the parameter gradients to zero; modules without parameters have none."""
        pass

    def parameters(self) -> list[np.ndarray]:
        """Return the trainable parameters (the module's own arrays, not copies)."""
        return []

    def parameters_grad(self) -> list[np.ndarray]:
        """Return the gradients of the parameters, in the order of `parameters()`."""
        return []

    def __repr__(self) -> str:
        """Representation for printing."""
        return f'{self.__class__.__name__}()'


class Criterion(ABC):
    """Base class of all criterions (loss functions).

    A criterion is the sink of the computational graph: its backward pass starts the
    backward pass of the network, so it takes the predictions and the targets instead of
    an output gradient.
    """

    def __init__(self):
        self.output = None

    @abstractmethod
    def compute_output(self, input: np.ndarray, target: np.ndarray) -> float:
        """Compute the loss value l(f, y).

        :param input: neural network predictions (f)
        :param target: ground truth targets (y)
        :return: loss value
        """
        raise NotImplementedError

    @abstractmethod
    def compute_grad_input(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Compute the gradient of the loss w.r.t. the predictions, dl/df.

        :param input: neural network predictions (f)
        :param target: ground truth targets (y)
        :return: gradient of the loss w.r.t. the predictions (dl/df)
        """
        raise NotImplementedError

    def __call__(self, input: np.ndarray, target: np.ndarray) -> float:
        """Alias for `forward`."""
        return self.forward(input, target)

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        """Compute the loss value and keep it in `self.output`.

        :param input: neural network predictions
        :param target: ground truth targets
        :return: loss value
        """
        self.output = self.compute_output(input, target)
        return self.output

    def backward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Return the gradient of the loss w.r.t. the predictions.

        :param input: neural network predictions
        :param target: ground truth targets
        :return: gradient of the loss w.r.t. the predictions
        """
        grad_input = self.compute_grad_input(input, target)
        return grad_input

    def __repr__(self) -> str:
        """Representation for printing."""
        return f'{self.__class__.__name__}()'


class Optimizer(ABC):
    """Base class of all optimizers.

    An optimizer updates the module's parameters in place from their stored gradients.
    """

    def __init__(self, module: Module):
        """
        :param module: neural network containing the parameters to optimize
        """
        self.module = module
        self.state = {}  # the optimizer's state between steps (e.g. momentum buffers)

    def zero_grad(self) -> None:
        """Set the module's gradients to zero."""
        self.module.zero_grad()

    @abstractmethod
    def step(self) -> None:
        """Make one optimization step."""
        raise NotImplementedError
