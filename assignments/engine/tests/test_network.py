"""The notebook's networks keep their shapes: Sequential of two identity Layers, and the network of
the train loop, Linear(784, 40) / ReLU / Linear(40, 40) / ReLU / Linear(40, 10)."""

import pytest

from autograder.checks import as_array


@pytest.mark.task("Training")
def test_networks_keep_the_shapes_the_notebook_expects(student, rng):
    notebook = student.module("notebook")
    identity = notebook.Sequential([notebook.Layer(), notebook.Layer()])
    as_array(identity.forward(rng.random((3, 5))), "Sequential([Layer(), Layer()]).forward(x) for "
             "x of shape (3, 5)", shape=(3, 5), hint="Layer passes data through unchanged.")
    as_array(identity.backward(rng.random((3, 5))), "Sequential([Layer(), Layer()]).backward("
             "grads) for grads of shape (3, 5)", shape=(3, 5),
             hint="Layer passes gradients through unchanged.")
    network = notebook.Sequential([notebook.Linear(784, 40), notebook.ReLU(),
                                   notebook.Linear(40, 40), notebook.ReLU(),
                                   notebook.Linear(40, 10)])
    name = "Sequential([Linear(784, 40), ReLU(), Linear(40, 40), ReLU(), Linear(40, 10)])"
    as_array(network.forward(rng.random((32, 784))), f"{name}.forward(x) for x of shape (32, 784)",
             shape=(32, 10), hint="each layer's output is the next layer's input.")
    as_array(network.backward(rng.random((32, 10))), f"{name}.backward(grads) for grads of shape "
             "(32, 10)", shape=(32, 784), hint="backward goes through the layers in reverse order.")
