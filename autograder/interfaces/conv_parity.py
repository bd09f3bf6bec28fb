"""Convolution layers of the "own package" course (seed 001) against torch, pass by pass.

The course's layers take (batch, channels, height, width) inputs and kernels (k, k, in, out).
Their gradients come in either of two forms, both accepted (`layer_pass`): the course's own
Jacobians, `grad_x(x)` (batch, out, in) and `grad_param(x)` [(batch, out, kernel.size), (batch,
out, out_channels)], as `Layer.backward(x)` returns them; or the chain rule, `backward(x,
grad_output)` -> [gradient w.r.t. x, [per-sample kernel gradients (batch, k, k, in, out),
per-sample bias gradients (batch, out)]]. `update_param` averages the per-sample gradients over
the batch. Everything runs in the grader; `layer` is a proxy of the `student` fixture.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from autograder import N_
from autograder.failures import StudentError
from autograder.interfaces.keras_parity import mnist_images
from autograder.runtime.probes import name_of
from autograder.runtime.probes.jacobian import takes_grad_output
from autograder.testing.compare import as_array, assert_close, require
from autograder.testing.torch_parity import numpy, tensor


@dataclass(frozen=True)
class LayerPass:
    """The chain rule through a student's layer for one grad_output, whichever form it wrote."""

    grad_input: np.ndarray | None  # shaped like the input (None when not asked for)
    param_grads: list[Any]  # per-sample gradients, as the student's form shapes them
    how: str  # what was called, for messages


def layer_pass(student: Any, layer: Any, x: np.ndarray, grad_output: np.ndarray, *, name: str,
               params: int, input_gradient: bool = True) -> LayerPass:
    """[d loss / d x, [d loss / d param, ...]] per sample through the student's layer: its own
    `backward(x, grad_output)` when its backward takes grad_output and is implemented, else the
    course's Jacobian form, `grad_x(x)` and `grad_param(x)` contracted with grad_output (the
    input Jacobian only when `input_gradient`: a first layer's is never needed to train)."""
    __tracebackhide__ = True
    if student.probe(name_of(takes_grad_output), layer):
        try:
            result = layer.backward(x, grad_output)
        except StudentError as error:
            if error.type_name != "NotImplementedError":
                raise
        else:
            how = N_(f"{name}.backward(x, grad_output)")
            require(isinstance(result, (list, tuple)) and len(result) == 2
                  and isinstance(result[1], (list, tuple)) and len(result[1]) == params,
                  N_(f"{how} for x of shape {x.shape}: expected [grad_input, [{params} per-sample "
                     f"parameter gradient(s)]], got {_got(result)}"))
            return LayerPass(as_array(result[0], N_(f"{how}, the input gradient")) if input_gradient
                             else None, list(result[1]), how)
    batch, out_size, in_size = len(x), grad_output[0].size, x[0].size
    how = N_(f"{name}.grad_x(x) / grad_param(x) (the Jacobian form)")
    grad = np.reshape(grad_output, (batch, out_size))
    jacobians = layer.grad_param(x)
    require(isinstance(jacobians, (list, tuple)) and len(jacobians) == params,
          N_(f"{name}.grad_param(x) for x of shape {x.shape}: expected a list of {params} per-sample "
             f"Jacobian(s) (batch, {out_size}, n_param), got {_describe(jacobians)}\n  Hint: write "
             "either backward(input_data, grad_output) or grad_param(input_data) (see the notebook)."))
    param_grads = []
    for index, jacobian in enumerate(jacobians):
        jacobian = as_array(jacobian, N_(f"{name}.grad_param(x)[{index}] for x of shape {x.shape}"))
        require(jacobian.ndim == 3 and jacobian.shape[:2] == (batch, out_size),
              N_(f"{name}.grad_param(x)[{index}] for x of shape {x.shape}: expected a per-sample "
                 f"Jacobian of shape ({batch}, {out_size}, n_param), got shape {jacobian.shape}"))
        param_grads.append(np.einsum("bo,bop->bp", grad, jacobian))
    grad_input = None
    if input_gradient:
        jacobian = as_array(layer.grad_x(x), N_(f"{name}.grad_x(x) for x of shape {x.shape}"),
                            shape=(batch, out_size, in_size),
                            hint=N_("(batch, output size, input size), each sample's axes flattened "
                                    "in C order."))
        grad_input = np.einsum("bo,boi->bi", grad, jacobian).reshape(x.shape)
    return LayerPass(grad_input, param_grads, f"{how} contracted with grad_output")


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


def check_layer_pass(student: Any, layer: Any, op: Callable[..., torch.Tensor], x: np.ndarray,
                     grad_output_seed: np.random.Generator, kernel: np.ndarray, bias: np.ndarray,
                     *, name: str, against: str, hints: dict[str, str], **options: Any) -> None:
    """forward, the gradients (either form, `layer_pass`) and update_param of a student's layer
    against torch."""
    __tracebackhide__ = True
    expected_out = numpy(op(tensor(x), kernel, bias, **options))
    out = assert_close(layer.forward(x), expected_out, N_(f"{name}.forward(x) for x of shape {x.shape}"),
                       against=against, hint=hints.get("forward", ""))
    grad_output = grad_output_seed.standard_normal(out.shape)
    _, grad_x, grad_kernel, grad_bias = reference_pass(op, x, grad_output, kernel, bias, **options)
    result = layer_pass(student, layer, x, grad_output, name=name, params=2)
    what = N_(f"{result.how} for x of shape {x.shape}")
    assert_close(result.grad_input, grad_x, N_(f"{what}, the input gradient"), against=against,
                 hint=hints.get("backward", ""))
    shaped = []
    for label, got, expected in (("kernel", result.param_grads[0], grad_kernel),
                                 ("bias", result.param_grads[1], grad_bias)):
        got = as_array(got, N_(f"{what}, the {label} gradient"))
        require(got.size == expected.size,
              N_(f"{what}, the {label} gradient: expected per-sample gradients of shape "
                 f"{expected.shape}, got shape {got.shape}"))
        assert_close(got.reshape(expected.shape), expected, N_(f"{what}, the per-sample {label} gradient"),
                     against=against, hint=hints.get("params", ""))
        shaped.append(expected.reshape(got.shape))  # update_param gets its own form's shapes
    layer.update_param(shaped, 0.5)
    for label, expected in (("kernel", kernel - 0.5 * grad_kernel.mean(axis=0)),
                            ("bias", bias - 0.5 * grad_bias.mean(axis=0))):
        assert_close(getattr(layer, label), expected,
                     N_(f"{name}.{label} after update_param([grad_kernel, grad_bias], 0.5)"),
                     against=N_(f"{label} - 0.5 * the batch mean of its gradient"),
                     hint=N_("update_param averages the per-sample gradients over the batch, as "
                             "DenseLayer does."))


def _pair(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) == 2


def _got(result: Any) -> str:
    """What a backward returned, and inside a pair, what its second item holds."""
    described = _describe(result)
    return N_(f"{described} holding {_describe(result[1])}") if _pair(result) else described


def _describe(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    return type(value).__name__


def small_digits(images: np.ndarray) -> np.ndarray:
    """(N, 1, 28, 28) digits averaged over 2x2 blocks into (N, 1, 14, 14) float64: the size at
    which a Jacobian-form convolution trains within the worker's memory and time."""
    images = np.asarray(images, dtype=np.float64)
    return images.reshape(len(images), 1, 14, 2, 14, 2).mean(axis=(3, 5))


def _batches(count: int, steps: int, batch_size: int) -> list[slice]:
    """The course's fit walks the data in order; here it wraps around for more steps."""
    return [slice(start, start + batch_size)
            for start in ((step * batch_size) % (count - batch_size) for step in range(steps))]


def _head(features: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((features, 10)) * np.sqrt(1.0 / features)


def train_conv_classifier(student: Any, conv: Any, images: np.ndarray, labels: np.ndarray, *,
                          steps: int, batch_size: int, learning_rate: float, seed: int,
                          name: str) -> list[float]:
    """Train `conv` (the student's layer) under a head the grader holds: ReLU -> flatten ->
    dense -> softmax cross-entropy, SGD on batch means, as the course's Network would. The grader
    calls only the layer's own API (forward, its gradients in either form, update_param), so only
    the layer is graded. Returns the mean loss of each step."""
    __tracebackhide__ = True
    weights = bias = None
    losses = []
    for batch in _batches(len(images), steps, batch_size):
        x, y = images[batch], labels[batch]
        out = as_array(conv.forward(x), N_(f"{name}.forward(x) during training")).astype(np.float64)
        if weights is None:
            weights, bias = _head(out[0].size, seed), np.zeros(10)
        hidden = np.maximum(out, 0).reshape(len(x), -1)
        logits = hidden @ weights + bias
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        losses.append(float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12))))
        grad_logits = p - np.eye(10)[y]  # per sample: d loss[b] / d logits[b]
        grad_out = ((grad_logits @ weights.T).reshape(out.shape)) * (out > 0)
        grads = layer_pass(student, conv, x, grad_out, name=name, params=2, input_gradient=False)
        conv.update_param(grads.param_grads, learning_rate)
        weights -= learning_rate * hidden.T @ grad_logits / len(x)
        bias -= learning_rate * grad_logits.mean(axis=0)
    return losses


def torch_conv_classifier(images: np.ndarray, labels: np.ndarray, kernel: np.ndarray, *,
                          steps: int, batch_size: int, learning_rate: float, seed: int,
                          **options: Any) -> tuple[np.ndarray, np.ndarray]:
    """`train_conv_classifier`'s loop with torch autograd and torch's convolution: the kernel and
    bias a convolution with right gradients ends with (read-only: shared by every check)."""
    k = tensor(kernel, requires_grad=True)
    cb = tensor(np.zeros(kernel.shape[3]), requires_grad=True)
    w = b = None
    for batch in _batches(len(images), steps, batch_size):
        out = _with_parameters(conv2d, tensor(images[batch]), k, cb, **options)
        if w is None:
            w = tensor(_head(out[0].numel(), seed), requires_grad=True)
            b = tensor(np.zeros(10), requires_grad=True)
        logits = torch.relu(out).reshape(len(out), -1) @ w + b
        F.cross_entropy(logits, torch.tensor(labels[batch], dtype=torch.long)).backward()
        with torch.no_grad():
            for parameter in (k, cb, w, b):
                parameter -= learning_rate * parameter.grad
                parameter.grad = None
    return _frozen(numpy(k)), _frozen(numpy(cb))


def train_upsampling(student: Any, layer: Any, small: np.ndarray, images: np.ndarray, *,
                     steps: int, batch_size: int, learning_rate: float, name: str) -> list[float]:
    """Fit the student's transposed convolution to map `small` images to `images` (per-sample
    loss 0.5 * |out - target|^2, SGD on batch means) through its own gradients in either form.
    Returns the mean loss of each step."""
    __tracebackhide__ = True
    losses = []
    for batch in _batches(len(images), steps, batch_size):
        x, target = small[batch], images[batch]
        out = as_array(layer.forward(x), N_(f"{name}.forward(x) during training")).astype(np.float64)
        require(out.shape == target.shape, N_(f"{name}.forward(x) for x of shape {x.shape}: expected "
              f"shape {target.shape}, got shape {out.shape}"))
        grad_out = out - target  # per sample: d (0.5 * |out - target|^2) / d out
        losses.append(float(0.5 * np.mean(np.sum(grad_out ** 2, axis=(1, 2, 3)))))
        grads = layer_pass(student, layer, x, grad_out, name=name, params=2, input_gradient=False)
        layer.update_param(grads.param_grads, learning_rate)
    return losses


def torch_upsampling(small: np.ndarray, images: np.ndarray, kernel: np.ndarray, bias: np.ndarray,
                     *, steps: int, batch_size: int, learning_rate: float,
                     **options: Any) -> tuple[np.ndarray, np.ndarray]:
    """`train_upsampling`'s loop with torch autograd and torch's transposed convolution."""
    k, b = tensor(kernel, requires_grad=True), tensor(bias, requires_grad=True)
    for batch in _batches(len(images), steps, batch_size):
        out = _with_parameters(conv_transpose2d, tensor(small[batch]), k, b, **options)
        (0.5 * ((out - tensor(images[batch])) ** 2).sum(dim=(1, 2, 3)).mean()).backward()
        with torch.no_grad():
            for parameter in (k, b):
                parameter -= learning_rate * parameter.grad
                parameter.grad = None
    return _frozen(numpy(k)), _frozen(numpy(b))


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def check_pooling_and_flatten_gradients(student: Any, nb: Any, rng: np.random.Generator,
                                        shape: tuple[int, ...]) -> None:
    """MaxPooling's gradient goes to each window's maximum (torch's max_pool2d; the inputs are
    continuous random values, so no window holds a tie), FlattenLayer's is a reshape; in either
    form of the gradients."""
    __tracebackhide__ = True
    x = rng.standard_normal(shape)
    xt = torch.tensor(x, requires_grad=True)
    out = F.max_pool2d(xt, 2, 2)
    grad = rng.standard_normal(tuple(out.shape))
    out.backward(torch.tensor(grad))
    pooled = layer_pass(student, nb.MaxPooling(), x, grad, name="MaxPooling()", params=0)
    assert_close(pooled.grad_input, xt.grad.numpy(), N_(f"{pooled.how} for x of shape {shape}"),
                 against=N_("torch max_pool2d's gradient"),
                 hint=N_("each window's gradient goes to the position of its maximum only."))
    flat_grad = rng.standard_normal((shape[0], int(np.prod(shape[1:]))))
    flat = layer_pass(student, nb.FlattenLayer(), x, flat_grad, name="FlattenLayer()", params=0)
    assert_close(flat.grad_input, flat_grad.reshape(shape), N_(f"{flat.how} for x of shape {shape}"),
                 against=N_("grad_output reshaped to the input's shape"))


# The training protocols: digits averaged over 2x2 blocks (14x14), batch 32, so that a
# Jacobian-form layer fits in the worker (see [limits] in assignment.toml). The student's kernel
# and bias must follow torch's SGD trajectory through the same steps (float32 tolerance): the loss
# alone cannot tell a training convolution, since the grader's head learns even when it does not.
BATCH = 32


@functools.cache
def digits_case(first: int, last: int, kernel_seed: int, kernel_shape: tuple[int, ...],
                scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 14x14 and 28x28 digits first..last (float64), their labels, an initial kernel."""
    images, labels = mnist_images()
    kernel = np.random.default_rng(kernel_seed).standard_normal(kernel_shape) * scale
    big = images[first:last].astype(np.float64)
    arrays = (small_digits(big), big, np.argmax(labels[first:last], axis=1), kernel)
    for array in arrays:
        array.flags.writeable = False
    return arrays


@functools.cache
def _conv_trajectory(first: int, last: int, kernel_seed: int, steps: int, head_seed: int,
                     learning_rate: float) -> tuple[np.ndarray, np.ndarray]:
    small, _, digits, kernel = digits_case(first, last, kernel_seed, (3, 3, 1, 4), np.sqrt(2 / 9))
    return torch_conv_classifier(small, digits, kernel, steps=steps, batch_size=BATCH,
                                 learning_rate=learning_rate, seed=head_seed, padding="same",
                                 stride=2)


def check_conv2d_trains_like_torch(student: Any, nb: Any, *, first: int, last: int,
                                   kernel_seed: int, steps: int, head_seed: int,
                                   learning_rate: float = 0.1) -> None:
    """Conv2DLayer(3, 1, 4, 'same', 2) under the grader's ReLU -> dense softmax head."""
    __tracebackhide__ = True
    small, _, digits, kernel = digits_case(first, last, kernel_seed, (3, 3, 1, 4), np.sqrt(2 / 9))
    name = N_("Conv2DLayer(3, 1, 4, 'same', 2)")
    conv = nb.Conv2DLayer(3, 1, 4, "same", 2, kernel.copy(), np.zeros(4))
    train_conv_classifier(student, conv, small, digits, steps=steps, batch_size=BATCH,
                          learning_rate=learning_rate, seed=head_seed, name=name)
    _check_trajectory(conv, _conv_trajectory(first, last, kernel_seed, steps, head_seed, learning_rate),
                      f"{name} after {steps} SGD steps on 14x14 MNIST digits (lr {learning_rate}, "
                      f"batch {BATCH}) under the grader's ReLU -> dense softmax head")


@functools.cache
def _upsampling_trajectory(first: int, last: int, kernel_seed: int, steps: int,
                           learning_rate: float) -> tuple[np.ndarray, np.ndarray]:
    small, big, _, kernel = digits_case(first, last, kernel_seed, (4, 4, 1, 1), 0.1)
    return torch_upsampling(small, big, kernel, np.zeros(1), steps=steps, batch_size=BATCH,
                            learning_rate=learning_rate, padding=1, stride=2)


def check_upsampling_trains_like_torch(student: Any, nb: Any, *, first: int, last: int,
                                       kernel_seed: int, steps: int,
                                       learning_rate: float = 0.002) -> None:
    """Conv2DTrLayer(4, 1, 1, 1, 2) fitted to map 14x14 digits back to their 28x28 originals."""
    __tracebackhide__ = True
    small, big, _, kernel = digits_case(first, last, kernel_seed, (4, 4, 1, 1), 0.1)
    name = N_("Conv2DTrLayer(4, 1, 1, 1, 2)")
    layer = nb.Conv2DTrLayer(4, 1, 1, 1, 2, kernel.copy(), np.zeros(1))
    train_upsampling(student, layer, small, big, steps=steps, batch_size=BATCH,
                     learning_rate=learning_rate, name=name)
    _check_trajectory(layer, _upsampling_trajectory(first, last, kernel_seed, steps, learning_rate),
                      f"{name} after {steps} SGD steps upsampling 14x14 MNIST digits to 28x28 "
                      f"(lr {learning_rate}, batch {BATCH})")


def _check_trajectory(layer: Any, expected: tuple[np.ndarray, np.ndarray], what: str) -> None:
    __tracebackhide__ = True
    hint = (N_("the per-sample kernel and bias gradients (backward or grad_param) must be right, and "
               "update_param must subtract learning_rate times their batch mean."))
    for label, value in zip(("kernel", "bias"), expected, strict=True):
        assert_close(getattr(layer, label), value, N_(f"{what}: the {label}"),
                     against=N_("the same steps in torch"), tolerance="float32", hint=hint)
