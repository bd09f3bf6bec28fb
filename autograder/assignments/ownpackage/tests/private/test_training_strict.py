"""Part 3 on real data: your Network and DenseLayer, trained by Network.fit on MNIST digits with
the grader's softmax cross-entropy loss (so that only part 3's classes are graded), must raise
the accuracy on digits the grader holds back, as in the course."""

import numpy as np
import pytest

from autograder.checks import as_array, check
from autograder.checks.keras_parity import mnist_images

TASK = "Parameter gradients and training"
# Calibration (reference classes): fit on 1600 images (1200 train after the 25% validation split,
# 75 batches of 16, lr 0.1) from zero weights: held-out accuracy 0.85; untrained 0.10.
TRAIN, HELD_OUT, THRESHOLD = 1600, 1000, 0.75


@pytest.mark.task(TASK)
def test_fit_on_mnist_raises_held_out_accuracy(student):
    nb = student.module("notebook")
    images, labels = mnist_images()
    flat = images.reshape(len(images), -1).astype(np.float64)
    net = nb.Network([nb.DenseLayer(784, 10, W_init=np.zeros((784, 10)), b_init=np.zeros(10))],
                     loss=student.probe("jacobian.softmax_cross_entropy"))
    net.fit(flat[:TRAIN], labels[:TRAIN].astype(np.float64), validation_split=0.25, batch_size=16,
            nb_epoch=1, learning_rate=0.1)
    held_out = slice(len(flat) - HELD_OUT, len(flat))
    scores = as_array(net.predict(flat[held_out]), "Network.predict on held-out MNIST digits",
                      shape=(HELD_OUT, 10))
    accuracy = float(np.mean(np.argmax(scores, axis=1) == np.argmax(labels[held_out], axis=1)))
    check(accuracy >= THRESHOLD,
          f"Network([DenseLayer(784, 10)]).fit(...) on {TRAIN} MNIST digits (batch 16, lr 0.1, one "
          f"epoch): accuracy on {HELD_OUT} held-out digits is {accuracy:.3f}, expected at least "
          f"{THRESHOLD} (a correct implementation reaches ~0.85; untrained: ~0.10).\n  Hint: check "
          "that train_step moves each parameter against the batch mean of its gradient.")
