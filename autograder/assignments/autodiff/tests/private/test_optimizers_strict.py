"""Hidden checks of modules.optimizers against torch.optim over several steps, on other parameter
shapes, settings and gradients than the public test.

Every step is a step of the course's training loop (zero_grad, forward, backward, step) on the
grader's known-good affine probe (y = x * scale + shift, parameters [scale, shift]), so that only
the optimizer is graded and every step() reads fresh gradients, as in training."""

import pytest

from autograder import N_, config
from autograder.testing import in_context
from autograder.testing.torch_parity import (
    affine_grads,
    check_parameter,
    optimizer_trajectory,
    scheduled_trajectory,
    training_step,
)
from autograder.interfaces.torch_modules import affine_modules

SPEC = config.load_for(__file__)
FEATURES = 4
STEPS = 5
SETTINGS = {
    "SGD": [{"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}, {"lr": 0.05},
            {"momentum": 0.5, "weight_decay": 0.1}],
    "Adam": [{}, {"lr": 0.1, "betas": (0.8, 0.9), "weight_decay": 0.01},
             {"lr": 0.01, "eps": 1e-3}],
}
HINTS = {
    "SGD": N_("torch.optim.SGD: g = grad + weight_decay * param; m = momentum * m + g (m starts at "
              "0, so m = g at the first step); param -= lr * m. The defaults are lr=1e-2, "
              "momentum=0, weight_decay=0. Keep m between steps (self.state) and update param in "
              "place."),
    "Adam": N_("torch.optim.Adam: g = grad + weight_decay * param; m = beta1 * m + (1 - beta1) * g; "
               "v = beta2 * v + (1 - beta2) * g ** 2; param -= lr * m_hat / (sqrt(v_hat) + eps) with "
               "m_hat = m / (1 - beta1 ** t), v_hat = v / (1 - beta2 ** t) and t = 1, 2, ... the "
               "number of steps so far. Keep m, v and t between steps and update param in place."),
}
# The course, section 7: "The PyTorch documentation gives the pseudocode of the algorithms; we
# recommend reading it." Its training loop never changes the learning rate between steps.
PSEUDOCODE = (N_("The PyTorch documentation gives the pseudocode of the algorithms; we recommend "
                 "reading it."))


def describe(name, kwargs):
    return f"{name}({', '.join(f'{k}={v}' for k, v in kwargs.items())})"


def run_loop(student, rng, name, kwargs, batches, lrs=None):
    """Train an affine probe with the student's optimizer, one training-loop step per batch
    (setting `optimizer.lr` before each step when `lrs` is given), checking the parameters
    against torch after every step."""
    __tracebackhide__ = True
    optimizers = student.module("modules.optimizers")
    shape = batches[0][0].shape[1:]
    scale, shift = rng.standard_normal(shape), rng.standard_normal(shape)
    [probe] = affine_modules(student, SPEC.package, [(scale, shift)])
    optimizer = getattr(optimizers, name)(probe, **kwargs)
    grads = [affine_grads(x, g) for x, g in batches]
    if lrs is None:
        trajectory = optimizer_trajectory(name, [scale, shift], grads, **kwargs)
    else:
        trajectory = scheduled_trajectory(name, [scale, shift], grads, lrs, **kwargs)
    previous = {"scale": scale, "shift": shift}
    for number, ((x, g), expected) in enumerate(zip(batches, trajectory, strict=True), start=1):
        if lrs is not None:
            optimizer.lr = lrs[number - 1]
        training_step(optimizer, probe, x, g)
        for attr, want in zip(("scale", "shift"), expected, strict=True):
            optimizer_name, shape = describe(name, kwargs), scale.shape
            what = N_(f"{optimizer_name} on a module with parameters [scale, shift] of shape {shape}: "
                      f"{attr} after step #{number} of a training loop")
            if lrs:
                what = in_context(what, N_(f"lr set to {lrs[number - 1]} before this step"))
            check_parameter(getattr(probe, attr), previous[attr], want, what,
                            against=N_(f"torch.optim.{name}"), hint=HINTS[name])
            previous[attr] = want


@pytest.mark.task("Optimizers")
@pytest.mark.extends("test_optimizers")
@pytest.mark.parametrize("name", list(SETTINGS))
def test_optimizer_with_changing_gradients(student, rng, name):
    for kwargs in SETTINGS[name]:
        batches = [(rng.standard_normal((2, FEATURES)), rng.standard_normal((2, FEATURES)))
                   for _ in range(STEPS)]
        run_loop(student, rng, name, kwargs, batches)


@pytest.mark.task("Optimizers")
@pytest.mark.extends("test_optimizers")
@pytest.mark.parametrize("name", list(SETTINGS))
def test_optimizer_with_a_constant_gradient(student, rng, name):
    """The same batch at every step: Adam's bias correction makes each step move every parameter
    by about lr; SGD's momentum makes the steps grow, so its buffer must persist between steps."""
    kwargs = {"lr": 0.1, "momentum": 0.9} if name == "SGD" else {"lr": 0.1, "betas": (0.9, 0.999)}
    batch = (rng.standard_normal((3, 2, 3)), rng.standard_normal((3, 2, 3)))
    run_loop(student, rng, name, kwargs, [batch] * 4)


@pytest.mark.task("Optimizers")
@pytest.mark.robustness(advice=PSEUDOCODE)
def test_sgd_momentum_follows_torch_under_a_learning_rate_schedule(student, rng):
    """torch keeps the learning rate out of the momentum buffer (m = momentum * m + g; param -=
    lr * m). Folding lr into the buffer (m = momentum * m + lr * g; param -= m) gives the same
    steps while lr stays constant, as in the course's training loop, and differs only when lr
    changes between steps: a probe beyond the course."""
    batches = [(rng.standard_normal((2, FEATURES)), rng.standard_normal((2, FEATURES)))
               for _ in range(4)]
    run_loop(student, rng, "SGD", {"lr": 0.1, "momentum": 0.9}, batches,
             lrs=[0.1, 0.1, 0.01, 0.001])
