"""Hidden checks of modules.optimizers against torch.optim over several steps.

Only the optimizer is graded: its module is either one of your Linear layers used as a container
of parameters (the test sets weight, bias and their gradients) or the grader's known-good affine
probe, whose gradients the test sets in place through the probe's own backward pass, as a
training loop does."""

import pytest

from autograder.checks.torch_parity import check_parameter, optimizer_trajectory

STEPS = 5
SETTINGS = {
    "SGD": [{"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}, {"lr": 0.05},
            {"momentum": 0.5, "weight_decay": 0.1}],
    "Adam": [{}, {"lr": 0.1, "betas": (0.8, 0.9), "weight_decay": 0.01},
             {"lr": 0.01, "eps": 1e-3}],
}
HINTS = {
    "SGD": "torch.optim.SGD: g = grad + weight_decay * param; m = momentum * m + g (m starts at "
           "0, so m = g at the first step); param -= lr * m. The defaults are lr=1e-2, "
           "momentum=0, weight_decay=0. Keep m between steps (self.state) and update param in "
           "place.",
    "Adam": "torch.optim.Adam: g = grad + weight_decay * param; m = beta1 * m + (1 - beta1) * g; "
            "v = beta2 * v + (1 - beta2) * g ** 2; param -= lr * m_hat / (sqrt(v_hat) + eps) with "
            "m_hat = m / (1 - beta1 ** t), v_hat = v / (1 - beta2 ** t) and t = 1, 2, ... the "
            "number of steps so far. Keep m, v and t between steps and update param in place.",
}


def describe(name, kwargs):
    return f"{name}({', '.join(f'{k}={v}' for k, v in kwargs.items())})"


@pytest.mark.task("Optimizers")
@pytest.mark.parametrize("name", list(SETTINGS))
def test_optimizer_with_changing_gradients(student, rng, name):
    optimizers = student.module("modules.optimizers")
    features = 4
    for kwargs in SETTINGS[name]:
        scale, shift = rng.standard_normal(features), rng.standard_normal(features)
        probe = student.probe("affine", scale, shift)
        step = getattr(optimizers, name)(probe, **kwargs).step
        inputs = [rng.standard_normal((2, features)) for _ in range(STEPS)]
        grad_outputs = [rng.standard_normal((2, features)) for _ in range(STEPS)]
        grads = [[(g * x).sum(axis=0), g.sum(axis=0)]
                 for x, g in zip(inputs, grad_outputs, strict=True)]
        trajectory = optimizer_trajectory(name, [scale, shift], grads, **kwargs)
        previous = {"scale": scale, "shift": shift}
        for number, (x, g, expected) in enumerate(
                zip(inputs, grad_outputs, trajectory, strict=True), start=1):
            probe.zero_grad()
            probe.backward(x, g)  # the probe's known-good backward sets its gradients in place
            step()
            for attr, want in zip(("scale", "shift"), expected, strict=True):
                what = (f"{describe(name, kwargs)} on a module with parameters [scale, shift] of "
                        f"shape ({features},): {attr} after step #{number} (new gradients at "
                        "every step)")
                check_parameter(getattr(probe, attr), previous[attr], want, what,
                                against=f"torch.optim.{name}", hint=HINTS[name])
                previous[attr] = want


@pytest.mark.task("Optimizers")
def test_adam_first_steps_use_bias_correction(student, rng):
    layers = student.module("modules.layers")
    optimizers = student.module("modules.optimizers")
    module = layers.Linear(3, 2, bias=False)  # a single parameter
    weight, grad = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    module.weight, module.grad_weight = weight, grad
    kwargs = {"lr": 0.1, "betas": (0.9, 0.999)}
    step = optimizers.Adam(module, **kwargs).step
    previous = weight
    for number, (expected,) in enumerate(
            optimizer_trajectory("Adam", [weight], [[grad]] * 3, **kwargs), start=1):
        step()
        what = (f"Adam(lr=0.1) on Linear(3, 2, bias=False): weight after step #{number} with a "
                "constant gradient")
        check_parameter(module.weight, previous, expected, what, against="torch.optim.Adam",
                     hint="with bias correction every step of a constant gradient moves each "
                          "weight by almost exactly lr against the sign of its gradient. Divide "
                          "m by (1 - beta1 ** t) and v by (1 - beta2 ** t), with t = 1 at the "
                          "first step.")
        previous = expected


@pytest.mark.task("Optimizers")
def test_sgd_momentum_buffer_persists(student, rng):
    layers = student.module("modules.layers")
    optimizers = student.module("modules.optimizers")
    module = layers.Linear(2, 3)
    params = [rng.standard_normal((3, 2)), rng.standard_normal(3)]
    grads = [rng.standard_normal((3, 2)), rng.standard_normal(3)]
    module.weight, module.bias = params
    module.grad_weight, module.grad_bias = grads
    kwargs = {"lr": 0.1, "momentum": 0.9}
    step = optimizers.SGD(module, **kwargs).step
    previous = list(params)
    for number, expected in enumerate(
            optimizer_trajectory("SGD", params, [grads] * 4, **kwargs), start=1):
        step()
        for k, (attr, want) in enumerate(zip(("weight", "bias"), expected, strict=True)):
            what = (f"SGD(lr=0.1, momentum=0.9) on Linear(2, 3): {attr} after step #{number} "
                    "with a constant gradient")
            check_parameter(getattr(module, attr), previous[k], want, what,
                            against="torch.optim.SGD",
                         hint="with momentum the steps grow: m = 0.9 * m + grad, param -= lr * m;"
                              " keep one buffer m per parameter in self.state between steps.")
            previous[k] = want
