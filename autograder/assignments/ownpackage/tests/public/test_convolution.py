"""Bonus, convolution: Conv2DLayer against torch (cross-correlation, Keras' padding), for 'same'
and 'valid', strides 1 and 2: forward, backward(x, grad_output) and update_param."""

import pytest

from autograder.checks.conv_parity import check_layer_pass, conv2d

TASK = "Convolution"
HINTS = {
    "forward": "a cross-correlation (the kernel is not flipped), as Keras' Conv2D; 'same' pads "
               "like Keras (the odd pixel at the bottom / right).",
    "backward": "the input gradient adds each output gradient back to its window, weighted by the "
                "kernel (a transposed convolution).",
    "params": "kernel gradient per sample: sum over positions of window x output gradient, shaped "
              "(batch, k, k, in, out); bias gradient per sample: (batch, out).",
}


@pytest.mark.task(TASK)
@pytest.mark.parametrize("padding, stride, channels", [("same", 1, (1, 3)), ("same", 2, (2, 3)),
                                                       ("valid", 1, (3, 2)), ("valid", 2, (2, 4))])
def test_conv2d_matches_torch(student, rng, padding, stride, channels):
    c_in, c_out = channels
    kernel, bias = rng.standard_normal((3, 3, c_in, c_out)), rng.standard_normal(c_out)
    layer = student.module("notebook").Conv2DLayer(3, c_in, c_out, padding=padding, stride=stride,
                                                   K_init=kernel, b_init=bias)
    check_layer_pass(layer, conv2d, rng.standard_normal((2, c_in, 7, 6)), rng, kernel, bias,
                     name=f"Conv2DLayer(3, {c_in}, {c_out}, padding={padding!r}, stride={stride})",
                     against="torch.nn.functional.conv2d", hints=HINTS, padding=padding, stride=stride)
