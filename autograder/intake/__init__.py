"""Turning whatever a student handed in (folder, .zip, notebook) into a clean folder of code."""

from autograder.intake.bundle import IntakeError, SourceBundle, prepare

__all__ = ["IntakeError", "SourceBundle", "prepare"]
