"""Part 1 on other shapes and data than the public tests: DenseLayer on random shapes, MaxPooling
on several channels; and, as findings (the course's inputs never go there): Softmax on inputs of
+-1000, MaxPooling on odd sizes."""

import pytest
import torch
import torch.nn.functional as F

from autograder import N_
from autograder.testing import assert_close

TASK = "Forward"


@pytest.mark.task(TASK)
@pytest.mark.extends("test_dense_forward_is_x_at_W_plus_b")
@pytest.mark.parametrize("batch, input_dim, output_dim", [(1, 7, 2), (16, 30, 11)])
def test_dense_forward_on_random_shapes(student, rng, batch, input_dim, output_dim):
    nb = student.module("notebook")
    W, b = rng.standard_normal((input_dim, output_dim)), rng.standard_normal(output_dim)
    x = rng.standard_normal((batch, input_dim))
    assert_close(nb.DenseLayer(input_dim, output_dim, W_init=W, b_init=b).forward(x), x @ W + b,
                 N_(f"DenseLayer({input_dim}, {output_dim}).forward(x) for x of shape {x.shape}"),
                 against=N_("x @ W + b"))


@pytest.mark.task(TASK)
@pytest.mark.robustness
def test_softmax_survives_inputs_of_a_thousand(student, rng):
    x = rng.standard_normal((3, 6)) * 1000
    assert_close(student.module("notebook").Softmax().forward(x),
                 torch.softmax(torch.tensor(x), dim=1).numpy(),
                 N_("Softmax().forward(x) for x of shape (3, 6) with entries of about +-1000"),
                 against=N_("torch.softmax(x, dim=1)"),
                 hint=N_("exp overflows for large inputs: subtract each row's maximum before exp "
                         "(softmax does not change)."))


@pytest.mark.task(TASK)
@pytest.mark.extends("test_flatten_and_maxpooling_forward_match_torch")
@pytest.mark.parametrize("shape", [(1, 1, 4, 4), (3, 4, 8, 6)])
def test_maxpooling_on_other_shapes_and_channels(student, rng, shape):
    check_maxpooling(student, rng, shape)


@pytest.mark.task(TASK)
@pytest.mark.robustness
@pytest.mark.parametrize("shape", [(1, 1, 5, 5), (3, 4, 9, 6)])
def test_maxpooling_on_odd_sizes(student, rng, shape):
    check_maxpooling(student, rng, shape)


def check_maxpooling(student, rng, shape):
    __tracebackhide__ = True
    x = rng.standard_normal(shape)
    assert_close(student.module("notebook").MaxPooling().forward(x),
                 F.max_pool2d(torch.tensor(x), 2, 2).numpy(),
                 N_(f"MaxPooling().forward(x) for x of shape {shape}"),
                 against=N_("torch.nn.functional.max_pool2d(x, 2, 2) (Keras' 'valid' pooling)"),
                 hint=N_("an odd last row or column has no full window and is dropped."))
