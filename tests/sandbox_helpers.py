"""Small `modules` packages written as intake writes them, and sandboxes on them, for the tests
that drive workers directly."""

from __future__ import annotations

import textwrap
from pathlib import Path, PurePosixPath

from autograder.config import Limits
from autograder.intake.bundle import SourceBundle, write_bundle
from autograder.sandbox.session import Sandbox

# Student-side helpers: a task's folder (its working directory) as the student's code sees it.
FOLDER_FUNCTIONS = '''

def write_file(name):
    with open(name, "w") as stream:
        stream.write("x")


def listing():
    return sorted(os.listdir("."))
'''

BUNDLES: list[SourceBundle] = []  # kept alive until the session ends, then removed


def write_package(files: dict[str, str]) -> Path:
    """A `modules` package as intake writes it (where the worker's user may read it)."""
    bundle = write_bundle({PurePosixPath("modules", name): textwrap.dedent(text).encode()
                           for name, text in files.items()}, [])
    BUNDLES.append(bundle)
    return bundle.root


def open_sandbox(code_root: Path, call_seconds: float = 10.0) -> Sandbox:
    return Sandbox(code_root, Limits(call_seconds=call_seconds), package="modules")
