"""modules.layers.BatchNormalization against torch.nn.BatchNorm1d, as in the course's test_bn:
train and eval mode, with and without the affine parameters, several passes without zero_grad;
and, as the course's text specifies (step 4 of train mode), the running statistics: updated by
every train-mode pass (the running variance with the unbiased B / (B - 1) estimate), left alone in
eval mode."""

import pytest

from autograder import N_
from autograder.testing import as_array, assert_close
from autograder.testing.torch_parity import batch_norm, check_float64, compare_pass, running_stats

CASES = [(0.1, (64, 16)), (0.5, (128, 32)), (0.9, (256, 64))]  # (momentum, input shape)
PASSES = 2
HINTS = {
    "train": {
        "forward": N_("train mode: normalise with the batch mean and the BIASED batch variance "
                      "(x.var(axis=0), dividing by B), then y = x_hat * weight + bias."),
        "backward": N_("train mode: the batch mean and variance depend on x as well, so dL/dx has "
                       "three terms: (g - g.mean(0) - x_hat * (g * x_hat).mean(0)) / sqrt(var + eps)"
                       ", with g = grad_output * weight."),
        "params": N_("grad_weight += (grad_output * x_hat).sum(axis=0), grad_bias += "
                     "grad_output.sum(axis=0): add, do not overwrite."),
    },
    "eval": {
        "forward": N_("eval mode: normalise with running_mean and running_var, not with the batch "
                      "statistics, and do not update them."),
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


@pytest.mark.task("BatchNormalization")
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "no-affine"])
def test_bn(student, rng, affine, mode):
    layers = student.module("modules.layers")
    for momentum, (batch, features) in CASES:
        name = (N_(f"BatchNormalization({features}, momentum={momentum}, affine={affine}) in {mode} "
                   "mode"))
        module = layers.BatchNormalization(num_features=features, affine=affine,
                                           momentum=momentum)
        module.train() if mode == "train" else module.eval()
        # perturb the initial parameters and statistics, as the course's test does
        values = {}
        for attr in ("running_mean", "running_var") + (("weight", "bias") if affine else ()):
            value = as_array(getattr(module, attr), N_(f"{name}: .{attr} right after __init__"),
                             shape=(features,))
            values[attr] = value + 0.1 * rng.standard_normal(features)
            setattr(module, attr, values[attr])
        reference = batch_norm(features, momentum=momentum, affine=affine,
                               training=mode == "train", **values)
        for call in range(1, PASSES + 1):
            x = rng.standard_normal((batch, features))
            grad_output = rng.standard_normal((batch, features))
            output, grad_input = compare_pass(
                module, reference, x, grad_output, name=name,
                against=N_(f"torch.nn.BatchNorm1d in {mode} mode"),
                params=["weight", "bias"] if affine else [], hints=HINTS[mode],
                context=f"pass #{call} on the same module without zero_grad, so parameter "
                        "gradients add up" if call > 1 else "")
        for attr, expected in running_stats(reference).items():
            assert_close(getattr(module, attr), expected,
                         N_(f"{name}: {attr} after {PASSES} passes (batches of {batch})"),
                         against=N_(f"torch.nn.BatchNorm1d.{attr}"), hint=STATS_HINTS[attr])
        check_float64(output, f"{name}: forward(x) for a float64 x of shape {x.shape}")
        check_float64(grad_input, f"{name}: backward(x, grad_output) for float64 arrays")
        for param in ("weight", "bias") if affine else ():
            check_float64(getattr(module, f"grad_{param}"),
                          f"{name}: grad_{param} after a float64 backward pass")
