"""Bonus, transposed convolution: Conv2DTrLayer against torch.nn.functional.conv_transpose2d
(stride dilates the input, padding crops the output), forward, the gradients (either form, see
the notebook) and update_param; and an upsampling layer trained on digits."""

import pytest

from autograder import N_
from autograder.interfaces.conv_parity import (
    check_layer_pass,
    check_upsampling_trains_like_torch,
    conv_transpose2d,
)

TASK = "Transposed convolution"
HINTS = {
    "forward": N_("out[:, o, y*stride + i - padding, x*stride + j - padding] += in[:, c, y, x] * "
                  "kernel[i, j, c, o]; output size (size - 1) * stride + k - 2 * padding."),
    "backward": N_("the input gradient of a transposed convolution is a (strided) cross-correlation of "
                   "the uncropped output gradient with the kernel."),
    "params": N_("kernel gradient per sample, shaped (batch, k, k, in, out) (or its Jacobian, (batch, "
                 "out, k*k*in*out)); bias: (batch, out)."),
}


@pytest.mark.task(TASK)
@pytest.mark.parametrize("kernel_size, padding, stride, channels",
                         [(3, 0, 1, (1, 2)), (3, 1, 1, (2, 3)), (3, 0, 2, (2, 2)), (4, 1, 2, (3, 2))])
def test_conv2d_transpose_matches_torch(student, rng, kernel_size, padding, stride, channels):
    c_in, c_out = channels
    kernel = rng.standard_normal((kernel_size, kernel_size, c_in, c_out))
    bias = rng.standard_normal(c_out)
    layer = student.module("notebook").Conv2DTrLayer(kernel_size, c_in, c_out, padding=padding,
                                                     stride=stride, K_init=kernel, b_init=bias)
    check_layer_pass(student, layer, conv_transpose2d, rng.standard_normal((2, c_in, 4, 5)), rng,
                     kernel, bias, name=N_(f"Conv2DTrLayer({kernel_size}, {c_in}, {c_out}, "
                                           f"padding={padding}, stride={stride})"),
                     against="torch.nn.functional.conv_transpose2d", hints=HINTS, padding=padding,
                     stride=stride)


@pytest.mark.task(TASK)
def test_upsampling_layer_trains_like_torch_on_digits(student):
    check_upsampling_trains_like_torch(student, student.module("notebook"), first=0, last=256,
                                       kernel_seed=5, steps=10)
