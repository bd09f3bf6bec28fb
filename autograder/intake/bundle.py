"""Intake: read a submission, validate it, and copy only its code into a fresh folder.

A submission flows through small named steps (`read_files` from a folder or a zip, `locate_package`,
`write_bundle`). Nothing is executed here. Whatever is wrong produces a message for the student and,
where some code survives, a bundle that can still earn the points of the parts that work.
"""

from __future__ import annotations

import hashlib
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MAX_FILE_BYTES = 5 * 2**20
MAX_TOTAL_BYTES = 50 * 2**20
MAX_FILES = 2000
CODE_SUFFIXES = (".py",)


class IntakeError(Exception):
    """Nothing gradable could be read; the message tells the student what to hand in instead."""


@dataclass
class SourceBundle:
    """A submission's code, copied into `root` (removed by `cleanup`), plus what intake noticed."""

    root: Path
    messages: list[str] = field(default_factory=list)
    fingerprint: str = ""
    _tempdir: tempfile.TemporaryDirectory | None = None

    def cleanup(self) -> None:
        if self._tempdir is not None:
            self._tempdir.cleanup()


def prepare(path: Path, package: str) -> SourceBundle:
    """Run the intake steps on one submission (a folder or a .zip) for an assignment's package."""
    messages: list[str] = []
    files = read_files(path, messages)
    files = locate_package(files, package, messages)
    return write_bundle(files, messages)


def read_files(path: Path, messages: list[str]) -> dict[PurePosixPath, bytes]:
    """Every regular file of the submission with its bytes, within the size limits."""
    if path.is_dir():
        return _read_folder(path, messages)
    if path.suffix.lower() == ".zip":
        return _read_zip(path, messages)
    raise IntakeError(f"{path.name}: hand in a folder or a .zip holding your code")


def _read_folder(folder: Path, messages: list[str]) -> dict[PurePosixPath, bytes]:
    files: dict[PurePosixPath, bytes] = {}
    total = 0
    for entry in sorted(folder.rglob("*")):
        relative = PurePosixPath(entry.relative_to(folder).as_posix())
        if entry.is_symlink():
            messages.append(f"{relative}: a symbolic link, ignored")
            continue
        if not entry.is_file() or entry.suffix not in CODE_SUFFIXES:
            continue
        size = entry.stat().st_size
        total += size
        if size > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES or len(files) >= MAX_FILES:
            messages.append(f"{relative}: over the size limits, ignored")
            continue
        files[relative] = entry.read_bytes()
    return files


def _read_zip(path: Path, messages: list[str]) -> dict[PurePosixPath, bytes]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IntakeError(f"{path.name} is not a readable zip file ({exc})") from None
    files: dict[PurePosixPath, bytes] = {}
    total = 0
    with archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                messages.append(f"{name}: a symbolic link, ignored")
                continue
            if name.is_absolute() or ".." in name.parts:
                messages.append(f"{name}: a path outside the archive, ignored")
                continue
            if info.is_dir() or name.suffix not in CODE_SUFFIXES or "__MACOSX" in name.parts:
                continue
            total += info.file_size
            if info.file_size > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES \
                    or len(files) >= MAX_FILES:
                messages.append(f"{name}: over the size limits, ignored")
                continue
            with archive.open(info) as member:
                data = member.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                messages.append(f"{name}: larger than it claims, ignored")
                continue
            files[name] = data
    return files


def locate_package(files: dict[PurePosixPath, bytes], package: str,
                   messages: list[str]) -> dict[PurePosixPath, bytes]:
    """Keep the files of `package/`, wherever it sits (a zip often adds a top folder)."""
    candidates = sorted({p.parts[: p.parts.index(package)] for p in files if package in p.parts[:-1]},
                        key=len)
    if not candidates:
        raise IntakeError(f"no '{package}/' folder with .py files was found in the submission")
    prefix = candidates[0]
    if len(candidates) > 1:
        messages.append(f"several '{package}/' folders found; graded "
                        f"'{'/'.join(prefix + (package,))}'")
    depth = len(prefix)
    return {PurePosixPath(*p.parts[depth:]): data for p, data in files.items()
            if p.parts[:depth] == prefix and p.parts[depth:depth + 1] == (package,)}


def write_bundle(files: dict[PurePosixPath, bytes], messages: list[str]) -> SourceBundle:
    """Copy the kept files into a fresh private folder and fingerprint them."""
    tempdir = tempfile.TemporaryDirectory(prefix="autograder-submission-")
    root = Path(tempdir.name)
    digest = hashlib.sha256()
    for relative, data in sorted(files.items()):
        target = root.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        digest.update(str(relative).encode() + b"\0" + hashlib.sha256(data).digest())
    return SourceBundle(root=root, messages=messages, fingerprint=digest.hexdigest(),
                        _tempdir=tempdir)
