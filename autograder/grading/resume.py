"""What a batch has already graded: so a killed batch resumes, and two graders share one folder.

A submission's result is kept next to its feedback as `result.json`, written last and atomically:
its presence means every file of that submission is complete. It carries a key, a hash of all the
result depends on (the student, the submission's bytes, the grader's code and the assignment's
tests and settings, the submission time, the tasks asked for, the batch's notes), so an unchanged
submission is not graded again and a changed one, or one graded by a changed grader, is. The
deadlines are not in it: a result is stored raw and the late penalty applied when it is reported
(autograder.batch), so grading again with other deadlines only reports again. A lock
per submission keeps two graders started on the same folder from grading the same submission at
once: the second one waits for the first one's result instead.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import autograder
from autograder.atomic import write_atomic
from autograder.results import SubmissionResult

RESULT_FILE = "result.json"
LOCK_FILE = ".grading.lock"
# What of the kit a score depends on: its code and the assignments' tests and settings.
GRADER_SUFFIXES = (".py", ".toml", ".ini", ".json")
# A setting's line that no score depends on: the feedback's language, applied when reporting.
REPORTING_ONLY = re.compile(rb"^lang\s*=.*(?:\n|$)", re.MULTILINE)


def _hash_tree(digest: hashlib._Hash, root: Path, suffixes: tuple[str, ...] = (),
               settings: bool = False) -> None:
    """Feed every file under `root` (its relative path, then its bytes) into `digest`, in a fixed
    order; a symbolic link counts as its target's text, never followed. With `settings`, the kit's
    .toml files count without their REPORTING_ONLY lines."""
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or (suffixes and path.suffix not in suffixes):
            continue
        relative = path.relative_to(root).as_posix().encode()
        if path.is_symlink():
            digest.update(b"L" + relative + b"\0" + os.readlink(path).encode() + b"\0")
        elif path.is_file():
            content = path.read_bytes()
            if settings and path.suffix == ".toml":
                content = REPORTING_ONLY.sub(b"", content)
            digest.update(b"F" + relative + b"\0" + content + b"\0")


def content_hash(path: Path) -> str:
    """The hash of what was handed in: a file's bytes, or a folder's tree."""
    digest = hashlib.sha256()
    if path.is_dir() and not path.is_symlink():
        _hash_tree(digest, path)
    elif path.is_file():
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def grader_hash(kit: Path = Path(autograder.__file__).parent) -> str:
    """The hash of the grading code and every assignment's tests and settings, and of the student
    versions' notebooks, whose given code a notebook is graded with (once a process)."""
    digest = hashlib.sha256()
    _hash_tree(digest, kit, GRADER_SUFFIXES, settings=True)
    _hash_tree(digest, kit.parent / "assignments", (".ipynb",))
    return digest.hexdigest()


def submission_key(path: Path, assignment: str, submitted_at: datetime | None,
                   only_tasks: frozenset[str], *, student: str = "",
                   notes: tuple[str, ...] = ()) -> str:
    """What a stored result must have been graded under to be reused. It names the student:
    two students who hand in the same bytes at the same time are two results, and a result never
    reads back under another student's name. `notes` are what the batch tells the student beside
    the grading (grading.roster: a conflict, an unusable manifest row), which the result carries."""
    parts = [content_hash(path), grader_hash(), assignment,
             submitted_at.isoformat() if submitted_at else "", ",".join(sorted(only_tasks)),
             student, *notes]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def load(folder: Path, key: str) -> SubmissionResult | None:
    """The result stored in `folder` if it was graded under `key`, else None."""
    try:
        stored = json.loads((folder / RESULT_FILE).read_text(encoding="utf-8"))
        if stored.get("key") != key:
            return None
        return SubmissionResult.from_dict(stored["result"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing, or not ours: grade again


def save(folder: Path, key: str, result: SubmissionResult) -> None:
    """Store the result last, once its feedback files are written (see the module docstring)."""
    write_atomic(folder / RESULT_FILE, json.dumps({"key": key, "result": result.to_dict()}) + "\n")


@contextlib.contextmanager
def claimed(folder: Path, wait: bool) -> Iterator[bool]:
    """Hold the submission's lock while inside; yield False (at once) if another grader holds it
    and `wait` is off. The lock goes with the process: a killed grader never leaves one behind."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
