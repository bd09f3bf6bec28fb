"""Reference results that take seconds to compute, kept on disk for every later grading process.

Keras is the costly one: importing it on the torch backend takes ~4 s (it imports torch._dynamo),
and training the course's classifier ~1.5 s more, in every grading process, for results that
depend only on the grader's own fixed inputs. A function decorated with `stored_on_disk` returns
a tuple of arrays; each result is kept in the data cache under a key made of the
function's name, the source of its module, the versions of the libraries named, and the exact
bytes, shapes and dtypes of its arguments, so a change to any of them computes it afresh. Results
are written atomically as .npz and read without pickle; an unreadable file is computed again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import io
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from autograder.atomic import write_atomic
from autograder.datasets.cache import cache_root

Arrays = tuple[np.ndarray, ...]
FOLDER = "reference-results"


def store_folder() -> Path:
    return cache_root() / FOLDER


def _digest_of(value: Any) -> bytes:
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        return f"{array.dtype.str}{array.shape}".encode() + hashlib.sha256(array.tobytes()).digest()
    if isinstance(value, (str, int, float, bool, type(None))):
        return repr(value).encode()
    raise TypeError(f"cannot key a stored result on a {type(value).__name__}")


@functools.cache
def package_version(package: str) -> str:
    return metadata.version(package)


def result_key(function: Callable[..., Any], packages: tuple[str, ...], args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> str:
    """What the result depends on, as a file name."""
    digest = hashlib.sha256(function.__qualname__.encode())
    digest.update(_source_digest(inspect.getfile(function)))
    for package in packages:
        digest.update(f"{package}=={package_version(package)}".encode())
    for value in args:
        digest.update(b"\0" + _digest_of(value))
    for name, value in sorted(kwargs.items()):
        digest.update(b"\0" + name.encode() + b"=" + _digest_of(value))
    return f"{function.__name__}-{digest.hexdigest()[:32]}.npz"


@functools.cache
def _source_digest(path: str) -> bytes:
    """The digest of the file that computes a result, read once per process."""
    return hashlib.sha256(Path(path).read_bytes()).digest()


def _load(path: Path) -> Arrays | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            return tuple(stored[f"arr_{i}"] for i in range(len(stored.files)))
    except (OSError, ValueError, KeyError, EOFError):
        return None


def _save(path: Path, arrays: Arrays) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, *arrays)
    with contextlib.suppress(OSError):  # a read-only cache only costs the time to compute it again
        write_atomic(path, buffer.getvalue())


def stored_on_disk(*packages: str) -> Callable[[Callable[..., Arrays]], Callable[..., Arrays]]:
    """Keep the decorated function's results on disk, keyed also on these packages' versions."""
    def decorate(function: Callable[..., Arrays]) -> Callable[..., Arrays]:
        @functools.wraps(function)
        def stored(*args: Any, **kwargs: Any) -> Arrays:
            path = store_folder() / result_key(function, packages, args, kwargs)
            arrays = _load(path)
            if arrays is None:
                arrays = tuple(np.asarray(a) for a in function(*args, **kwargs))
                _save(path, arrays)
            return arrays
        return stored
    return decorate
