"""Turning whatever a student handed in (folder, .zip, notebook) into a clean folder of code."""

from autograder.intake.bundle import SourceBundle, given_prelude, prepare, prepare_for
from autograder.intake.errors import IntakeError

__all__ = ["IntakeError", "SourceBundle", "given_prelude", "prepare", "prepare_for"]
