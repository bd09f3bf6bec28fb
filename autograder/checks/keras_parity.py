"""Keras 3 on the torch backend as a reference, for courses that compare with Keras (seed 001).

Keras runs only here, in the grader, with KERAS_BACKEND=torch set before it is imported (never
TensorFlow). Importing it costs seconds, so this module is imported only by the tests that need
it, and the one Keras model that is trained (the course's MaxPooling -> Flatten -> Dense softmax
classifier) is trained once per grading process and cached.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np

os.environ["KERAS_BACKEND"] = "torch"

import keras  # noqa: E402  (the backend must be chosen first)

from autograder.datasets import load_mnist  # noqa: E402

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
    keras.utils.set_random_seed(SEED)
    images, labels = mnist_images()
    inputs = keras.Input(shape=(1, 28, 28))
    pooled = keras.layers.MaxPooling2D(pool_size=(2, 2), data_format="channels_first")(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(pooled))
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(loss="categorical_crossentropy",
                  optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True))
    model.fit(images[:TRAIN_IMAGES], labels[:TRAIN_IMAGES], batch_size=32, epochs=1, verbose=0,
              shuffle=False)
    held_out = images[TRAIN_IMAGES:TRAIN_IMAGES + VALIDATION_IMAGES]
    weights, bias = (np.asarray(w) for w in model.get_weights())
    predictions = keras.ops.convert_to_numpy(model(held_out, training=False))
    return TrainedClassifier(weights, bias, held_out, np.asarray(predictions))


def conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, *, padding: str,
           stride: int) -> np.ndarray:
    """keras.layers.Conv2D(channels_first) in float64, kernel (k, k, in, out)."""
    k, _, _, out_channels = kernel.shape
    layer = keras.layers.Conv2D(out_channels, k, strides=stride, padding=padding,
                                data_format="channels_first", dtype="float64")
    layer.build((None,) + x.shape[1:])
    layer.set_weights([kernel, bias])
    return np.asarray(keras.ops.convert_to_numpy(layer(x)), dtype=np.float64)


def conv2d_transpose(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, *, padding: str,
                     stride: int) -> np.ndarray:
    """keras.layers.Conv2DTranspose(channels_first) in float64, for a kernel in the course's
    layout (k, k, in, out); Keras stores it as (k, k, out, in)."""
    k, _, _, out_channels = kernel.shape
    layer = keras.layers.Conv2DTranspose(out_channels, k, strides=stride, padding=padding,
                                         data_format="channels_first", dtype="float64")
    layer.build((None,) + x.shape[1:])
    layer.set_weights([kernel.transpose(0, 1, 3, 2), bias])
    return np.asarray(keras.ops.convert_to_numpy(layer(x)), dtype=np.float64)
