"""Proxies that make objects living in the worker look like local ones to a test.

`student.module("modules.layers").Linear(3, 4).forward(x)` reads like ordinary code, but every step
is a request to the worker: attributes and results come back as plain data (numbers, strings,
arrays, lists of them) or as another proxy. A test cannot tell the difference except that returned
arrays are copies: to change a student's attribute, assign it (`layer.weight = w`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np

from autograder.digest import digest
from autograder.failures import StudentError
from autograder.runtime import wire

MAX_OUTPUTS = 64  # digests a test's record keeps, the first ones: a stored result stays small


class OutputLog:
    """The digests of the replies that reached the running test, in order (`TestRecord.outputs`,
    the similarity report's behaviour signal): the grading plugin clears it when a test starts."""

    def __init__(self) -> None:
        self.digests: list[str] = []

    def add(self, reply: Any) -> None:
        if len(self.digests) < MAX_OUTPUTS:
            self.digests.append(digest(reply, _opaque_name))

    def clear(self) -> None:
        self.digests.clear()


class Channel(Protocol):
    """What a proxy sends its requests to: a sandboxed worker (`worker_client.WorkerClient`) or
    the self-check's in-process stand-in (`in_process.InProcessWorker`), which answer alike, each
    keeping the digests of its replies that reach a test in `outputs`."""

    outputs: OutputLog

    def request(self, what: str, op: str, timeout: float | None = None, **fields: Any) -> Any:
        """Send one request and return the decoded answer; `what` names the call in messages."""


def describe_value(value: Any) -> str:
    """A short description of an argument for messages: `array(4, 3)`, `2`, `Linear`."""
    if isinstance(value, np.ndarray):
        return f"array{tuple(value.shape)}"
    if isinstance(value, RemoteObject):
        return object.__getattribute__(value, "_handle").type_name
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(describe_value(v) for v in value[:4]) + ("…]" if len(value) > 4 else "]")
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def describe_call(what: str, args: tuple, kwargs: dict) -> str:
    parts = [describe_value(a) for a in args] + [f"{k}={describe_value(v)}" for k, v in kwargs.items()]
    return f"{what}({', '.join(parts)})"


class NoLength(StudentError, TypeError):
    """len() of an object without one: still the student's failure, yet a TypeError, which
    `list(proxy)` ignores when it asks for a length hint before iterating."""


class RemoteObject:
    """A student object in the worker; attribute access, calls and iteration become requests."""

    __slots__ = ("_worker", "_handle", "_name")

    def __init__(self, worker: Channel, handle: wire.Handle, name: str) -> None:
        object.__setattr__(self, "_worker", worker)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_name", name)

    def _send(self, what: str, op: str, **fields: Any) -> Any:
        worker: Channel = object.__getattribute__(self, "_worker")
        return worker.request(what, op, obj=object.__getattribute__(self, "_handle"), **fields)

    def _request(self, what: str, op: str, **fields: Any) -> Any:
        """Send a request whose answer reaches the test (as data or a proxy)."""
        return wrap(object.__getattribute__(self, "_worker"), self._send(what, op, **fields), what)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        own = object.__getattribute__(self, "_name")
        return self._request(f"{own}.{name}", "getattr", name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        own = object.__getattribute__(self, "_name")
        self._send(f"setting {own}.{name}", "setattr", name=name, value=unwrap(value))  # no answer

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        own = object.__getattribute__(self, "_name")
        return self._request(describe_call(own, args, kwargs), "call",
                             args=[unwrap(a) for a in args],
                             kwargs={k: unwrap(v) for k, v in kwargs.items()})

    def __len__(self) -> int:
        own = object.__getattribute__(self, "_name")
        try:
            result = self._request(f"len({own})", "len")
        except StudentError as exc:
            if exc.type_name != "TypeError":
                raise
            raise NoLength(exc.what, exc.type_name, exc.message, exc.frames) from None
        return int(result)

    def __getitem__(self, key: Any) -> Any:
        own = object.__getattribute__(self, "_name")
        return self._request(f"{own}[{describe_value(key)}]", "getitem", key=unwrap(key))

    def __iter__(self) -> Iterator[Any]:
        own = object.__getattribute__(self, "_name")
        iterator = self._request(f"iter({own})", "iter")
        if not isinstance(iterator, RemoteObject):
            raise TypeError(f"iter({own}) did not return an iterator")
        return RemoteIterator(iterator, own)

    def __repr__(self) -> str:
        return f"<student {object.__getattribute__(self, '_handle').type_name}>"


class RemoteIterator:
    """Iterates a worker-side iterator with one `next` request per item."""

    def __init__(self, iterator: RemoteObject, name: str) -> None:
        self.iterator, self.name, self.count = iterator, name, 0

    def __iter__(self) -> RemoteIterator:
        return self

    def __next__(self) -> Any:
        self.count += 1
        step = self.iterator._request(f"next(iter({self.name})) #{self.count}", "next")
        if not isinstance(step, dict) or step.get("stop"):
            raise StopIteration
        return step.get("value")


def wrap(worker: Channel, reply: Any, name: str) -> Any:
    """A decoded reply as the test receives it, its handles turned into proxies; its digest goes
    to the worker's output log."""
    worker.outputs.add(reply)
    return _proxies(worker, reply, name)


def _proxies(worker: Channel, value: Any, name: str) -> Any:
    if isinstance(value, wire.Handle):
        return RemoteObject(worker, value, _short_name(name, value.type_name))
    if isinstance(value, list):
        return [_proxies(worker, v, name) for v in value]
    if isinstance(value, tuple):
        return tuple(_proxies(worker, v, name) for v in value)
    if isinstance(value, dict):
        return {k: _proxies(worker, v, name) for k, v in value.items()}
    return value


def unwrap(value: Any) -> Any:
    """Turn proxies inside an argument back into handles for the wire."""
    if isinstance(value, RemoteObject):
        return object.__getattribute__(value, "_handle")
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    if isinstance(value, tuple):
        return tuple(unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    return value


def _opaque_name(value: Any) -> str:
    """What a reply's digest keeps of a worker object: its type's name, never its identity."""
    return value.type_name if isinstance(value, wire.Handle) else type(value).__name__


def _short_name(what: str, type_name: str) -> str:
    """Name a new proxy after its type when it is an instance, after the access path otherwise."""
    if type_name in ("type", "ABCMeta", "module", "method", "function", "builtin_function_or_method"):
        return what.split("(")[0]
    return type_name
