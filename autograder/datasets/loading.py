"""One call to get a dataset split as numpy arrays: `load_mnist("test")` -> (images, labels).

Files come from the verified cache (downloaded on first use when there is internet); the arrays
are checked against the manifest (count, image rank, label range) before they are returned.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autograder.datasets import cache
from autograder.datasets.errors import DatasetError
from autograder.datasets.idx import read_idx
from autograder.datasets.manifest import DEFAULT_MANIFEST, Manifest, read_manifest


def load(name: str, split: str = "test", *, manifest: Manifest | Path | None = None,
         cache_dir: Path | None = None, download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, H, W) uint8 and labels (N,) uint8 of one split of a dataset in the manifest.

    Args:
        name: a dataset of the manifest ("mnist", "fashion_mnist").
        split: "train" or "test".
        manifest: a Manifest or the path of a manifest file (default: data/manifest.toml).
        cache_dir: the cache folder (default: $AUTOGRADER_DATA, else data/cache).
        download: fetch missing files from the manifest's mirrors.

    Raises:
        DatasetError: a file is missing and cannot be fetched, or is corrupt.
    """
    if not isinstance(manifest, Manifest):
        manifest = read_manifest(manifest or DEFAULT_MANIFEST)
    dataset = manifest.dataset(name)
    entries = dataset.split(split)
    images = read_idx(cache.ensure(dataset, entries.images, root=cache_dir, download=download))
    labels = read_idx(cache.ensure(dataset, entries.labels, root=cache_dir, download=download))
    where = f"{dataset.title} {split} split"
    if images.ndim != 3 or images.dtype != np.uint8 or labels.ndim != 1 or labels.dtype != np.uint8:
        raise DatasetError(f"{where}: expected uint8 images (N, H, W) and uint8 labels (N,), got "
                           f"{images.dtype} {images.shape} and {labels.dtype} {labels.shape}")
    if not len(images) == len(labels) == entries.count:
        raise DatasetError(f"{where}: {len(images)} images and {len(labels)} labels, the "
                           f"manifest says {entries.count}")
    if labels.size and int(labels.max()) >= len(dataset.classes):
        raise DatasetError(f"{where}: label {int(labels.max())} but only "
                           f"{len(dataset.classes)} classes")
    return images, labels


def load_mnist(split: str = "test", **options) -> tuple[np.ndarray, np.ndarray]:
    """MNIST digits: images (N, 28, 28) uint8, labels (N,) uint8 in 0..9 (see `load`)."""
    return load("mnist", split, **options)


def load_fashion_mnist(split: str = "test", **options) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST: images (N, 28, 28) uint8, labels (N,) uint8 in 0..9 (see `load`)."""
    return load("fashion_mnist", split, **options)
