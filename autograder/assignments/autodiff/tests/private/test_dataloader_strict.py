"""Hidden checks of modules.dataloader.DataLoader on other sizes and data than the public test:
len() and num_samples() for many sizes, a smaller last batch, every sample exactly once per
epoch, a fresh order per epoch when shuffling, the original order when not, targets of shape (N,)
and (N, 1), dtypes kept."""

import math

import numpy as np
import pytest

from autograder import N_
from autograder.testing import as_array, assert_close, require
from autograder.testing.compare import kind_of
from autograder.testing.torch_parity import take_epoch

LEN_HINT = (N_("len() is the number of batches per epoch, ceil(num_samples / batch_size): the last "
               "batch may be smaller and still counts."))


def dataset(rng, n, features, y_kind):
    """X whose first column is the sample's index; y as labels (N,), or values (N, 1)."""
    X = rng.standard_normal((n, features))
    X[:, 0] = np.arange(n)
    y = np.arange(n) * 10 if y_kind == "labels" else (np.arange(n) + 0.5)[:, None]
    return X, y


def epoch_order(loader, X, y, batch_size, what):
    """Run one epoch; check every batch's shape, dtype and X/y pairing; return the sample order."""
    __tracebackhide__ = True
    n = X.shape[0]
    batches = math.ceil(n / batch_size)
    items = take_epoch(loader, batches, what)
    require(len(items) == batches,
          f"{what}: iteration gave {len(items)} batches, expected {batches}.\n  Hint: " + LEN_HINT)
    order = []
    for index, item in enumerate(items):
        size = min(batch_size, n - index * batch_size)
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            require(False, N_(f"{what}: batch #{index} should be a pair (X_batch, y_batch), got "
                         f"{kind_of(item)}"))
        X_batch = as_array(item[0], N_(f"{what}: X_batch #{index}"), shape=(size, X.shape[1]),
                           hint=N_("full batches have batch_size rows, the last one the rest."))
        y_batch = as_array(item[1], N_(f"{what}: y_batch #{index}"), shape=(size,) + y.shape[1:],
                           hint=N_("keep the shape of y: (N,) gives (B,), (N, 1) gives (B, 1)."))
        require(X_batch.dtype == X.dtype and y_batch.dtype == y.dtype,
              N_(f"{what}: batch #{index} has dtypes ({X_batch.dtype}, {y_batch.dtype}), but X and "
                 f"y have ({X.dtype}, {y.dtype}).\n  Hint: index the arrays, do not convert them "
                 "(integer labels must stay integers for the cross-entropy)."))
        rows = X_batch[:, 0]
        require(bool(np.all(np.isin(rows, np.arange(n)))),
              N_(f"{what}: X_batch #{index} holds rows that are not rows of X"))
        rows = rows.astype(int)
        assert_close(X_batch, X[rows], N_(f"{what}: X_batch #{index}"), against=N_("the rows of X"),
                     hint=N_("return whole rows of X, unchanged."))
        assert_close(y_batch, y[rows], N_(f"{what}: y_batch #{index}"),
                     against=N_("the targets of the samples in X_batch"),
                     hint=N_("index X and y with the same indices, so pairs stay together."))
        order += rows.tolist()
    require(sorted(order) == list(range(n)),
          N_(f"{what}: every sample must come exactly once per epoch, but {len(set(order))} distinct "
             f"samples of {n} came ({len(order)} rows in all).\n  Hint: permute the indices once per "
             "epoch, then cut the permutation into consecutive slices."))
    return order


@pytest.mark.task("DataLoader")
@pytest.mark.extends("test_dataloader")
def test_len_and_num_samples(student, rng):
    dataloader = student.module("modules.dataloader")
    for n, batch_size in ((10, 3), (10, 5), (10, 10), (10, 20), (1, 1), (7, 1), (1000, 999)):
        X, y = dataset(rng, n, 2, "labels")
        loader = dataloader.DataLoader(X, y, batch_size=batch_size)
        name = N_(f"DataLoader with {n} samples and batch_size={batch_size}")
        got, batches = len(loader), math.ceil(n / batch_size)
        require(got == batches,
              N_(f"{name}: len() returned {got}, expected {batches}.\n  Hint: "
                 f"{LEN_HINT}"))
        got = loader.num_samples()
        require(isinstance(got, (int, float)) and not isinstance(got, bool) and got == n,
              N_(f"{name}: num_samples() returned {got!r}, expected {n}."))


@pytest.mark.task("DataLoader")
@pytest.mark.extends("test_dataloader")
@pytest.mark.parametrize("y_kind", ["labels", "column"])
def test_no_shuffle_keeps_order_with_smaller_last_batch(student, rng, y_kind):
    dataloader = student.module("modules.dataloader")
    for n, batch_size in ((23, 5), (5, 8), (6, 1)):
        X, y = dataset(rng, n, 3, y_kind)
        loader = dataloader.DataLoader(X, y, batch_size=batch_size, shuffle=False)
        for epoch in (1, 2):
            what = (N_(f"DataLoader(X of shape {X.shape}, y of shape {y.shape}, "
                       f"batch_size={batch_size}, shuffle=False), epoch {epoch}"))
            order = epoch_order(loader, X, y, batch_size, what)
            require(order == list(range(n)), N_(f"{what}: the samples came in the order {order}, "
                  "but without shuffling they must keep their original order."))


@pytest.mark.task("DataLoader")
@pytest.mark.extends("test_dataloader")
@pytest.mark.parametrize("y_kind", ["labels", "column"])
def test_shuffle_draws_a_new_order_every_epoch(student, rng, y_kind):
    dataloader = student.module("modules.dataloader")
    n, batch_size = 40, 16
    X, y = dataset(rng, n, 2, y_kind)
    loader = dataloader.DataLoader(X, y, batch_size=batch_size, shuffle=True)
    orders = []
    for epoch in (1, 2, 3):
        what = (N_(f"DataLoader(X of shape {X.shape}, y of shape {y.shape}, batch_size={batch_size},"
                   f" shuffle=True), epoch {epoch}"))
        order = epoch_order(loader, X, y, batch_size, what)
        # a correct shuffle repeats an order of 40 samples with probability 1/40! (< 1e-47)
        require(order != list(range(n)), N_(f"{what}: the samples came in their original order.\n"
              "  Hint: draw a permutation with np.random.permutation in __iter__."))
        require(order not in orders, N_(f"{what}: this epoch repeated the order of an earlier epoch."
              "\n  Hint: shuffle in __iter__, which runs at the start of every epoch, not once "
              "in __init__, and do not reseed the generator."))
        orders.append(order)
