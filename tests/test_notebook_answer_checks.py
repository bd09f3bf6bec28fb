"""The checks the notebook assignments (seminar, lecture) are built on: numeric answers, inputs away
from kinks, random-slope statistics, and the worker-side training loop of the seminar."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

from autograder import config
from autograder.failures import CheckFailed, StudentError
from autograder.interfaces.random_slopes import check_random_slopes
from autograder.runtime.probes import sgd_layers
from autograder.testing import answers
from autograder.testing.layer_parity import away_from

TOLERANCE = answers.HandTolerance(atol=0.002, rtol=0.01)
LECTURE_KEYS = config.load("lecture").answer_keys


class Missing:
    """Stands for a notebook module whose answer is absent, as the worker reports it."""

    def __getattr__(self, name):
        raise StudentError(f"notebook.{name}", "AttributeError",
                           f"your notebook defines no {name!r} at its top level", [])


def test_a_missing_answer_is_reported_as_not_implemented_yet():
    with pytest.raises(CheckFailed, match="exercise1_table is not implemented yet"):
        answers.fetch(Missing(), "exercise1_table")


@pytest.mark.parametrize("value, complaint", [
    ([[1, 2]] * 3, "row 1: expected 3 numbers"),
    ([[1, 2, 3]] * 2, "expected a list of 3 rows"),
    ([[1, None, 3]] * 3, "row 1, column b: expected a number, got None (fill it in)"),
    ([[1, "2,5,1", 3]] * 3, "row 1, column b: expected a number, got the text '2,5,1'"),
    ([[1, float("nan"), 3]] * 3, "expected a finite number"),
    ([[1, True, 3]] * 3, "expected a number, got a bool"),
])
def test_a_table_of_the_wrong_layout_names_the_place(value, complaint):
    with pytest.raises(CheckFailed, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        answers.table(value, "t", ("a", "b", "c"), rows=3)


def test_a_table_may_be_an_array_and_comes_back_as_floats():
    assert answers.table(np.arange(6).reshape(2, 3), "t", ("a", "b", "c"), rows=2) == \
        [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_entries_need_every_key_and_ignore_others():
    with pytest.raises(CheckFailed, match="no key for 'dMSE/dw'"):
        answers.entries({"MSE": 7.5}, "linreg", ["MSE", "dMSE/dw"])
    assert answers.entries({"MSE": 7.5, "dMSE/dw": -15, "note": "x"}, "linreg",
                           ["MSE", "dMSE/dw"]) == {"MSE": 7.5, "dMSE/dw": -15.0}


LINREG_KEYS = LECTURE_KEYS["linreg"]


@pytest.mark.parametrize("gradient", ["dMSE/dw", "dmse_dw", "dMSE_dw", "d MSE / d w", "DMSE-DW",
                                      "dw", "grad_w", "dL/dw"])
def test_entries_accept_the_spellings_a_student_would_write(gradient):
    assert answers.entries({"mse": 7.5, gradient: -15.0}, "linreg", LINREG_KEYS) == \
        {"MSE": 7.5, "dMSE/dw": -15.0}


def test_the_exact_key_wins_over_another_spelling_of_it():
    assert answers.entries({"MSE": 7.5, "dMSE/dw": -15.0, "dw": 3.0}, "linreg",
                           LINREG_KEYS)["dMSE/dw"] == -15.0


def test_a_missing_key_is_named_with_its_spellings_and_the_keys_found():
    with pytest.raises(CheckFailed) as failure:
        answers.entries({"MSE": 7.5, "derivative": -15.0}, "linreg", LINREG_KEYS)
    message = str(failure.value)
    assert "linreg: no key for 'dMSE/dw'" in message and "'dMSE/dw' may also be 'dw'" in message
    assert "found the keys 'MSE', 'derivative'" in message and "Hint:" in message


def test_two_spellings_of_one_key_are_ambiguous_and_named():
    with pytest.raises(CheckFailed, match="'dw', 'grad' all stand for 'dMSE/dw'"):
        answers.entries({"MSE": 7.5, "dw": -15.0, "grad": -15.0}, "linreg", LINREG_KEYS)


def test_the_lecture_notebook_names_every_expected_key_beside_its_exercise():
    cells = nbformat.read(config.load("lecture").student_dir / "notebook.ipynb", as_version=4).cells
    for name, keys in LECTURE_KEYS.items():
        # the exercise's code cell, the markdown cell before it (the exercise's text)
        code = next(i for i, c in enumerate(cells) if c.cell_type == "code" and
                    f"# {name} = {{" in c.source)
        text = cells[code - 1].source
        for key in keys:
            assert f"'{key}'" in text and f'"{key}"' in cells[code].source, (name, key)


def test_a_table_cell_left_as_text_is_named_with_its_text_and_how_to_write_a_number():
    with pytest.raises(CheckFailed, match=r"column b: expected a number, got the text 'n/a'\.\n"
                                          r"  Hint: write one number, e\.g\. 0\.924, 0,924"):
        answers.table([[1, "n/a", 3]], "t", ("a", "b", "c"), rows=1)


def test_a_missing_answer_says_the_hint_the_test_gives():
    with pytest.raises(CheckFailed, match="Hint: fill in the table under Exercise 1"):
        answers.fetch(Missing(), "exercise1_table", "fill in the table under Exercise 1")


def test_the_hand_tolerance_allows_rounding_to_three_digits_and_no_more():
    assert TOLERANCE.accepts(0.924, 0.92414) and TOLERANCE.accepts(-0.146, -0.14554)
    assert not TOLERANCE.accepts(-0.15, -0.14554) and not TOLERANCE.accepts(0.9, 0.92414)


def test_a_private_check_lists_wrong_cells_with_hints_but_never_the_right_value():
    expected = {"step 1, z": 0.924142, "step 1, L": 2.154614}
    with pytest.raises(CheckFailed) as failure:
        answers.check_cells({"step 1, z": 0.5, "step 1, L": 2.1546}, expected, what="table",
                            tolerance=TOLERANCE, hints={"step 1, z": "z = sigma(s)"},
                            reveal=False)
    message = str(failure.value)
    assert "1 of 2 cells are wrong" in message and "step 1, z: got 0.5" in message
    assert "z = sigma(s)" in message and "0.924" not in message and "step 1, L" not in message


def test_a_public_check_shows_the_right_value():
    with pytest.raises(CheckFailed, match="expected 3"):
        answers.check_cells({"y": 2.0}, {"y": 3.0}, what="t", tolerance=TOLERANCE, hints={},
                            reveal=True)


def test_inputs_stay_away_from_every_kink():
    x = away_from(np.random.default_rng(0), (10_000,), kinks=(0.0, 1.0), margin=0.05)
    assert np.abs(x).min() >= 0.05 and np.abs(x - 1.0).min() >= 0.05


class Slopes:
    """A randomized leaky ReLU in training mode whose slopes come from `draw`."""

    def __init__(self, draw):
        self.draw, self.slopes = draw, None

    def forward(self, x):
        self.slopes = np.where(x >= 0, 1.0, self.draw(x.shape))
        return x * self.slopes

    def backward(self, x, grad_output):
        return grad_output * self.slopes


def test_uniform_random_slopes_pass():
    rng = np.random.default_rng(1)
    check_random_slopes(Slopes(lambda shape: rng.uniform(0.125, 1 / 3, shape)), rng, "RReLU()",
                        lower=0.125, upper=1 / 3)


@pytest.mark.parametrize("low, high", [(0.2, 0.2), (0.125, 0.2), (0.0, 1 / 3)],
                         ids=["constant", "lower-half", "out-of-bounds"])
def test_slopes_that_are_not_uniform_on_the_bounds_fail(low, high):
    rng = np.random.default_rng(1)
    with pytest.raises(CheckFailed, match="RReLU"):
        check_random_slopes(Slopes(lambda shape: rng.uniform(low, high, shape)), rng, "RReLU()",
                            lower=0.125, upper=1 / 3)


def test_backward_must_reuse_the_slopes_of_forward():
    rng = np.random.default_rng(2)
    layer = Slopes(lambda shape: rng.uniform(0.125, 1 / 3, shape))
    layer.backward = lambda x, grad_output: grad_output * np.where(
        x >= 0, 1.0, rng.uniform(0.125, 1 / 3, x.shape))
    with pytest.raises(CheckFailed, match="the slopes forward"):
        check_random_slopes(layer, rng, "RReLU()", lower=0.125, upper=1 / 3)


class RecordingModel:
    def __init__(self):
        self.batches = []

    def backward(self, x, y):
        self.batches.append(y.copy())
        return np.full(len(y), float(len(self.batches)))


def test_the_worker_training_loop_follows_the_seeds_iterate_minibatches():
    """Every epoch reseeds and shuffles the same way; the last incomplete batch is dropped."""
    model = RecordingModel()
    targets = np.arange(10)
    losses = sgd_layers.minibatch_training(model, np.zeros((10, 2)), targets, batch_size=3,
                                           epochs=2, seed=1234)
    indices = np.arange(10).astype(np.int32)
    np.random.seed(1234)
    np.random.shuffle(indices)
    expected = [targets[indices[start:start + 3]] for start in range(0, 8, 3)]
    assert [b.tolist() for b in model.batches] == [b.tolist() for b in expected * 2]
    assert losses == [2.0, 5.0]
