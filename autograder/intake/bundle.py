"""Intake: read a submission, validate it, and copy only its code into a fresh folder.

A submission flows through small named steps (`read_files` from a folder, a zip or a bare notebook,
then `locate_package` or the notebook steps of `intake.notebook`, then `write_bundle`). Nothing is
executed here. Whatever is wrong produces a message for the student and,
where some code survives, a bundle that can still earn the points of the parts that work.
"""

from __future__ import annotations

import functools
import hashlib
import stat
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import TYPE_CHECKING

from autograder import N_
from autograder.folders import unlistable_parent
from autograder.intake import answer_table, notebook
from autograder.intake.errors import IntakeError
from autograder.runtime.notebook_module import STATEMENTS_FILE

if TYPE_CHECKING:
    from autograder.config import AnswerTableSpec, AssignmentSpec

MAX_FILE_BYTES = 5 * 2**20
# Notebooks carry their outputs (plots, logs); they are read, and the outputs thrown away.
MAX_NOTEBOOK_BYTES = 200 * 2**20
MAX_TOTAL_BYTES = 250 * 2**20
MAX_FILES = 2000


@dataclass
class SourceBundle:
    """A submission's code, copied into `root` (removed by `cleanup`), plus what intake noticed."""

    root: Path
    messages: list[str] = field(default_factory=list)
    fingerprint: str = ""
    # everything the student wrote, as read (a notebook's dropped cells too), for the static scan
    code: list[notebook.Source] = field(default_factory=list)
    _tempdir: tempfile.TemporaryDirectory | None = None

    def cleanup(self) -> None:
        if self._tempdir is not None:
            self._tempdir.cleanup()


def prepare(path: Path, package: str = "", notebook_name: str = "",
            answers: frozenset[str] = frozenset(),
            prelude: Sequence[notebook.Statement] = (),
            tables: Sequence[AnswerTableSpec] = (),
            handed_out: Mapping[str, bytes] = MappingProxyType({})) -> SourceBundle:
    """Run the intake steps on one submission for an assignment that asks either for a package
    (a folder of .py files) or for a notebook (`notebook_name`, e.g. "notebook.ipynb", chosen
    among its translations with the versions `handed_out`). A notebook's statements follow
    `prelude`, the kit's copy of its given code (`given_prelude`), and the answers read from its
    filled-in markdown `tables` (`answer_table`)."""
    messages: list[str] = []
    try:
        if notebook_name:
            files = read_files(path, (".ipynb",), messages)
            chosen, data = notebook.choose_notebook(files, notebook_name, messages, handed_out)
            statements, code = notebook.read_notebook(data, chosen.name, answers, messages)
            read = answer_table.table_statements(data, tables, code, messages)
            files = {PurePosixPath(STATEMENTS_FILE):
                     notebook.statements_file([*prelude, *read, *statements])}
        else:
            files = locate_package(read_files(path, (".py",), messages), package, messages)
            code = [notebook.Source(str(name), data.decode("utf-8", errors="replace"))
                    for name, data in sorted(files.items())]
    except IntakeError as exc:
        if not messages:
            raise
        # what was noticed on the way often says why (a notebook over the size limits, say)
        raise IntakeError(N_(f"{exc} ({'; '.join(messages)})")) from None
    bundle = write_bundle(files, messages)
    bundle.code = code
    return bundle


def prepare_for(path: Path, spec: AssignmentSpec) -> SourceBundle:
    """`prepare` a submission of `spec`'s assignment as grading does: its package or notebook, its
    answers (its markdown answer tables too), and for a notebook the kit's copy of the given code
    first."""
    return prepare(path, spec.package, spec.notebook, spec.answers, given_prelude(spec),
                   spec.answer_tables, handed_out_notebooks(spec))


def handed_out_notebooks(spec: AssignmentSpec) -> dict[str, bytes]:
    """The student version's notebook and its translations (`notebook.ru.ipynb`), by name: a
    submission's copy whose code is still theirs is not the one its student wrote in."""
    if not spec.notebook:
        return {}
    return {path.name: path.read_bytes() for path in sorted(spec.student_dir.glob("*.ipynb"))
            if notebook.is_edition(path.name, spec.notebook)}


def given_prelude(spec: AssignmentSpec) -> list[notebook.Statement]:
    """The kit's copy of a notebook assignment's given classes and functions (`given` in
    assignment.toml), from its student-version notebook, the course's template; nothing for a
    package assignment, whose given code sits in the files the student hands in."""
    if not (spec.notebook and spec.given):
        return []
    template = spec.student_dir / spec.notebook
    return list(_given_prelude(template, template.stat().st_mtime_ns, spec.given))


@functools.lru_cache(maxsize=8)
def _given_prelude(template: Path, modified: int, given: tuple[str, ...],
                   ) -> tuple[notebook.Statement, ...]:
    """Read once per grading process (and again when the template changes: `modified`)."""
    return tuple(notebook.given_statements(template.read_bytes(), template.name, given))


def read_files(path: Path, suffixes: tuple[str, ...],
               messages: list[str]) -> dict[PurePosixPath, bytes]:
    """Every regular file of the submission with one of `suffixes`, within the size limits."""
    if path.is_dir():
        return _read_folder(path, suffixes, messages)
    if path.suffix.lower() == ".zip":
        return _read_zip(path, suffixes, messages)
    if path.is_file() and path.suffix == ".ipynb" and ".ipynb" in suffixes:
        return _read_folder(path.parent, suffixes, messages, only=path.name)
    kinds = " or ".join(suffixes)
    raise IntakeError(f"{path.name}: hand in a folder or a .zip holding your {kinds} file(s)"
                      + (", or the notebook itself" if ".ipynb" in suffixes else ""))


def _size_limit(name: PurePosixPath) -> int:
    return MAX_NOTEBOOK_BYTES if name.suffix == ".ipynb" else MAX_FILE_BYTES


def _read_folder(folder: Path, suffixes: tuple[str, ...], messages: list[str],
                 only: str = "") -> dict[PurePosixPath, bytes]:
    files: dict[PurePosixPath, bytes] = {}
    total = 0
    for entry in [folder / only] if only else sorted(folder.rglob("*")):
        relative = PurePosixPath(entry.relative_to(folder).as_posix())
        if entry.is_symlink():
            messages.append(N_(f"{relative}: a symbolic link, ignored"))
            continue
        if not entry.is_file() or entry.suffix not in suffixes:
            continue
        size = entry.stat().st_size
        total += size
        if size > _size_limit(relative) or total > MAX_TOTAL_BYTES or len(files) >= MAX_FILES:
            messages.append(N_(f"{relative}: over the size limits, ignored"))
            continue
        files[relative] = entry.read_bytes()
    return files


def _read_zip(path: Path, suffixes: tuple[str, ...],
              messages: list[str]) -> dict[PurePosixPath, bytes]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IntakeError(N_(f"{path.name} is not a readable zip file ({exc})")) from None
    files: dict[PurePosixPath, bytes] = {}
    total = 0
    with archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                messages.append(N_(f"{name}: a symbolic link, ignored"))
                continue
            if name.is_absolute() or ".." in name.parts:
                messages.append(N_(f"{name}: a path outside the archive, ignored"))
                continue
            if info.is_dir() or name.suffix not in suffixes or "__MACOSX" in name.parts:
                continue
            limit = _size_limit(name)
            total += info.file_size
            if info.file_size > limit or total > MAX_TOTAL_BYTES or len(files) >= MAX_FILES:
                messages.append(N_(f"{name}: over the size limits, ignored"))
                continue
            with archive.open(info) as member:
                data = member.read(limit + 1)
            if len(data) > limit:
                messages.append(N_(f"{name}: larger than it claims, ignored"))
                continue
            files[name] = data
    return files


def locate_package(files: dict[PurePosixPath, bytes], package: str,
                   messages: list[str]) -> dict[PurePosixPath, bytes]:
    """Keep the files of `package/`, wherever it sits (a zip often adds a top folder)."""
    candidates = sorted({p.parts[: p.parts.index(package)] for p in files if package in p.parts[:-1]},
                        key=len)
    if not candidates:
        raise IntakeError(N_(f"no '{package}/' folder with .py files was found in the submission"))
    prefix = candidates[0]
    if len(candidates) > 1:
        messages.append(N_(f"several '{package}/' folders found; graded "
                           f"'{'/'.join(prefix + (package,))}'"))
    depth = len(prefix)
    return {PurePosixPath(*p.parts[depth:]): data for p, data in files.items()
            if p.parts[:depth] == prefix and p.parts[depth:depth + 1] == (package,)}


def write_bundle(files: dict[PurePosixPath, bytes], messages: list[str]) -> SourceBundle:
    """Copy the kept files into a fresh folder and fingerprint them.

    The worker's user must read the folder (bubblewrap binds it as that user), but no other
    submission may find it: it sits, under a random name, in a parent nobody else can list."""
    tempdir = tempfile.TemporaryDirectory(prefix="submission-", dir=unlistable_parent())
    root = Path(tempdir.name)
    root.chmod(0o755)
    digest = hashlib.sha256()
    for relative, data in sorted(files.items()):
        target = root.joinpath(*relative.parts)
        for folder in reversed(target.relative_to(root).parents[:-1]):
            (root / folder).mkdir(mode=0o755, exist_ok=True)
        target.write_bytes(data)
        target.chmod(0o644)
        digest.update(str(relative).encode() + b"\0" + hashlib.sha256(data).digest())
    return SourceBundle(root=root, messages=messages, fingerprint=digest.hexdigest(),
                        _tempdir=tempdir)
