"""Bonus transposed convolution, stricter: parity with Keras' Conv2DTranspose ('same' and 'valid'
correspond to crops of (k - stride) / 2 and 0), and training: an upsampling layer fitted on MNIST
(14x14 averages -> 28x28 digits) must follow torch's SGD trajectory and lower the error."""

import numpy as np
import pytest
import torch

from autograder.checks import as_array, assert_close, check
from autograder.checks.keras_parity import conv2d_transpose as keras_conv2d_transpose
from autograder.checks.keras_parity import mnist_images
from autograder.checks.torch_parity import numpy, tensor

TASK = "Transposed convolution"


@pytest.mark.task(TASK)
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
                 f"Conv2DTrLayer({kernel_size}, {c_in}, {c_out}, padding={crop}, stride={stride})"
                 f".forward(x) for x of shape {x.shape}",
                 against=f"keras.layers.Conv2DTranspose(padding={keras_padding!r})")


@pytest.mark.task(TASK)
def test_upsampling_layer_trains_like_torch_on_mnist(student, rng):
    images = mnist_images()[0][:256].astype(np.float64)
    small = images.reshape(256, 1, 14, 2, 14, 2).mean(axis=(3, 5))
    kernel, bias = rng.standard_normal((4, 4, 1, 1)) * 0.1, np.zeros(1)
    layer = student.module("notebook").Conv2DTrLayer(4, 1, 1, 1, 2, kernel, bias)
    k_t, b_t = tensor(kernel, requires_grad=True), tensor(bias, requires_grad=True)
    losses = []
    for step in range(20):
        batch = slice((step % 8) * 32, (step % 8) * 32 + 32)
        x, target = small[batch], images[batch]
        out = as_float(layer.forward(x), "Conv2DTrLayer(4, 1, 1, 1, 2).forward during training")
        grad_out = out - target  # per sample: d (0.5 * |out - target|^2) / d out
        losses.append(float(0.5 * np.mean(np.sum(grad_out ** 2, axis=(1, 2, 3)))))
        _, grads = layer.backward(x, grad_out)
        layer.update_param(grads, 0.002)
        reference = conv_transpose2d_params(tensor(x), k_t, b_t)
        loss = 0.5 * ((reference - tensor(target)) ** 2).sum(dim=(1, 2, 3)).mean()
        loss.backward()
        with torch.no_grad():
            k_t -= 0.002 * k_t.grad
            b_t -= 0.002 * b_t.grad
        k_t.grad = b_t.grad = None
    assert_close(layer.kernel, numpy(k_t), "Conv2DTrLayer.kernel after 20 SGD steps on MNIST "
                 "(upsampling 14x14 -> 28x28, lr 0.002)", against="the same steps in torch",
                 hint="update_param subtracts learning_rate times the batch mean of the per-sample "
                      "kernel gradients.")
    check(losses[-1] < 0.5 * losses[0],
          f"the upsampling error went from {losses[0]:.3f} to {losses[-1]:.3f} in 20 steps, expected "
          "it to halve at least")


def as_float(value, what):
    __tracebackhide__ = True
    return as_array(value, what).astype(np.float64)


def conv_transpose2d_params(x, kernel, bias):
    return torch.nn.functional.conv_transpose2d(x, kernel.permute(2, 3, 0, 1), bias, stride=2, padding=1)
