"""The one exception the dataset layer raises: its message says what is wrong and what to do."""

from __future__ import annotations


class DatasetError(Exception):
    """A dataset file is missing, corrupt, or described wrongly; the message names the file."""
