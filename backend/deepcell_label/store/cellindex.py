"""The index of a label frame: for each value, its cells, pixel count and bounding box.

Built once per frame when a project is created, then kept up to date from each edit's
before/after window, so an edit never scans the whole frame.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import NamedTuple

import numpy as np
from scipy import ndimage

from ..formats.tiling import Box, union
from ..labels.cellmap import CellMap
from ..labels.overlay import MISSING, Overlay, get_many

# Above this, bincount/find_objects would allocate per possible value; fall back to np.unique.
DENSE_VALUE_LIMIT = 1 << 24
# Values up to this are counted by value (not sorted) in an edit's window, whatever its size.
DENSE_SMALL = 4096


class ValueInfo(NamedTuple):
    """One value of a frame: the cells it encodes, its pixel count and its bounding box.

    A named tuple rather than a dataclass: a process meeting a frame for the first time makes one
    per value (10,000 and more), and a tuple is several times cheaper to make.
    """

    cells: frozenset[int]
    area: int
    box: Box  # y0, x0, y1, x1 (exclusive); may be larger than the value's pixels, never smaller


FrameIndex = MutableMapping[int, ValueInfo]


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
    return index_bands([(0, frame)], cells)


def index_bands(
    bands: Iterable[tuple[int, np.ndarray]], cells: Mapping[int, Iterable[int]] | None = None
) -> FrameIndex:
    """Index a 2-D label frame given as bands of whole rows (first row, band), only a band
    held at a time; `cells` as for :func:`index_frame`."""
    areas: dict[int, int] = {}
    boxes: dict[int, Box] = {}
    for y0, band in bands:
        values, counts, slices = _areas_and_boxes(band)
        for value, count, (rows, columns) in zip(
            values.tolist(), counts.tolist(), slices, strict=True
        ):
            box = (rows.start + y0, columns.start, rows.stop + y0, columns.stop)
            areas[value] = areas.get(value, 0) + count
            boxes[value] = union(boxes.get(value), box)  # type: ignore[assignment]
    index: FrameIndex = {}
    for value in sorted(areas):
        encoded = frozenset(cells[value]) if cells is not None and value in cells else {value}
        index[value] = ValueInfo(frozenset(encoded), areas[value], boxes[value])
    return index


def _dense_enough(picked: np.ndarray) -> bool:
    """Whether counting `picked` by value (bincount) is cheaper than sorting it first:
    no negative value and none much above the number of pixels (a brush stroke on a cell of a
    high id is sorted rather than given an array as long as its id)."""
    if picked.size == 0 or picked.min() < 0:
        return False
    top = int(picked.max())
    return top < DENSE_VALUE_LIMIT and top <= max(DENSE_SMALL, 8 * picked.size)


def _counts(picked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a 1-D array and how often each occurs."""
    if _dense_enough(picked):
        counts = np.bincount(picked)
        values = np.flatnonzero(counts)
        return values, counts[values]
    return np.unique(picked, return_counts=True)


def _gained(window: np.ndarray, where: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct values of `window` at the pixels of the mask `where`, each one's pixel
    count and bounding box there (rows of y0, x0, y1, x1), in one pass over those pixels."""
    flat = np.flatnonzero(where)
    picked = window.ravel()[flat]
    rows, columns = np.divmod(flat, window.shape[1])
    if _dense_enough(picked):
        ranks, values = picked, None
    else:
        values, ranks = np.unique(picked, return_inverse=True)
        ranks = ranks.reshape(-1)
    size = int(ranks.max()) + 1
    counts = np.bincount(ranks, minlength=size)
    first = np.full((2, size), np.iinfo(np.int64).max)
    last = np.full((2, size), -1)
    for axis, positions in enumerate((rows, columns)):
        np.minimum.at(first[axis], ranks, positions)
        np.maximum.at(last[axis], ranks, positions)
    present = np.flatnonzero(counts)
    values = present if values is None else values[present]
    keep = values != 0
    boxes = np.concatenate([first, last + 1])[:, present[keep]].T
    return values[keep], counts[present[keep]], boxes


def update_index(
    index: Mapping[int, ValueInfo],
    before: np.ndarray,
    after: np.ndarray,
    origin: tuple[int, int],
    cells_of_new_value: Callable[[int], Iterable[int]],
) -> dict[int, ValueInfo | None]:
    """What an edit of one window changes in the frame's index: value -> new info, or None if gone.

    Only the changed pixels are counted, all values at once (an edit may add thousands of
    cells); boxes grow to cover new pixels and are left as they are when pixels go (they remain
    valid bounds).
    """
    changed = before != after
    if not changed.any():
        return {}
    lost_values, lost_counts = _counts(before[changed])
    gained_values, gained_counts, gained_boxes = _gained(after, changed)
    y, x = origin
    result: dict[int, ValueInfo | None] = {}
    area_change: dict[int, int] = {}
    for value, count in zip(lost_values.tolist(), lost_counts.tolist(), strict=True):
        if value:
            area_change[value] = -count
    new_boxes: dict[int, Box] = {}
    gained_boxes += [y, x, y, x]
    for value, count, box in zip(
        gained_values.tolist(), gained_counts.tolist(), gained_boxes.tolist(), strict=True
    ):
        area_change[value] = area_change.get(value, 0) + count
        new_boxes[value] = tuple(box)
    olds = get_many(index, list(area_change))
    for (value, delta), old in zip(area_change.items(), olds, strict=True):
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


def value_rows(
    feature: int, frame: int, value: int, info: ValueInfo, project_id: str | None = None
) -> list[dict]:
    """The `cell_values` rows that store one value's entry (with the project id if given)."""
    y0, x0, y1, x1 = info.box
    project = {} if project_id is None else {"project_id": project_id}
    return [
        dict(
            **project,
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
    if isinstance(index, Overlay):
        index = index.as_dict()
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


def _whole_numbers(keys: list) -> np.ndarray | None:
    """The keys as an int64 array; None unless each is a whole number that fits."""
    if not all(isinstance(key, int | np.integer) for key in keys):
        return None
    try:
        return np.asarray(keys, np.int64)
    except OverflowError:
        return None


class PackedFrame:
    """A frame's index as packed by :func:`pack_index`, read key by key without unpacking it.

    Values are sorted once (a few numpy calls); each lookup is a binary search. The views it
    gives (:meth:`index`, :meth:`cellmap`) keep their changes apart from the arrays.
    """

    def __init__(self, data: bytes) -> None:
        raw = np.frombuffer(zlib.decompress(data), "<i8")
        count, total = int(raw[0]), int(raw[1])
        values = raw[2 : 2 + count]
        start = 2 + 2 * count
        sizes = raw[start + 4 * count : start + 5 * count]
        cells = raw[start + 5 * count : start + 5 * count + total]
        order = np.argsort(values, kind="stable")
        self.values = values[order]
        self.areas = raw[2 + count : 2 + 2 * count][order]
        self.boxes = raw[start : start + 4 * count].reshape(count, 4)[order]
        ends = np.cumsum(sizes)
        self.starts, self.ends = (ends - sizes)[order], ends[order]
        self.cells = cells
        # Which values encode each cell: the cell entries sorted by cell (then by value).
        owners = np.repeat(values, sizes)
        by_cell = np.lexsort((owners, cells))
        self.cell_ids, self.owners = cells[by_cell], owners[by_cell]

    def _row(self, value: object) -> int:
        if not isinstance(value, int | np.integer):
            return -1
        row = int(np.searchsorted(self.values, value))
        return row if row < len(self.values) and self.values[row] == value else -1

    def _rows(self, values: list) -> np.ndarray | None:
        """The row of each value, -1 where absent, in one binary search of them all (None
        unless every value is a whole number)."""
        keys = _whole_numbers(values)
        if keys is None:
            return None
        rows = np.searchsorted(self.values, keys)
        inside = rows < len(self.values)
        found = np.zeros(len(rows), bool)
        found[inside] = self.values[rows[inside]] == keys[inside]
        return np.where(found, rows, -1)

    def _many(self, one: Callable[[object], object], rows: np.ndarray | None, keys: list) -> list:
        if rows is None:
            return [one(key) for key in keys]
        return [
            MISSING if row < 0 else one(key) for row, key in zip(rows.tolist(), keys, strict=True)
        ]

    def cells_of_many(self, values: list) -> list:
        """:meth:`cells_of` of each value; absent values found without a search each."""
        return self._many(self.cells_of, self._rows(values), values)

    def info_many(self, values: list) -> list:
        """:meth:`info` of each value; absent values found without a search each."""
        return self._many(self.info, self._rows(values), values)

    def values_of_cell_many(self, cells: list) -> list:
        """:meth:`values_of_cell` of each cell; cells of no value found without a search each."""
        keys = _whole_numbers(cells)
        if keys is None:
            return [self.values_of_cell(cell) for cell in cells]
        low = np.searchsorted(self.cell_ids, keys)
        high = np.searchsorted(self.cell_ids, keys, side="right")
        present = (high > low).tolist()
        return [
            self.values_of_cell(cell) if here else MISSING
            for cell, here in zip(cells, present, strict=True)
        ]

    def cells_of(self, value: object) -> object:
        row = self._row(value)
        if row < 0:
            return MISSING
        return frozenset(self.cells[self.starts[row] : self.ends[row]].tolist())

    def info(self, value: object) -> object:
        row = self._row(value)
        if row < 0:
            return MISSING
        cells = frozenset(self.cells[self.starts[row] : self.ends[row]].tolist())
        return ValueInfo(cells, int(self.areas[row]), tuple(self.boxes[row].tolist()))

    def values_of_cell(self, cell: object) -> object:
        if not isinstance(cell, int | np.integer):
            return MISSING
        low, high = np.searchsorted(self.cell_ids, [cell, cell + 1])
        return frozenset(self.owners[low:high].tolist()) if high > low else MISSING

    def value_of(self, cells: object) -> object:
        """The lowest value encoding exactly `cells`."""
        if not isinstance(cells, frozenset) or not cells:
            return MISSING
        found = self.values_of_cell(min(cells))
        for value in sorted(found) if found is not MISSING else ():
            if self.cells_of(value) == cells:
                return value
        return MISSING

    def all_values(self) -> list[int]:
        return self.values.tolist()

    def all_cells(self) -> list[int]:
        return np.unique(self.cell_ids).tolist()

    def all_sets(self) -> list[frozenset[int]]:
        return list(dict.fromkeys(self.cells_of(value) for value in self.all_values()))

    def _all_cells_of(self) -> list[frozenset[int]]:
        cells = self.cells.tolist()
        return [
            frozenset(cells[begin:end])
            for begin, end in zip(self.starts.tolist(), self.ends.tolist(), strict=True)
        ]

    def _every_info(self) -> dict[int, ValueInfo]:
        return dict(
            zip(
                self.values.tolist(),
                map(
                    ValueInfo._make,
                    zip(
                        self._all_cells_of(),
                        self.areas.tolist(),
                        map(tuple, self.boxes.tolist()),
                        strict=True,
                    ),
                ),
                strict=True,
            )
        )

    def _every_cells_of(self) -> dict[int, frozenset[int]]:
        return dict(zip(self.values.tolist(), self._all_cells_of(), strict=True))

    def index(self) -> Overlay[int, ValueInfo]:
        return Overlay(self.info, self.all_values, self._every_info, self.info_many)

    def cellmap(self, next_value: int = 1) -> CellMap:
        return CellMap.over(
            Overlay(self.cells_of, self.all_values, self._every_cells_of, self.cells_of_many),
            Overlay(self.value_of, self.all_sets),
            Overlay(self.values_of_cell, self.all_cells, lookup_many=self.values_of_cell_many),
            max(next_value, int(self.values[-1]) + 1 if len(self.values) else 1),
        )


def unpack_index(data: bytes) -> FrameIndex:
    """The index packed by :func:`pack_index`, read lazily (see :class:`PackedFrame`)."""
    return PackedFrame(data).index()
