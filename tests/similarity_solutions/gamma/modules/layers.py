"""Layers with parameters or train/eval behaviour, and the Sequential container."""

import numpy as np

from .base import Module

__all__ = ['Linear', 'BatchNormalization', 'Dropout', 'Sequential']


class Linear(Module):
    """Applies a linear (affine) transformation of the data: y = x W^T + b."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        """
        :param in_features: input vector features
        :param out_features: output vector features
        :param bias: whether to use an additive bias
        """
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = np.random.uniform(-1, 1, (out_features, in_features)) / np.sqrt(in_features)
        self.bias = np.random.uniform(-1, 1, out_features) / np.sqrt(in_features) if bias else None

        self.grad_weight = np.zeros_like(self.weight)
        self.grad_bias = np.zeros_like(self.bias) if bias else None

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of shape (batch_size, in_features)
        :return: array of shape (batch_size, out_features)
        """
        y = input.dot(self.weight.T)
        if self.bias is None:
            return y
        return y + self.bias.reshape(1, -1)

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of shape (batch_size, in_features)
        :param grad_output: array of shape (batch_size, out_features)
        :return: array of shape (batch_size, in_features)
        """
        return grad_output.dot(self.weight)

    def update_grad_parameters(self, input: np.ndarray, grad_output: np.ndarray) -> None:
        """
        :param input: array of shape (batch_size, in_features)
        :param grad_output: array of shape (batch_size, out_features)
        """
        # Add to the gradients (+=), do not overwrite them: they accumulate until zero_grad.
        for k in range(input.shape[0]):
            self.grad_weight += np.outer(grad_output[k], input[k])
        if self.bias is not None:
            self.grad_bias += np.add.reduce(grad_output, axis=0)

    def zero_grad(self) -> None:
        self.grad_weight.fill(0)
        if self.bias is not None:
            self.grad_bias.fill(0)

    def parameters(self) -> list[np.ndarray]:
        if self.bias is not None:
            return [self.weight, self.bias]

        return [self.weight]

    def parameters_grad(self) -> list[np.ndarray]:
        if self.bias is not None:
            return [self.grad_weight, self.grad_bias]

        return [self.grad_weight]

    def __repr__(self) -> str:
        out_features, in_features = self.weight.shape
        return (
            f'Linear(in_features={in_features}, out_features={out_features}, '
            f'bias={self.bias is not None})'
        )


class BatchNormalization(Module):
    """Applies batch normalization over the batch axis, like torch.nn.BatchNorm1d."""

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True
    ):
        """
        :param num_features: number of input features (N)
        :param eps: value added to the variance for numerical stability
        :param momentum: weight of the current batch in the running statistics
        :param affine: whether to use trainable affine parameters
        """
        super().__init__()
        self.eps = eps
        self.momentum = momentum
        self.affine = affine

        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)

        self.weight = np.ones(num_features) if affine else None
        self.bias = np.zeros(num_features) if affine else None

        self.grad_weight = np.zeros_like(self.weight) if affine else None
        self.grad_bias = np.zeros_like(self.bias) if affine else None

        # store these values during the forward pass and re-use them during the backward pass
        self.mean = None
        self.input_mean = None  # input - mean
        self.var = None
        self.sqrt_var = None
        self.inv_sqrt_var = None
        self.norm_input = None

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of shape (batch_size, num_features)
        :return: array of shape (batch_size, num_features)
        """
        # Train mode: normalise with the biased batch variance, but update running_var with
        # the unbiased one (multiply by B / (B - 1)). Eval mode: use the running statistics.
        mean, var = (input.mean(axis=0), input.var(axis=0)) if self.training else (self.running_mean, self.running_var)
        if self.training:
            m = input.shape[0]
            unbiased = var * m / (m - 1)
            self.running_mean = self.running_mean + self.momentum * (mean - self.running_mean)
            self.running_var = self.running_var + self.momentum * (unbiased - self.running_var)
        self.cache = (input - mean, 1 / np.sqrt(var + self.eps))
        xc, istd = self.cache
        normed = xc * istd
        self.normed = normed
        if not self.affine:
            return normed
        return self.weight * normed + self.bias

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of shape (batch_size, num_features)
        :param grad_output: array of shape (batch_size, num_features)
        :return: array of shape (batch_size, num_features)
        """
        # In train mode the batch statistics depend on the input too; in eval mode the
        # normalisation is a fixed affine map.
        xc, istd = self.cache
        dn = grad_output * (self.weight if self.affine else 1.0)
        if not self.training:
            return dn * istd
        m = input.shape[0]
        dvar = np.sum(dn * xc, axis=0) * -0.5 * istd ** 3
        dmean = -np.sum(dn * istd, axis=0) - 2.0 * dvar * np.mean(xc, axis=0)
        return dn * istd + dvar * 2.0 * xc / m + dmean / m

    def update_grad_parameters(self, input: np.ndarray, grad_output: np.ndarray) -> None:
        """
        :param input: array of shape (batch_size, num_features)
        :param grad_output: array of shape (batch_size, num_features)
        """
        if self.affine:
            self.grad_weight += np.einsum('ij,ij->j', grad_output, self.normed)
            self.grad_bias += np.einsum('ij->j', grad_output)

    def zero_grad(self) -> None:
        if self.affine:
            self.grad_weight.fill(0)
            self.grad_bias.fill(0)

    def parameters(self) -> list[np.ndarray]:
        return [self.weight, self.bias] if self.affine else []

    def parameters_grad(self) -> list[np.ndarray]:
        return [self.grad_weight, self.grad_bias] if self.affine else []

    def __repr__(self) -> str:
        return (
            f'BatchNormalization(num_features={len(self.running_mean)}, '
            f'eps={self.eps}, momentum={self.momentum}, affine={self.affine})'
        )


class Dropout(Module):
    """Zeroes each input entry with probability p in train mode and rescales the rest."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        assert 0 <= p < 1
        self.p = p
        self.mask = None

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of an arbitrary size
        :return: array of the same size
        """
        # Draw a new mask on every forward pass in train mode and keep it for backward.
        if self.training:
            self.mask = (np.random.random(input.shape) >= self.p).astype(float)
            return self.mask * input / (1.0 - self.p)
        else:
            return input

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of an arbitrary size
        :param grad_output: array of the same size
        :return: array of the same size
        """
        if self.training:
            return self.mask * grad_output / (1.0 - self.p)
        else:
            return grad_output

    def __repr__(self) -> str:
        return f'Dropout(p={self.p})'


class Sequential(Module):
    """Container that applies its modules one after another."""

    def __init__(self, *args: Module):
        super().__init__()
        self.modules = list(args)

    def compute_output(self, input: np.ndarray) -> np.ndarray:
        """
        :param input: array of size matching the input size of the first layer
        :return: array of size matching the output size of the last layer
        """
        # Call each module (module(x) runs forward, which stores module.output).
        # A loop over the modules is allowed here.
        result = input
        for i in range(len(self.modules)):
            result = self.modules[i](result)
        return result

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of size matching the input size of the first layer
        :param grad_output: array of size matching the output size of the last layer
        :return: array of size matching the input size of the first layer
        """
        # Go backwards: the input of module i is the output of module i - 1 (or `input`).
        layer_inputs = [input]
        for module in self.modules[:-1]:
            layer_inputs.append(module.output)
        grad = grad_output
        while layer_inputs:
            grad = self.modules[len(layer_inputs) - 1].backward(layer_inputs.pop(), grad)
        return grad

    def __getitem__(self, item: int) -> Module:
        return self.modules[item]

    def train(self) -> None:
        for module in self.modules:
            module.train()

    def eval(self) -> None:
        for module in self.modules:
            module.eval()

    def zero_grad(self) -> None:
        for module in self.modules:
            module.zero_grad()

    def parameters(self) -> list[np.ndarray]:
        return [parameter for module in self.modules for parameter in module.parameters()]

    def parameters_grad(self) -> list[np.ndarray]:
        return [grad for module in self.modules for grad in module.parameters_grad()]

    def __repr__(self) -> str:
        repr_str = 'Sequential(\n'
        for module in self.modules:
            repr_str += ' ' * 4 + repr(module) + '\n'
        repr_str += ')'
        return repr_str
