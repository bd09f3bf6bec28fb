"""The plain-data protocol between grader and worker: what survives a pipe, and what is refused."""

from __future__ import annotations

import json
import math
import os
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder.runtime import wire

DTYPES = sorted(wire.ALLOWED_DTYPES)


def no_handles(value):
    raise AssertionError(f"{type(value).__name__} was sent as a handle, expected plain data")


def unexpected_handle(handle):
    raise AssertionError(f"decode met handle {handle}, expected plain data")


def pipe_roundtrip(tree, buffers, deadline_seconds=5.0):
    """Write one frame from a thread and read it back, so a large frame cannot fill the pipe."""
    read_fd, write_fd = os.pipe()
    errors = []

    def write():
        try:
            wire.write_message(write_fd, tree, buffers)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        received = wire.read_message(read_fd, time.monotonic() + deadline_seconds)
    finally:
        writer.join()
        os.close(read_fd)
        os.close(write_fd)
    assert not errors, errors
    return received


def roundtrip(value):
    tree, buffers = wire.encode(value, no_handles)
    got_tree, got_buffers = pipe_roundtrip(tree, buffers)
    return wire.decode(got_tree, got_buffers, unexpected_handle)


def assert_same(got, expected, where="value"):
    """Equal, of the same type, floats bit-for-bit (nan and -0.0 included), arrays fresh copies."""
    assert type(got) is type(expected), f"{where}: {type(got)} != {type(expected)}"
    if isinstance(expected, float):
        if math.isnan(expected):
            assert math.isnan(got), f"{where}: {got!r} != nan"
        else:
            assert got == expected and math.copysign(1, got) == math.copysign(1, expected), where
    elif isinstance(expected, np.ndarray):
        assert got.dtype == expected.dtype, f"{where}: dtype {got.dtype} != {expected.dtype}"
        assert got.shape == expected.shape, f"{where}: shape {got.shape} != {expected.shape}"
        assert got.tobytes() == expected.tobytes(), f"{where}: array contents differ"
        assert got.flags.writeable, f"{where}: received array is read-only"
        assert not np.shares_memory(got, expected), f"{where}: received array is not a copy"
    elif isinstance(expected, (list, tuple)):
        assert len(got) == len(expected), f"{where}: length {len(got)} != {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            assert_same(g, e, f"{where}[{i}]")
    elif isinstance(expected, dict):
        assert list(got) == list(expected), f"{where}: keys {list(got)} != {list(expected)}"
        for key in expected:
            assert_same(got[key], expected[key], f"{where}[{key!r}]")
    else:
        assert got == expected, f"{where}: {got!r} != {expected!r}"


arrays = st.sampled_from(DTYPES).flatmap(
    lambda dtype: hnp.arrays(
        dtype=np.dtype(dtype),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    )
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
plain_values = st.recursive(
    scalars | arrays,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(plain_values)
def test_plain_values_round_trip_through_a_pipe_unchanged(value):
    assert_same(roundtrip(value), value)


@settings(max_examples=100, deadline=None)
@given(arrays)
def test_arrays_come_back_as_fresh_writable_ndarrays_of_the_same_dtype_and_shape(array):
    got = roundtrip(array)
    assert type(got) is np.ndarray
    assert_same(got, array)
    got[...] = 0  # writable for real, not only flagged so


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_allowed_dtype_round_trips_as_0d_empty_and_strided(dtype):
    base = np.arange(12).astype(dtype).reshape(3, 4)
    for array in (np.asarray(base[1, 2]), np.zeros((0, 3), dtype), base[:, ::2], base.T):
        assert_same(roundtrip(array), array)


def test_numpy_scalars_arrive_as_python_scalars():
    got = roundtrip([np.float32(1.5), np.int64(-3), np.bool_(True)])
    assert_same(got, [1.5, -3, True])


def test_object_arrays_and_arbitrary_objects_become_handles_never_data():
    class Secret:
        pass

    secret, objects = Secret(), np.array([1, "x"], dtype=object)
    seen = []

    def to_handle(obj):
        seen.append(obj)
        return wire.Handle(len(seen), type(obj).__qualname__)

    value = [secret, objects, {1: "int key"}, np.dtype("float64"), print, 1j]
    tree, buffers = wire.encode(value, to_handle)
    assert buffers == []
    assert seen[0] is secret and seen[1] is objects
    assert tree[0] == {"$h": 1, "type": Secret.__qualname__}
    assert tree[1] == {"$h": 2, "type": "ndarray"}
    got = wire.decode(*pipe_roundtrip(tree, buffers), lambda handle: handle)
    assert got[:2] == [wire.Handle(1, Secret.__qualname__), wire.Handle(2, "ndarray")]
    assert all(isinstance(item, wire.Handle) for item in got[2:])


def test_subclasses_of_list_dict_and_int_are_not_trusted_as_plain_data():
    class MyList(list):
        pass

    class MyDict(dict):
        pass

    class MyInt(int):
        pass

    seen = []
    tree, _ = wire.encode([MyList([1]), MyDict(a=1), MyInt(3)],
                          lambda obj: seen.append(obj) or wire.Handle(len(seen), "x"))
    assert [type(obj) for obj in seen] == [MyList, MyDict, MyInt]
    assert all("$h" in item for item in tree)


def test_an_ndarray_subclass_that_lies_is_encoded_as_its_plain_data():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return np.ones(np.shape(self), dtype=bool)

        def __array__(self, *args, **kwargs):
            return np.full(np.shape(self), 99.0)

        def tobytes(self, *args, **kwargs):
            return b"lies"

    truth = np.arange(6.0).reshape(2, 3)
    liar = truth.copy().view(Liar)
    tree, buffers = wire.encode(liar, no_handles)
    assert buffers == [truth.tobytes()]
    assert tree == {"$a": 0, "dtype": truth.dtype.str, "shape": [2, 3]}
    got = wire.decode(*pipe_roundtrip(tree, buffers), unexpected_handle)
    assert type(got) is np.ndarray
    assert_same(got, truth)


def array_tree(dtype, shape, index=0):
    return {"$a": index, "dtype": dtype, "shape": shape}


@pytest.mark.parametrize("dtype", ["|O", "<U3", "|V8", "<M8[s]", "|S8", 7, None])
def test_decode_rejects_a_dtype_outside_the_whitelist(dtype):
    with pytest.raises(wire.WireError):
        wire.decode(array_tree(dtype, [3]), [b"\0" * 24], unexpected_handle)


@pytest.mark.parametrize(
    ("shape", "nbytes"),
    [([2, 3], 40), ([2, 3], 56), ([], 0), ([0], 8), ([4], 0)],
)
def test_decode_rejects_a_shape_whose_size_disagrees_with_the_bytes(shape, nbytes):
    with pytest.raises(wire.WireError, match="do not match"):
        wire.decode(array_tree("<f8", shape), [b"\0" * nbytes], unexpected_handle)


@pytest.mark.parametrize("shape", [[-2, -3], [-1], [2, -0.5], [True], "6", [1] * 40, None])
def test_decode_rejects_a_bad_shape_even_when_the_byte_count_would_fit(shape):
    with pytest.raises(wire.WireError, match="shape"):
        wire.decode(array_tree("<f8", shape), [b"\0" * 48], unexpected_handle)


@pytest.mark.parametrize("index", [1, -1, "0", None, 0.0, True])
def test_decode_rejects_a_missing_buffer_index(index):
    with pytest.raises(wire.WireError, match="missing buffer"):
        wire.decode(array_tree("<f8", [1], index), [b"\0" * 8], unexpected_handle)


@pytest.mark.parametrize(
    "tree",
    [{"$x": 1}, {}, {"$t": "not a list"}, {"$d": "nope"}, {"$d": [[1, 2]]}, {"$d": [["a"]]},
     {"$h": "1", "type": "x"}, {"$h": 1}, {"$f": "1e999"}, {"$f": ["nan"]}, {"__class__": "os"}],
)
def test_decode_rejects_unknown_or_malformed_tags(tree):
    with pytest.raises(wire.WireError):
        wire.decode(tree, [], unexpected_handle)


def nested(depth):
    tree = 0
    for _ in range(depth):
        tree = [tree]
    return tree


def test_decode_accepts_the_depth_limit_and_rejects_deeper_nesting():
    assert wire.decode(nested(wire.MAX_DEPTH), [], unexpected_handle) == nested(wire.MAX_DEPTH)
    with pytest.raises(wire.WireError, match="too deep"):
        wire.decode(nested(wire.MAX_DEPTH + 1), [], unexpected_handle)
    deep_dict = 0
    for _ in range(wire.MAX_DEPTH + 1):
        deep_dict = {"$d": [["k", deep_dict]]}
    with pytest.raises(wire.WireError):
        wire.decode(deep_dict, [], unexpected_handle)


def test_decode_accepts_the_item_limit_and_rejects_too_many_items():
    assert len(wire.decode([0] * (wire.MAX_ITEMS - 1), [], unexpected_handle)) == wire.MAX_ITEMS - 1
    with pytest.raises(wire.WireError, match="too large"):
        wire.decode([0] * wire.MAX_ITEMS, [], unexpected_handle)


def test_encode_refuses_values_too_deep_or_too_large_to_send():
    with pytest.raises(wire.WireError):
        wire.encode(nested(wire.MAX_DEPTH + 1), no_handles)
    with pytest.raises(wire.WireError):
        wire.encode([0] * wire.MAX_ITEMS, no_handles)
    circular = []
    circular.append(circular)
    with pytest.raises(wire.WireError):
        wire.encode(circular, no_handles)


def write_raw(data):
    read_fd, write_fd = os.pipe()
    os.write(write_fd, data)
    os.close(write_fd)
    return read_fd


@pytest.mark.parametrize(
    "frame",
    [
        wire._HEADER.pack(wire.MAX_JSON_BYTES + 1, 0),
        wire._HEADER.pack(2**32 - 1, 0),
        wire._HEADER.pack(2, wire.MAX_BUFFERS + 1) + b"[]",
        wire._HEADER.pack(2, 1) + b"[]" + wire._LENGTH.pack(wire.MAX_ARRAY_BYTES + 1),
        wire._HEADER.pack(2, 2) + b"[]" + wire._LENGTH.pack(8) + b"\0" * 8
        + wire._LENGTH.pack(wire.MAX_ARRAY_BYTES),
    ],
    ids=["json-over-limit", "json-4GB", "too-many-buffers", "buffer-over-limit", "total-over"],
)
def test_read_message_rejects_oversize_headers_before_reading_the_body(frame):
    read_fd = write_raw(frame)
    try:
        with pytest.raises(wire.WireError):
            wire.read_message(read_fd, time.monotonic() + 2)
    finally:
        os.close(read_fd)


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000])
def test_read_message_rejects_a_body_that_is_not_json(body):
    read_fd, write_fd = os.pipe()
    writer = threading.Thread(
        target=os.write, args=(write_fd, wire._HEADER.pack(len(body), 0) + body))
    writer.start()
    try:
        with pytest.raises(wire.WireError, match="not valid JSON"):
            wire.read_message(read_fd, time.monotonic() + 5)
    finally:
        writer.join()
        os.close(read_fd)
        os.close(write_fd)


def test_write_message_refuses_a_body_over_the_limit(monkeypatch):
    monkeypatch.setattr(wire, "MAX_JSON_BYTES", 100)
    with pytest.raises(wire.WireError, match="exceeds"):
        wire.write_message(-1, "x" * 200, [])


@pytest.mark.parametrize("partial", [b"", wire._HEADER.pack(5, 0) + b"[1,"])
def test_read_message_with_a_deadline_raises_wire_timeout_when_nothing_more_arrives(partial):
    read_fd, write_fd = os.pipe()
    os.write(write_fd, partial)
    start = time.monotonic()
    try:
        with pytest.raises(wire.WireTimeout):
            wire.read_message(read_fd, start + 0.2)
    finally:
        os.close(read_fd)
        os.close(write_fd)
    assert 0.15 < time.monotonic() - start < 2


@pytest.mark.parametrize("partial", [b"", wire._HEADER.pack(5, 0) + b"[1,"])
@pytest.mark.parametrize("deadline", [None, 5.0])
def test_read_message_raises_wire_closed_when_the_writer_closes(partial, deadline):
    read_fd = write_raw(partial)
    start = time.monotonic()
    try:
        with pytest.raises(wire.WireClosed):
            wire.read_message(read_fd, None if deadline is None else start + deadline)
    finally:
        os.close(read_fd)
    assert time.monotonic() - start < 2


def test_a_frame_is_exactly_header_json_and_length_prefixed_buffers():
    tree, buffers = wire.encode({"x": np.array([1, 2], dtype=np.uint8)}, no_handles)
    read_fd, write_fd = os.pipe()
    wire.write_message(write_fd, tree, buffers)
    os.close(write_fd)
    raw = os.read(read_fd, 1 << 16)
    os.close(read_fd)
    body = json.dumps(tree, separators=(",", ":")).encode()
    expected = wire._HEADER.pack(len(body), 1) + body + wire._LENGTH.pack(2) + b"\x01\x02"
    assert raw == expected


def test_a_grader_function_travels_as_a_numbered_callback_and_only_the_worker_accepts_one():
    offered = wire.OfferedFunctions()
    loss = wire.GraderFunction("the loss", lambda x: x)
    tree, buffers = wire.encode({"f": loss, "again": loss}, offered.offer)
    stubs = wire.decode(tree, buffers, lambda handle: handle, lambda callback: callback)
    assert stubs["f"] == wire.Callback(1, "the loss") and offered.get(2) is loss
    with pytest.raises(wire.WireError):  # the grader never takes a callback from a worker
        wire.decode(tree, buffers, lambda handle: handle)


@pytest.mark.parametrize("number", [0, 1, -1, "1", 1.0, None])
def test_a_call_of_a_grader_function_never_offered_is_a_protocol_error(number):
    with pytest.raises(wire.WireError):
        wire.OfferedFunctions().get(number)


def test_only_grader_functions_may_be_offered_to_a_worker():
    with pytest.raises(TypeError):
        wire.encode([object()], wire.OfferedFunctions().offer)
