"""A course kit that grades NumPy neural-network homework safely, fairly and fast."""

__version__ = "0.1.0"
