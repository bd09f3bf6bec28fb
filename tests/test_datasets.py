"""The dataset layer: IDX parsing, the verified cache, downloads with mirrors, the one-call loaders.

Nothing here touches the internet: downloads go to a local HTTP server on 127.0.0.1 serving small
files the tests write, described by a manifest whose checksums the tests compute themselves.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder.datasets import DatasetError, cache_root, load, load_fashion_mnist, load_mnist
from autograder.datasets.__main__ import main as datasets_cli
from autograder.datasets.cache import DEFAULT_CACHE, ENV_VAR, sha256_of
from autograder.datasets.idx import parse_idx, read_idx, write_idx
from autograder.datasets.manifest import DEFAULT_MANIFEST, read_manifest

# Published per-class counts of the MNIST test split (digits 0..9).
MNIST_TEST_CLASS_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


# ---- the real data ----------------------------------------------------------------------------


def test_real_mnist_test_split_loads_as_10000_digits_with_the_known_class_counts(mnist_cache) -> None:
    images, labels = load_mnist("test", download=False)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == MNIST_TEST_CLASS_COUNTS
    assert 0 < images.mean() < 255 and images.max() == 255


def test_generic_load_is_the_same_as_load_mnist(mnist_cache) -> None:
    images, labels = load("mnist", "test", download=False)
    expected_images, expected_labels = load_mnist(download=False)
    assert np.array_equal(images, expected_images) and np.array_equal(labels, expected_labels)


def test_the_session_cache_is_the_environment_variable_and_the_default_is_data_cache(
        mnist_cache, monkeypatch) -> None:
    assert cache_root() == mnist_cache
    monkeypatch.delenv(ENV_VAR)
    assert cache_root() == DEFAULT_CACHE == DEFAULT_MANIFEST.parent / "cache"


def test_manifest_lists_mnist_and_fashion_mnist_with_both_splits_and_two_mirrors() -> None:
    manifest = read_manifest()
    assert set(manifest.datasets) == {"mnist", "fashion_mnist"}
    for dataset in manifest.datasets.values():
        assert set(dataset.splits) == {"train", "test"} and len(dataset.mirrors) == 2
        assert len(dataset.classes) == 10
        entries = [e for s in dataset.splits.values() for e in (s.images, s.labels)]
        assert len({e.sha256 for e in entries}) == 4 and all(e.size for e in entries)


def test_missing_fashion_mnist_offline_says_which_file_where_and_how_to_fetch_it(mnist_cache) -> None:
    with pytest.raises(DatasetError) as failure:
        load_fashion_mnist("test", download=False)
    message = str(failure.value)
    for part in ("Fashion-MNIST", "t10k-images-idx3-ubyte.gz", str(mnist_cache / "fashion_mnist"),
                 "make data", "downloads are off"):
        assert part in message


# ---- IDX parsing --------------------------------------------------------------------------------

IDX_DTYPES = st.sampled_from([np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])


@settings(max_examples=60, deadline=None)
@given(array=IDX_DTYPES.flatmap(lambda dtype: hnp.arrays(
    dtype, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))),
    compressed=st.booleans())
def test_any_array_written_as_idx_reads_back_identical(array: np.ndarray, compressed: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("a.idx.gz" if compressed else "a.idx")
        write_idx(path, array)
        assert (path.read_bytes()[:2] == b"\x1f\x8b") == compressed
        back = read_idx(path)
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array, equal_nan=array.dtype.kind == "f")


def test_idx_header_follows_the_format_magic_then_big_endian_dimensions(tmp_path) -> None:
    write_idx(tmp_path / "x.idx", np.arange(6, dtype=np.int32).reshape(2, 3))
    raw = (tmp_path / "x.idx").read_bytes()
    assert raw[:4] == bytes([0, 0, 0x0C, 2]) and raw[4:12] == bytes([0, 0, 0, 2, 0, 0, 0, 3])
    assert raw[12:16] == bytes([0, 0, 0, 0]) and raw[-4:] == bytes([0, 0, 0, 5])


@pytest.mark.parametrize("damage, expected", [
    (lambda raw: raw[:-7], "truncated"),
    (lambda raw: raw + b"\0", "trailing bytes"),
    (lambda raw: raw[:10], "truncated IDX header"),
    (lambda raw: b"\x00\x01" + raw[2:], "not an IDX file"),
    (lambda raw: raw[:2] + b"\x42" + raw[3:], "not an IDX file"),
    (lambda raw: raw[:3] + b"\x00" + raw[4:], "0 dimensions"),
    (lambda raw: b"", "shorter than the 4-byte header"),
])
def test_a_damaged_idx_file_fails_with_a_clear_message(tmp_path, damage, expected) -> None:
    path = tmp_path / "images.idx"
    write_idx(path, np.zeros((3, 4, 4), dtype=np.uint8))
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(DatasetError, match=expected) as failure:
        read_idx(path)
    assert str(path) in str(failure.value)


def test_a_truncated_gzip_file_fails_with_a_clear_message(tmp_path) -> None:
    path = tmp_path / "images.idx.gz"
    write_idx(path, np.arange(4000, dtype=np.int32))
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(DatasetError, match="damaged gzip file.*fetch it again"):
        read_idx(path)


def test_an_array_idx_cannot_hold_is_refused(tmp_path) -> None:
    with pytest.raises(DatasetError, match="cannot hold"):
        write_idx(tmp_path / "x.idx", np.zeros(3, dtype=np.uint64))


def test_parse_idx_returns_native_byte_order_values() -> None:
    raw = bytes([0, 0, 0x0B, 1, 0, 0, 0, 2]) + np.array([1, -2], dtype=">i2").tobytes()
    array = parse_idx(raw, "two shorts")
    assert array.dtype == np.dtype(np.int16) and array.tolist() == [1, -2]


# ---- downloads, against a local server ----------------------------------------------------------


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server: (its base URL, the folder it serves)."""
    root = tmp_path / "served"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()
    httpd.server_close()


def tiny_split(folder: Path) -> tuple[np.ndarray, np.ndarray, dict[str, Path]]:
    """Five 4x4 images and their labels, written as gzipped IDX files into `folder`."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 4, 4), dtype=np.uint8)
    labels = np.array([0, 2, 1, 2, 0], dtype=np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"images": folder / "tiny-images.gz", "labels": folder / "tiny-labels.gz"}
    write_idx(paths["images"], images)
    write_idx(paths["labels"], labels)
    return images, labels, paths


def write_manifest(path: Path, mirrors: list[str], files: dict[str, Path]) -> Path:
    """A manifest for the tiny split with the checksums of `files`."""
    entries = "\n".join(
        f'{part} = {{ file = "{p.name}", bytes = {p.stat().st_size}, '
        f'sha256 = "{hashlib.sha256(p.read_bytes()).hexdigest()}" }}' for part, p in files.items())
    mirror_list = ", ".join(f'"{m}"' for m in mirrors)
    path.write_text(f'[tiny]\ntitle = "Tiny"\nmirrors = [{mirror_list}]\n'
                    f'classes = ["x", "y", "z"]\n\n[tiny.test]\ncount = 5\n{entries}\n')
    return path


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_good_download_is_verified_cached_and_then_loads_offline(tmp_path, server) -> None:
    url, served = server
    images, labels, files = tiny_split(served / "a")
    manifest = write_manifest(tmp_path / "manifest.toml", [f"{url}/a/", f"{url}/b/"], files)
    cache_dir = tmp_path / "cache"
    got_images, got_labels = load("tiny", "test", manifest=manifest, cache_dir=cache_dir)
    assert np.array_equal(got_images, images) and np.array_equal(got_labels, labels)
    for path in files.values():
        assert sha256_of(cache_dir / "tiny" / path.name) == sha256_of(path)
        path.unlink()  # the server no longer has it: the cache must answer alone
    again, _ = load("tiny", "test", manifest=manifest, cache_dir=cache_dir, download=False)
    assert np.array_equal(again, images)


def test_a_corrupted_download_is_rejected_and_never_cached(tmp_path, server) -> None:
    url, served = server
    _, _, files = tiny_split(tmp_path / "good")
    manifest = write_manifest(tmp_path / "manifest.toml", [f"{url}/a/"], files)
    for path in files.values():
        damaged = bytearray(path.read_bytes())
        damaged[-1] ^= 0xFF
        (served / "a" / path.name).write_bytes(bytes(damaged))
    cache_dir = tmp_path / "cache"
    with pytest.raises(DatasetError, match="checksum mismatch.*not cached"):
        load("tiny", "test", manifest=manifest, cache_dir=cache_dir)
    assert list((cache_dir / "tiny").iterdir()) == []  # no file, no leftover .part


def test_a_download_longer_than_the_manifest_says_is_cut_short(tmp_path, server) -> None:
    url, served = server
    _, _, files = tiny_split(tmp_path / "good")
    manifest = write_manifest(tmp_path / "manifest.toml", [f"{url}/a/"], files)
    for path in files.values():
        (served / "a" / path.name).write_bytes(path.read_bytes() * 3)
    with pytest.raises(DatasetError, match="more than the expected"):
        load("tiny", "test", manifest=manifest, cache_dir=tmp_path / "cache")


def test_when_the_first_mirror_answers_404_the_next_one_is_used(tmp_path, server) -> None:
    url, served = server
    images, labels, files = tiny_split(served / "b")
    manifest = write_manifest(tmp_path / "manifest.toml", [f"{url}/a/", f"{url}/b/"], files)
    got_images, got_labels = load("tiny", "test", manifest=manifest, cache_dir=tmp_path / "cache")
    assert np.array_equal(got_images, images) and np.array_equal(got_labels, labels)


def test_when_every_mirror_fails_the_message_lists_each_reason(tmp_path, server) -> None:
    url, _ = server
    _, _, files = tiny_split(tmp_path / "good")
    manifest = write_manifest(tmp_path / "manifest.toml", [f"{url}/a/", f"{url}/b/"], files)
    with pytest.raises(DatasetError) as failure:
        load("tiny", "test", manifest=manifest, cache_dir=tmp_path / "cache")
    assert str(failure.value).count("HTTP 404") == 2


def test_offline_connection_refused_gives_a_clear_message(tmp_path) -> None:
    _, _, files = tiny_split(tmp_path / "good")
    manifest = write_manifest(tmp_path / "manifest.toml",
                              [f"http://127.0.0.1:{closed_port()}/a/"], files)
    cache_dir = tmp_path / "cache"
    with pytest.raises(DatasetError) as failure:
        load("tiny", "test", manifest=manifest, cache_dir=cache_dir)
    message = str(failure.value)
    for part in ("Tiny: tiny-images.gz is not in the data cache", "no connection",
                 str(cache_dir / "tiny" / "tiny-images.gz"), "make data FROM=", ENV_VAR):
        assert part in message, message


def test_a_corrupt_cached_file_is_reported_not_loaded(tmp_path) -> None:
    _, _, files = tiny_split(tmp_path / "good")
    manifest = write_manifest(tmp_path / "manifest.toml", ["http://127.0.0.1:1/"], files)
    cached = tmp_path / "cache" / "tiny"
    cached.mkdir(parents=True)
    for path in files.values():
        (cached / path.name).write_bytes(path.read_bytes()[:-5])
    with pytest.raises(DatasetError, match="the cached copy has SHA-256"):
        load("tiny", "test", manifest=manifest, cache_dir=tmp_path / "cache", download=False)


def test_files_that_disagree_with_the_manifest_count_are_refused(tmp_path) -> None:
    _, _, files = tiny_split(tmp_path / "cache" / "tiny")
    manifest = write_manifest(tmp_path / "manifest.toml", ["http://127.0.0.1:1/"], files)
    manifest.write_text(manifest.read_text().replace("count = 5", "count = 6"))
    with pytest.raises(DatasetError, match="5 images and 5 labels, the manifest says 6"):
        load("tiny", "test", manifest=manifest, cache_dir=tmp_path / "cache", download=False)


@pytest.mark.parametrize("edit, expected", [
    (lambda text: text.replace('sha256 = "', 'sha256 = "zz', 1), "tiny.test.images.sha256"),
    (lambda text: text.replace("count = 5", 'count = "5"'), "tiny.test.count must be a int"),
    (lambda text: text.replace('/"]', '"]'), "tiny.mirrors must list base URLs"),
    (lambda text: text.replace("labels = ", "labelz = "), "tiny.test.labels must be a dict"),
    (lambda text: text + "[", "cannot read the dataset manifest"),
])
def test_a_wrong_manifest_names_the_key(tmp_path, edit, expected) -> None:
    _, _, files = tiny_split(tmp_path / "good")
    manifest = write_manifest(tmp_path / "manifest.toml", ["http://127.0.0.1:1/"], files)
    manifest.write_text(edit(manifest.read_text()))
    with pytest.raises(DatasetError, match=expected.replace(".", r"\.")):
        read_manifest(manifest)


def test_unknown_dataset_and_split_list_the_known_ones() -> None:
    with pytest.raises(DatasetError, match="known: mnist, fashion_mnist"):
        load("cifar10")
    with pytest.raises(DatasetError, match="known: train, test"):
        load_mnist("validation")


# ---- the command line ---------------------------------------------------------------------------


def test_fetch_from_a_folder_copies_only_files_with_the_right_checksum(tmp_path, monkeypatch,
                                                                        capsys) -> None:
    _, _, files = tiny_split(tmp_path / "good")
    manifest = write_manifest(tmp_path / "manifest.toml", ["http://127.0.0.1:1/"], files)
    files["labels"].write_bytes(gzip.compress(b"something else"))
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    code = datasets_cli(["--manifest", str(manifest), "fetch", "--from", str(tmp_path / "good")])
    output = capsys.readouterr().out
    assert code == 0 and "tiny-images.gz: copied" in output and "another checksum" in output
    assert sorted(p.name for p in (tmp_path / "cache" / "tiny").iterdir()) == ["tiny-images.gz"]


def test_fetch_without_internet_exits_non_zero_with_the_instructions(tmp_path, monkeypatch,
                                                                     capsys) -> None:
    _, _, files = tiny_split(tmp_path / "good")
    manifest = write_manifest(tmp_path / "manifest.toml",
                              [f"http://127.0.0.1:{closed_port()}/"], files)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    assert datasets_cli(["--manifest", str(manifest), "fetch", "tiny"]) == 1
    assert "FAILED" in capsys.readouterr().out


def test_record_prints_sums_and_which_manifest_entry_they_match(tmp_path, capsys) -> None:
    _, _, files = tiny_split(tmp_path / "good")
    manifest = write_manifest(tmp_path / "manifest.toml", ["http://127.0.0.1:1/"], files)
    assert datasets_cli(["--manifest", str(manifest), "record", str(tmp_path / "good")]) == 0
    output = capsys.readouterr().out
    assert f'sha256 = "{sha256_of(files["images"])}"  (matches tiny.test)' in output
