"""Masks across the frames of a stack: the shapes between two drawn slices of a cell.

Shapes are interpolated through signed distance transforms (positive inside), each slice's
shape moved to where the cell's centroid is at that slice, so that a cell drawn at two places
(a cell that moves in a timelapse, a tilted nucleus in a z-stack) is filled in along its way
rather than shrinking to nothing in the middle.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def signed_distance(mask: np.ndarray) -> np.ndarray:
    """Distance of each pixel to the mask's edge: positive inside (≥ 1), negative outside."""
    mask = np.asarray(mask, bool)
    return ndimage.distance_transform_edt(mask) - ndimage.distance_transform_edt(~mask)


def centroid(mask: np.ndarray) -> np.ndarray:
    """(row, column) of the mask's centre of mass."""
    rows, columns = np.nonzero(mask)
    if not rows.size:
        raise ValueError("an empty mask has no centroid")
    return np.array([rows.mean(), columns.mean()])


def interpolate_masks(first: np.ndarray, last: np.ndarray, count: int) -> list[np.ndarray]:
    """The ``count`` shapes evenly between two masks of one window.

    Parameters
    ----------
    first, last : numpy.ndarray
        Boolean masks of the same shape, neither empty: the cell in the slices before and
        after the gap. The window should leave room around both for the shapes to move.
    count : int
        Number of slices between the two.

    Returns
    -------
    list of numpy.ndarray
        Boolean masks of the window's shape. Slice ``k`` (1-based) at ``w = k / (count + 1)``
        is where ``(1 - w) · d_first + w · d_last > 0``, ``d`` being each mask's signed
        distance moved so that its centroid lies at the interpolated centroid. With equal
        masks every slice is that mask.
    """
    first = np.asarray(first, bool)
    last = np.asarray(last, bool)
    if first.shape != last.shape:
        raise ValueError(f"masks of different shapes {first.shape} and {last.shape}")
    start, end = centroid(first), centroid(last)
    distance_first, distance_last = signed_distance(first), signed_distance(last)
    # Far outside everything, as the shifts bring in pixels from beyond the window.
    outside = -float(max(first.shape) * 2)
    masks = []
    for k in range(1, count + 1):
        w = k / (count + 1)
        centre = (1 - w) * start + w * end
        moved_first = ndimage.shift(distance_first, centre - start, order=1, cval=outside)
        moved_last = ndimage.shift(distance_last, centre - end, order=1, cval=outside)
        masks.append((1 - w) * moved_first + w * moved_last > 0)
    return masks
