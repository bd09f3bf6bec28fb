"""Plain-data messages between the grader and a worker: a JSON tree plus raw array bytes.

Pickle is never used: unpickling what a worker sends would run the student's code in the grader.
Instead every value is encoded as JSON (None, bool, int, float, str, list, tagged tuple and dict),
numeric arrays travel as a (dtype, shape) header plus their raw bytes, and everything else stays in
the worker behind a numbered handle. The decoder trusts nothing: dtypes come from a whitelist,
sizes are checked against the bytes received, and depth, element counts and bytes are capped.

A frame on the pipe is: 8 bytes (JSON length, buffer count), the JSON, then each buffer as an
8-byte length followed by its bytes.

A worker may need the grader's known-good code while it runs the student's (a loss a container is
graded with, the loss of a training loop): such code never enters the worker, where a submission
could import it as its own answer. The grader offers it as a `GraderFunction`, which travels as a
numbered `Callback`; calling it in the worker sends the arguments to the grader, which computes the
result on them (plain data both ways) and sends it back.
"""

from __future__ import annotations

import json
import math
import os
import select
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

ALLOWED_DTYPES = frozenset(
    np.dtype(name).str
    for name in (
        "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float16", "float32", "float64", "complex64", "complex128",
    )
)  # fmt: skip
MAX_DEPTH = 32
MAX_ITEMS = 100_000
MAX_JSON_BYTES = 16 * 2**20
MAX_ARRAY_BYTES = 1 * 2**30
MAX_BUFFERS = 10_000
_HEADER = struct.Struct("!II")
_LENGTH = struct.Struct("!Q")


class WireError(Exception):
    """A message broke the protocol: malformed, too large, too deep, or of a forbidden type."""


class WireTimeout(Exception):
    """No complete message arrived before the deadline."""


class WireClosed(Exception):
    """The other side closed the pipe (for a worker: it exited or crashed)."""


@dataclass(frozen=True)
class Handle:
    """A reference to an object that lives in the worker; only its number and type name travel."""

    id: int
    type_name: str


@dataclass(frozen=True)
class Callback:
    """A reference to a grader function offered to the worker: its number and name travel."""

    id: int
    name: str


@dataclass(frozen=True)
class GraderFunction:
    """A function of the grader's that the worker may call (it travels as a `Callback`); called in
    the grader's own process (a self-check), it is the function itself."""

    name: str
    function: Callable[..., Any]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)


class OfferedFunctions:
    """The grader functions offered to one worker, numbered in the order they were first sent."""

    def __init__(self) -> None:
        self.functions: list[GraderFunction] = []

    def offer(self, value: Any) -> Callback:
        """`encode`'s hook on the grader's side: only grader functions may travel as objects."""
        if not isinstance(value, GraderFunction):
            raise TypeError(f"cannot send a {type(value).__name__} to the student's code")
        self.functions.append(value)
        return Callback(len(self.functions), value.name)

    def get(self, number: Any) -> GraderFunction:
        if type(number) is not int or not 0 < number <= len(self.functions):
            raise WireError("a call of a grader function that was never offered")
        return self.functions[number - 1]


def encode(value: Any, to_handle: Callable[[Any], Handle | Callback]) -> tuple[Any, list[bytes]]:
    """Encode a value as a JSON tree and its array buffers; other objects become what `to_handle`
    makes of them: a handle (the worker's objects) or a callback (a grader function)."""
    buffers: list[bytes] = []
    count = 0

    def walk(item: Any, depth: int) -> Any:
        nonlocal count
        count += 1
        if depth > MAX_DEPTH or count > MAX_ITEMS:
            raise WireError(f"value too deep or too large to send (limit {MAX_DEPTH} levels, "
                            f"{MAX_ITEMS} items)")
        kind = type(item)
        if item is None or kind in (bool, int, str):
            return item
        if kind is float:
            return item if math.isfinite(item) else {"$f": repr(item)}
        if isinstance(item, np.generic) and np.dtype(kind).str in ALLOWED_DTYPES and item.ndim == 0:
            return walk(item.item(), depth)
        if isinstance(item, np.ndarray) and item.dtype.str in ALLOWED_DTYPES:
            data = np.ndarray.view(item, np.ndarray)  # tobytes() is C order; keeps 0-d shape
            buffers.append(data.tobytes())
            return {"$a": len(buffers) - 1, "dtype": data.dtype.str, "shape": list(data.shape)}
        if kind is list:
            return [walk(x, depth + 1) for x in item]
        if kind is tuple:
            return {"$t": [walk(x, depth + 1) for x in item]}
        if kind is dict and all(type(k) is str for k in item):
            return {"$d": [[k, walk(v, depth + 1)] for k, v in item.items()]}
        if kind is Handle:
            return {"$h": item.id, "type": item.type_name}
        if kind is Callback:
            return {"$c": item.id, "name": item.name}
        reference = to_handle(item)
        if type(reference) not in (Handle, Callback):
            raise WireError(f"cannot send a {kind.__name__}")
        return walk(reference, depth)

    return walk(value, 0), buffers


def decode(tree: Any, buffers: list[bytes], from_handle: Callable[[Handle], Any],
           from_callback: Callable[[Callback], Any] | None = None) -> Any:
    """Rebuild a value from a JSON tree and raw buffers, validating every part of it; callbacks are
    accepted only where `from_callback` is given (by the worker, from the grader)."""
    count = 0

    def walk(item: Any, depth: int) -> Any:
        nonlocal count
        count += 1
        if depth > MAX_DEPTH or count > MAX_ITEMS:
            raise WireError("received value too deep or too large")
        kind = type(item)
        if item is None or kind in (bool, int, float, str):
            return item
        if kind is list:
            return [walk(x, depth + 1) for x in item]
        if kind is not dict or len(item) == 0:
            raise WireError(f"unexpected {kind.__name__} in message")
        if "$f" in item:
            text = item["$f"]
            if text not in ("nan", "inf", "-inf"):
                raise WireError("bad float literal")
            return float(text)
        if "$a" in item:
            return _decode_array(item, buffers)
        if "$t" in item and type(item["$t"]) is list:
            return tuple(walk(x, depth + 1) for x in item["$t"])
        if "$d" in item and type(item["$d"]) is list:
            pairs = item["$d"]
            if not all(type(p) is list and len(p) == 2 and type(p[0]) is str for p in pairs):
                raise WireError("bad dict encoding")
            return {k: walk(v, depth + 1) for k, v in pairs}
        if "$h" in item and type(item["$h"]) is int and type(item.get("type")) is str:
            return from_handle(Handle(item["$h"], item["type"][:200]))
        if "$c" in item and from_callback and type(item["$c"]) is int and type(item.get("name")) is str:
            return from_callback(Callback(item["$c"], item["name"][:200]))
        raise WireError("unknown tag in message")

    return walk(tree, 0)


def _decode_array(item: dict[str, Any], buffers: list[bytes]) -> np.ndarray:
    index, dtype_str, shape = item.get("$a"), item.get("dtype"), item.get("shape")
    if type(index) is not int or not 0 <= index < len(buffers):
        raise WireError("array refers to a missing buffer")
    if dtype_str not in ALLOWED_DTYPES:
        raise WireError(f"array dtype {dtype_str!r} is not allowed (numeric dtypes only)")
    if type(shape) is not list or len(shape) > 32 or not all(
        type(n) is int and n >= 0 for n in shape
    ):
        raise WireError("bad array shape")
    dtype = np.dtype(dtype_str)
    raw = buffers[index]
    if math.prod(shape) * dtype.itemsize != len(raw):
        raise WireError("array bytes do not match its shape and dtype")
    return np.frombuffer(bytearray(raw), dtype=dtype).reshape(shape)


def write_message(fd: int, tree: Any, buffers: list[bytes]) -> None:
    """Write one frame to a file descriptor."""
    body = json.dumps(tree, separators=(",", ":")).encode()
    if len(body) > MAX_JSON_BYTES:
        raise WireError(f"message of {len(body)} bytes exceeds the {MAX_JSON_BYTES}-byte limit")
    parts = [_HEADER.pack(len(body), len(buffers)), body]
    for buf in buffers:
        parts += [_LENGTH.pack(len(buf)), buf]
    data = memoryview(b"".join(parts))
    while data:
        written = os.write(fd, data)
        data = data[written:]


def read_message(fd: int, deadline: float | None = None) -> tuple[Any, list[bytes]]:
    """Read one frame, enforcing the size caps and (if given) a monotonic-clock deadline."""
    json_len, n_buffers = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if json_len > MAX_JSON_BYTES or n_buffers > MAX_BUFFERS:
        raise WireError("incoming message exceeds the size limits")
    try:
        tree = json.loads(_read_exact(fd, json_len, deadline))
    except (ValueError, RecursionError) as exc:
        raise WireError(f"incoming message is not valid JSON: {exc}") from None
    buffers = []
    total = 0
    for _ in range(n_buffers):
        (length,) = _LENGTH.unpack(_read_exact(fd, _LENGTH.size, deadline))
        total += length
        if total > MAX_ARRAY_BYTES:
            raise WireError(f"incoming arrays exceed {MAX_ARRAY_BYTES} bytes")
        buffers.append(_read_exact(fd, length, deadline))
    return tree, buffers


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise WireTimeout()
        chunk = os.read(fd, min(size - len(chunks), 1 << 20))
        if not chunk:
            raise WireClosed()
        chunks += chunk
    return bytes(chunks)
