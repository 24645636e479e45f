"""Cell actions on one frame: delete, replace (combine), swap and renumber cells.

The caller applies them frame by frame over the chosen scope, each time on a window holding the
bounding boxes of every cell involved, so that every pixel encoding those cells is in the window.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from deepcell_label.errors import EditError
from deepcell_label.labels import arguments as a
from deepcell_label.labels.cellmap import CellMap, remap

Change = Callable[[frozenset[int]], frozenset[int]]


def delete_cell(window: np.ndarray, cellmap: CellMap, cell: int) -> np.ndarray:
    """Remove ``cell`` from every pixel; pixels it shared with other cells keep those.

    Parameters
    ----------
    window : numpy.ndarray
        2-D int32 label values holding the whole bounding box of ``cell``; not modified.
    cellmap : CellMap
        The frame's map; new values are created in it as needed.
    cell : int
        The cell to delete.

    Returns
    -------
    numpy.ndarray
        The new window (int32).
    """
    return remap(window, cellmap, lambda cells: cells - {cell})


def replace_cell(window: np.ndarray, cellmap: CellMap, cell: int, other_cell: int) -> np.ndarray:
    """Combine two cells: every pixel of ``other_cell`` becomes a pixel of ``cell``.

    A pixel that encoded both cells then encodes ``cell`` once.

    Returns
    -------
    numpy.ndarray
        The new window (int32).
    """
    return remap(window, cellmap, _renamed(other_cell, cell))


def swap_cells(window: np.ndarray, cellmap: CellMap, cell: int, other_cell: int) -> np.ndarray:
    """Exchange the ids of two cells in every pixel, including pixels shared with other cells.

    Returns
    -------
    numpy.ndarray
        The new window (int32).
    """
    exchange = {cell: other_cell, other_cell: cell}
    return remap(window, cellmap, lambda cells: frozenset(exchange.get(c, c) for c in cells))


def new_cell(window: np.ndarray, cellmap: CellMap, cell: int, new_id: int) -> np.ndarray:
    """Give ``cell`` the id ``new_id`` in this frame.

    Raises
    ------
    EditError
        When ``new_id`` is already a cell of this frame.

    Returns
    -------
    numpy.ndarray
        The new window (int32).
    """
    if new_id != cell and cellmap.values_containing(new_id):
        raise EditError(f"cell {new_id} already exists in this frame; choose another new id")
    return remap(window, cellmap, _renamed(cell, new_id))


def _renamed(old: int, new: int) -> Change:
    def change(cells: frozenset[int]) -> frozenset[int]:
        return (cells - {old}) | {new} if old in cells else cells

    return change


@dataclass(frozen=True)
class CellAction:
    """A cell action as the API knows it: its arguments and how it changes one frame.

    Attributes
    ----------
    name : str
        The action's name in the API.
    arguments : Mapping[str, Argument]
        The arguments it takes and how each is checked.
    change : callable
        ``(window, cellmap, args) -> new window`` for one frame.
    """

    name: str
    arguments: Mapping[str, a.Argument]
    change: Callable[[np.ndarray, CellMap, dict[str, Any]], np.ndarray]

    def validate(self, args: Any) -> dict[str, Any]:
        """Check the arguments; ``scope`` defaults to ``frame``.

        Raises
        ------
        EditError
            Missing, unexpected or invalid arguments, or a cell named twice.
        """
        normalized = a.validate_arguments(self.name, self.arguments, args, a.Frame())
        if "other_cell" in normalized and normalized["other_cell"] == normalized["cell"]:
            raise EditError(f"{self.name} needs two different cells")
        return normalized

    def cells(self, args: dict[str, Any]) -> list[int]:
        """The cells whose bounding boxes, together, make the window of each frame."""
        return [args[name] for name in ("cell", "other_cell") if name in args]

    def apply(self, window: np.ndarray, cellmap: CellMap, args: dict[str, Any]) -> np.ndarray:
        """The new labels of ``window`` in one frame of the scope."""
        return np.asarray(self.change(np.asarray(window), cellmap, args), dtype=np.int32)


def _new(window: np.ndarray, cellmap: CellMap, args: dict[str, Any]) -> np.ndarray:
    if args["new_cell"] is None:
        raise EditError("a new cell id ('new_cell') is needed to renumber a cell")
    return new_cell(window, cellmap, args["cell"], args["new_cell"])


_CELL = {"cell": a.Argument(a.cell_id)}
_OTHER = {"other_cell": a.Argument(a.cell_id)}
_SCOPE = {"scope": a.Argument(a.scope, required=False, default="frame")}

_CELL_ACTIONS = (
    CellAction("delete", {**_CELL, **_SCOPE}, lambda w, m, args: delete_cell(w, m, args["cell"])),
    CellAction(
        "replace",
        {**_CELL, **_OTHER, **_SCOPE},
        lambda w, m, args: replace_cell(w, m, args["cell"], args["other_cell"]),
    ),
    CellAction(
        "swap",
        {**_CELL, **_OTHER, **_SCOPE},
        lambda w, m, args: swap_cells(w, m, args["cell"], args["other_cell"]),
    ),
    CellAction(
        "new",
        {**_CELL, "new_cell": a.Argument(a.cell_id, required=False), **_SCOPE},
        _new,
    ),
)

CELL_ACTIONS: dict[str, CellAction] = {action.name: action for action in _CELL_ACTIONS}
"""The cell actions by name: ``delete``, ``replace``, ``swap`` and ``new``. Each takes ``cell``
and ``scope``; replace and swap take ``other_cell``; ``new`` takes the ``new_cell`` id chosen by
the caller."""
