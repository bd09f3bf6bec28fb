"""modules.optimizers against torch.optim: SGD (momentum, weight decay) and Adam (betas, weight
decay), as in the course's test_optimizers.

The optimizer is driven the way the course's training loop drives it: at every step
`optimizer.zero_grad()`, a forward pass, a backward pass (which stores fresh gradients), then
`optimizer.step()`. Only the optimizer is graded here: the module is the grader's known-good affine
probe (y = x * scale + shift, parameters [scale, shift]), so a bug in one of your layers costs that
layer's task, not this one.
"""

import pytest

from autograder import N_, config
from autograder.testing.torch_parity import (
    affine_grads,
    check_parameter,
    optimizer_trajectory,
    training_step,
)
from autograder.interfaces.torch_modules import affine_modules

SPEC = config.load_for(__file__)
SHAPE = (8, 4)  # every parameter is a matrix, like a Linear weight
BATCH = 16
STEPS = 3
LRS_AND_WDS = [(1e-3, 0.0), (1e-2, 1e-3), (1e-1, 1e-2)]
SETTINGS = {
    "SGD": [{"lr": lr, "momentum": momentum, "weight_decay": wd}
            for lr, wd in LRS_AND_WDS for momentum in (0.0, 0.5, 0.9)],
    "Adam": [{"lr": lr, "betas": betas, "weight_decay": wd}
             for lr, wd in LRS_AND_WDS for betas in ((0.9, 0.999), (0.8, 0.888), (0.7, 0.777))],
}
HINTS = {
    "SGD": N_("with g = grad + weight_decay * param: m = momentum * m + g (m starts at 0 and is kept "
              "between steps in self.state), then param -= lr * m. Update the arrays in place "
              "(np.add(..., out=param) or param -= ...): the module must see the new values."),
    "Adam": N_("with g = grad + weight_decay * param and t counting steps from 1: m = beta1 * m + "
               "(1 - beta1) * g, v = beta2 * v + (1 - beta2) * g ** 2, m_hat = m / (1 - beta1 ** t),"
               " v_hat = v / (1 - beta2 ** t), param -= lr * m_hat / (sqrt(v_hat) + eps); keep m, v "
               "and t between steps and update the arrays in place."),
}


def describe(name, kwargs):
    return f"{name}({', '.join(f'{k}={v}' for k, v in kwargs.items())})"


@pytest.mark.task("Optimizers")
@pytest.mark.parametrize("name", list(SETTINGS))
def test_optimizers(student, rng, name):
    optimizers = student.module("modules.optimizers")
    for kwargs in SETTINGS[name]:
        scale, shift = rng.standard_normal(SHAPE), rng.standard_normal(SHAPE)
        [probe] = affine_modules(student, SPEC.package, [(scale, shift)])
        optimizer = getattr(optimizers, name)(probe, **kwargs)
        batches = [(rng.standard_normal((BATCH,) + SHAPE), rng.standard_normal((BATCH,) + SHAPE))
                   for _ in range(STEPS)]
        trajectory = optimizer_trajectory(name, [scale, shift],
                                          [affine_grads(x, g) for x, g in batches], **kwargs)
        previous = {"scale": scale, "shift": shift}
        for number, ((x, g), expected) in enumerate(zip(batches, trajectory, strict=True),
                                                    start=1):
            training_step(optimizer, probe, x, g)
            for attr, want in zip(("scale", "shift"), expected, strict=True):
                what = (N_(f"{describe(name, kwargs)} on a module with parameters [scale, shift] of "
                           f"shape {SHAPE}: {attr} after step #{number} of a training loop "
                           "(zero_grad, forward, backward, step)"))
                check_parameter(getattr(probe, attr), previous[attr], want, what,
                                against=N_(f"torch.optim.{name}"), hint=HINTS[name])
                previous[attr] = want
