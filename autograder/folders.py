"""Private scratch folders: intake's copy of a submission and the sandbox's spool and worker
folders sit in one parent that others may pass through but not list, so no submission can find
another's folder."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def unlistable_parent() -> Path:
    """A folder others may pass through (to a name they know) but not list; owned by us."""
    parent = Path(tempfile.gettempdir()) / f"autograder-submissions-{os.getuid()}"
    parent.mkdir(mode=0o711, exist_ok=True)
    info = os.lstat(parent)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise RuntimeError(f"{parent} belongs to someone else; remove it")
    parent.chmod(0o711)
    return parent
