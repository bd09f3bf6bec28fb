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
        # BEGIN SOLUTION
        return (self.num_samples() + self.batch_size - 1) // self.batch_size
        # END SOLUTION

    def num_samples(self) -> int:
        """
        :return: number of data samples
        """
        # BEGIN SOLUTION
        return self.X.shape[0]
        # END SOLUTION

    def __iter__(self) -> 'DataLoader':
        """
        Shuffle data samples if required
        :return: self
        """
        # Called at the start of every epoch: draw a new order each time.
        # BEGIN SOLUTION
        self.batch_id = 0
        if self.shuffle:
            self.order = np.random.permutation(self.num_samples())
        else:
            self.order = np.arange(self.num_samples())
        return self
        # END SOLUTION

    def __next__(self) -> tuple[np.ndarray, np.ndarray]:
        """
        Form and return next data batch
        :return: (X_batch, y_batch)
        """
        # The last batch may be smaller; raise StopIteration when the epoch is over.
        # BEGIN SOLUTION
        if self.batch_id >= len(self):
            raise StopIteration
        start = self.batch_id * self.batch_size
        batch = self.order[start:start + self.batch_size]
        self.batch_id += 1
        return self.X[batch], self.y[batch]
        # END SOLUTION
