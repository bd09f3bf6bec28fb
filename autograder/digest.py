"""Digests of the values a student's code returns to the tests (`TestRecord.outputs`): short, stable
fingerprints that tell whether two submissions computed the same thing, the similarity report's
behaviour signal, without keeping the values themselves.

Numbers are kept to SIGNIFICANT_DIGITS significant digits, so the float noise of a correct
computation on another machine (another BLAS, another summation order) digests alike, while
another value, shape or kind of dtype does not; -0.0 is 0.0, and nan, inf and -inf stay distinct.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np

SIGNIFICANT_DIGITS = 6
DIGEST_HEX = 16  # characters of the sha256 kept: collisions stay out of reach at a batch's size
NUMERIC_KINDS = "biufc"
# How an element that is not a finite number is told apart (its mantissa and exponent are 0).
FINITE, NAN, POSITIVE_INFINITY, NEGATIVE_INFINITY = range(4)


def digest(value: Any, opaque: Callable[[Any], str] = lambda value: type(value).__name__) -> str:
    """The digest of one value: a numeric array, number or flat list of numbers by dtype kind,
    shape and rounded values; a string, bool or None by its repr; a list, tuple or dict by its
    items' digests; anything else (a worker object's handle) by the name `opaque` gives it."""
    return hashlib.sha256(_canonical(value, opaque)).hexdigest()[:DIGEST_HEX]


def _canonical(value: Any, opaque: Callable[[Any], str]) -> bytes:
    """The bytes a value's digest hashes; each kind of value has its own leading tag."""
    if isinstance(value, np.ndarray) or _is_number(value) or (
            isinstance(value, (list, tuple)) and all(_is_number(item) for item in value)):
        array = np.asarray(value)
        if array.dtype.kind in NUMERIC_KINDS:
            return _numeric(array)
    if value is None or isinstance(value, (str, bool, int, float)):
        return b"r" + repr(value).encode(errors="surrogatepass")
    if isinstance(value, (list, tuple)):
        return b"[" + b",".join(digest(item, opaque).encode() for item in value) + b"]"
    if isinstance(value, dict):
        items = sorted((repr(key), digest(item, opaque)) for key, item in value.items())
        return b"{" + b",".join(f"{key}:{item}".encode(errors="surrogatepass")
                                for key, item in items) + b"}"
    return b"o" + opaque(value).encode(errors="surrogatepass")


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def _numeric(array: np.ndarray) -> bytes:
    """Dtype kind and shape, then every element rounded (a complex one as its two parts)."""
    parts = (array.real, array.imag) if array.dtype.kind == "c" else (array,)
    header = f"n{array.dtype.kind}{array.shape}:".encode()
    return header + b"".join(_rounded(part) for part in parts)


def _rounded(array: np.ndarray) -> bytes:
    """Each element as three integers: what it is (FINITE...), its mantissa of SIGNIFICANT_DIGITS
    digits and its decimal exponent (little-endian, as narrow as they fit), so equal roundings
    give equal bytes on every machine. The fix-ups run only where needed: replies can be large."""
    values = np.asarray(array, dtype=np.float64).ravel()
    finite = np.isfinite(values)
    magnitude = np.abs(values)
    nonzero = finite & (magnitude != 0)  # -0.0 is 0.0
    ordinary = bool(nonzero.all())
    if not ordinary:
        magnitude = np.where(nonzero, magnitude, 1.0)
    exponent = np.floor(np.log10(magnitude)).astype(np.int64)
    scaled = _shift(magnitude, SIGNIFICANT_DIGITS - 1 - exponent)
    # log10 may land one off next to a power of ten: fix the exponent, so 10^5 <= scaled < 10^6
    high, low = scaled >= 10.0 ** SIGNIFICANT_DIGITS, scaled < 10.0 ** (SIGNIFICANT_DIGITS - 1)
    off = high | low
    if off.any():
        exponent += high.astype(np.int64) - low.astype(np.int64)
        scaled[off] = _shift(magnitude[off], SIGNIFICANT_DIGITS - 1 - exponent[off])
    mantissa = np.rint(scaled).astype(np.int64)
    carried = mantissa >= 10 ** SIGNIFICANT_DIGITS  # 9.999995 rounds up to 10.0000
    mantissa[carried] //= 10
    exponent[carried] += 1
    np.negative(mantissa, out=mantissa, where=values < 0)
    what = np.full(values.shape, FINITE)
    if not ordinary:
        mantissa[~nonzero] = exponent[~nonzero] = 0
        for kind, where in ((NAN, np.isnan(values)), (POSITIVE_INFINITY, values == np.inf),
                            (NEGATIVE_INFINITY, values == -np.inf)):
            what[where] = kind
    return b"".join(part.astype(dtype).tobytes() for part, dtype in
                    ((what, "<i1"), (mantissa, "<i4"), (exponent, "<i2")))


def _shift(magnitude: np.ndarray, places: np.ndarray) -> np.ndarray:
    """`magnitude * 10**places`, in two steps so that neither power overflows (5e-324 needs 10^329)."""
    half = places // 2
    return magnitude * np.power(10.0, half) * np.power(10.0, places - half)
