"""The Training task: the seed's network, built from the student's classes, trained by the grader
through the proxy on part of the MNIST test split, must reach the calibrated held-out accuracy and
loss (protocol, calibration and margins: `[training]` in assignment.toml)."""

import pytest

from autograder.assignments.engine.protocol import ARCHITECTURE, PROTOCOL, run
from autograder.checks import check

HINT = ("if Linear and ReLU pass their own tests, look at what else the network uses: Linear's "
        "initialisation (W = np.random.randn(in_channels, out_channels) * 0.01 and b = zeros, as "
        "given) and Sequential (forward through the layers in order, backward in reverse order).")


@pytest.mark.task("Training")
def test_training_reaches_the_calibrated_accuracy_and_loss(student, rng):
    report = run(student.module("notebook"), rng)
    passed = (report.best_accuracy >= PROTOCOL["min_accuracy"]
              and report.best_loss <= PROTOCOL["max_loss"])
    check(passed, f"The grader trained {ARCHITECTURE}, built from your classes with "
          f"learning_rate={PROTOCOL['learning_rate']}, with batches of {PROTOCOL['batch_size']} "
          f"for {PROTOCOL['steps']} steps on part of the MNIST {PROTOCOL['split']} split, measuring "
          f"it on {PROTOCOL['held_out']} held-out images {report.describe()}. Required at some "
          f"measurement: accuracy >= {PROTOCOL['min_accuracy']}, and loss <= "
          f"{PROTOCOL['max_loss']} (a correct solution reaches about 0.91 and 0.30; a network that "
          f"learns nothing stays near 0.11 and 2.30).\n  Hint: {HINT}")
