"""The Training task: the course's own train loop (batches of 32, 10 epochs, Linear's default
learning rate 0.1 and its given initialisation, the softmax cross-entropy) on the network of the
notebook's "Train loop" section, built from the student's classes, on part of the MNIST test split;
measured after every epoch on held-out images, it must reach the calibrated accuracy and loss
(protocol, calibration and margins: `[training]` in assignment.toml). The loop runs in the worker
as one call; the held-out labels stay in the grader."""

import pytest

from autograder import N_
from autograder.assignments.engine.training_protocol import ARCHITECTURE, PROTOCOL, run
from autograder.testing import require
from autograder.runtime.probes import name_of
from autograder.runtime.probes.sgd_linear import logits_training

HINT = (N_("if Linear and ReLU pass their own tests, look at what else the network uses: Linear's "
           "given initialisation (W = np.random.randn(in_channels, out_channels) * 0.01 and b = "
           "zeros) and its given update (W = W - grad_W * learning_rate), which your grad_W and "
           "grad_b feed."))


@pytest.mark.task("Training")
def test_the_courses_train_loop_reaches_the_calibrated_accuracy_and_loss(student, rng):
    seed = int(rng.integers(2**31))

    def train(network, *arguments):
        return student.probe(name_of(logits_training), network, *arguments)

    report = run(student.module("notebook"), seed, train)
    passed = (report.best_accuracy >= PROTOCOL.min_accuracy
              and report.best_loss <= PROTOCOL.max_loss)
    require(passed, N_(f"The grader ran the course's train loop on {ARCHITECTURE}, built from your "
          f"classes (default learning_rate), with batches of {PROTOCOL.batch_size} for "
          f"{PROTOCOL.epochs} epochs over part of the MNIST {PROTOCOL.split} split, measuring "
          f"it on {PROTOCOL.held_out} held-out images {report.describe()}. Required after some "
          f"epoch: accuracy >= {PROTOCOL.min_accuracy}, and loss <= {PROTOCOL.max_loss} (a "
          f"correct solution reaches about 0.93 and 0.25; a network that learns nothing stays near "
          f"0.11 and 2.30).\n  Hint: {HINT}"))
