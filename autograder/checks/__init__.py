"""What tests assert with: comparisons that explain themselves, gradient checks, statistics."""

from autograder.checks.compare import TOLERANCES, as_array, assert_close, check
from autograder.checks.gradcheck import directional_derivatives, numerical_gradient

__all__ = ["TOLERANCES", "as_array", "assert_close", "check", "directional_derivatives",
           "numerical_gradient"]
