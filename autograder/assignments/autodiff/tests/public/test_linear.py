"""modules.layers.Linear against torch.nn.Linear, as in the course's test_linear: random inputs,
parameters and output gradients; forward output, input gradient and parameter gradients, over
several passes without zero_grad (so the parameter gradients must add up), then one more pass
after zero_grad(), as the next step of a training loop (so they must start again from zero)."""

import pytest

from autograder import N_
from autograder.testing import as_array
from autograder.testing.torch_parity import check_float64, compare_pass, linear

INPUT_SHAPES = [(64, 16), (128, 32), (256, 64)]
PASSES = 2
CONTEXTS = ["", N_("pass #2 on the same module without zero_grad, so parameter gradients add up"),
            N_("pass #3, right after zero_grad(), so parameter gradients hold this pass's only")]
HINTS = {
    "forward": N_("y = x @ W.T + b, with W of shape (out_features, in_features)."),
    "backward": N_("dL/dx = grad_output @ W."),
    "params": N_("dL/dW = grad_output.T @ x and dL/db = grad_output.sum(axis=0); add them to "
                 "grad_weight / grad_bias (+=), do not overwrite: gradients accumulate until "
                 "zero_grad()."),
}


@pytest.mark.task("Linear")
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_linear(student, rng, bias):
    layers = student.module("modules.layers")
    for batch, in_features in INPUT_SHAPES:
        out_features = 2 * in_features
        name = N_(f"Linear({in_features}, {out_features}, bias={bias})")
        module = layers.Linear(in_features, out_features, bias=bias)
        # perturb the initial parameters, as the course's test does
        weight = as_array(module.weight, N_(f"{name}.weight right after __init__"),
                          shape=(out_features, in_features))
        weight = weight + 0.1 * rng.standard_normal(weight.shape)
        module.weight = weight
        bias_value = None
        if bias:
            bias_value = as_array(module.bias, N_(f"{name}.bias right after __init__"),
                                  shape=(out_features,))
            bias_value = bias_value + 0.1 * rng.standard_normal(out_features)
            module.bias = bias_value
        reference = linear(weight, bias_value)
        params = ["weight", "bias"] if bias else ["weight"]
        for call in range(1, PASSES + 2):
            if call > PASSES:
                module.zero_grad()
                reference.zero_grad()
            x = rng.standard_normal((batch, in_features))
            grad_output = rng.standard_normal((batch, out_features))
            output, grad_input = compare_pass(
                module, reference, x, grad_output, name=name, against="torch.nn.Linear",
                params=params, hints=HINTS, context=CONTEXTS[call - 1])
        # the course's tests compare dtypes too: float64 in -> float64 out
        check_float64(output, f"{name}.forward(x) for a float64 x of shape {x.shape}")
        check_float64(grad_input, f"{name}.backward(x, grad_output) for float64 arrays")
        for param in params:
            check_float64(getattr(module, f"grad_{param}"),
                          f"{name}.grad_{param} after a float64 backward pass")
