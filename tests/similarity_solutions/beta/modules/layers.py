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
        out = np.matmul(input, np.transpose(self.weight))
        return out if self.bias is None else out + self.bias

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of shape (batch_size, in_features)
        :param grad_output: array of shape (batch_size, out_features)
        :return: array of shape (batch_size, in_features)
        """
        return np.matmul(grad_output, self.weight)

    def update_grad_parameters(self, input: np.ndarray, grad_output: np.ndarray) -> None:
        """
        :param input: array of shape (batch_size, in_features)
        :param grad_output: array of shape (batch_size, out_features)
        """
        # Add to the gradients (+=), do not overwrite them: they accumulate until zero_grad.
        self.grad_weight += np.einsum('bo,bi->oi', grad_output, input)
        if self.bias is not None:
            self.grad_bias += grad_output.sum(0)

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
        if not self.training:
            self.std = np.sqrt(self.running_var + self.eps)
            self.x_hat = (input - self.running_mean) / self.std
        else:
            batch = len(input)
            batch_mean = input.mean(0)
            batch_var = ((input - batch_mean) ** 2).mean(0)
            self.std = np.sqrt(batch_var + self.eps)
            self.x_hat = (input - batch_mean) / self.std
            self.running_mean *= 1 - self.momentum
            self.running_mean += self.momentum * batch_mean
            self.running_var *= 1 - self.momentum
            self.running_var += self.momentum * batch_var * (batch / (batch - 1.0))
        return self.x_hat * self.weight + self.bias if self.affine else self.x_hat

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of shape (batch_size, num_features)
        :param grad_output: array of shape (batch_size, num_features)
        :return: array of shape (batch_size, num_features)
        """
        # In train mode the batch statistics depend on the input too; in eval mode the
        # normalisation is a fixed affine map.
        g = grad_output * self.weight if self.affine else grad_output
        if self.training:
            g_mean = g.mean(0)
            gx_mean = (g * self.x_hat).mean(0)
            return (g - g_mean - self.x_hat * gx_mean) / self.std
        return g / self.std

    def update_grad_parameters(self, input: np.ndarray, grad_output: np.ndarray) -> None:
        """
        :param input: array of shape (batch_size, num_features)
        :param grad_output: array of shape (batch_size, num_features)
        """
        if self.affine:
            self.grad_bias += grad_output.sum(0)
            self.grad_weight += (self.x_hat * grad_output).sum(0)

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
        if not self.training:
            return input
        self.mask = np.random.binomial(1, 1.0 - self.p, size=input.shape)
        scale = 1.0 / (1.0 - self.p)
        return input * self.mask * scale

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of an arbitrary size
        :param grad_output: array of the same size
        :return: array of the same size
        """
        if not self.training:
            return grad_output
        scale = 1.0 / (1.0 - self.p)
        return grad_output * self.mask * scale

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
        self.inputs = []
        for module in self.modules:
            self.inputs.append(input)
            input = module(input)
        return input

    def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        """
        :param input: array of size matching the input size of the first layer
        :param grad_output: array of size matching the output size of the last layer
        :return: array of size matching the input size of the first layer
        """
        # Go backwards: the input of module i is the output of module i - 1 (or `input`).
        inputs = [input] + [m.output for m in self.modules[:-1]]
        for idx in range(len(self.modules) - 1, -1, -1):
            grad_output = self.modules[idx].backward(inputs[idx], grad_output)
        return grad_output

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
