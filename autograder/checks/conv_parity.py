"""Convolution layers of the "own package" course (seed 001) against torch, pass by pass.

The course's layers take (batch, channels, height, width) inputs and kernels (k, k, in, out);
`backward(x, grad_output)` returns [gradient w.r.t. x, [per-sample kernel gradients (batch, k, k,
in, out), per-sample bias gradients (batch, out)]], and `update_param` averages those over the
batch. Everything runs in the grader; `layer` is a proxy of the `student` fixture.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from autograder.checks.compare import as_array, assert_close, check
from autograder.checks.torch_parity import numpy, tensor


def keras_same_padding(size: int, kernel_size: int, stride: int) -> tuple[int, int]:
    """(before, after) of Keras' 'same': output ceil(size / stride), the odd pixel after."""
    total = max((-(-size // stride) - 1) * stride + kernel_size - size, 0)
    return total // 2, total - total // 2


def conv2d(x: torch.Tensor, kernel: np.ndarray, bias: np.ndarray, padding: str,
           stride: int) -> torch.Tensor:
    """torch's twin of the course's Conv2DLayer (cross-correlation, Keras padding)."""
    k = kernel.shape[0]
    if padding == "same":
        (top, bottom), (left, right) = (keras_same_padding(s, k, stride) for s in x.shape[2:])
        x = F.pad(x, (left, right, top, bottom))
    return F.conv2d(x, tensor(kernel.transpose(3, 2, 0, 1)), tensor(bias), stride=stride)


def conv_transpose2d(x: torch.Tensor, kernel: np.ndarray, bias: np.ndarray, padding: int,
                     stride: int) -> torch.Tensor:
    """torch's twin of the course's Conv2DTrLayer (kernel (k, k, in, out), crop `padding`)."""
    return F.conv_transpose2d(x, tensor(kernel.transpose(2, 3, 0, 1)), tensor(bias),
                              stride=stride, padding=padding)


def reference_pass(op: Callable[..., torch.Tensor], x: np.ndarray, grad_output: np.ndarray,
                   kernel: np.ndarray, bias: np.ndarray, **options: Any
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """torch's output, input gradient, per-sample kernel (k, k, in, out) and bias gradients."""
    output = op(tensor(x), kernel, bias, **options)
    kernels, biases, inputs = [], [], []
    for sample in range(len(x)):
        xs = tensor(x[sample:sample + 1], requires_grad=True)
        ks, bs = tensor(kernel, requires_grad=True), tensor(bias, requires_grad=True)
        out = _with_parameters(op, xs, ks, bs, **options)
        out.backward(tensor(grad_output[sample:sample + 1]))
        inputs.append(numpy(xs.grad)[0])
        kernels.append(numpy(ks.grad))
        biases.append(numpy(bs.grad))
    return numpy(output), np.stack(inputs), np.stack(kernels), np.stack(biases)


def _with_parameters(op: Callable[..., torch.Tensor], x: torch.Tensor, kernel: torch.Tensor,
                     bias: torch.Tensor, **options: Any) -> torch.Tensor:
    """`op` with differentiable kernel (k, k, in, out) and bias tensors."""
    if op is conv2d:
        k = kernel.shape[0]
        if options["padding"] == "same":
            (top, bottom), (left, right) = (keras_same_padding(s, k, options["stride"])
                                            for s in x.shape[2:])
            x = F.pad(x, (left, right, top, bottom))
        return F.conv2d(x, kernel.permute(3, 2, 0, 1), bias, stride=options["stride"])
    return F.conv_transpose2d(x, kernel.permute(2, 3, 0, 1), bias, stride=options["stride"],
                              padding=options["padding"])


def check_layer_pass(layer: Any, op: Callable[..., torch.Tensor], x: np.ndarray,
                     grad_output_seed: np.random.Generator, kernel: np.ndarray, bias: np.ndarray,
                     *, name: str, against: str, hints: dict[str, str], **options: Any) -> None:
    """forward, backward(x, grad_output) and update_param of a student's layer against torch."""
    __tracebackhide__ = True
    expected_out = numpy(op(tensor(x), kernel, bias, **options))
    out = assert_close(layer.forward(x), expected_out, f"{name}.forward(x) for x of shape {x.shape}",
                       against=against, hint=hints.get("forward", ""))
    grad_output = grad_output_seed.standard_normal(out.shape)
    _, grad_x, grad_kernel, grad_bias = reference_pass(op, x, grad_output, kernel, bias, **options)
    result = layer.backward(x, grad_output)
    what = f"{name}.backward(x, grad_output) for x of shape {x.shape}"
    check(isinstance(result, (list, tuple)) and len(result) == 2
          and isinstance(result[1], (list, tuple)) and len(result[1]) == 2,
          f"{what}: expected [grad_input, [grad_kernel, grad_bias]], got {_describe(result)}")
    assert_close(result[0], grad_x, f"{what}, the input gradient", against=against,
                 hint=hints.get("backward", ""))
    for label, got, expected in (("kernel", result[1][0], grad_kernel),
                                 ("bias", result[1][1], grad_bias)):
        got = as_array(got, f"{what}, the {label} gradient")
        check(got.size == expected.size,
              f"{what}, the {label} gradient: expected per-sample gradients of shape "
              f"{expected.shape}, got shape {got.shape}")
        assert_close(got.reshape(expected.shape), expected, f"{what}, the per-sample {label} gradient",
                     against=against, hint=hints.get("params", ""))
    layer.update_param([grad_kernel, grad_bias], 0.5)
    for label, expected in (("kernel", kernel - 0.5 * grad_kernel.mean(axis=0)),
                            ("bias", bias - 0.5 * grad_bias.mean(axis=0))):
        assert_close(getattr(layer, label), expected,
                     f"{name}.{label} after update_param([grad_kernel, grad_bias], 0.5)",
                     against=f"{label} - 0.5 * the batch mean of its gradient",
                     hint="update_param averages the per-sample gradients over the batch, as "
                          "DenseLayer does.")


def _describe(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    return type(value).__name__


def train_conv_classifier(conv: Any, images: np.ndarray, labels: np.ndarray, *, steps: int,
                          batch_size: int, learning_rate: float, seed: int) -> list[float]:
    """Train `conv` (the student's layer) under a head the grader holds: ReLU -> flatten ->
    dense -> softmax cross-entropy, SGD on batch means, as the course's Network would. The grader
    calls only the layer's own API (forward, backward(x, grad_output), update_param), so only the
    layer is graded. Returns the mean loss of each step."""
    rng = np.random.default_rng(seed)
    features = np.asarray(conv.forward(images[:1]), dtype=np.float64)[0].size
    weights = rng.standard_normal((features, 10)) * np.sqrt(1.0 / features)
    bias = np.zeros(10)
    losses = []
    for step in range(steps):
        start = (step * batch_size) % (len(images) - batch_size)
        x, y = images[start:start + batch_size], labels[start:start + batch_size]
        out = as_array(conv.forward(x), "the convolution's output during training")
        hidden = np.maximum(out, 0).reshape(len(x), -1)
        logits = hidden @ weights + bias
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        losses.append(float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12))))
        grad_logits = p - np.eye(10)[y]  # per sample: d loss[b] / d logits[b]
        grad_out = ((grad_logits @ weights.T).reshape(out.shape)) * (out > 0)
        _, grads = conv.backward(x, grad_out)
        conv.update_param(grads, learning_rate)
        weights -= learning_rate * hidden.T @ grad_logits / len(x)
        bias -= learning_rate * grad_logits.mean(axis=0)
    return losses
