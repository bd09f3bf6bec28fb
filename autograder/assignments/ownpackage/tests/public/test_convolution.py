"""Bonus, convolution: Conv2DLayer against torch (cross-correlation, Keras' padding), for 'same'
and 'valid', strides 1 and 2: forward, the gradients and update_param; the gradients of
MaxPooling and FlattenLayer, which a convolutional network trains through; and a convolution
trained on digits. Gradients are accepted in either form (see the notebook): the course's
Jacobians grad_x(x) / grad_param(x), or backward(x, grad_output)."""

import pytest

from autograder import N_
from autograder.interfaces.conv_parity import (
    check_conv2d_trains_like_torch,
    check_layer_pass,
    check_pooling_and_flatten_gradients,
    conv2d,
)

TASK = "Convolution"
HINTS = {
    "forward": N_("a cross-correlation (the kernel is not flipped), as Keras' Conv2D; 'same' pads "
                  "like Keras (the odd pixel at the bottom / right)."),
    "backward": N_("the input gradient adds each output gradient back to its window, weighted by the "
                   "kernel (a transposed convolution)."),
    "params": N_("kernel gradient per sample: sum over positions of window x output gradient, shaped "
                 "(batch, k, k, in, out) (or its Jacobian, (batch, out, k*k*in*out)); bias gradient "
                 "per sample: (batch, out)."),
}


@pytest.mark.task(TASK)
@pytest.mark.parametrize("padding, stride, channels", [("same", 1, (1, 3)), ("same", 2, (2, 3)),
                                                       ("valid", 1, (3, 2)), ("valid", 2, (2, 4))])
def test_conv2d_matches_torch(student, rng, padding, stride, channels):
    c_in, c_out = channels
    kernel, bias = rng.standard_normal((3, 3, c_in, c_out)), rng.standard_normal(c_out)
    layer = student.module("notebook").Conv2DLayer(3, c_in, c_out, padding=padding, stride=stride,
                                                   K_init=kernel, b_init=bias)
    check_layer_pass(student, layer, conv2d, rng.standard_normal((2, c_in, 7, 6)), rng, kernel, bias,
                     name=N_(f"Conv2DLayer(3, {c_in}, {c_out}, padding={padding!r}, stride={stride})"),
                     against="torch.nn.functional.conv2d", hints=HINTS, padding=padding, stride=stride)


@pytest.mark.task(TASK)
def test_maxpooling_and_flatten_gradients_match_torch(student, rng):
    check_pooling_and_flatten_gradients(student, student.module("notebook"), rng, (2, 3, 6, 8))


@pytest.mark.task(TASK)
def test_conv2d_trains_on_digits_like_torch(student):
    check_conv2d_trains_like_torch(student, student.module("notebook"), first=0, last=960,
                                   kernel_seed=7, steps=30, head_seed=3)
