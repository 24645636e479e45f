"""The index of a label frame: for each value, its cells, pixel count and bounding box.

Built once per frame when a project is created, then kept up to date from each edit's
before/after window, so an edit never scans the whole frame.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

import numpy as np
from scipy import ndimage

from ..formats.tiling import Box, union

# Above this, bincount/find_objects would allocate per possible value; fall back to np.unique.
DENSE_VALUE_LIMIT = 1 << 24


class ValueInfo(NamedTuple):
    """One value of a frame: the cells it encodes, its pixel count and its bounding box.

    A named tuple rather than a dataclass: a process meeting a frame for the first time makes one
    per value (10,000 and more), and a tuple is several times cheaper to make.
    """

    cells: frozenset[int]
    area: int
    box: Box  # y0, x0, y1, x1 (exclusive); may be larger than the value's pixels, never smaller


FrameIndex = dict[int, ValueInfo]


def _areas_and_boxes(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    """Distinct nonzero values of a 2-D array, their pixel counts and bounding slices."""
    top = int(frame.max(initial=0))
    if top == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), []
    if top < DENSE_VALUE_LIMIT and frame.min(initial=0) >= 0:
        counts = np.bincount(frame.ravel())
        values = np.flatnonzero(counts)
        values = values[values > 0]
        slices = ndimage.find_objects(frame)
        return values, counts[values], [slices[value - 1] for value in values]
    values, inverse = np.unique(frame, return_inverse=True)
    inverse = inverse.reshape(frame.shape).astype(np.int32)
    counts = np.bincount(inverse.ravel())
    slices = ndimage.find_objects(inverse + 1)
    keep = values != 0
    return values[keep], counts[keep], [s for s, k in zip(slices, keep, strict=True) if k]


def index_frame(frame: np.ndarray, cells: Mapping[int, Iterable[int]] | None = None) -> FrameIndex:
    """Index a whole 2-D label frame; `cells` maps values to cells (default: value == cell)."""
    values, counts, slices = _areas_and_boxes(frame)
    index: FrameIndex = {}
    for value, count, (rows, columns) in zip(values.tolist(), counts.tolist(), slices, strict=True):
        encoded = frozenset(cells[value]) if cells is not None and value in cells else {value}
        index[value] = ValueInfo(
            frozenset(encoded), count, (rows.start, columns.start, rows.stop, columns.stop)
        )
    return index


def update_index(
    index: Mapping[int, ValueInfo],
    before: np.ndarray,
    after: np.ndarray,
    origin: tuple[int, int],
    cells_of_new_value: Callable[[int], Iterable[int]],
) -> dict[int, ValueInfo | None]:
    """What an edit of one window changes in the frame's index: value -> new info, or None if gone.

    Only the changed pixels are counted; boxes grow to cover new pixels and are left as they are
    when pixels go (they remain valid bounds).
    """
    changed = before != after
    if not changed.any():
        return {}
    lost_values, lost_counts = np.unique(before[changed], return_counts=True)
    rows, columns = np.nonzero(changed)
    gained = after[rows, columns]
    order = np.argsort(gained, kind="stable")
    gained, rows, columns = gained[order], rows[order], columns[order]
    gained_values, starts, gained_counts = np.unique(gained, return_index=True, return_counts=True)
    y, x = origin
    result: dict[int, ValueInfo | None] = {}
    area_change: dict[int, int] = {}
    for value, count in zip(lost_values.tolist(), lost_counts.tolist(), strict=True):
        if value:
            area_change[value] = area_change.get(value, 0) - count
    new_boxes: dict[int, Box] = {}
    for value, start, count in zip(
        gained_values.tolist(), starts.tolist(), gained_counts.tolist(), strict=True
    ):
        if not value:
            continue
        area_change[value] = area_change.get(value, 0) + count
        r, c = rows[start : start + count], columns[start : start + count]
        new_boxes[value] = (
            y + int(r.min()),
            x + int(c.min()),
            y + int(r.max()) + 1,
            x + int(c.max()) + 1,
        )
    for value, delta in area_change.items():
        old = index.get(value)
        area = (old.area if old else 0) + delta
        if area <= 0:
            if old is not None:
                result[value] = None
            continue
        box = union(old.box if old else None, new_boxes.get(value))
        cells = old.cells if old else frozenset(cells_of_new_value(value))
        if old is None or area != old.area or box != old.box:
            result[value] = ValueInfo(cells, area, box)
    return result


def value_rows(feature: int, frame: int, value: int, info: ValueInfo) -> list[dict]:
    """The `cell_values` rows (without the project id) that store one value's entry."""
    y0, x0, y1, x1 = info.box
    return [
        dict(
            feature=feature,
            frame=frame,
            value=value,
            cell=cell,
            area=info.area,
            y0=y0,
            x0=x0,
            y1=y1,
            x1=x1,
        )
        for cell in sorted(info.cells)
    ]


def pack_index(index: Mapping[int, ValueInfo]) -> bytes:
    """A frame's whole index as compact bytes (see :func:`unpack_index`)."""
    infos = list(index.values())
    count = len(infos)
    values = np.fromiter(index.keys(), np.int64, count)
    areas = np.fromiter((info.area for info in infos), np.int64, count)
    boxes = np.array([info.box for info in infos], np.int64).reshape(count, 4)
    sizes = np.fromiter((len(info.cells) for info in infos), np.int64, count)
    cells = np.fromiter((c for info in infos for c in sorted(info.cells)), np.int64)
    header = np.array([count, cells.size], np.int64)
    parts = (header, values, areas, boxes, sizes, cells)
    return zlib.compress(b"".join(part.astype("<i8").tobytes() for part in parts), 1)


def unpack_index(data: bytes) -> FrameIndex:
    raw = np.frombuffer(zlib.decompress(data), "<i8")
    count, total = int(raw[0]), int(raw[1])
    values, areas = raw[2 : 2 + count], raw[2 + count : 2 + 2 * count]
    start = 2 + 2 * count
    boxes = map(tuple, raw[start : start + 4 * count].reshape(count, 4).tolist())
    sizes = raw[start + 4 * count : start + 5 * count]
    cells = raw[start + 5 * count : start + 5 * count + total]
    if total == count:  # every value encodes one cell (no overlaps): one step per value
        encoded = map(frozenset, cells.reshape(count, 1).tolist())
    else:
        ends = np.cumsum(sizes).tolist()
        cell_list = cells.tolist()
        encoded = (
            frozenset(cell_list[begin:end])
            for begin, end in zip([0, *ends[:-1]], ends, strict=True)
        )
    return dict(
        zip(
            values.tolist(),
            map(ValueInfo._make, zip(encoded, areas.tolist(), boxes, strict=True)),
            strict=True,
        )
    )
