"""The map between the label values stored in one frame and the cells each value encodes.

A value normally encodes one cell with the same id; a value encoding several cells is how
overlapping cells are stored. Value 0 is background and encodes no cell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping

import numpy as np

from .overlay import get_many

_NO_CELLS: frozenset[int] = frozenset()


class CellMap:
    """Value ↔ cell-set map of one whole frame of one feature.

    Parameters
    ----------
    mapping : Mapping[int, Iterable[int]]
        For each nonzero value of the frame, the cells it encodes.
    next_value : int
        The value handed out when a new value is needed that cannot be a cell's own id.
        It is raised above every value already in ``mapping``.

    Attributes
    ----------
    next_value : int
        The next value :meth:`value_for` will hand out for a set of several cells.
    added : list of int
        The values created by :meth:`value_for` since this map was built, in order.

    Notes
    -----
    The map keeps two invariants: every value maps to a non-empty set of cells, and no two
    values map to the same set (values it creates never repeat a set; should ``mapping``
    already repeat one, the lowest of its values is the one used). Values that no longer occur in the frame are not removed here:
    only the caller knows how many pixels each value has.
    """

    def __init__(self, mapping: Mapping[int, Iterable[int]], next_value: int) -> None:
        self._cells: dict[int, frozenset[int]] = {}
        self._value_of: dict[frozenset[int], int] = {}
        self._values_of_cell: dict[int, frozenset[int]] = {}
        for value in sorted(int(v) for v in mapping):
            if value == 0:
                continue
            cells = frozenset(int(c) for c in mapping[value])
            if not cells:
                raise ValueError(f"value {value} encodes no cell")
            self._record(value, cells)
        self.next_value = max([int(next_value), *(v + 1 for v in self._cells)])
        self.added: list[int] = []

    def _record(self, value: int, cells: frozenset[int]) -> None:
        self._cells[value] = cells
        # Should stored data hold two values for one set, the lower one is used from now on;
        # edits then stop producing the other.
        self._value_of.setdefault(cells, value)
        for cell in cells:
            self._values_of_cell[cell] = self._values_of_cell.get(cell, _NO_CELLS) | {value}

    @classmethod
    def from_sets(cls, mapping: Mapping[int, frozenset[int]], next_value: int) -> CellMap:
        """A map from values to non-empty frozensets already checked (e.g. a stored index).

        Same result as the constructor, built with few Python steps per value.
        """
        cellmap = cls.__new__(cls)
        cellmap._cells = dict(mapping)
        # The lowest value wins where stored data holds two values for one set.
        cellmap._value_of = {cells: value for value, cells in sorted(mapping.items(), reverse=True)}
        values_of_cell: dict[int, frozenset[int]] = {}
        for value, cells in mapping.items():
            for cell in cells:
                values_of_cell[cell] = values_of_cell.get(cell, _NO_CELLS) | {value}
        cellmap._values_of_cell = values_of_cell
        cellmap.next_value = max(int(next_value), max(mapping, default=0) + 1)
        cellmap.added = []
        return cellmap

    @classmethod
    def over(
        cls,
        cells_of: MutableMapping[int, frozenset[int]],
        value_of: MutableMapping[frozenset[int], int],
        values_of_cell: MutableMapping[int, frozenset[int]],
        next_value: int,
    ) -> CellMap:
        """A map over mappings the caller keeps consistent (e.g. lazy views of packed arrays):
        value → cells, cells → the lowest value encoding them, cell → values encoding it.

        Nothing is copied, so opening a large frame costs nothing per value.
        """
        cellmap = cls.__new__(cls)
        cellmap._cells = cells_of
        cellmap._value_of = value_of
        cellmap._values_of_cell = values_of_cell
        cellmap.next_value = int(next_value)
        cellmap.added = []
        return cellmap

    def set(self, value: int, cells: Iterable[int]) -> None:
        """Make ``value`` encode ``cells`` (replacing what it encoded); for keeping a map current."""
        self.remove(value)
        cells = frozenset(int(c) for c in cells)
        if not cells:
            raise ValueError(f"value {value} encodes no cell")
        self._record(int(value), cells)
        self.next_value = max(self.next_value, int(value) + 1)

    def remove(self, value: int) -> None:
        """Forget ``value`` (it no longer occurs in the frame)."""
        cells = self._cells.pop(int(value), None)
        if cells is None:
            return
        if self._value_of.get(cells) == value:
            del self._value_of[cells]
            # Another value may encode the same cells in data stored before this invariant held:
            # the lowest one takes over, as when the map is built.
            for other in sorted(self._values_of_cell.get(min(cells), _NO_CELLS)):
                if self._cells.get(other) == cells:
                    self._value_of[cells] = other
                    break
        for cell in cells:
            remaining = self._values_of_cell.get(cell, _NO_CELLS) - {value}
            if remaining:
                self._values_of_cell[cell] = remaining
            else:
                self._values_of_cell.pop(cell, None)

    def cells(self, value: int) -> frozenset[int]:
        """The cells a value encodes; empty for background (0) and for unknown values."""
        return self._cells.get(int(value), _NO_CELLS)

    def value_for(self, cells: Iterable[int]) -> int:
        """The value that encodes exactly ``cells``, created when the frame has none yet.

        Parameters
        ----------
        cells : iterable of int
            Cell ids.

        Returns
        -------
        int
            0 for no cells; the existing value with exactly this set; otherwise a new value:
            the cell id itself for a single cell whose id is not yet a value of this frame,
            else ``next_value`` (which then moves on).
        """
        cells = frozenset(int(c) for c in cells)
        if not cells:
            return 0
        existing = self._value_of.get(cells)
        if existing is not None:
            return existing
        if len(cells) == 1:
            (value,) = cells
            if value <= 0:
                raise ValueError(f"cell ids are positive, not {value}")
            if value in self._cells:
                value = self._take_next_value()
        else:
            value = self._take_next_value()
        self._record(value, cells)
        self.added.append(value)
        return value

    def values_for_new_cells(self, cells: Iterable[int]) -> list[int]:
        """:meth:`value_for` of each cell alone, for many cells at once (a segmentation adds
        thousands): a cell that no value encodes yet gets its own id as value, or
        ``next_value`` when that id is taken; a cell already encoded, its value as
        :meth:`value_for` gives it.

        Parameters
        ----------
        cells : iterable of int
            Cell ids, each once.

        Returns
        -------
        list of int
            The value of each cell, in order.
        """
        cells = [int(cell) for cell in cells]
        # Whether each cell is encoded, and whether its id is a value, asked all at once (the
        # maps may be views of packed arrays, where one question at a time costs a search).
        encoded_now = [found is not None for found in get_many(self._values_of_cell, cells)]
        value_now = [found is not None for found in get_many(self._cells, cells)]
        made: set[int] = set()  # values created below, which the answers above do not know
        found = []
        for cell, encoded, taken in zip(cells, encoded_now, value_now, strict=True):
            if cell <= 0 or encoded:
                before = len(self.added)
                found.append(self.value_for((cell,)))
                made.update(self.added[before:])
                continue
            value = self._take_next_value() if taken or cell in made else cell
            made.add(value)
            alone = frozenset((cell,))
            self._cells[value] = alone
            self._value_of[alone] = value
            self._values_of_cell[cell] = frozenset((value,))
            self.added.append(value)
            found.append(value)
        return found

    def _take_next_value(self) -> int:
        while self.next_value in self._cells:
            self.next_value += 1
        value = self.next_value
        self.next_value += 1
        return value

    def values_containing(self, cell: int) -> list[int]:
        """The values that encode ``cell`` (alone or with other cells), ascending."""
        return sorted(self._values_of_cell.get(int(cell), ()))

    @property
    def mapping(self) -> dict[int, frozenset[int]]:
        """A copy of the whole map: value → the cells it encodes."""
        cells = self._cells
        return cells.as_dict() if hasattr(cells, "as_dict") else dict(cells)

    def all_cells(self) -> set[int]:
        """Every cell encoded by some value of the map."""
        return {cell for cell, values in self._values_of_cell.items() if values}

    def __repr__(self) -> str:
        return f"CellMap({self._cells!r}, next_value={self.next_value})"


def remap(
    values: np.ndarray,
    cellmap: CellMap,
    change: Callable[[frozenset[int]], Iterable[int]],
) -> np.ndarray:
    """Replace each value by the value encoding ``change(cells of the value)``.

    Parameters
    ----------
    values : numpy.ndarray
        Label values, any shape.
    cellmap : CellMap
        The frame's map; new values are created in it as needed.
    change : callable
        Takes the frozenset of cells of a value and returns the cells the pixels should encode.

    Returns
    -------
    numpy.ndarray
        int32 array of the same shape. The cost is one pass over ``values`` plus one call of
        ``change`` per distinct value.
    """
    distinct, inverse = np.unique(values, return_inverse=True)
    replaced = np.array([_changed_value(v, cellmap, change) for v in distinct.tolist()], np.int32)
    return replaced[inverse].reshape(values.shape)


def _changed_value(
    value: int, cellmap: CellMap, change: Callable[[frozenset[int]], Iterable[int]]
) -> int:
    cells = cellmap.cells(value)
    changed = frozenset(change(cells))
    # An unchanged set keeps its value, so no value is created without need.
    return value if changed == cells else cellmap.value_for(changed)


def cell_mask(window: np.ndarray, cellmap: CellMap, cell: int) -> np.ndarray:
    """Boolean mask of the pixels of ``window`` whose value encodes ``cell``."""
    return np.isin(window, cellmap.values_containing(cell))
