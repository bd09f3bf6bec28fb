"""Keras 3 on the torch backend as a reference, for courses that compare with Keras (seed 001).

Keras runs only here, in the grader, with KERAS_BACKEND=torch set before it is imported (never
TensorFlow). Importing it costs seconds, so it is imported only when a result is not stored yet:
every result here depends only on the grader's fixed inputs, and is kept on disk
(`stored_results`), computed once per machine and version of Keras and torch. The Keras model
that is trained (the course's MaxPooling -> Flatten -> Dense softmax classifier) is also kept in
memory once per grading process.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from autograder.datasets import load_mnist
from autograder.testing.stored_results import Arrays, stored_on_disk

KERAS_VERSIONS = ("keras", "torch", "numpy")


def _keras() -> ModuleType:
    os.environ["KERAS_BACKEND"] = "torch"  # before keras is first imported
    import keras

    return keras


# The course's classifier trains for 2 epochs on 45,000 images; here for one epoch on the first
# TRAIN_IMAGES of the MNIST test split (the only split available offline), which takes ~2 s, and
# is compared on the VALIDATION_IMAGES after them.
TRAIN_IMAGES = 6000
VALIDATION_IMAGES = 2000
SEED = 20240901


@dataclass(frozen=True)
class TrainedClassifier:
    """The course's Keras classifier after training, and what it predicts for held-out images."""

    weights: np.ndarray  # (196, 10) float32, the Dense kernel (input_dim, output_dim)
    bias: np.ndarray  # (10,) float32
    images: np.ndarray  # (VALIDATION_IMAGES, 1, 28, 28) float32 in [0, 1]
    predictions: np.ndarray  # (VALIDATION_IMAGES, 10) float32 softmax outputs


@functools.cache
def mnist_images() -> tuple[np.ndarray, np.ndarray]:
    """MNIST test split as the course prepares it: (N, 1, 28, 28) float32 / 255, one-hot float32."""
    images, labels = load_mnist(split="test")
    return (images.reshape(-1, 1, 28, 28).astype(np.float32) / 255,
            np.eye(10, dtype=np.float32)[labels])


@functools.cache
def trained_pooling_classifier() -> TrainedClassifier:
    """The course's `get_keras_model()`: MaxPooling2D(2, channels_first) -> Flatten -> Dense(10,
    softmax), SGD(0.01, momentum 0.9, Nesterov), batch 32, trained deterministically."""
    images, labels = mnist_images()
    held_out = images[TRAIN_IMAGES:TRAIN_IMAGES + VALIDATION_IMAGES]
    weights, bias, predictions = _train_pooling_classifier(images[:TRAIN_IMAGES],
                                                           labels[:TRAIN_IMAGES], held_out)
    return TrainedClassifier(weights, bias, held_out, predictions)


@stored_on_disk(*KERAS_VERSIONS)
def _train_pooling_classifier(images: np.ndarray, labels: np.ndarray, held_out: np.ndarray) -> Arrays:
    keras = _keras()
    keras.utils.set_random_seed(SEED)
    inputs = keras.Input(shape=(1, 28, 28))
    pooled = keras.layers.MaxPooling2D(pool_size=(2, 2), data_format="channels_first")(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(pooled))
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(loss="categorical_crossentropy",
                  optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True))
    model.fit(images, labels, batch_size=32, epochs=1, verbose=0, shuffle=False)
    weights, bias = (np.asarray(w) for w in model.get_weights())
    return weights, bias, np.asarray(keras.ops.convert_to_numpy(model(held_out, training=False)))


def conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, *, padding: str,
           stride: int) -> np.ndarray:
    """keras.layers.Conv2D(channels_first) in float64, kernel (k, k, in, out)."""
    return _conv2d(x, kernel, bias, padding=padding, stride=stride)[0]


@stored_on_disk(*KERAS_VERSIONS)
def _conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, *, padding: str,
            stride: int) -> Arrays:
    keras = _keras()
    k, _, _, out_channels = kernel.shape
    layer = keras.layers.Conv2D(out_channels, k, strides=stride, padding=padding,
                                data_format="channels_first", dtype="float64")
    layer.build((None,) + x.shape[1:])
    layer.set_weights([kernel, bias])
    return (np.asarray(keras.ops.convert_to_numpy(layer(x)), dtype=np.float64),)


def conv2d_transpose(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, *, padding: str,
                     stride: int) -> np.ndarray:
    """keras.layers.Conv2DTranspose(channels_first) in float64, for a kernel in the course's
    layout (k, k, in, out); Keras stores it as (k, k, out, in)."""
    return _conv2d_transpose(x, kernel, bias, padding=padding, stride=stride)[0]


@stored_on_disk(*KERAS_VERSIONS)
def _conv2d_transpose(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, *, padding: str,
                      stride: int) -> Arrays:
    keras = _keras()
    k, _, _, out_channels = kernel.shape
    layer = keras.layers.Conv2DTranspose(out_channels, k, strides=stride, padding=padding,
                                         data_format="channels_first", dtype="float64")
    layer.build((None,) + x.shape[1:])
    layer.set_weights([kernel.transpose(0, 1, 3, 2), bias])
    return (np.asarray(keras.ops.convert_to_numpy(layer(x)), dtype=np.float64),)
