"""The IDX file format of MNIST-like datasets, read and written with numpy (gzip or not).

An IDX file is: two zero bytes, a type code, the number of dimensions, then one big-endian uint32
per dimension, then the values in C order, big-endian. Every one of these is checked before the
data is used, so a truncated download or a file of another kind fails with a clear message.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from autograder.datasets.errors import DatasetError

GZIP_MAGIC = b"\x1f\x8b"
TYPE_CODES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
MAX_DIMENSIONS = 8


def read_idx(path: Path) -> np.ndarray:
    """The array stored in an IDX file (optionally gzip-compressed), in native byte order."""
    raw = Path(path).read_bytes()
    if raw.startswith(GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DatasetError(f"{path}: a damaged gzip file ({exc}); delete it and fetch it "
                               "again") from None
    return parse_idx(raw, str(path))


def parse_idx(data: bytes, what: str) -> np.ndarray:
    """Decode the bytes of an uncompressed IDX file; `what` names it in error messages."""
    if len(data) < 4:
        raise DatasetError(f"{what}: not an IDX file: {len(data)} bytes, shorter than the "
                           "4-byte header")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or code not in TYPE_CODES:
        raise DatasetError(f"{what}: not an IDX file: magic number 0x{data[:4].hex()} (expected "
                           "two zero bytes, a type code among "
                           f"{', '.join(f'0x{c:02x}' for c in TYPE_CODES)}, then the rank)")
    if not 1 <= ndim <= MAX_DIMENSIONS:
        raise DatasetError(f"{what}: an IDX header with {ndim} dimensions (1 to "
                           f"{MAX_DIMENSIONS} are supported)")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetError(f"{what}: truncated IDX header: {len(data)} bytes, the header of a "
                           f"{ndim}-dimensional array needs {header}")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = TYPE_CODES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        state = "truncated" if len(data) - header < expected else "has trailing bytes"
        raise DatasetError(f"{what}: the IDX header announces shape {shape} of {dtype.name} "
                           f"({expected} bytes of data) but the file holds {len(data) - header}: "
                           f"it {state}; delete it and fetch it again")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write `array` as an IDX file, gzip-compressed when `path` ends in .gz (for fixtures and
    hand-made subsets)."""
    codes = {dtype.newbyteorder("="): code for code, dtype in TYPE_CODES.items()}
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in codes or not 1 <= array.ndim <= MAX_DIMENSIONS:
        raise DatasetError(f"{path}: IDX cannot hold an array of dtype {array.dtype} and "
                           f"{array.ndim} dimensions")
    code = codes[native]
    header = struct.pack(f">HBB{array.ndim}I", 0, code, array.ndim, *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=TYPE_CODES[code]).tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(payload, mtime=0) if path.suffix == ".gz" else payload)
