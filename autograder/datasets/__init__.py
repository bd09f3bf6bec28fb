"""Datasets for the assignments (MNIST, Fashion-MNIST): a checksum-verified cache and one-call
loaders that work offline once the cache holds the files. See data/README.md."""

from autograder.datasets.cache import cache_root
from autograder.datasets.errors import DatasetError
from autograder.datasets.loading import load, load_fashion_mnist, load_mnist

__all__ = ["DatasetError", "cache_root", "load", "load_fashion_mnist", "load_mnist"]
