"""An assignment's own tables and interfaces are read through its validated spec: a test gets a
typed table or an error naming the file and the key, and finds its assignment without naming it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import config


@dataclass(frozen=True)
class Run:
    epochs: int
    rate: float
    dataset: str


def write_assignment(root: Path, monkeypatch: pytest.MonkeyPatch, extra: str) -> config.AssignmentSpec:
    folder = root / "made-up"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "assignment.toml").write_text(
        'title = "t"\npackage = "modules"\n' + extra + '\n[[tasks]]\nname = "A"\npoints = 1\n')
    monkeypatch.setattr(config, "ASSIGNMENTS_DIR", root)
    return config.load("made-up")


def test_a_table_is_read_as_its_dataclass_with_a_whole_number_as_a_float(tmp_path, monkeypatch):
    spec = write_assignment(tmp_path, monkeypatch, '[run]\nepochs = 3\nrate = 1\ndataset = "mnist"\n')
    assert spec.table("run", Run) == Run(epochs=3, rate=1.0, dataset="mnist")


@pytest.mark.parametrize("table, error", [
    ('[run]\nepochs = 3\nrate = 0.1\n', r"\[run\] takes exactly epochs, rate, dataset"),
    ('[run]\nepochs = 3\nrate = 0.1\ndataset = "m"\nseed = 1\n', r"\[run\] takes exactly"),
    ('[run]\nepochs = 3.5\nrate = 0.1\ndataset = "m"\n', r"\[run\] epochs must be an int"),
    ('[run]\nepochs = true\nrate = 0.1\ndataset = "m"\n', r"\[run\] epochs must be an int"),
    ('[other]\nx = 1\n', r"\[run\] is missing"),
])
def test_a_wrong_table_names_the_file_and_the_key(tmp_path, monkeypatch, table, error):
    spec = write_assignment(tmp_path, monkeypatch, table)
    with pytest.raises(config.ConfigError, match=r"made-up/assignment.toml: " + error):
        spec.table("run", Run)


def test_a_stray_key_and_an_unknown_interface_are_refused(tmp_path, monkeypatch):
    with pytest.raises(config.ConfigError, match="epochs is not a key of an assignment file"):
        write_assignment(tmp_path, monkeypatch, "epochs = 3\n")
    with pytest.raises(config.ConfigError, match="interfaces must be a list of interface names "
                                                 r"\(known: .*jacobian"):
        write_assignment(tmp_path, monkeypatch, 'interfaces = ["jacobians"]\n')


def test_answer_keys_must_belong_to_an_answer(tmp_path, monkeypatch):
    with pytest.raises(config.ConfigError, match=r"\[answer_keys.linreg\] must name one of answers"):
        write_assignment(tmp_path, monkeypatch, '[answer_keys.linreg]\nMSE = ["loss"]\n')


def test_every_assignment_names_interfaces_that_exist():
    for name in config.available():
        assert config.load(name).interfaces, f"{name} names no interface"


def test_a_test_finds_its_assignment_in_the_kit_and_as_a_student_versions_copy(tmp_path):
    lecture = config.load("lecture")
    kit_test = lecture.test_dirs["public"] / "test_xor.py"
    assert config.load_for(kit_test).name == "lecture"
    copy = tmp_path / "hw-alice" / "tests" / "test_xor.py"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(kit_test.read_bytes())
    assert config.load_for(copy).name == "lecture"
    copy.write_text(kit_test.read_text() + "# changed\n")
    with pytest.raises(config.ConfigError, match="is not one of the tests of an assignment"):
        config.load_for(copy)
