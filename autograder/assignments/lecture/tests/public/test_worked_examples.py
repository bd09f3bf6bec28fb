"""Worked examples: `xor_forward`, `graph_backprop` and `linreg` are dicts holding a number under
each key the notebook names beside the exercise, spelled as a student would (`[answer_keys]` in
assignment.toml: case, spaces and separators do not matter, and each key lists other spellings).
Their values are checked by hidden tests."""

import pytest

from autograder import config
from autograder.testing import answers

KEYS = config.load_for(__file__).answer_keys


@pytest.mark.task("Worked examples")
@pytest.mark.parametrize("name", sorted(KEYS))
def test_worked_example_holds_a_number_per_key(student, name):
    answers.entries(answers.fetch(student.module("notebook"), name), name, KEYS[name])
