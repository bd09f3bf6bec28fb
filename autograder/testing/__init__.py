"""The toolkit the kit's tests are written with: comparisons that explain themselves (`require`,
`assert_close`), gradient checks, torch references, training, stored results."""

from autograder.testing.compare import TOLERANCES, as_array, assert_close, in_context, require
from autograder.testing.gradcheck import directional_derivatives, numerical_gradient

__all__ = ["TOLERANCES", "as_array", "assert_close", "directional_derivatives", "in_context",
           "numerical_gradient", "require"]
