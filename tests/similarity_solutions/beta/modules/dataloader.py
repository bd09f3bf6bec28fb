"""Mini-batch iterator over an in-memory data set, like torch.utils.data.DataLoader."""

import numpy as np

__all__ = ['DataLoader']


class DataLoader:
    """Tool for shuffling data and forming mini-batches."""

    def __init__(self, X: np.ndarray, y: np.ndarray, batch_size: int = 1, shuffle: bool = False):
        """
        :param X: dataset features
        :param y: dataset targets
        :param batch_size: size of mini-batch to form
        :param shuffle: whether to shuffle dataset
        """
        assert X.shape[0] == y.shape[0]
        self.X = X
        self.y = y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.batch_id = 0  # use in __next__, reset in __iter__

    def __len__(self) -> int:
        """
        :return: number of batches per epoch
        """
        full, rest = divmod(self.num_samples(), self.batch_size)
        return full + (1 if rest else 0)

    def num_samples(self) -> int:
        """
        :return: number of data samples
        """
        return self.y.shape[0]

    def __iter__(self) -> 'DataLoader':
        """
        Shuffle data samples if required
        :return: self
        """
        # Called at the start of every epoch: draw a new order each time.
        self.batch_id = 0
        self.perm = np.arange(self.num_samples())
        if self.shuffle:
            np.random.shuffle(self.perm)
        return self

    def __next__(self) -> tuple[np.ndarray, np.ndarray]:
        """
        Form and return next data batch
        :return: (X_batch, y_batch)
        """
        # The last batch may be smaller; raise StopIteration when the epoch is over.
        if self.batch_id == len(self):
            raise StopIteration
        lo = self.batch_id * self.batch_size
        hi = min(lo + self.batch_size, self.num_samples())
        self.batch_id += 1
        rows = self.perm[lo:hi]
        return self.X[rows], self.y[rows]
