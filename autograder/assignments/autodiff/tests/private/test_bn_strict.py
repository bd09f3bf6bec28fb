"""Hidden checks of modules.layers.BatchNormalization on other shapes, momenta and batches than the
public test: running statistics over several train steps, then eval mode as a training loop
switches to it, affine=False, accumulation, finite differences, float64."""

import pytest

from autograder import N_
from autograder.testing import assert_close, directional_derivatives
from autograder.testing.torch_parity import (
    batch_norm,
    check_float64,
    compare_pass,
    gradient_check,
    running_stats,
    weighted_sum,
)

# (batch, features, momentum, affine)
CASES = [(2, 3, 0.1, True), (5, 4, 0.5, False), (16, 6, 0.9, True), (9, 1, 0.3, False)]
TRAIN_STEPS = 3
HINTS = {
    "train": {
        "forward": N_("train mode: normalise with the batch mean and the BIASED batch variance "
                      "(x.var(axis=0), dividing by B), then y = x_hat * weight + bias."),
        "backward": N_("train mode: the batch mean and variance depend on x too: dL/dx = (g - "
                       "g.mean(0) - x_hat * (g * x_hat).mean(0)) / sqrt(var + eps), g = grad_output "
                       "* weight."),
        "params": N_("grad_weight += (grad_output * x_hat).sum(axis=0), grad_bias += "
                     "grad_output.sum(axis=0): add, do not overwrite, until zero_grad()."),
    },
    "eval": {
        "forward": N_("eval mode: normalise with running_mean and running_var, not with the batch "
                      "statistics."),
        "backward": N_("eval mode: the normalisation is a fixed affine map, so dL/dx = grad_output * "
                       "weight / sqrt(running_var + eps)."),
        "params": N_("grad_weight += (grad_output * x_hat).sum(axis=0), grad_bias += "
                     "grad_output.sum(axis=0), with x_hat normalised by the running statistics."),
    },
}
STATS_HINTS = {
    "running_mean": N_("in train mode, running_mean = (1 - momentum) * running_mean + momentum * "
                       "batch_mean, once per forward pass; eval mode leaves it alone."),
    "running_var": N_("in train mode, running_var = (1 - momentum) * running_var + momentum * "
                      "B / (B - 1) * batch_var: the running variance uses the UNBIASED estimate "
                      "(unlike the normalisation); eval mode leaves it alone."),
}


def compare_stats(module, reference, name, when):
    __tracebackhide__ = True
    for attr, expected in running_stats(reference).items():
        assert_close(getattr(module, attr), expected, N_(f"{name}.{attr} {when}"),
                     against=N_(f"torch.nn.BatchNorm1d.{attr}"), hint=STATS_HINTS[attr])


@pytest.mark.task("BatchNormalization")
@pytest.mark.extends("test_bn")
def test_bn_running_statistics_train_then_eval(student, rng):
    layers = student.module("modules.layers")
    for batch, features, momentum, affine in CASES:
        name = N_(f"BatchNormalization({features}, momentum={momentum}, affine={affine})")
        module = layers.BatchNormalization(features, momentum=momentum, affine=affine)
        values = {}
        if affine:
            values = {"weight": rng.uniform(0.5, 2, features),
                      "bias": rng.standard_normal(features)}
            module.weight, module.bias = values["weight"], values["bias"]
        reference = batch_norm(features, momentum=momentum, affine=affine, **values)
        params = ["weight", "bias"] if affine else []
        module.train()
        for step in range(1, TRAIN_STEPS + 1):
            x = 3 * rng.standard_normal((batch, features)) + rng.standard_normal(features)
            compare_pass(module, reference, x, rng.standard_normal((batch, features)),
                         name=N_(f"{name} in train mode"), against="torch.nn.BatchNorm1d",
                         params=params, hints=HINTS["train"],
                         context=N_(f"train step #{step}, gradients accumulating since step #1"))
            compare_stats(module, reference, name, N_(f"after train step #{step} (batch of {batch})"))
        module.eval()
        reference.eval()
        for step in range(1, 3):
            x = 3 * rng.standard_normal((batch, features))
            compare_pass(module, reference, x, rng.standard_normal((batch, features)),
                         name=N_(f"{name} in eval mode after {TRAIN_STEPS} train steps"),
                         against=N_("torch.nn.BatchNorm1d in eval mode"), params=params,
                         hints=HINTS["eval"], context=N_(f"eval pass #{step}"))
        compare_stats(module, reference, name, "after two eval passes (they must not change it)")


@pytest.mark.task("BatchNormalization")
@pytest.mark.extends("test_bn")
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_bn_finite_differences(student, rng, mode):
    layers = student.module("modules.layers")
    features = 3
    module = layers.BatchNormalization(features, momentum=0.5)
    weight, bias = rng.uniform(0.5, 2, features), rng.standard_normal(features)
    module.weight, module.bias = weight, bias
    if mode == "eval":
        module.running_mean = rng.standard_normal(features)
        module.running_var = rng.uniform(0.5, 2, features)
        module.eval()
    name = N_(f"BatchNormalization({features}) in {mode} mode")
    x, g = 2 * rng.standard_normal((4, features)), rng.standard_normal((4, features))
    forward = module.forward
    forward(x)
    grad_input = module.backward(x, g)
    gradient_check(weighted_sum(forward, g, f"{name}: forward(x)"), x, grad_input,
                   what=N_(f"{name}: backward(x, grad_output) for x of shape {x.shape}"),
                   hint=HINTS[mode]["backward"])
    for attr, value in (("weight", weight), ("bias", bias)):
        analytic = check_float64(getattr(module, f"grad_{attr}"), f"{name}: grad_{attr}",
                                 shape=value.shape)

        def f(v, attr=attr):
            setattr(module, attr, v)
            return weighted_sum(forward, g, f"{name}: forward(x)")(x)

        directions = rng.standard_normal((2, features))
        numeric = directional_derivatives(f, value, directions)
        setattr(module, attr, value)
        assert_close(directions @ analytic, numeric,
                     N_(f"{name}: grad_{attr} projected on 2 random directions, for x of shape "
                        f"{x.shape}"), against=N_("central finite differences of the forward pass"),
                     tolerance="finite-difference", hint=HINTS[mode]["params"])


@pytest.mark.task("BatchNormalization")
@pytest.mark.extends("test_bn")
def test_bn_keeps_float64(student, rng):
    layers = student.module("modules.layers")
    for mode in ("train", "eval"):
        module = layers.BatchNormalization(3)
        module.train() if mode == "train" else module.eval()
        x, g = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
        name = N_(f"BatchNormalization(3) in {mode} mode")
        check_float64(module.forward(x), f"{name}: forward(x) for a float64 x", shape=(4, 3))
        check_float64(module.backward(x, g), f"{name}: backward(x, grad_output) for float64 "
                      "arrays", shape=(4, 3))
