"""modules.activations against torch.nn: ReLU, Sigmoid, Softmax and LogSoftmax (over the last
axis), as in the course's test_activations. ReLU and Sigmoid take "an array of an arbitrary size"
(their docstrings), so they also get a 3-D input."""

import pytest

from autograder import N_
from autograder.testing.torch_parity import activation, check_float64, compare_pass

INPUT_SHAPES = [(64, 16), (128, 32), (256, 64)]
ANY_SIZE = [(8, 4, 5)]  # for the element-wise activations, whose docstrings promise any size
HINTS = {
    "ReLU": {"forward": N_("y = max(x, 0) elementwise (np.maximum(x, 0))."),
             "backward": N_("dL/dx = grad_output * (x > 0).")},
    "Sigmoid": {"forward": N_("y = 1 / (1 + exp(-x)); scipy.special.expit computes it safely."),
                "backward": N_("dL/dx = grad_output * s * (1 - s) with s = sigmoid(x).")},
    "Softmax": {"forward": N_("softmax over the LAST axis: exp(x - max) / sum(exp(x - max), "
                              "axis=-1, keepdims=True)."),
                "backward": N_("dL/dx = s * (grad_output - (grad_output * s).sum(axis=-1, "
                               "keepdims=True)) with s = softmax(x).")},
    "LogSoftmax": {"forward": N_("log-softmax over the LAST axis: x - logsumexp(x, axis=-1, "
                                 "keepdims=True)."),
                   "backward": N_("dL/dx = grad_output - softmax(x) * grad_output.sum(axis=-1, "
                                  "keepdims=True).")},
}


@pytest.mark.task("Activations")
@pytest.mark.parametrize("name", list(HINTS))
def test_activations(student, rng, name):
    activations = student.module("modules.activations")
    against = f"torch.nn.{name}" + ("(dim=-1)" if "Softmax" in name else "")
    shapes = INPUT_SHAPES + (ANY_SIZE if "Softmax" not in name else [])
    for input_shape in shapes:
        module = getattr(activations, name)()
        x = rng.standard_normal(input_shape)
        grad_output = rng.standard_normal(input_shape)
        output, grad_input = compare_pass(module, activation(name), x, grad_output, name=name,
                                          against=against, hints=HINTS[name])
        check_float64(output, f"{name}.forward(x) for a float64 x of shape {x.shape}")
        check_float64(grad_input, f"{name}.backward(x, grad_output) for float64 arrays")
