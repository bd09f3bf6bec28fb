"""modules.optimizers against torch.optim: SGD (momentum, weight decay) and Adam (betas, weight
decay), as in the course's test_optimizers.

Only the optimizer is graded here: a Linear layer of yours serves as a container of parameters
(its __init__ and parameters() come with the template), the test sets its weights and gradients,
and step() must update the weights in place exactly as torch.optim does.
"""

import pytest

from autograder.checks.torch_parity import check_parameter, optimizer_trajectory

IN_FEATURES, OUT_FEATURES = 64, 128
STEPS = 3
LRS_AND_WDS = [(1e-3, 0.0), (1e-2, 1e-3), (1e-1, 1e-2)]
SETTINGS = {
    "SGD": [{"lr": lr, "momentum": momentum, "weight_decay": wd}
            for lr, wd in LRS_AND_WDS for momentum in (0.0, 0.5, 0.9)],
    "Adam": [{"lr": lr, "betas": betas, "weight_decay": wd}
             for lr, wd in LRS_AND_WDS for betas in ((0.9, 0.999), (0.8, 0.888), (0.7, 0.777))],
}
HINTS = {
    "SGD": "with g = grad + weight_decay * param: m = momentum * m + g, then param -= lr * m. "
           "Update the arrays in place (np.add(..., out=param) or param -= ...): the module must "
           "see the new values.",
    "Adam": "with g = grad + weight_decay * param and t counting steps from 1: m = beta1 * m + "
            "(1 - beta1) * g, v = beta2 * v + (1 - beta2) * g ** 2, m_hat = m / (1 - beta1 ** t),"
            " v_hat = v / (1 - beta2 ** t), param -= lr * m_hat / (sqrt(v_hat) + eps); update the "
            "arrays in place.",
}


@pytest.mark.task("Optimizers")
@pytest.mark.parametrize("name", list(SETTINGS))
def test_optimizers(student, rng, name):
    layers = student.module("modules.layers")
    optimizers = student.module("modules.optimizers")
    for kwargs in SETTINGS[name]:
        module = layers.Linear(IN_FEATURES, OUT_FEATURES)
        weight = rng.standard_normal((OUT_FEATURES, IN_FEATURES)) / 8
        bias = rng.standard_normal(OUT_FEATURES) / 8
        grad_weight = rng.standard_normal(weight.shape)
        grad_bias = rng.standard_normal(bias.shape)
        module.weight, module.bias = weight, bias
        module.grad_weight, module.grad_bias = grad_weight, grad_bias
        step = getattr(optimizers, name)(module, **kwargs).step
        settings = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        trajectory = optimizer_trajectory(name, [weight, bias],
                                          [[grad_weight, grad_bias]] * STEPS, **kwargs)
        previous = {"weight": weight, "bias": bias}
        for number, (expected_weight, expected_bias) in enumerate(trajectory, start=1):
            step()
            for attr, expected in (("weight", expected_weight), ("bias", expected_bias)):
                what = (f"{name}({settings}) on Linear({IN_FEATURES}, {OUT_FEATURES}): .{attr} "
                        f"after step #{number} (with the same gradients at every step)")
                check_parameter(getattr(module, attr), previous[attr], expected, what,
                                against=f"torch.optim.{name}", hint=HINTS[name])
                previous[attr] = expected
