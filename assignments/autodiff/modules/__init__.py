"""A PyTorch-like neural network framework in NumPy."""

from .activations import *  # noqa: F403
from .criterions import *  # noqa: F403
from .dataloader import *  # noqa: F403
from .layers import *  # noqa: F403
from .optimizers import *  # noqa: F403
