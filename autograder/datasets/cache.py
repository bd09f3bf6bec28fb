"""The local data cache: files land in it only after their SHA-256 matched the manifest.

The cache is `data/cache/` under the repository, or `$AUTOGRADER_DATA` when set; a dataset's files
live in `<cache>/<dataset>/`. A missing file is downloaded from the dataset's mirrors in order, into
a temporary file next to its final place, checked, then renamed, so the cache never holds a partial
or wrong file. Offline, the error says which file is missing, where to put it, and how to fetch it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from autograder.datasets.errors import DatasetError
from autograder.datasets.manifest import REPO_ROOT, Dataset, FileEntry

ENV_VAR = "AUTOGRADER_DATA"
DEFAULT_CACHE = REPO_ROOT / "data" / "cache"
CHUNK = 1 << 20
TIMEOUT_SECONDS = 30.0
MAX_UNKNOWN_SIZE = 512 * 2**20  # a download whose size the manifest does not give stops here


def cache_root() -> Path:
    """`$AUTOGRADER_DATA` if set, else `data/cache` under the repository."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_CACHE)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def cached_path(dataset: Dataset, entry: FileEntry, root: Path | None = None) -> Path:
    return (root or cache_root()) / dataset.name / entry.name


def is_cached(dataset: Dataset, entry: FileEntry, root: Path | None = None) -> bool:
    """True when the file is in the cache with the manifest's checksum."""
    path = cached_path(dataset, entry, root)
    return path.is_file() and sha256_of(path) == entry.sha256


def ensure(dataset: Dataset, entry: FileEntry, *, root: Path | None = None,
           download: bool = True) -> Path:
    """The cached, verified file, downloaded first when missing (and `download` is allowed)."""
    path = cached_path(dataset, entry, root)
    if path.is_file():
        actual = sha256_of(path)
        if actual == entry.sha256:
            return path
        problems = [f"the cached copy has SHA-256 {actual}, not {entry.sha256}"]
    else:
        problems = []
    if download:
        for url in dataset.urls(entry):
            try:
                _download(url, entry, path)
                return path
            except DatasetError as exc:
                problems.append(f"{url}: {exc}")
    raise DatasetError(missing_message(dataset, entry, path, problems, download))


def missing_message(dataset: Dataset, entry: FileEntry, path: Path, problems: list[str],
                    download: bool) -> str:
    tried = "".join(f"\n  - {p}" for p in problems) if problems else ""
    how = "could not be downloaded" if download else "downloads are off"
    return (f"{dataset.title}: {entry.name} is not in the data cache and {how}.{tried}\n"
            f"  It belongs at {path} (SHA-256 {entry.sha256}).\n"
            f"  With internet: `make data` (or `python -m autograder.datasets fetch "
            f"{dataset.name}`).\n"
            f"  Offline: copy the file from a machine that has it into {path.parent}/, or run "
            f"`make data FROM=<folder holding it>`.\n"
            f"  The cache is data/cache in the repository, or ${ENV_VAR} when set.")


def _download(url: str, entry: FileEntry, path: Path) -> None:
    """Fetch `url` into a temporary file beside `path`, verify it, then rename it into place."""
    limit = entry.size or MAX_UNKNOWN_SIZE
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{entry.name}.", suffix=".part", dir=path.parent)
    try:
        digest, received = hashlib.sha256(), 0
        with os.fdopen(handle, "wb") as out, \
                urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            while chunk := response.read(CHUNK):
                received += len(chunk)
                if received > limit:
                    raise DatasetError(f"more than the expected {limit} bytes; stopped")
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != entry.sha256:
            raise DatasetError(f"checksum mismatch: got SHA-256 {digest.hexdigest()} "
                               f"({received} bytes), expected {entry.sha256}; not cached")
        os.replace(temporary, path)
    except urllib.error.HTTPError as exc:
        raise DatasetError(f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DatasetError(f"no connection ({reason})") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def copy_in(source: Path, dataset: Dataset, entry: FileEntry, root: Path | None = None) -> bool:
    """Copy `source` into the cache if its checksum is the entry's; False (and nothing copied)
    otherwise. The copy, too, goes through a temporary file and a rename."""
    if sha256_of(source) != entry.sha256:
        return False
    path = cached_path(dataset, entry, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{entry.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return True
