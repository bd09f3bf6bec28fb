"""Bonus transposed convolution, on other data, shapes and seeds than the public tests: parity
with Keras' Conv2DTranspose ('same' and 'valid' correspond to crops of (k - stride) / 2 and 0),
and the upsampling layer trained longer on other digits."""

import pytest

from autograder import N_
from autograder.testing import assert_close
from autograder.interfaces.conv_parity import check_upsampling_trains_like_torch
from autograder.interfaces.keras_parity import conv2d_transpose as keras_conv2d_transpose

TASK = "Transposed convolution"


@pytest.mark.task(TASK)
@pytest.mark.extends("test_conv2d_transpose_matches_torch")
@pytest.mark.parametrize("kernel_size, keras_padding, stride, channels",
                         [(3, "same", 1, (2, 3)), (4, "same", 2, (3, 2)), (3, "valid", 2, (1, 4)),
                          (3, "valid", 1, (2, 2))])
def test_conv2d_transpose_matches_keras(student, rng, kernel_size, keras_padding, stride, channels):
    c_in, c_out = channels
    kernel = rng.standard_normal((kernel_size, kernel_size, c_in, c_out))
    bias = rng.standard_normal(c_out)
    crop = (kernel_size - stride) // 2 if keras_padding == "same" else 0
    x = rng.standard_normal((2, c_in, 5, 6))
    layer = student.module("notebook").Conv2DTrLayer(kernel_size, c_in, c_out, crop, stride, kernel, bias)
    assert_close(layer.forward(x),
                 keras_conv2d_transpose(x, kernel, bias, padding=keras_padding, stride=stride),
                 N_(f"Conv2DTrLayer({kernel_size}, {c_in}, {c_out}, padding={crop}, stride={stride})"
                    f".forward(x) for x of shape {x.shape}"),
                 against=N_(f"keras.layers.Conv2DTranspose(padding={keras_padding!r})"))


@pytest.mark.task(TASK)
@pytest.mark.extends("test_upsampling_layer_trains_like_torch_on_digits")
def test_upsampling_layer_trains_longer_on_other_digits(student):
    check_upsampling_trains_like_torch(student, student.module("notebook"), first=2000, last=2512,
                                       kernel_seed=9, steps=20)
