"""Optimizers that update a module's parameters in place, like torch.optim."""

import numpy as np

from .base import Module, Optimizer

__all__ = ['SGD', 'Adam']


class SGD(Optimizer):
    """Stochastic gradient descent with momentum and weight decay (torch.optim.SGD)."""

    def __init__(
        self, module: Module, lr: float = 1e-2, momentum: float = 0.0, weight_decay: float = 0.0
    ):
        """
        :param module: neural network containing the parameters to optimize
        :param lr: learning rate
        :param momentum: momentum coefficient (alpha)
        :param weight_decay: weight decay (L2 penalty)
        """
        super().__init__(module)
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay

    def step(self) -> None:
        parameters = self.module.parameters()
        gradients = self.module.parameters_grad()
        if 'm' not in self.state:
            self.state['m'] = [np.zeros_like(param) for param in parameters]

        for param, grad, m in zip(parameters, gradients, self.state['m'], strict=True):
            # - update the momentum variable (m)
            # - update the parameter variable (param)
            # Hint: use np.add(..., out=m) for in-place addition: the original arrays must
            # change, not their copies.
            if self.weight_decay:
                g = grad + self.weight_decay * param
            else:
                g = grad
            m *= self.momentum
            m += g
            param -= self.lr * m


class Adam(Optimizer):
    """Adam with L2 weight decay added to the gradient (torch.optim.Adam)."""

    def __init__(
        self,
        module: Module,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        """
        :param module: neural network containing the parameters to optimize
        :param lr: learning rate
        :param betas: Adam beta1 and beta2
        :param eps: Adam eps
        :param weight_decay: weight decay (L2 penalty)
        """
        super().__init__(module)
        self.lr = lr
        self.beta1 = betas[0]
        self.beta2 = betas[1]
        self.eps = eps
        self.weight_decay = weight_decay

    def step(self) -> None:
        parameters = self.module.parameters()
        gradients = self.module.parameters_grad()
        if 'm' not in self.state:
            self.state['m'] = [np.zeros_like(param) for param in parameters]
            self.state['v'] = [np.zeros_like(param) for param in parameters]
            self.state['t'] = 0

        self.state['t'] += 1
        t = self.state['t']
        for param, grad, m, v in zip(
            parameters, gradients, self.state['m'], self.state['v'], strict=True
        ):
            # - update the first moment variable (m)
            # - update the second moment variable (v)
            # - update the parameter variable (param), with bias-corrected moments
            # Hint: use np.add(..., out=m) for in-place addition: the original arrays must
            # change, not their copies.
            g = grad + self.weight_decay * param if self.weight_decay else grad
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * np.square(g)
            corrected_m = m / (1.0 - self.beta1 ** t)
            corrected_v = v / (1.0 - self.beta2 ** t)
            param -= self.lr * corrected_m / (np.sqrt(corrected_v) + self.eps)
