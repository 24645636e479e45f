"""Per-cell channel expression: area, and total and mean intensity of each channel.

Pure NumPy. One pass over the pixels gives the pixel count and the per-channel sums of each
label value (``np.bincount`` with weights); the sums of values are then added up per cell,
so a value that encodes several cells (overlapping cells) counts for each of its cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

CellsOfValues = Mapping[int, Iterable[int]]
"""For label values, the cells each encodes; a value not listed encodes the cell of its number."""

# Label values up to this many times the pixel count (plus a margin) are indexed through a
# lookup table; larger values go through np.unique, which sorts.
TABLE_FACTOR = 2
TABLE_MARGIN = 2**16
# Pixels per block when all channels are summed in one bincount (see _sums).
MIN_BLOCK = 2**14
MAX_BLOCK = 2**18


def cell_expression(
    labels: np.ndarray, raw: np.ndarray, cells: CellsOfValues | None = None
) -> dict[str, np.ndarray]:
    """Area and intensity of each cell in one frame.

    Parameters
    ----------
    labels : (height, width) integer array of label values; 0 is background.
    raw : (height, width, channels) or (height, width) array of intensities.
    cells : for label values, the cells each encodes (e.g. a frame's value -> cells map);
        a value not listed, or None for all, encodes the cell of the same number.

    Returns
    -------
    ``{"cells": (n,) int64 sorted ids of the cells with at least one pixel,
    "area": (n,) int64 pixel counts, "total": (n, channels) float64 sums,
    "mean": (n, channels) float64 total / area}``. A pixel whose value encodes several cells
    counts in the area and sums of each of them. NaN intensities make the cell's sums NaN.
    """
    labels = np.asarray(labels)
    raw = np.asarray(raw)
    if raw.ndim == 2:
        raw = raw[..., np.newaxis]
    if labels.ndim != 2 or raw.ndim != 3 or raw.shape[:2] != labels.shape:
        raise ValueError(
            f"labels {labels.shape} must be (height, width) and raw {raw.shape} "
            "(height, width, channels) of the same height and width"
        )
    if labels.dtype.kind not in "iub":
        raise ValueError(f"labels must be integers, not {labels.dtype}")
    values, counts, sums = _value_sums(labels.reshape(-1), raw.reshape(labels.size, -1))
    return _per_cell(values, counts, sums, cells)


def frames_expression(
    labels: np.ndarray,
    raw: np.ndarray,
    cells: Sequence[CellsOfValues | None] | None = None,
    *,
    per_frame: bool = False,
) -> dict[str, np.ndarray] | list[dict[str, np.ndarray]]:
    """``cell_expression`` over several frames.

    ``labels`` is (frames, height, width), ``raw`` (frames, height, width, channels) or
    (frames, height, width), ``cells`` one value -> cells map per frame (or None). With
    ``per_frame``, a list with one result per frame; otherwise one result for all frames
    together: areas and totals summed over the frames, means over all the cell's pixels.
    """
    labels = np.asarray(labels)
    raw = np.asarray(raw)
    if labels.ndim != 3 or raw.shape[0] != labels.shape[0]:
        raise ValueError(
            f"labels {labels.shape} must be (frames, height, width) and raw {raw.shape} have "
            "as many frames"
        )
    if cells is not None and len(cells) != labels.shape[0]:
        raise ValueError(f"cells has {len(cells)} maps for {labels.shape[0]} frames")
    results = [
        cell_expression(labels[t], raw[t], None if cells is None else cells[t])
        for t in range(labels.shape[0])
    ]
    if per_frame:
        return results
    return _combine(results, 1 if raw.ndim == 3 else raw.shape[3])


def _index(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The label values present (ascending) and, per pixel, its value's position among them."""
    top = int(values.max()) if values.size else 0
    if values.size and int(values.min()) < 0:
        raise ValueError("labels must not be negative")
    if top <= TABLE_FACTOR * values.size + TABLE_MARGIN:
        present = np.flatnonzero(np.bincount(values, minlength=top + 1))
        table = np.zeros(top + 1, dtype=np.intp)
        table[present] = np.arange(present.size)
        return present, table[values]
    present, index = np.unique(values, return_inverse=True)
    return present, index.reshape(-1).astype(np.intp, copy=False)


def _value_sums(values: np.ndarray, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nonzero label values present, their pixel counts and per-channel sums (float64).

    ``values`` is the flat labels and ``raw`` (pixels, channels)."""
    present, index = _index(values)
    counts = np.bincount(index, minlength=present.size)
    sums = _sums(index, raw, present.size)
    keep = present != 0
    return present[keep].astype(np.int64), counts[keep], sums[keep]


def plane_expression(
    labels: np.ndarray, planes: Iterable[np.ndarray], cells: CellsOfValues | None = None
) -> dict[str, np.ndarray]:
    """``cell_expression`` with the channels given one 2-D plane at a time.

    Each plane is read once, in its own memory order, and may be dropped right after, so a
    many-channel image never has to be gathered into one (height, width, channels) array.
    """
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.dtype.kind not in "iub":
        raise ValueError(f"labels must be a 2-D integer array, not {labels.dtype} {labels.shape}")
    present, index = _index(labels.reshape(-1))
    columns = []
    for plane in planes:
        plane = np.asarray(plane)
        if plane.shape != labels.shape:
            raise ValueError(f"a raw plane {plane.shape} differs from the labels {labels.shape}")
        columns.append(np.bincount(index, weights=plane.reshape(-1), minlength=present.size))
    counts = np.bincount(index, minlength=present.size)
    sums = np.stack(columns, axis=1) if columns else np.zeros((present.size, 0))
    keep = present != 0
    return _per_cell(present[keep].astype(np.int64), counts[keep], sums[keep], cells)


def combine_frames(results: list[dict[str, np.ndarray]], channels: int) -> dict[str, np.ndarray]:
    """Several frames' results as one: areas and totals summed, means over all pixels."""
    return _combine(results, channels)


def _sums(index: np.ndarray, raw: np.ndarray, count: int) -> np.ndarray:
    """Per-channel sums (count, channels) of ``raw`` (pixels, channels) by ``index``.

    With few values, one bincount per block of pixels covers all channels at once (index
    ``value * channels + channel``), reading ``raw`` in its own memory order; the block is a
    few times the number of values so that adding up the blocks' results stays cheap.
    Otherwise one bincount per channel.
    """
    channels = raw.shape[1]
    if channels == 1 or count > MAX_BLOCK // 4:
        sums = np.empty((count, channels), dtype=np.float64)
        for channel in range(channels):
            sums[:, channel] = np.bincount(index, weights=raw[:, channel], minlength=count)
        return sums
    block = min(max(4 * count, MIN_BLOCK), MAX_BLOCK)
    offsets = np.arange(channels, dtype=np.intp)
    scratch = np.empty((block, channels), dtype=np.intp)
    sums = np.zeros(count * channels, dtype=np.float64)
    for start in range(0, index.size, block):
        part = index[start : start + block]
        flat = scratch[: part.size]
        np.multiply(part[:, np.newaxis], channels, out=flat)
        flat += offsets
        weights = raw[start : start + block].reshape(-1)
        sums += np.bincount(flat.reshape(-1), weights=weights, minlength=count * channels)
    return sums.reshape(count, channels)


def _per_cell(
    values: np.ndarray, counts: np.ndarray, sums: np.ndarray, cells: CellsOfValues | None
) -> dict[str, np.ndarray]:
    """Add the counts and sums of values up per cell."""
    value_index = np.arange(values.size)
    cell_of_pair = values
    if cells:
        listed = {int(v): [int(c) for c in cs] for v, cs in cells.items()}
        plain = np.array([int(v) not in listed for v in values], dtype=bool)
        extra_index, extra_cells = [], []
        for i in np.flatnonzero(~plain):
            for cell in listed[int(values[i])]:
                extra_index.append(i)
                extra_cells.append(cell)
        value_index = np.concatenate([value_index[plain], np.array(extra_index, dtype=np.intp)])
        cell_of_pair = np.concatenate([values[plain], np.array(extra_cells, dtype=np.int64)])
    return _sum_by_cell(cell_of_pair, counts[value_index], sums[value_index])


def _sum_by_cell(
    cell_ids: np.ndarray, counts: np.ndarray, sums: np.ndarray
) -> dict[str, np.ndarray]:
    """Sum rows that belong to the same cell; the result sorted by cell id."""
    ids, index = np.unique(cell_ids, return_inverse=True)
    area = np.zeros(ids.size, dtype=np.int64)
    np.add.at(area, index, counts)
    total = np.zeros((ids.size, sums.shape[1]), dtype=np.float64)
    np.add.at(total, index, sums)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / area[:, np.newaxis]
    return {"cells": ids.astype(np.int64), "area": area, "mean": mean, "total": total}


def _combine(results: list[dict[str, np.ndarray]], channels: int) -> dict[str, np.ndarray]:
    if not results:
        return _sum_by_cell(
            np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, channels), np.float64)
        )
    return _sum_by_cell(
        np.concatenate([r["cells"] for r in results]),
        np.concatenate([r["area"] for r in results]),
        np.concatenate([r["total"] for r in results]),
    )
