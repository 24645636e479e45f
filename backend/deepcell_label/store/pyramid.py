"""Image pyramids: each level halves the one before, so a whole huge frame can be shown at once.

Level 0 is full resolution. Level l has ``ceil(h / 2)`` × ``ceil(w / 2)`` of level l - 1, and the
last level is the first that fits in one view tile. Raw levels average 2×2 blocks; label levels
sample every 2^l-th pixel (a mean of label values would invent cells).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

VIEW_TILE_SIZE = 512  # raw and label tiles at every level, as the browser shows them
BAND_ROWS = 256  # output rows computed at once, which bounds the temporary memory


def level_count(height: int, width: int, size: int = VIEW_TILE_SIZE) -> int:
    """How many levels a ``height`` × ``width`` frame has (at least 1)."""
    levels = 1
    while height > size or width > size:
        height, width = -(-height // 2), -(-width // 2)
        levels += 1
    return levels


def level_shape(height: int, width: int, level: int) -> tuple[int, int]:
    """(height, width) of a level: the frame's size halved ``level`` times, rounding up."""
    for _ in range(level):
        height, width = -(-height // 2), -(-width // 2)
    return height, width


def _mean_of_four(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The rounded mean of four arrays of one dtype, in that dtype.

    Whole numbers round half up, computed without overflow in the dtype itself (quarters and
    remainders apart); real numbers are averaged in float64 and cast back.
    """
    if np.issubdtype(a.dtype, np.floating):
        total = a.astype(np.float64)
        total += b
        total += c
        total += d
        total *= 0.25
        return total.astype(a.dtype)
    if a.dtype == np.bool_:
        a, b, c, d = (x.view(np.uint8) for x in (a, b, c, d))
    two = np.array(2, a.dtype)
    three = np.array(3, a.dtype)
    quarters = (a >> two) + (b >> two) + (c >> two) + (d >> two)
    remainders = (a & three) + (b & three) + (c & three) + (d & three) + two
    return (quarters + (remainders >> two)).astype(a.dtype)


def downsample(plane: np.ndarray) -> np.ndarray:
    """The next level of a 2-D plane: the rounded mean of each 2×2 block.

    Where a block runs off the plane (odd height or width), the last row or column is repeated.
    Works in bands of rows, so the extra memory is a few rows of the output.
    """
    height, width = plane.shape
    out_height, out_width = -(-height // 2), -(-width // 2)
    out = np.empty((out_height, out_width), plane.dtype)
    left = np.arange(0, width, 2)
    right = np.minimum(left + 1, width - 1)
    even_columns = width % 2 == 0
    for start in range(0, out_height, BAND_ROWS):
        stop = min(start + BAND_ROWS, out_height)
        top = plane[2 * start : 2 * stop : 2]
        bottom_rows = np.minimum(np.arange(2 * start, 2 * stop, 2) + 1, height - 1)
        bottom = plane[bottom_rows]
        if even_columns:
            blocks = (top[:, 0::2], top[:, 1::2], bottom[:, 0::2], bottom[:, 1::2])
        else:
            blocks = (top[:, left], top[:, right], bottom[:, left], bottom[:, right])
        out[start:stop] = _mean_of_four(*blocks)
    return out


def levels_of(plane: np.ndarray, levels: int) -> Iterator[tuple[int, np.ndarray]]:
    """(level, array) for levels 1 .. levels - 1, each computed from the one before."""
    current = plane
    for level in range(1, levels):
        current = downsample(current)
        yield level, current


def sample(plane: np.ndarray, level: int) -> np.ndarray:
    """A label level: every 2^level-th pixel of each row and column (a view, not a copy)."""
    step = 1 << level
    return plane[::step, ::step]
