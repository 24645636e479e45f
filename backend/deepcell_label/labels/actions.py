"""The pixel edit actions (brush, erase, trim, flood, threshold, watershed, autofit, grow, shrink).

Each action works on a *window*: a rectangle cut out of one label frame, given with its origin in
the frame, so that its cost is proportional to the window and not to the frame. An action says
which window it needs (:meth:`Action.window`), then computes the new window (:meth:`Action.apply`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage
from skimage import draw, filters, segmentation

from deepcell_label.errors import EditError
from deepcell_label.labels import arguments as a
from deepcell_label.labels.cellmap import CellMap, cell_mask, remap

Box = tuple[int, int, int, int]
"""(y0, x0, y1, x1) of a rectangle of a frame; y1 and x1 are exclusive."""

CellBox = Callable[[int], Box | None]
"""Gives the bounding box of a cell in the frame, or None when the cell is not in it."""

WRITE_MODES = ("exclude", "overwrite", "overlap")


class WindowTooSmall(Exception):  # noqa: N818 - a request to the caller, not an error
    """Raised by an action whose result reaches past its window inside the frame.

    The caller reads a larger window and applies the action again: the pixels of ``value``
    (background when 0) continue outside the window.
    """

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value


# 4-connected and 8-connected neighbourhoods.
_EDGE_NEIGHBOURS = ndimage.generate_binary_structure(2, 1)
_ALL_NEIGHBOURS = ndimage.generate_binary_structure(2, 2)


def add_cell(
    window: np.ndarray, region: np.ndarray, cell: int, cellmap: CellMap, write_mode: str
) -> np.ndarray:
    """Add ``cell`` to the pixels of ``region``, as the write mode allows.

    Parameters
    ----------
    window : numpy.ndarray
        Label values (int32), not modified.
    region : numpy.ndarray
        Boolean mask of the pixels to give to the cell.
    cell : int
        The cell that gains pixels.
    cellmap : CellMap
        The frame's map; new values are created in it as needed.
    write_mode : {'exclude', 'overwrite', 'overlap'}
        ``exclude``: only pixels encoding no cell change. ``overwrite``: the pixels encode only
        ``cell`` afterwards. ``overlap``: the pixels keep their cells and gain ``cell``.

    Returns
    -------
    numpy.ndarray
        The new window (int32).
    """
    result = np.array(window, dtype=np.int32, copy=True)
    if write_mode == "exclude":
        region = region & (window == 0)
    if not region.any():
        return result
    if write_mode == "overlap":
        result[region] = remap(window[region], cellmap, lambda cells: cells | {cell})
    elif write_mode in ("exclude", "overwrite"):
        result[region] = cellmap.value_for({cell})
    else:
        raise EditError(f"write mode must be one of {', '.join(WRITE_MODES)}, not {write_mode!r}")
    return result


def remove_cell(window: np.ndarray, region: np.ndarray, cell: int, cellmap: CellMap) -> np.ndarray:
    """Remove ``cell`` from the pixels of ``region``; other cells of those pixels stay.

    Returns
    -------
    numpy.ndarray
        The new window (int32); ``window`` is not modified.
    """
    result = np.array(window, dtype=np.int32, copy=True)
    if region.any():
        result[region] = remap(window[region], cellmap, lambda cells: cells - {cell})
    return result


@dataclass(frozen=True)
class Action:
    """One pixel edit action: its arguments, the window it needs, and what it does.

    Attributes
    ----------
    name : str
        The action's name in the API (``brush``, ``flood`` ...).
    arguments : Mapping[str, Argument]
        The arguments it takes and how each is checked.
    needs_window : callable
        ``(args, height, width, cell_box, frame) -> Box``.
    compute : callable
        ``(window, origin, cellmap, args, raw, write_mode) -> new window``.
    uses_raw : bool
        Whether the action reads the raw image (``threshold``, ``watershed``, ``autofit``).
    check_together : callable or None
        Checks of several arguments at once, after each was checked alone.
    """

    name: str
    arguments: Mapping[str, a.Argument]
    needs_window: Callable[..., Box]
    compute: Callable[..., np.ndarray]
    uses_raw: bool = False
    check_together: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def validate(self, args: Any, height: int, width: int) -> dict[str, Any]:
        """Check the arguments against a frame of ``height`` × ``width`` pixels.

        Returns
        -------
        dict
            Normalized arguments (defaults filled in, boxes ordered).

        Raises
        ------
        EditError
            Missing, unexpected or invalid arguments.
        """
        normalized = a.validate_arguments(self.name, self.arguments, args, a.Frame(height, width))
        if self.check_together is not None:
            normalized = self.check_together(normalized)
        return normalized

    def window(
        self,
        args: dict[str, Any],
        height: int,
        width: int,
        cell_box: CellBox,
        frame: int | None = None,
    ) -> Box:
        """The part of the frame the action may read or change, clipped to the frame.

        Parameters
        ----------
        args : dict
            Arguments as returned by :meth:`validate`.
        height, width : int
            Size of the frame.
        cell_box : callable
            ``cell_box(cell)`` is the bounding box of ``cell`` in this frame, None if absent.
        frame : int, optional
            Index of the frame, only used in messages.

        Returns
        -------
        tuple of int
            ``(y0, x0, y1, x1)``, with y1 and x1 exclusive.

        Raises
        ------
        EditError
            When the action needs a cell that is not in the frame.
        """
        return self.needs_window(args, height, width, _PresentCells(cell_box, frame))

    def apply(
        self,
        window: np.ndarray,
        origin: tuple[int, int],
        cellmap: CellMap,
        args: dict[str, Any],
        raw: np.ndarray | None = None,
        write_mode: str = "exclude",
        frame_shape: tuple[int, int] | None = None,
    ) -> np.ndarray:
        """Compute the new labels of ``window``.

        Parameters
        ----------
        window : numpy.ndarray
            2-D int32 label values cut out of the frame at ``origin`` (as given by
            :meth:`window`).
        origin : tuple of int
            ``(y0, x0)`` of the window in the frame.
        cellmap : CellMap
            The whole frame's map; new values are created in it.
        args : dict
            Arguments as returned by :meth:`validate`, in frame coordinates.
        raw : numpy.ndarray, optional
            The same window of the chosen raw channel (any dtype); required when ``uses_raw``.
        write_mode : {'exclude', 'overwrite', 'overlap'}
            How pixels already encoding other cells are treated where the action adds pixels.
        frame_shape : tuple of int, optional
            (height, width) of the whole frame; without it the window is taken as the frame.

        Returns
        -------
        numpy.ndarray
            The new window: same shape, int32.

        Raises
        ------
        WindowTooSmall
            When the result would reach past the window (flood): apply again on a larger one.
        """
        if write_mode not in WRITE_MODES:
            raise EditError(
                f"write mode must be one of {', '.join(WRITE_MODES)}, not {write_mode!r}"
            )
        window = np.asarray(window)
        if window.ndim != 2:
            raise ValueError(f"a label window is 2-D, not of shape {window.shape}")
        if self.uses_raw:
            if raw is None:
                raise ValueError(f"{self.name} needs the raw image of the window")
            raw = np.asarray(raw)
            if raw.shape != window.shape:
                raise ValueError(f"raw window {raw.shape} differs from labels {window.shape}")
        result = self.compute(window, _Origin(*origin, frame_shape), cellmap, args, raw, write_mode)
        return np.asarray(result, dtype=np.int32)


@dataclass(frozen=True)
class _Origin:
    """Where a window starts in the frame: converts frame coordinates to window ones."""

    y: int
    x: int
    frame_shape: tuple[int, int] | None = None

    def inner_edges(self, window: np.ndarray, limit: Box | None = None) -> np.ndarray:
        """Mask of the window's border pixels that are not also on the border of ``limit``.

        ``limit`` is a box of the frame (default: the whole frame).
        """
        edges = np.zeros(window.shape, bool)
        if limit is None:
            if self.frame_shape is None:
                return edges
            limit = (0, 0, *self.frame_shape)
        if self.y > limit[0]:
            edges[0, :] = True
        if self.x > limit[1]:
            edges[:, 0] = True
        if self.y + window.shape[0] < limit[2]:
            edges[-1, :] = True
        if self.x + window.shape[1] < limit[3]:
            edges[:, -1] = True
        return edges

    def point(self, x: int, y: int) -> tuple[int, int]:
        """(row, column) in the window of the frame point (x, y)."""
        return y - self.y, x - self.x


@dataclass(frozen=True)
class _PresentCells:
    """Bounding boxes of cells that an action needs to be in the frame."""

    cell_box: CellBox
    frame: int | None

    def box(self, cell: int) -> Box:
        box = self.cell_box(cell)
        if box is None:
            where = "this frame" if self.frame is None else f"frame {self.frame + 1}"
            raise EditError(f"cell {cell} is not in {where}")
        return tuple(int(v) for v in box)


def _padded(box: Box, margin: int, height: int, width: int) -> Box:
    y0, x0, y1, x1 = box
    return (
        max(0, y0 - margin),
        max(0, x0 - margin),
        min(height, y1 + margin),
        min(width, x1 + margin),
    )


def _check_point_in_box(x: int, y: int, box: Box, cell: int) -> None:
    y0, x0, y1, x1 = box
    if not (y0 <= y < y1 and x0 <= x < x1):
        raise EditError(f"the point x = {x}, y = {y} is not on cell {cell}")


def _check_point_on_cell(
    mask: np.ndarray, point: tuple[int, int], x: int, y: int, cell: int
) -> None:
    row, col = point
    inside = 0 <= row < mask.shape[0] and 0 <= col < mask.shape[1]
    if not inside or not mask[row, col]:
        raise EditError(f"the point x = {x}, y = {y} is not on cell {cell}")


# --- brush and erase ---------------------------------------------------------------------------


def _stroke_window(args: dict, height: int, width: int, cells: _PresentCells) -> Box:
    xs = [x for x, _ in args["points"]]
    ys = [y for _, y in args["points"]]
    reach = args["brush_size"] - 1
    return _padded((min(ys), min(xs), max(ys) + 1, max(xs) + 1), reach, height, width)


def stroke_mask(
    shape: tuple[int, int], points: list[tuple[int, int]], origin: tuple[int, int], radius: int
) -> np.ndarray:
    """The pixels a brush of ``radius`` covers along a stroke.

    Parameters
    ----------
    shape : tuple of int
        Shape of the window.
    points : list of (x, y)
        The stroke in frame coordinates; consecutive points are joined by straight lines.
    origin : tuple of int
        ``(y0, x0)`` of the window in the frame.
    radius : int
        Brush size: pixels whose centre is closer than ``radius - 1/2`` to the stroke are
        covered (a round disc of diameter ``2 * radius - 1`` at each point), so a radius of 1
        covers the stroke's own pixels only and no pixel further than ``radius - 1`` rows or
        columns from the stroke is covered.

    Returns
    -------
    numpy.ndarray
        Boolean mask of ``shape``.
    """
    y0, x0 = origin
    line = np.zeros(shape, dtype=bool)
    path = [(y - y0, x - x0) for x, y in points]
    line[path[0]] = True
    for (r0, c0), (r1, c1) in zip(path, path[1:], strict=False):
        rows, cols = draw.line(r0, c0, r1, c1)
        line[rows, cols] = True
    if radius == 1:
        return line
    return ndimage.distance_transform_edt(~line) < radius - 0.5


def _brush(window, origin, cellmap, args, raw, write_mode):
    region = stroke_mask(window.shape, args["points"], (origin.y, origin.x), args["brush_size"])
    return add_cell(window, region, args["cell"], cellmap, write_mode)


def _erase(window, origin, cellmap, args, raw, write_mode):
    region = stroke_mask(window.shape, args["points"], (origin.y, origin.x), args["brush_size"])
    return remove_cell(window, region, args["cell"], cellmap)


_STROKE = {
    "points": a.Argument(a.points),
    "brush_size": a.Argument(a.brush_size),
    "cell": a.Argument(a.cell_id),
}

# --- trim and flood ----------------------------------------------------------------------------

_CLICK_ON_CELL = {"x": a.Argument(a.column), "y": a.Argument(a.row), "cell": a.Argument(a.cell_id)}


def _trim_window(args: dict, height: int, width: int, cells: _PresentCells) -> Box:
    box = cells.box(args["cell"])
    _check_point_in_box(args["x"], args["y"], box, args["cell"])
    return box


def _trim(window, origin, cellmap, args, raw, write_mode):
    cell = args["cell"]
    mask = cell_mask(window, cellmap, cell)
    point = origin.point(args["x"], args["y"])
    _check_point_on_cell(mask, point, args["x"], args["y"], cell)
    parts, _ = ndimage.label(mask, structure=_ALL_NEIGHBOURS)
    return remove_cell(window, mask & (parts != parts[point]), cell, cellmap)


FLOOD_FIRST_MARGIN = 32  # pixels around the click of a flood's first window


def _flood_window(args: dict, height: int, width: int, cells: _PresentCells) -> Box:
    """First try: the click with a margin that fits most holes, within the region when one is
    given.

    When the flooded region turns out to reach past it, :func:`_flood` asks for more (the
    clicked value's box, or the region). Not the selected cell's box: a cell drawn at two far
    ends of a huge frame would make that window the whole frame.
    """
    y, x = args["y"], args["x"]
    box = _padded((y, x, y + 1, x + 1), FLOOD_FIRST_MARGIN, height, width)
    region = args.get("region")
    if region is not None:
        box = (
            max(box[0], region[0]),
            max(box[1], region[1]),
            min(box[2], region[2]),
            min(box[3], region[3]),
        )
    return box


def _flood(window, origin, cellmap, args, raw, write_mode):
    point = origin.point(args["x"], args["y"])
    background = window[point] == 0
    # Background is crossed only through edges so that a cell outlined by a one-pixel-wide
    # diagonal line keeps its inside apart from the outside.
    connectivity = 1 if background else 2
    limit = args.get("region") if background else None
    if limit is None:
        region = segmentation.flood(window, point, connectivity=connectivity)
    else:
        # The background floods only the region the user sees, however far it reaches.
        y0, x0 = max(limit[0] - origin.y, 0), max(limit[1] - origin.x, 0)
        y1, x1 = limit[2] - origin.y, limit[3] - origin.x
        region = np.zeros(window.shape, bool)
        region[y0:y1, x0:x1] = segmentation.flood(
            window[y0:y1, x0:x1], (point[0] - y0, point[1] - x0), connectivity=connectivity
        )
    if (region & origin.inner_edges(window, limit)).any():
        raise WindowTooSmall(int(window[point]))
    return add_cell(window, region, args["cell"], cellmap, write_mode)


def _click_in_region(args: dict[str, Any]) -> dict[str, Any]:
    limit = args.get("region")
    if limit is not None and not (
        limit[0] <= args["y"] < limit[2] and limit[1] <= args["x"] < limit[3]
    ):
        raise EditError(
            f"the point x = {args['x']}, y = {args['y']} is outside the region; "
            "click inside the region shown"
        )
    return args


# --- threshold ---------------------------------------------------------------------------------


def _ordered_box(args: dict[str, Any]) -> dict[str, Any]:
    x1, x2 = sorted((args["x1"], args["x2"]))
    y1, y2 = sorted((args["y1"], args["y2"]))
    return {**args, "x1": x1, "y1": y1, "x2": x2, "y2": y2}


def _box_window(args: dict, height: int, width: int, cells: _PresentCells) -> Box:
    return args["y1"], args["x1"], args["y2"] + 1, args["x2"] + 1


def _as_float(raw: np.ndarray) -> np.ndarray:
    image = raw.astype(np.float64)
    finite = np.isfinite(image)
    if not finite.all():
        image[~finite] = image[finite].min() if finite.any() else 0.0
    return image


def bright_region(raw: np.ndarray) -> np.ndarray:
    """The bright objects of ``raw``, by hysteresis thresholding.

    The low threshold comes from the triangle method (suited to a box that is mostly
    background around a bright cell); the high one is Otsu's threshold, or the low one
    when Otsu's is lower. A box without contrast has no bright region.

    Returns
    -------
    numpy.ndarray
        Boolean mask of the shape of ``raw``.
    """
    image = _as_float(raw)
    if image.size < 2 or image.min() == image.max():
        return np.zeros(image.shape, dtype=bool)
    low = filters.threshold_triangle(image)
    high = max(filters.threshold_otsu(image), low)
    return filters.apply_hysteresis_threshold(image, low, high)


def _threshold(window, origin, cellmap, args, raw, write_mode):
    return add_cell(window, bright_region(raw), args["cell"], cellmap, write_mode)


_BOX = {
    name: a.Argument(a.column if name[0] == "x" else a.row) for name in ("x1", "y1", "x2", "y2")
}

# --- watershed ---------------------------------------------------------------------------------


def _two_seeds(args: dict[str, Any]) -> dict[str, Any]:
    if (args["x1"], args["y1"]) == (args["x2"], args["y2"]):
        raise EditError("watershed needs two clicks on different pixels of the cell")
    if args["new_cell"] == args["cell"]:
        raise EditError("the new cell of a watershed must differ from the cell that is split")
    return args


def _watershed_window(args: dict, height: int, width: int, cells: _PresentCells) -> Box:
    box = cells.box(args["cell"])
    for seed in ("1", "2"):
        _check_point_in_box(args["x" + seed], args["y" + seed], box, args["cell"])
    return box


def _watershed(window, origin, cellmap, args, raw, write_mode):
    cell, new_cell = args["cell"], args["new_cell"]
    if new_cell is None:
        raise EditError("watershed needs the id of the new cell ('new_cell')")
    mask = cell_mask(window, cellmap, cell)
    markers = np.zeros(window.shape, dtype=np.int32)
    for label, seed in ((1, "1"), (2, "2")):
        x, y = args["x" + seed], args["y" + seed]
        point = origin.point(x, y)
        _check_point_on_cell(mask, point, x, y, cell)
        markers[point] = label
    # Cells are bright: the basins of the inverted raw image meet at the dark seams between cells.
    basins = segmentation.watershed(-_as_float(raw), markers, mask=mask)
    second = basins == 2
    result = np.array(window, dtype=np.int32, copy=True)
    result[second] = remap(window[second], cellmap, lambda cells: (cells - {cell}) | {new_cell})
    return result


# --- autofit -----------------------------------------------------------------------------------

AUTOFIT_ITERATIONS = 30
AUTOFIT_MIN_MARGIN = 5


def _autofit_window(args: dict, height: int, width: int, cells: _PresentCells) -> Box:
    box = cells.box(args["cell"])
    y0, x0, y1, x1 = box
    margin = max(AUTOFIT_MIN_MARGIN, max(y1 - y0, x1 - x0) // 2)
    return _padded(box, margin, height, width)


def fitted_shape(raw: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The shape a morphological Chan–Vese active contour reaches from ``start`` on ``raw``.

    Only the parts of the contour that touch ``start`` are kept, so that other objects in the
    box are not taken into the cell.

    Returns
    -------
    numpy.ndarray
        Boolean mask of the shape of ``raw``; ``start`` itself when the raw has no contrast.
    """
    image = _as_float(raw)
    low, high = image.min(), image.max()
    if high == low:
        return start
    image = (image - low) / (high - low)
    level = segmentation.morphological_chan_vese(
        image, num_iter=AUTOFIT_ITERATIONS, init_level_set=start.astype(np.int8), smoothing=1
    ).astype(bool)
    parts, _ = ndimage.label(level, structure=_ALL_NEIGHBOURS)
    touching = np.unique(parts[start & level])
    return np.isin(parts, touching[touching > 0])


def _autofit(window, origin, cellmap, args, raw, write_mode):
    cell = args["cell"]
    mask = cell_mask(window, cellmap, cell)
    if not mask.any():
        return np.array(window, dtype=np.int32, copy=True)
    fitted = fitted_shape(raw, mask)
    if not fitted.any():
        raise EditError(f"autofit found no shape for cell {cell} in this channel")
    result = remove_cell(window, mask & ~fitted, cell, cellmap)
    return add_cell(result, fitted & ~mask, cell, cellmap, write_mode)


# --- grow and shrink ---------------------------------------------------------------------------


def _grow_window(args: dict, height: int, width: int, cells: _PresentCells) -> Box:
    return _padded(cells.box(args["cell"]), 1, height, width)


def _cell_window(args: dict, height: int, width: int, cells: _PresentCells) -> Box:
    return cells.box(args["cell"])


def _grow(window, origin, cellmap, args, raw, write_mode):
    mask = cell_mask(window, cellmap, args["cell"])
    grown = ndimage.binary_dilation(mask, structure=_EDGE_NEIGHBOURS)
    return add_cell(window, grown & ~mask, args["cell"], cellmap, write_mode)


def _shrink(window, origin, cellmap, args, raw, write_mode):
    mask = cell_mask(window, cellmap, args["cell"])
    # Outside the window there is no pixel of the cell (the window holds its whole box), and the
    # edge of the image counts as outside the cell too.
    kept = ndimage.binary_erosion(mask, structure=_EDGE_NEIGHBOURS, border_value=0)
    return remove_cell(window, mask & ~kept, args["cell"], cellmap)


_CELL = {"cell": a.Argument(a.cell_id)}
_CHANNEL = {"channel": a.Argument(a.anything, required=False, default=0)}

ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action("brush", _STROKE, _stroke_window, _brush),
        Action("erase", _STROKE, _stroke_window, _erase),
        Action("trim", _CLICK_ON_CELL, _trim_window, _trim),
        Action(
            "flood",
            {**_CLICK_ON_CELL, "region": a.Argument(a.region, required=False)},
            _flood_window,
            _flood,
            check_together=_click_in_region,
        ),
        Action(
            "threshold",
            {**_BOX, **_CELL, **_CHANNEL},
            _box_window,
            _threshold,
            uses_raw=True,
            check_together=_ordered_box,
        ),
        Action(
            "watershed",
            {**_BOX, **_CELL, "new_cell": a.Argument(a.cell_id, required=False), **_CHANNEL},
            _watershed_window,
            _watershed,
            uses_raw=True,
            check_together=_two_seeds,
        ),
        Action("autofit", {**_CELL, **_CHANNEL}, _autofit_window, _autofit, uses_raw=True),
        Action("grow", _CELL, _grow_window, _grow),
        Action("shrink", _CELL, _cell_window, _shrink),
    )
}
"""The pixel edit actions by name."""
