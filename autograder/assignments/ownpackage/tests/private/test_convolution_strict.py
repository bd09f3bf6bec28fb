"""Bonus convolution, stricter: parity with Keras' Conv2D, the per-sample Jacobians on a small
input, the gradients of MaxPooling and FlattenLayer (which a convolutional network needs), and a
convolutional layer trained on MNIST through its own backward and update_param."""

import functools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.checks import assert_close, check
from autograder.checks.conv_parity import train_conv_classifier
from autograder.checks.jacobians import check_jacobian
from autograder.checks.keras_parity import conv2d as keras_conv2d
from autograder.checks.keras_parity import mnist_images
from autograder.checks.torch_parity import numpy, tensor

TASK = "Convolution"


@pytest.mark.task(TASK)
@pytest.mark.parametrize("padding, stride, channels, size", [("same", 1, (3, 5), (9, 9)),
                                                             ("same", 2, (1, 4), (8, 11)),
                                                             ("valid", 2, (4, 2), (10, 7))])
def test_conv2d_forward_matches_keras(student, rng, padding, stride, channels, size):
    c_in, c_out = channels
    kernel, bias = rng.standard_normal((3, 3, c_in, c_out)), rng.standard_normal(c_out)
    x = rng.standard_normal((3, c_in) + size)
    layer = student.module("notebook").Conv2DLayer(3, c_in, c_out, padding, stride, kernel,
                                                   bias)
    assert_close(layer.forward(x), keras_conv2d(x, kernel, bias, padding=padding, stride=stride),
                 f"Conv2DLayer(3, {c_in}, {c_out}, {padding!r}, {stride}).forward(x) for x of "
                 f"shape {x.shape}",
                 against="keras.layers.Conv2D(data_format='channels_first')",
                 hint="Keras' 'same' with stride 2 pads the odd pixel at the bottom / right.")


@pytest.mark.task(TASK)
def test_conv2d_jacobians_on_a_small_input(student, rng):
    nb = student.module("notebook")
    kernel, bias = rng.standard_normal((3, 3, 2, 2)), rng.standard_normal(2)
    x = rng.standard_normal((2, 2, 4, 3))
    layer = nb.Conv2DLayer(3, 2, 2, "same", 1, kernel, bias)
    check_jacobian(layer.grad_x(x), layer.forward, x,
                   what="Conv2DLayer(3, 2, 2).grad_x(x) for x of shape (2, 2, 4, 3)",
                   hint="(batch, out_dim, in_dim) with each sample's axes flattened in C order.")


@pytest.mark.task(TASK)
@pytest.mark.parametrize("shape", [(2, 3, 6, 8), (1, 2, 7, 5)])
def test_maxpooling_and_flatten_backward_match_torch(student, rng, shape):
    nb = student.module("notebook")
    x = rng.standard_normal(shape)  # continuous values: no ties in a window
    xt = torch.tensor(x, requires_grad=True)
    out = F.max_pool2d(xt, 2, 2)
    grad = rng.standard_normal(tuple(out.shape))
    out.backward(torch.tensor(grad))
    result = nb.MaxPooling().backward(x, grad)
    check(isinstance(result, (list, tuple)) and len(result) == 2,
          "MaxPooling().backward(x, grad_output) should return [grad_input, []]")
    assert_close(result[0], xt.grad.numpy(), f"MaxPooling().backward(x, grad_output)[0] for x of "
                 f"shape {shape}", against="torch max_pool2d's gradient",
                 hint="each window's gradient goes to the position of its maximum only.")
    flat_grad = rng.standard_normal((shape[0], int(np.prod(shape[1:]))))
    assert_close(nb.FlattenLayer().backward(x, flat_grad)[0], flat_grad.reshape(shape),
                 f"FlattenLayer().backward(x, grad_output)[0] for x of shape {shape}",
                 against="grad_output reshaped to the input's shape")


# The training protocol: Conv(1 -> 8, 3x3, 'same', stride 2) under the grader's ReLU -> dense
# softmax head, SGD on batch means (lr 0.1, batch 32, 120 steps over 3840 digits).
# Calibration (reference layer, 5 seeds): the mean loss of the last 10 steps is 0.23-0.28 of the
# first 10's; with the convolution frozen (update_param doing nothing) the head alone still gets
# 0.30-0.48, so the loss alone cannot tell a training convolution: its kernel must also follow
# torch's SGD trajectory through the same steps.
STEPS, BATCH, LEARNING_RATE, HEAD_SEED, MAX_LOSS_RATIO = 120, 32, 0.1, 3, 0.6


def training_data():
    """The first 3840 MNIST test images and their digits, and the convolution's initial kernel."""
    images, labels = mnist_images()
    kernel = np.random.default_rng(7).standard_normal((3, 3, 1, 8)) * np.sqrt(2 / 9)
    return images[:3840].astype(np.float64), np.argmax(labels[:3840], axis=1), kernel


@functools.cache
def torch_trajectory():
    """conv_parity.train_conv_classifier's loop with torch autograd and a torch convolution: the
    kernel and bias the convolution ends with when its gradients are right (the same for every
    submission: computed once per grading process)."""
    images, digits, kernel = training_data()
    features = 8 * 14 * 14  # 'same' with stride 2: 28x28 -> 14x14, padded by one row and column
    weights = np.random.default_rng(HEAD_SEED).standard_normal((features, 10)) * np.sqrt(1.0 / features)
    k, cb = tensor(kernel, requires_grad=True), tensor(np.zeros(8), requires_grad=True)
    w, b = tensor(weights, requires_grad=True), tensor(np.zeros(10), requires_grad=True)
    for step in range(STEPS):
        start = (step * BATCH) % (len(images) - BATCH)
        x, y = tensor(images[start:start + BATCH]), torch.tensor(digits[start:start + BATCH])
        # Keras' 'same' for 28 pixels, kernel 3, stride 2: no padding before, one after
        out = F.conv2d(F.pad(x, (0, 1, 0, 1)), k.permute(3, 2, 0, 1), cb, stride=2)
        loss = F.cross_entropy(torch.relu(out).reshape(BATCH, -1) @ w + b, y)
        loss.backward()
        with torch.no_grad():
            for parameter in (k, cb, w, b):
                parameter -= LEARNING_RATE * parameter.grad
                parameter.grad = None
    kernel, bias = numpy(k), numpy(cb)
    kernel.flags.writeable = bias.flags.writeable = False  # shared by every submission's check
    return kernel, bias


@pytest.mark.task(TASK)
def test_conv2d_trains_on_mnist_like_torch(student):
    images, digits, kernel = training_data()
    conv = student.module("notebook").Conv2DLayer(3, 1, 8, "same", 2, kernel, np.zeros(8))
    losses = train_conv_classifier(conv, images, digits, steps=STEPS, batch_size=BATCH,
                                   learning_rate=LEARNING_RATE, seed=HEAD_SEED)
    what = (f"Conv2DLayer(3, 1, 8, 'same', 2) after {STEPS} SGD steps on MNIST (lr {LEARNING_RATE}, "
            f"batch {BATCH}) under the grader's ReLU -> dense softmax head")
    hint = ("backward must return per-sample kernel and bias gradients and update_param must "
            "subtract learning_rate times their batch mean.")
    expected_kernel, expected_bias = torch_trajectory()
    assert_close(conv.kernel, expected_kernel, f"{what}: the kernel", against="the same steps in torch",
                 tolerance="float32", hint=hint)
    assert_close(conv.bias, expected_bias, f"{what}: the bias", against="the same steps in torch",
                 tolerance="float32", hint=hint)
    early, late = float(np.mean(losses[:10])), float(np.mean(losses[-10:]))
    check(late < MAX_LOSS_RATIO * early,
          f"{what}: the mean loss went from {early:.3f} (first 10 steps) to {late:.3f} (last 10), "
          f"expected below {MAX_LOSS_RATIO * early:.3f}.\n  Hint: {hint}")
