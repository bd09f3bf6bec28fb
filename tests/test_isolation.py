"""The isolation mode is chosen honestly, can be forced, and the worker's view holds no torch."""

from __future__ import annotations

import pytest

from autograder import cli
from autograder.sandbox import isolation


def test_forcing_the_fallback_is_obeyed_and_reported():
    chosen = isolation.detect("fallback")
    assert chosen.mode == "fallback"
    assert chosen.description.startswith("fallback; ")


def test_an_unknown_mode_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="bubblewrap, fallback"):
        isolation.detect("chroot")


def test_the_workers_site_folder_holds_numpy_and_the_runtime_but_no_torch():
    site = isolation.detect().site
    names = {p.name for p in site.iterdir()}
    assert {"numpy", "autograder"} <= names
    assert not {"torch", "keras", "tensorflow", "jax"} & names
    assert {p.name for p in (site / "autograder").iterdir()} == {"__init__.py", "runtime"}


def test_the_worker_gets_its_own_uid_per_grading_process_when_the_grader_is_root():
    chosen = isolation.detect()
    if not chosen.switch_user:
        pytest.skip("not root: workers run as the grader's user")
    assert chosen.uid is not None and chosen.uid >= isolation.WORKER_UID_BASE
    assert chosen.uid != 0


def test_doctor_prints_every_capability_and_the_mode_used(capsys):
    assert cli.main(["doctor"]) == 0
    printed = capsys.readouterr().out
    for capability in ("bubblewrap installed", "seccomp filter", "mode used"):
        assert capability in printed
    assert isolation.detect().description in printed
