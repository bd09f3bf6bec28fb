"""The sources a student cites. Seed 003 asks for them "in a separate block at the end of your
work" (a public solution many students found is not copying when it is cited), so a pair page
shows them beside the code: a notebook's last markdown cell that names sources or links, or a
package's SOURCES.md (else a README that names them). Read as text through intake's file reader
(its size limits, no symbolic links, nothing outside an archive); nothing is run."""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath

from autograder.config import AssignmentSpec
from autograder.intake import IntakeError
from autograder.intake.bundle import handed_out_notebooks, read_files
from autograder.intake.notebook import choose_notebook

# What a block that cites sources says: a link, or "source(s)", "reference(s)", "cited", or the
# Russian of seed 003 ("ссылка на источник", "литература").
CITES = re.compile(r"https?://|www\.|\b(?:sources?|references?|cited|bibliography)\b"
                   r"|источник|ссылк|литератур", re.IGNORECASE)
SOURCES_FILES = ("sources.md", "sources.txt")
README_FILES = ("readme.md", "readme.txt")
# enough for any list of links; a longer block is cut, and says so
MAX_CHARS = 4000


def cited_sources(path: Path, spec: AssignmentSpec) -> str:
    """What the submission at `path` cites, as the student wrote it; "" when it cites nothing
    (or cannot be read: intake tells the student that in their feedback)."""
    try:
        if spec.notebook:
            files = read_files(path, (".ipynb",), [])
            text = _notebook_block(choose_notebook(files, spec.notebook, [],
                                                    handed_out_notebooks(spec))[1])
        else:
            text = _package_block(read_files(path, (".md", ".txt"), []))
    except IntakeError:
        return ""
    text = text.strip()
    return text if len(text) <= MAX_CHARS else f"{text[:MAX_CHARS]}\n[... cut at {MAX_CHARS} characters]"


def _notebook_block(data: bytes) -> str:
    """The last markdown cell that cites something (notebook format 4, or 3's worksheets)."""
    try:
        notebook = json.loads(data.decode("utf-8", errors="replace"))
    except (json.JSONDecodeError, RecursionError):
        return ""
    if not isinstance(notebook, dict):
        return ""
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        cells = [cell for sheet in notebook.get("worksheets") or [] if isinstance(sheet, dict)
                 for cell in sheet.get("cells") or []]
    texts = [_text(cell.get("source", "")) for cell in cells
             if isinstance(cell, dict) and cell.get("cell_type") == "markdown"]
    return next((text for text in reversed(texts) if CITES.search(text)), "")


def _package_block(files: dict[PurePosixPath, bytes]) -> str:
    """SOURCES.md (or .txt) whatever it says, else a README that cites something; the one nearest
    the top of the submission."""
    for names, must_cite in ((SOURCES_FILES, False), (README_FILES, True)):
        found = sorted((p for p in files if p.name.lower() in names), key=lambda p: (len(p.parts), p))
        for path in found:
            text = files[path].decode("utf-8", errors="replace")
            if not must_cite or CITES.search(text):
                return text
    return ""


def _text(source: object) -> str:
    """A cell's source: one string, or a list of lines (anything else is no text)."""
    if isinstance(source, list):
        return "".join(map(str, source))
    return source if isinstance(source, str) else ""
