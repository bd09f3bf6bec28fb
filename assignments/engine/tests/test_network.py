"""The network of the notebook's train loop, Linear(784, 40) / ReLU / Linear(40, 40) / ReLU /
Linear(40, 10), built from the student's classes, keeps the shapes the notebook expects. (The
given Layer and Sequential are the course's code, not graded: the notebook's own checks of the
identity network test only them.)"""

import pytest

from autograder import N_
from autograder.testing import as_array


@pytest.mark.task("Training")
def test_the_train_loops_network_keeps_the_shapes_the_notebook_expects(student, rng):
    notebook = student.module("notebook")
    network = notebook.Sequential([notebook.Linear(784, 40), notebook.ReLU(),
                                   notebook.Linear(40, 40), notebook.ReLU(),
                                   notebook.Linear(40, 10)])
    name = N_("Sequential([Linear(784, 40), ReLU(), Linear(40, 40), ReLU(), Linear(40, 10)])")
    as_array(network.forward(rng.random((32, 784))), N_(f"{name}.forward(x) for x of shape (32, 784)"),
             shape=(32, 10), hint=N_("each layer's output is the next layer's input: Linear's "
             "forward returns (batch, out_channels) and ReLU keeps the shape."))
    as_array(network.backward(rng.random((32, 10))), N_(f"{name}.backward(grads) for grads of shape "
             "(32, 10)"), shape=(32, 784), hint=N_("each layer's backward returns the gradient w.r.t. "
             "its input, of the input's shape: Linear's (batch, in_channels)."))
