"""Reference results kept on disk: computed once, returned unchanged, recomputed whenever anything
they depend on changes, and never read with pickle."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.datasets.cache import ENV_VAR
from autograder.testing import stored_results
from autograder.testing.stored_results import stored_on_disk

CALLS: list[tuple] = []


@stored_on_disk("numpy")
def scaled(x: np.ndarray, *, factor: float) -> tuple[np.ndarray, ...]:
    CALLS.append((x.shape, factor))
    return x * factor, np.array([factor])


@pytest.fixture(autouse=True)
def empty_store(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    CALLS.clear()


def test_a_stored_result_is_computed_once_and_returned_identical():
    x = np.arange(6.0).reshape(2, 3)
    first, second = scaled(x, factor=2.0), scaled(x.copy(), factor=2.0)
    assert len(CALLS) == 1
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype and a.shape == b.shape


@pytest.mark.parametrize("other", [
    lambda x: (x + 1e-12, {"factor": 2.0}),  # one value, by the smallest step
    lambda x: (x.reshape(3, 2), {"factor": 2.0}),  # the same bytes, another shape
    lambda x: (x.astype(np.float32), {"factor": 2.0}),  # another dtype
    lambda x: (x, {"factor": 3.0}),  # another keyword
])
def test_any_change_of_the_inputs_computes_it_again(other):
    x = np.arange(6.0).reshape(2, 3)
    scaled(x, factor=2.0)
    changed, kwargs = other(x)
    result = scaled(changed, **kwargs)
    assert len(CALLS) == 2
    np.testing.assert_array_equal(result[0], changed * kwargs["factor"])


def test_another_version_of_a_package_computes_it_again(monkeypatch):
    x = np.ones(3)
    scaled(x, factor=2.0)
    monkeypatch.setattr(stored_results, "package_version", lambda package: "0.0-other")
    scaled(x, factor=2.0)
    assert len(CALLS) == 2


def test_a_damaged_or_pickled_file_is_computed_again_never_unpickled(tmp_path):
    x = np.ones(3)
    scaled(x, factor=2.0)
    (stored,) = stored_results.store_folder().iterdir()
    stored.write_bytes(b"not a zip file")
    np.testing.assert_array_equal(scaled(x, factor=2.0)[0], x * 2)
    np.savez(stored, np.array([{"a": 1}], dtype=object))  # would need pickle to read
    np.testing.assert_array_equal(scaled(x, factor=2.0)[0], x * 2)
    assert len(CALLS) == 3


def test_an_argument_that_cannot_be_keyed_is_refused():
    with pytest.raises(TypeError, match="cannot key"):
        scaled([1.0, 2.0], factor=2.0)
