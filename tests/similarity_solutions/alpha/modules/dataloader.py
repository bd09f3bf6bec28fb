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
        return int(np.ceil(self.X.shape[0] / self.batch_size))

    def num_samples(self) -> int:
        """
        :return: number of data samples
        """
        return len(self.X)

    def __iter__(self) -> 'DataLoader':
        """
        Shuffle data samples if required
        :return: self
        """
        # Called at the start of every epoch: draw a new order each time.
        n = self.num_samples()
        self.indices = np.random.permutation(n) if self.shuffle else np.arange(n)
        self.batch_id = 0
        return self

    def __next__(self) -> tuple[np.ndarray, np.ndarray]:
        """
        Form and return next data batch
        :return: (X_batch, y_batch)
        """
        # The last batch may be smaller; raise StopIteration when the epoch is over.
        if self.batch_id * self.batch_size >= self.num_samples():
            raise StopIteration
        idx = self.indices[self.batch_id * self.batch_size:(self.batch_id + 1) * self.batch_size]
        self.batch_id += 1
        return self.X[idx], self.y[idx]
