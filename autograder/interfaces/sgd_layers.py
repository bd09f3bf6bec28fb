"""Checks for the "SGD inside backward" interface (the seminar notebook, seed 000): layers whose
`backward(input, grad_output)` returns the input gradient and updates the layer's parameters, and a
container that chains them with a softmax cross-entropy loss.

- `affine_parameters` reads the map a dense layer computes through its `forward`, so no check
  depends on what the student named the weight attributes, and `check_dense_step` checks one
  training step of such a layer against torch;
- `scale_layers` and `use_known_good_loss` put the grader's known-good pieces (built in the
  worker, see `autograder.runtime.probes.sgd_layers`) around a student's container, and
  `expected_chain` says what the container must do with them, and `check_network_forward` /
  `check_network_backward` check that it did;
- `check_batch_loss` accepts a loss given as the batch mean or per sample, and
  `check_softmax_crossentropy` checks the seminar's loss and gradient functions with it;
- `MinibatchProtocol` is the seminar's training run (its `[training]` table), which the worker's
  `minibatch_training` (`autograder.runtime.probes.sgd_layers`) runs in one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from autograder import N_
from autograder.runtime.probes import name_of
from autograder.runtime.probes.sgd_layers import RecordingScaleLayer
from autograder.runtime.wire import GraderFunction
from autograder.testing import known_good
from autograder.testing.compare import as_array, assert_close, in_context, kind_of, require
from autograder.testing.layer_parity import check_layer_pass
from autograder.testing.torch_parity import linear, loss_and_grad, numpy, tensor


@dataclass(frozen=True)
class MinibatchProtocol:
    """The seminar's training run: the first `train_images` of the MNIST test split train for
    `epochs` in batches of `batch_size`, shuffled with `shuffle_seed`; the last
    `validation_images` must then be classified with an accuracy of at least `threshold`."""

    train_images: int
    validation_images: int
    epochs: int
    batch_size: int
    shuffle_seed: int
    threshold: float


def affine_parameters(layer: Any, input_units: int, output_units: int, name: str
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(W [in, out], b [out]) of an affine layer, read as forward(0) and forward(I) - forward(0)."""
    __tracebackhide__ = True
    zeros = np.zeros((1, input_units))
    bias = as_array(layer.forward(zeros), N_(f"{name}.forward(x) for x = zeros of shape (1, "
                    f"{input_units}) (the grader reads b this way)"), shape=(1, output_units))[0]
    images = as_array(layer.forward(np.eye(input_units)), N_(f"{name}.forward(x) for x = "
                      f"np.eye({input_units}) (the grader reads W this way)"),
                      shape=(input_units, output_units))
    return images.astype(np.float64) - bias, bias.astype(np.float64)


def check_dense_step(layer: Any, x: np.ndarray, grad_output: np.ndarray, *, learning_rate: float,
                     name: str, hints: dict[str, str], context: str = "") -> None:
    """One forward + backward of a dense layer against torch.nn.Linear, then the SGD step:
    W and b read back must be the old ones minus learning_rate times torch's gradients.
    `hints` holds "forward", "backward" and "step"."""
    __tracebackhide__ = True
    input_units, output_units = x.shape[1], grad_output.shape[1]
    weights, biases = affine_parameters(layer, input_units, output_units, name)
    expected = check_layer_pass(layer, linear(weights.T, biases), x, grad_output, name=name,
                                against="torch.nn.Linear", hints=hints, context=context)
    weights_after, biases_after = affine_parameters(layer, input_units, output_units, name)
    against = "the parameters before minus learning_rate times torch's gradients"
    assert_close(weights_after, weights - learning_rate * expected.grads["weight"].T,
                 in_context(N_(f"{name}: W after backward(x, grad_output) with x of shape {x.shape}"),
                            context),
                 against=against, hint=hints["step"])
    assert_close(biases_after, biases - learning_rate * expected.grads["bias"],
                 in_context(N_(f"{name}: b after backward(x, grad_output) with x of shape {x.shape}"),
                            context),
                 against=against, hint=hints["step"])


@dataclass
class ScaleLayer:
    """What the grader knows of one of its recording layers: y = x * scale + shift."""

    proxy: Any
    scale: np.ndarray
    shift: np.ndarray


def scale_layers(student: Any, rng: np.random.Generator, count: int, features: int,
                 learning_rate: float) -> list[ScaleLayer]:
    """`count` known-good recording layers in the worker, with random positive scales."""
    layers = []
    for _ in range(count):
        scale = rng.uniform(0.5, 1.5, features)
        shift = rng.normal(0, 0.5, features)
        layers.append(ScaleLayer(student.probe(name_of(RecordingScaleLayer), scale, shift,
                                               learning_rate), scale, shift))
    return layers


def use_known_good_loss(student: Any, module: Any) -> None:
    """Replace the student's softmax cross-entropy functions in `module` by the grader's, so a
    container is graded apart from the loss (which has its own task)."""
    for function in (known_good.softmax_crossentropy_with_logits,
                     known_good.grad_softmax_crossentropy_with_logits):
        setattr(module, function.__name__, GraderFunction(function.__name__, function))


@dataclass(frozen=True)
class ExpectedChain:
    """What a correct container does with scale layers on (x, y)."""

    activations: list[np.ndarray]
    loss: float
    backward_calls: list[tuple[np.ndarray, np.ndarray]]  # (input, grad_output) per layer
    scales_after: list[np.ndarray]


def expected_chain(layers: list[ScaleLayer], x: np.ndarray, y: np.ndarray,
                   learning_rate: float) -> ExpectedChain:
    """Forward through the layers, softmax cross-entropy (mean) by torch, backward last to first."""
    activations, value = [], x
    for layer in layers:
        value = value * layer.scale + layer.shift
        activations.append(value)
    logits = tensor(activations[-1], requires_grad=True)
    loss = torch.nn.functional.cross_entropy(logits, tensor(y))
    loss.backward()
    grad = numpy(logits.grad)
    inputs = [x] + activations[:-1]
    calls, scales = [], []
    for layer, layer_input in zip(reversed(layers), reversed(inputs), strict=True):
        calls.insert(0, (layer_input, grad))
        scales.insert(0, layer.scale - learning_rate * (grad * layer_input).sum(axis=0))
        grad = grad * layer.scale
    return ExpectedChain(activations, float(loss.detach()), calls, scales)


def check_batch_loss(value: Any, logits: np.ndarray, y: np.ndarray, *, what: str,
                     hint: str = "") -> float:
    """A softmax cross-entropy given as the batch mean (a number) or per sample (shape [batch]),
    against torch; returns the mean."""
    __tracebackhide__ = True
    per_sample = numpy(torch.nn.functional.cross_entropy(tensor(logits), tensor(y),
                                                         reduction="none"))
    if isinstance(value, np.ndarray) and value.ndim == 1:
        values = assert_close(value, per_sample, N_(f"{what} (a vector: the loss of each object)"),
                              against="torch.nn.functional.cross_entropy(reduction='none')",
                              hint=hint)
        return float(np.mean(values))
    require(not isinstance(value, (list, tuple)),
          N_(f"{what}: expected a number (the mean over the batch), got a {type(value).__name__}"))
    mean = as_array(value, N_(f"{what} (the mean over the batch)"), shape=(),
                    hint=N_("return one number, e.g. np.mean(...) of the per-object losses"))
    assert_close(mean, per_sample.mean(), N_(f"{what} (the mean over the batch)"),
                 against="torch.nn.functional.cross_entropy", hint=hint)
    return float(mean)


def check_softmax_crossentropy(module: Any, logits: np.ndarray, y: np.ndarray, *, case: str,
                               hints: dict[str, str]) -> None:
    """The module's softmax_crossentropy_with_logits (mean or per sample) and
    grad_softmax_crossentropy_with_logits against torch; `hints` holds "loss" and "grad"."""
    __tracebackhide__ = True
    _, grad = loss_and_grad("CrossEntropyLoss", logits, y)
    check_batch_loss(module.softmax_crossentropy_with_logits(logits, y), logits, y,
                     what=N_(f"softmax_crossentropy_with_logits(logits, y_true), {case}"),
                     hint=hints["loss"])
    assert_close(module.grad_softmax_crossentropy_with_logits(logits, y), grad,
                 N_(f"grad_softmax_crossentropy_with_logits(logits, y_true), {case}"),
                 against=N_("torch autograd of the mean cross-entropy"), hint=hints["grad"])


def check_network_forward(net: Any, layers: list[ScaleLayer], x: np.ndarray,
                          expected: ExpectedChain, *, hints: dict[str, str]) -> None:
    """`net.forward(x)` is the list of every layer's output and `net.predict(x)` the argmax of
    the last; `hints` holds "forward" and "predict"."""
    __tracebackhide__ = True
    name = N_(f"NeuralNetwork({len(layers)} layers)")
    activations = net.forward(x)
    count = len(activations) if isinstance(activations, (list, tuple)) else None
    require(count == len(layers),
          N_(f"{name}.forward(X): expected a list of {len(layers)} activations (one per layer), got "
             f"{'a list of ' + str(count) if count is not None else kind_of(activations)}.\n"
             f"  Hint: {hints['forward']}"))
    for index, (got, want) in enumerate(zip(activations, expected.activations, strict=True)):
        assert_close(got, want, N_(f"{name}.forward(X)[{index}] for X of shape {x.shape}"),
                     against=N_("the layers applied in order"), hint=hints["forward"])
    what = N_(f"{name}.predict(X) for X of shape {x.shape}")
    predicted = as_array(net.predict(x), what, shape=(len(x),), hint=hints["predict"])
    assert_close(predicted, expected.activations[-1].argmax(axis=-1), what,
                 against=N_("the argmax of the last activation"), hint=hints["predict"])


def check_network_backward(net: Any, layers: list[ScaleLayer], x: np.ndarray, y: np.ndarray,
                           expected: ExpectedChain, *, hint: str) -> None:
    """`net.backward(x, y)` returns the mean loss and calls each layer's backward once, with the
    layer's forward input and the chain-rule gradient."""
    __tracebackhide__ = True
    name = N_(f"NeuralNetwork({len(layers)} layers).backward(X, y)")
    loss = as_array(net.backward(x, y), N_(f"{name} return value"), shape=(),
                    hint=N_("return the mean loss, a number."))
    assert_close(loss, expected.loss, N_(f"{name} return value"),
                 against=N_("the mean softmax cross-entropy of the logits (torch)"),
                 hint=N_("return np.mean(loss), the loss computed before the layers' updates."))
    for index, (layer, (layer_input, grad)) in enumerate(
            zip(layers, expected.backward_calls, strict=True)):
        calls = [call for call in layer.proxy.calls if call[0] == "backward"]
        require(len(calls) == 1, N_(f"{name}: layer {index} had its backward called {len(calls)} "
              f"times, expected once.\n  Hint: {hint}"))
        assert_close(calls[0][1], layer_input, N_(f"{name}: the input passed to layer {index}'s "
                     "backward"), against=N_("that layer's input in the forward pass"), hint=hint)
        assert_close(calls[0][2], grad, N_(f"{name}: the grad_output passed to layer {index}'s "
                     "backward"), against=N_("the chain rule from the loss gradient back to that "
                     "layer"), hint=hint)


def check_network(student: Any, rng: np.random.Generator, *, layer_count: int, batch: int,
                  features: int, hints: dict[str, str], learning_rate: float = 0.1,
                  label_dtype: type = np.int64) -> None:
    """The student's `NeuralNetwork` of `layer_count` known-good scale layers, with the grader's
    loss in place of the student's: forward, predict, then backward on one batch."""
    __tracebackhide__ = True
    notebook = student.module("notebook")
    use_known_good_loss(student, notebook)
    layers = scale_layers(student, rng, layer_count, features, learning_rate)
    net = notebook.NeuralNetwork([layer.proxy for layer in layers])
    x = rng.standard_normal((batch, features))
    y = rng.integers(0, features, batch).astype(label_dtype)
    expected = expected_chain(layers, x, y, learning_rate)
    check_network_forward(net, layers, x, expected, hints=hints)
    check_network_backward(net, layers, x, y, expected, hint=hints["backward"])
