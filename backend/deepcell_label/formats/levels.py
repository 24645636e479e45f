"""Pyramid levels of a plane: their sizes, and how each halves the one before (the mean of 2 x 2
blocks for images, every other pixel for labels). The stored pyramid (store/pyramid.py) follows
the same rule, so levels computed here and levels read from storage are the same pixels."""

from __future__ import annotations

import numpy as np

from deepcell_label.formats import tiling

# Levels are added until both sides fit in one image tile.
LAST_LEVEL_SIDE = tiling.TILE_SIZE


def level_shapes(height: int, width: int) -> list[tuple[int, int]]:
    """(height, width) of every level: each halves the one before (rounding up) until both
    sides fit in one image tile."""
    shapes = [(height, width)]
    while shapes[-1][0] > LAST_LEVEL_SIDE or shapes[-1][1] > LAST_LEVEL_SIDE:
        h, w = shapes[-1]
        shapes.append((-(-h // 2), -(-w // 2)))
    return shapes


def mean_2x2(strip: np.ndarray) -> np.ndarray:
    """Each output pixel is the mean of a 2 x 2 block (edge rows/columns repeated), rounded
    half up for whole-number types."""
    if strip.shape[0] % 2:
        strip = np.concatenate([strip, strip[-1:]], axis=0)
    if strip.shape[1] % 2:
        strip = np.concatenate([strip, strip[:, -1:]], axis=1)
    floating = np.issubdtype(strip.dtype, np.floating)
    wide = np.float64 if floating else np.int64
    total = (
        strip[0::2, 0::2].astype(wide) + strip[1::2, 0::2] + strip[0::2, 1::2] + strip[1::2, 1::2]
    )
    mean = total / 4 if floating else (total + 2) // 4
    return mean.astype(strip.dtype)


def every_other(strip: np.ndarray) -> np.ndarray:
    """Nearest-neighbour halving for labels: level l pixel (y, x) is level-0 pixel
    (y * 2^l, x * 2^l), so no new label values appear."""
    return strip[::2, ::2]
