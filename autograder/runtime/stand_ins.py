"""Inert stand-ins for the deep-learning libraries in the worker: importing one costs nothing,
using one fails the code that uses it.

Real submissions keep a `from torch import nn` they tried once, or import torch to compare their
layers while they worked. The worker has no torch (it would compute the answers), but refusing the
import would fail the whole file, and with it every task whose code lives there. So an import of
one of `LIBRARIES` gives a stand-in module whose attributes are stand-ins too
(`torch.nn.functional.relu` is a name, not a use); *using* one, that is calling it, subclassing it
and building an instance, `isinstance` against it, arithmetic, comparing, indexing, iterating or
testing its truth, raises `LibraryUnavailable` naming the library and the student's line, so only
the task whose code does it loses. Libraries that ask whether an array is torch's once torch is
imported (scipy does) are told it is not. The static scan still reports every import.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import types
from typing import Any, NoReturn

from autograder import N_

# The libraries that would compute the answers (the scan reports their imports: `intake.scan`).
LIBRARIES = frozenset({
    "torch", "torchvision", "torchaudio", "tensorflow", "keras", "jax", "jaxlib", "flax", "autograd",
    "theano", "mxnet", "paddle", "chainer", "lightning", "pytorch_lightning", "cupy",
})


class LibraryUnavailable(RuntimeError):
    """A submission used a deep-learning library, which the grader does not have."""


def _submission_line(frame: types.FrameType | None, root: str) -> str:
    """`file line N` of the innermost frame of the submission's code from `frame` outwards."""
    while frame is not None:
        path = os.path.realpath(frame.f_code.co_filename)
        if path.startswith(root + os.sep):
            return f"{os.path.relpath(path, root)} line {frame.f_lineno}"
        frame = frame.f_back
    return ""


def _used(name: str, root: str) -> NoReturn:
    """Raise, naming the library and the innermost line of the submission's code that used it."""
    where = _submission_line(sys._getframe(1), root)
    library = name.partition(".")[0]
    raise LibraryUnavailable(
        N_(f"{library} is not available while grading ({name}); used at {where}: implement it "
           "with numpy") if where else
        N_(f"{library} is not available while grading ({name}): implement it with numpy"))


def _refuse(name: str) -> Any:
    def refuse(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
        _used(object.__getattribute__(self, "_stand_in_name"), object.__getattribute__(self, "_root"))

    refuse.__name__ = name
    return refuse


# What counts as using an object: everything but naming it (attribute access) and printing it.
USES = ("__call__", "__bool__", "__len__", "__iter__",
        "__contains__", "__getitem__", "__setitem__", "__eq__", "__ne__", "__lt__", "__le__",
        "__gt__", "__ge__", "__neg__", "__pos__", "__abs__", "__invert__", "__float__", "__int__",
        "__index__", "__array__", "__enter__", "__exit__") + tuple(
    f"__{prefix}{op}__" for op in ("add", "sub", "mul", "matmul", "truediv", "floordiv", "mod",
                                   "pow", "and", "or", "xor", "lshift", "rshift")
    for prefix in ("", "r", "i"))


class _Unusable:
    """The dunders that raise on use, shared by stand-in objects and stand-in modules."""

    _stand_in_name: str
    _root: str

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__") and attribute.endswith("__"):
            raise AttributeError(attribute)
        return StandIn(f"{object.__getattribute__(self, '_stand_in_name')}.{attribute}",
                       object.__getattribute__(self, "_root"))

    def __instancecheck__(self, instance: Any) -> bool:
        """`isinstance(x, torch.Tensor)` in the submission's code is a use; in a library's (scipy
        asks whether an array is torch's when torch is imported) it is False: nothing is torch's."""
        return self._checked(sys._getframe(1))

    def __subclasscheck__(self, subclass: Any) -> bool:
        return self._checked(sys._getframe(1))

    def _checked(self, caller: types.FrameType) -> bool:
        root = object.__getattribute__(self, "_root")
        if os.path.realpath(caller.f_code.co_filename).startswith(root + os.sep):
            _used(object.__getattribute__(self, "_stand_in_name"), root)
        return False

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type]:
        """`class Net(nn.Module)` defines a class (the file still imports); building one fails."""
        name, root = (object.__getattribute__(self, "_stand_in_name"),
                      object.__getattribute__(self, "_root"))

        class Unavailable:
            def __new__(cls, *args: Any, **kwargs: Any) -> NoReturn:
                _used(name, root)

        Unavailable.__qualname__ = Unavailable.__name__ = name.rpartition(".")[2]
        return (Unavailable,)

    def __repr__(self) -> str:
        return f"<{object.__getattribute__(self, '_stand_in_name')}: not available while grading>"


for _name in USES:
    setattr(_Unusable, _name, _refuse(_name))
_Unusable.__hash__ = object.__hash__  # type: ignore[method-assign]  # __eq__ would unset it


class StandIn(_Unusable):
    """An attribute of a stand-in library (`torch.nn.Linear`, `torch.float32`)."""

    def __init__(self, name: str, root: str) -> None:
        object.__setattr__(self, "_stand_in_name", name)
        object.__setattr__(self, "_root", root)


class StandInModule(_Unusable, types.ModuleType):
    """A stand-in library module in `sys.modules`, so that imports of it and of its submodules work."""

    def __init__(self, name: str, root: str) -> None:
        types.ModuleType.__init__(self, name)
        object.__setattr__(self, "_stand_in_name", name)
        object.__setattr__(self, "_root", root)
        self.__path__: list[str] = []  # a package: `import torch.nn.functional` finds submodules


class StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds every module of `LIBRARIES` and makes it a stand-in."""

    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(root)

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname.partition(".")[0] not in LIBRARIES:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: Any) -> types.ModuleType:
        return StandInModule(spec.name, self.root)

    def exec_module(self, module: types.ModuleType) -> None:
        return None
