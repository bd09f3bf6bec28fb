"""The dataset manifest (`data/manifest.toml`): which files make each split, where to download them
and the SHA-256 sum each must have. It is read and validated here, once, so that the cache and the
loader can trust its fields; an error names the file and the key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from autograder.datasets.errors import DatasetError

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MANIFEST = REPO_ROOT / "data" / "manifest.toml"
SHA256 = re.compile(r"[0-9a-f]{64}")
PARTS = ("images", "labels")


@dataclass(frozen=True)
class FileEntry:
    """One file of a split, e.g. MNIST's t10k-images-idx3-ubyte.gz."""

    name: str
    sha256: str
    size: int | None  # bytes, when known: downloads longer than this are cut short


@dataclass(frozen=True)
class Split:
    """A split's images and labels files and how many examples it holds."""

    count: int
    images: FileEntry
    labels: FileEntry


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    mirrors: tuple[str, ...]  # base URLs, tried in order; a file's URL is base + file name
    classes: tuple[str, ...]
    splits: dict[str, Split]

    def urls(self, entry: FileEntry) -> list[str]:
        return [mirror + entry.name for mirror in self.mirrors]

    def split(self, split: str) -> Split:
        if split not in self.splits:
            raise DatasetError(f"{self.title} has no split {split!r} (known: "
                               f"{', '.join(self.splits)})")
        return self.splits[split]


@dataclass(frozen=True)
class Manifest:
    source: Path
    datasets: dict[str, Dataset]

    def dataset(self, name: str) -> Dataset:
        if name not in self.datasets:
            raise DatasetError(f"no dataset named {name!r} in {self.source} (known: "
                               f"{', '.join(self.datasets)})")
        return self.datasets[name]


def read_manifest(path: Path = DEFAULT_MANIFEST) -> Manifest:
    """Read and validate a manifest file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DatasetError(f"cannot read the dataset manifest {path}: {exc}") from None
    return Manifest(path, {name: _dataset(name, table, path) for name, table in data.items()})


def _need(table: object, key: str, kind: type, where: str, path: Path) -> object:
    value = table.get(key) if isinstance(table, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise DatasetError(f"{path}: {where}{key} must be a {kind.__name__}")
    return value


def _dataset(name: str, table: object, path: Path) -> Dataset:
    mirrors = _need(table, "mirrors", list, f"{name}.", path)
    if not mirrors or not all(isinstance(m, str) and m.endswith("/") for m in mirrors):
        raise DatasetError(f"{path}: {name}.mirrors must list base URLs ending in '/'")
    classes = _need(table, "classes", list, f"{name}.", path)
    splits = {key: _split(value, f"{name}.{key}.", path) for key, value in table.items()
              if isinstance(value, dict)}
    if not splits:
        raise DatasetError(f"{path}: {name} has no splits (tables such as [{name}.test])")
    return Dataset(name, str(_need(table, "title", str, f"{name}.", path)), tuple(mirrors),
                   tuple(str(c) for c in classes), splits)


def _split(table: dict, where: str, path: Path) -> Split:
    count = _need(table, "count", int, where, path)
    files = []
    for part in PARTS:
        entry = _need(table, part, dict, where, path)
        name = str(_need(entry, "file", str, f"{where}{part}.", path))
        sha256 = str(_need(entry, "sha256", str, f"{where}{part}.", path))
        if not SHA256.fullmatch(sha256):
            raise DatasetError(f"{path}: {where}{part}.sha256 must be 64 lowercase hex digits")
        size = entry.get("bytes")
        if size is not None and (not isinstance(size, int) or size <= 0):
            raise DatasetError(f"{path}: {where}{part}.bytes must be a positive integer")
        files.append(FileEntry(name, sha256, size))
    return Split(int(count), *files)
