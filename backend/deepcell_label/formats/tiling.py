"""Cutting frames into square tiles and packing them as deflated little-endian bytes.

Tiles are stored zlib-deflated so that the HTTP layer can send a stored tile as it is with
`Content-Encoding: deflate`, without inflating and deflating it again.
"""

from __future__ import annotations

from collections.abc import Iterator

import imagecodecs
import numpy as np

TILE_SIZE = 512  # raw image tiles in object storage
# Label tiles are smaller: an edit re-deflates every label tile it touches, in its transaction.
LABEL_TILE_SIZE = 256
COMPRESSION_LEVEL = 1
# Labels (tiles, edit patches, overviews) are deflated by zlib-ng at its level 2: on the
# labels of a 2048² frame of 1,400 nuclei 4–5 times faster than Python's zlib at level 1, and
# half the size (zlib-ng's level 1 only codes literals: faster still, but larger than zlib's).
# The stream is plain zlib: browsers and zlib inflate it.
LABEL_LEVEL = 2

Box = tuple[int, int, int, int]  # y0, x0, y1, x1 (end exclusive)


def little_endian(dtype: np.dtype | str) -> np.dtype:
    return np.dtype(dtype).newbyteorder("<")


def encode(array: np.ndarray) -> bytes:
    """Deflate an array's little-endian bytes (zlib format, as HTTP `deflate` expects)."""
    array = np.ascontiguousarray(array, dtype=little_endian(array.dtype))
    return imagecodecs.zlibng_encode(array, level=LABEL_LEVEL)


def encode_image(array: np.ndarray) -> bytes:
    """:func:`encode` through libdeflate: the same zlib format, about 2.5 times faster on the
    noisy pixels of raw images (slower than zlib on mostly-empty label tiles)."""
    array = np.ascontiguousarray(array, dtype=little_endian(array.dtype))
    return imagecodecs.deflate_encode(array, level=COMPRESSION_LEVEL)


def decode(data: bytes, shape: tuple[int, ...], dtype: np.dtype | str) -> np.ndarray:
    """Inverse of :func:`encode` (and :func:`encode_image`); the result is writable."""
    dtype = little_endian(dtype)
    raw = imagecodecs.zlibng_decode(data, out=bytearray(int(np.prod(shape)) * dtype.itemsize))
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def padded_tile(tile: np.ndarray, size: int) -> bytes:
    """A tile of ``size`` x ``size`` (as zarr chunks and TIFF tiles always are): a partial one
    padded with 0, then deflated."""
    if tile.shape != (size, size):
        full = np.zeros((size, size), tile.dtype)
        full[: tile.shape[0], : tile.shape[1]] = tile
        tile = full
    return encode_image(tile)


def inflate(data: bytes, shape: tuple[int, int], dtype: np.dtype) -> np.ndarray:
    """Inverse of :func:`encode_image`, through libdeflate; the result is read-only."""
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    raw = imagecodecs.deflate_decode(data, out=size)
    return np.frombuffer(raw, little_endian(dtype)).reshape(shape)


def tile_count(height: int, width: int, size: int = TILE_SIZE) -> tuple[int, int]:
    return -(-height // size), -(-width // size)


def tile_box(tile_y: int, tile_x: int, height: int, width: int, size: int = TILE_SIZE) -> Box:
    y0, x0 = tile_y * size, tile_x * size
    return y0, x0, min(y0 + size, height), min(x0 + size, width)


def tiles_of(plane: np.ndarray, size: int = TILE_SIZE) -> Iterator[tuple[int, int, np.ndarray]]:
    """(tile_y, tile_x, pixels) of every tile of a whole plane, row by row; pixels are a view."""
    height, width = plane.shape
    for tile_y, tile_x in tiles_in((0, 0, height, width), height, width, size):
        y0, x0, y1, x1 = tile_box(tile_y, tile_x, height, width, size)
        yield tile_y, tile_x, plane[y0:y1, x0:x1]


def tiles_in(box: Box, height: int, width: int, size: int = TILE_SIZE) -> Iterator[tuple[int, int]]:
    """The (tile_y, tile_x) of every tile that overlaps `box`."""
    y0, x0, y1, x1 = box
    for tile_y in range(y0 // size, (min(y1, height) - 1) // size + 1):
        for tile_x in range(x0 // size, (min(x1, width) - 1) // size + 1):
            yield tile_y, tile_x


def intersect(a: Box, b: Box) -> Box | None:
    y0, x0, y1, x1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    if y0 >= y1 or x0 >= x1:
        return None
    return y0, x0, y1, x1


def union(a: Box | None, b: Box | None) -> Box | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def changed_box(before: np.ndarray, after: np.ndarray) -> Box | None:
    """Bounding box (in the arrays' own coordinates) of the pixels that differ."""
    rows = np.flatnonzero((before != after).any(axis=1))
    if rows.size == 0:
        return None
    columns = np.flatnonzero(
        (before[rows[0] : rows[-1] + 1] != after[rows[0] : rows[-1] + 1]).any(axis=0)
    )
    return int(rows[0]), int(columns[0]), int(rows[-1]) + 1, int(columns[-1]) + 1
