"""modules.dataloader.DataLoader, as in the course's test_dataloader: len() counts batches (the
last one may be smaller), every sample comes exactly once per epoch, with X and y paired, and
shuffling draws a new order every epoch."""

import math

import numpy as np
import pytest

from autograder import N_
from autograder.testing import as_array, assert_close, require
from autograder.testing.compare import kind_of
from autograder.testing.torch_parity import take_epoch

CASES = [((100, 20), 16), ((100, 20), 100), ((100, 20), 512), ((1000, 5), 512)]
EPOCHS = 2


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@pytest.mark.task("DataLoader")
@pytest.mark.parametrize("y_shape", ["(N,)", "(N, 1)"])
@pytest.mark.parametrize("shuffle", [False, True], ids=["no-shuffle", "shuffle"])
def test_dataloader(student, rng, shuffle, y_shape):
    dataloader = student.module("modules.dataloader")
    for (n, features), batch_size in CASES:
        X = rng.standard_normal((n, features))
        X[:, 0] = np.arange(n)  # each row holds its index, to check pairing and order
        # (N,): class labels for the cross-entropy, integers; (N, 1): real targets for the MSE
        y = np.arange(n) * 10 if y_shape == "(N,)" else (np.arange(n) + 0.5)[:, None]
        loader = dataloader.DataLoader(X, y, batch_size=batch_size, shuffle=shuffle)
        name = (N_(f"DataLoader(X of shape {X.shape}, y of shape {y.shape}, "
                   f"batch_size={batch_size}, shuffle={shuffle})"))
        batches = math.ceil(n / batch_size)
        got_len = len(loader)
        require(got_len == batches,
              N_(f"{name}: len() returned {got_len}, expected {batches} = ceil({n} / {batch_size})."
                 "\n  Hint: len() is the number of batches per epoch; the last batch may be "
                 "smaller, so round up."))
        got_samples = loader.num_samples()
        require(is_number(got_samples) and got_samples == n,
              N_(f"{name}: num_samples() returned {got_samples!r}, expected {n} (the number of rows "
                 "of X)."))
        previous = None
        for epoch in range(1, EPOCHS + 1):
            what = N_(f"{name}, epoch {epoch}")
            items = take_epoch(loader, batches, what)
            require(len(items) == batches,
                  N_(f"{what}: iteration gave {len(items)} batches, expected {batches}.\n  Hint: "
                     "include the last, smaller batch, and start from the beginning in __iter__."))
            order = []
            for index, item in enumerate(items):
                size = batch_size if index < batches - 1 else n - batch_size * (batches - 1)
                if not (isinstance(item, (tuple, list)) and len(item) == 2):
                    require(False, N_(f"{what}: batch #{index} should be a pair (X_batch, y_batch), "
                                 f"got {kind_of(item)}"))
                X_batch = as_array(item[0], N_(f"{what}: X_batch #{index}"),
                                   shape=(size, features),
                                   hint=N_("every batch but the last has batch_size rows; the last "
                                           "one holds the rest."))
                y_batch = as_array(item[1], N_(f"{what}: y_batch #{index}"),
                                   shape=(size,) + y.shape[1:],
                                   hint=N_("keep the shape of y: y of shape (N,) gives batches of "
                                           "shape (B,), (N, 1) gives (B, 1)."))
                require(X_batch.dtype == X.dtype and y_batch.dtype == y.dtype,
                      N_(f"{what}: batch #{index} has dtypes ({X_batch.dtype}, {y_batch.dtype}), but "
                         f"X and y have ({X.dtype}, {y.dtype}).\n  Hint: index the arrays, do not "
                         "convert them (integer labels must stay integers for the cross-entropy)."))
                rows = X_batch[:, 0]
                require(bool(np.all(np.isin(rows, np.arange(n)))),
                      N_(f"{what}: X_batch #{index} holds rows that are not rows of X"))
                rows = rows.astype(int)
                assert_close(X_batch, X[rows], N_(f"{what}: X_batch #{index}"),
                             against=N_("the rows of X"), hint=N_("return whole rows of X, unchanged."))
                assert_close(y_batch, y[rows], N_(f"{what}: y_batch #{index}"),
                             against=N_("the targets of the samples in X_batch"),
                             hint=N_("index X and y with the same indices, so pairs stay together."))
                order += rows.tolist()
            require(sorted(order) == list(range(n)),
                  N_(f"{what}: the batches must hold every sample exactly once, but "
                     f"{len(set(order))} distinct samples of {n} came ({len(order)} rows in all)."
                     "\n  Hint: permute the indices once per epoch, then cut the permutation into "
                     "consecutive slices."))
            if not shuffle:
                require(order == list(range(n)),
                      N_(f"{what}: with shuffle=False the samples must come in their original order."))
            else:
                require(order != list(range(n)),
                      N_(f"{what}: with shuffle=True the samples came in their original order.\n"
                         "  Hint: draw a new permutation in __iter__ (np.random.permutation)."))
                require(previous is None or order != previous,
                      N_(f"{what}: with shuffle=True every epoch must have a new order, but epoch "
                         f"{epoch} repeated the order of epoch {epoch - 1}.\n  Hint: shuffle in "
                         "__iter__, which runs at the start of every epoch, not once in __init__."))
                previous = order
