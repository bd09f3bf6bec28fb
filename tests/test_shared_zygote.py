"""One zygote serves a grading process's submissions in turn: each sees only its own code, and
nothing a task leaves behind reaches the next submission."""

from __future__ import annotations

from pathlib import Path

import pytest
from sandbox_helpers import FOLDER_FUNCTIONS, open_sandbox, write_package

from autograder.failures import StudentError
from autograder.sandbox import isolation

pytestmark = pytest.mark.sandbox

SUBMISSION = '''
import ctypes
import os


def answer():
    return ANSWER


def shared_memory_segment():
    """shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0o600): the id, or minus errno."""
    libc = ctypes.CDLL(None, use_errno=True)
    segment = libc.shmget(0, 4096, 0o1000 | 0o600)
    return segment if segment >= 0 else -ctypes.get_errno()
''' + FOLDER_FUNCTIONS


def submission(answer: str, **more: str) -> Path:
    """A `modules` package whose `layers.answer()` says which submission it is."""
    return write_package({"layers.py": f"ANSWER = {answer!r}\n" + SUBMISSION, **more})


def grade_in_turn(*roots: Path, task=lambda layers: None) -> list[tuple[str, object]]:
    """Open a sandbox per submission, one after the other as a grading process does; for each,
    what `layers.answer()` said and the zygote its task ran in."""
    seen = []
    for root in roots:
        box = open_sandbox(root)
        try:
            layers = box.student_for("task").module("modules.layers")
            seen.append((layers.answer(), box.current[1].zygote))
            task(layers)
        finally:
            box.close()
    return seen


def test_submissions_graded_in_turn_share_one_warm_zygote_and_each_sees_only_its_own_code():
    first, second = submission("first", **{"extra.py": "VALUE = 1\n"}), submission("second")
    (answer_1, zygote_1), (answer_2, zygote_2) = grade_in_turn(first, second)
    assert (answer_1, answer_2) == ("first", "second")
    assert zygote_2 is zygote_1 and zygote_1.alive
    box = open_sandbox(second)
    try:
        with pytest.raises(StudentError, match="ModuleNotFoundError"):
            box.student_for("task").module("modules.extra")  # the first submission's file is gone
    finally:
        box.close()


def test_a_task_that_leaves_a_file_gets_the_next_submission_a_new_zygote_that_never_sees_it():
    first, second = submission("first"), submission("second")
    seen = grade_in_turn(first, task=lambda layers: layers.write_file("left.txt"))
    box = open_sandbox(second)
    try:
        layers = box.student_for("task").module("modules.layers")
        assert layers.listing() == []
        assert box.current[1].zygote is not seen[0][1]
        if box.isolation.switch_user:
            assert box.current[1].zygote.uid != seen[0][1].uid
    finally:
        box.close()


def test_a_sandbox_opened_while_another_is_in_use_gets_a_zygote_of_its_own():
    first, second = open_sandbox(submission("first")), open_sandbox(submission("second"))
    try:
        one = first.student_for("task").module("modules.layers")
        two = second.student_for("task").module("modules.layers")
        assert (one.answer(), two.answer()) == ("first", "second")
        assert first.current[1].zygote is not second.current[1].zygote
    finally:
        first.close()
        second.close()


def test_a_task_cannot_leave_a_shared_memory_segment_for_the_next_submission():
    if not isolation.detect().seccomp:
        pytest.skip("no seccomp filter on this machine")
    box = open_sandbox(submission("first"))
    try:
        assert box.student_for("task").module("modules.layers").shared_memory_segment() == -1
    finally:
        box.close()


def test_a_submission_importing_other_site_modules_gets_a_zygote_that_preloaded_exactly_those():
    """Its tasks then fork from the zygote a fresh start would give it, whatever came before."""
    preloaded = ("import sys\nPRELOADED = sorted(m for m in ('tqdm', 'sklearn.model_selection') "
                 "if m in sys.modules)\n")
    first = submission("first", **{"extra.py": "import tqdm\n"})
    second = submission("second", **{"probe.py": preloaded})
    third = submission("third", **{"probe.py": preloaded})
    (_, zygote_1), (_, zygote_2), (_, zygote_3) = grade_in_turn(first, second, third)
    assert zygote_2 is not zygote_1 and zygote_3 is zygote_2
    box = open_sandbox(submission("fourth", **{"probe.py": preloaded}))
    try:
        assert box.student_for("task").module("modules.probe").PRELOADED == []
    finally:
        box.close()

