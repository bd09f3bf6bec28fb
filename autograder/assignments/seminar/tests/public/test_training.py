"""Part 2: the seed's MNIST training run with the student's own classes, in the shorter protocol
of `[training]` in assignment.toml (calibration figures there). The training loop runs in the
worker as one call; the held-out labels stay in the grader."""

import numpy as np
import pytest

from autograder import N_, config
from autograder.testing import as_array, require
from autograder.datasets import load_mnist
from autograder.interfaces.sgd_layers import MinibatchProtocol
from autograder.runtime.probes import name_of
from autograder.runtime.probes.sgd_layers import minibatch_training

PROTOCOL = config.load_for(__file__).table("training", MinibatchProtocol)
HINT = (N_("if ReLU, Dense, the softmax cross-entropy and NeuralNetwork pass their own checks, look "
           "at Dense's initialisation: small normal random weights (np.random.randn(input_units, "
           "output_units) * 0.01) and zero biases."))


def mnist_protocol_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The MNIST test split as the seed's load_mnist scales it (x / 256, float32, flattened):
    the first images train, the last ones are held out."""
    images, labels = load_mnist("test")
    x = images.reshape(len(images), -1) / np.float32(256)
    train, held_out = PROTOCOL.train_images, PROTOCOL.validation_images
    return x[:train], labels[:train], x[-held_out:], labels[-held_out:]


@pytest.mark.task("MNIST training")
def test_training_run_reaches_the_calibrated_accuracy(student):
    x_train, y_train, x_val, y_val = mnist_protocol_split()
    notebook = student.module("notebook")
    layers = [notebook.Dense(784, 40), notebook.ReLU(), notebook.Dense(40, 40), notebook.ReLU(),
              notebook.Dense(40, 10)]
    model = notebook.NeuralNetwork(layers)
    losses = student.probe(name_of(minibatch_training), model, x_train, y_train,
                           PROTOCOL.batch_size, PROTOCOL.epochs, PROTOCOL.shuffle_seed)
    activations = model.forward(x_val)
    require(isinstance(activations, list) and len(activations) == len(layers),
          N_("NeuralNetwork.forward(X_val) did not return a list of 5 activations.\n  Hint: fix "
             "NeuralNetwork first (its own checks say how)."))
    logits = as_array(activations[-1], N_(f"the logits forward(X_val)[-1] for X_val of shape "
                      f"{x_val.shape}"), shape=(len(x_val), 10))
    accuracy = float(np.mean(logits.argmax(axis=1) == y_val))
    threshold = PROTOCOL.threshold
    curve = ", ".join(f"{loss:.4g}" for loss in losses)
    require(accuracy >= threshold,
          N_(f"After the grader's training run ({PROTOCOL.epochs} epochs over the first "
             f"{len(x_train)} images of the MNIST test split, batch {PROTOCOL.batch_size}, "
             f"Dense(784, 40) / ReLU / Dense(40, 40) / ReLU / Dense(40, 10) with learning rate 0.1), "
             f"the accuracy on the last {len(x_val)} images was {accuracy:.4f}, below the required "
             f"{threshold}. Mean training loss per epoch: "
             f"{curve}.\n  Hint: {HINT}"))
