"""Edits across the frames of a stack or timelapse: `propagate` the ids of one frame to
another, `copy_cell` to another frame, `interpolate` a cell between two frames; and the
relabelling they and the link job share.

A relabelling changes which cells each label value encodes, not the pixels: it is recorded as
value-meaning changes of the frames' indexes (no pixel patches), which undo reverses and the
browser applies like any other edit's cells. Divisions and cell types follow the new ids.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ... import labels as label_actions
from ...errors import EditError
from ...formats import tiling
from ...labels import arguments as a
from ...labels import linking
from ...labels.stacks import centroid, interpolate_masks
from ...store.cellindex import ValueInfo
from ...store.framestate import FrameState, relabelled
from ...store.labelstore import read_window
from ...store.models import Project
from .unit import EditContext, replace_item

STACK_ACTIONS = ("propagate", "copy_cell", "interpolate")
BAND_ROWS = 4 * tiling.LABEL_TILE_SIZE  # rows of a frame read at once when measuring


# --------------------------------------------------------------------------- arguments


def _frame_argument(frames: int):
    def check(name: str, value, frame: a.Frame) -> int:
        number = a.whole_number(name, value)
        if not 0 <= number < frames:
            raise EditError(
                f"'{name}' = {number} is not a frame of this project (frames 0 to {frames - 1})"
            )
        return number

    return check


def _threshold(name: str, value, frame: a.Frame) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise EditError(f"'{name}' is the smallest IoU of a match: a number above 0 up to 1")
    return float(value)


def _arguments(action: str, args: dict, project: Project) -> dict:
    frames = {
        "from_frame": a.Argument(_frame_argument(project.frames)),
        "to_frame": a.Argument(_frame_argument(project.frames)),
    }
    if action == "propagate":
        spec = {
            **frames,
            "threshold": a.Argument(_threshold, required=False, default=linking.DEFAULT_THRESHOLD),
        }
    else:
        spec = {"cell": a.Argument(a.cell_id), **frames}
    checked = a.validate_arguments(action, spec, args, a.Frame())
    if checked["from_frame"] == checked["to_frame"]:
        raise EditError(
            f"{action} needs two different frames; 'from_frame' and 'to_frame' are both "
            f"{checked['from_frame']}"
        )
    return checked


# --------------------------------------------------------------------------- measuring


def frame_values(state: FrameState) -> tuple[np.ndarray, dict[int, frozenset[int]]]:
    """A frame's nonzero values (ascending) and the cells each encodes."""
    values = np.array(sorted(state.index), np.int64)
    return values, {value: info.cells for value, info in state.index.items()}


def rows_used(*states: FrameState) -> tuple[int, int] | None:
    """The rows of a frame that hold a labelled pixel in any of the states (None: none)."""
    boxes = [info.box for state in states for info in state.index.values()]
    if not boxes:
        return None
    return min(box[0] for box in boxes), max(box[2] for box in boxes)


def bands(
    project: Project, feature: int, frame: int, rows: tuple[int, int]
) -> Iterator[tuple[int, np.ndarray]]:
    """The frame's rows ``rows[0]`` to ``rows[1]`` in bands of whole tile rows."""
    size = tiling.LABEL_TILE_SIZE
    start = rows[0] // size * size
    for y0 in range(start, rows[1], BAND_ROWS):
        box = (y0, 0, min(y0 + BAND_ROWS, project.height), project.width)
        yield y0, read_window(project, feature, frame, box)


def overlap_of(
    project: Project,
    feature: int,
    frames: tuple[int, int],
    states: tuple[FrameState, FrameState],
    values: tuple[np.ndarray, np.ndarray],
) -> linking.OverlapMeasure:
    """The pixels each of ``values[0]`` in one frame shares with each of ``values[1]`` in
    another, read in bands."""
    measure = linking.OverlapMeasure(*values)
    rows = rows_used(*states)
    if rows is None:
        return measure
    for (_, band_a), (_, band_b) in zip(
        bands(project, feature, frames[0], rows),
        bands(project, feature, frames[1], rows),
        strict=True,
    ):
        measure.add(band_a, band_b)
    return measure


@dataclass
class FrameCells:
    """A frame's values and cells, from its index alone: the nonzero values (ascending), the
    cells (ascending), which value encodes which cell (values × cells, sparse), and each
    cell's pixel count."""

    values: np.ndarray
    ids: np.ndarray
    members: sparse.csr_matrix
    areas: np.ndarray

    @classmethod
    def of(cls, state: FrameState) -> FrameCells:
        index = state.plain()
        count = len(index)
        values = np.fromiter(index.keys(), np.int64, count)
        order = np.argsort(values, kind="stable")
        infos = list(index.values())
        areas = np.fromiter((info.area for info in infos), float, count)[order]
        values = values[order]
        ids, members = linking.membership(values, {v: info.cells for v, info in index.items()})
        return cls(values, ids, members, members.T @ areas)


# --------------------------------------------------------------------------- relabelling


def relabel(
    context: EditContext, feature: int, renames: Mapping[int, Mapping[int, int]], next_id: int
) -> int:
    """Give cells other ids, frame by frame, as value-meaning changes; divisions and cell
    types follow. ``renames``: frame -> {old id: new id}; ids below ``next_id`` become used.
    Returns how many label values changed meaning."""
    project = context.project
    changed_values = 0
    for frame, frame_renames in renames.items():
        if not frame_renames:
            continue
        state = context.changing(feature, frame)
        values, before, after = [], [], []  # values of one cell: recorded as one relabelling
        shared: dict[int, ValueInfo] = {}  # values of several overlapping cells: one entry each
        for value, info in state.plain().items():
            if len(info.cells) == 1:  # most values: one cell, looked up once
                (cell,) = info.cells
                new = frame_renames.get(cell, cell)
                if new != cell:
                    values.append(value)
                    before.append(cell)
                    after.append(new)
                continue
            cells = frozenset(frame_renames.get(c, c) for c in info.cells)
            if cells != info.cells:
                shared[value] = ValueInfo(cells, info.area, info.box)
        for value, info in shared.items():
            context.changes.set_cell((feature, frame, value), state.index[value], info)
        changed = relabelled(state.index, np.array(values, np.int64), np.array(after, np.int64))
        context.changes.add_relabel(feature, frame, values, before, after)
        state.set_many({**changed, **shared})
        changed_values += len(changed) + len(shared)
    if next_id > project.next_cell[feature]:
        context.set_list("next_cell", replace_item(project.next_cell, feature, next_id))
    _follow(context, feature, renames)
    return changed_values


def _follow(context: EditContext, feature: int, renames: Mapping[int, Mapping[int, int]]) -> None:
    """Divisions and cell types after a relabelling (only the cells they name are looked up)."""
    project = context.project
    divisions = label_actions.divisions_of(project.divisions, feature)
    types = [t for t in project.cell_types if int(t.get("feature", 0)) == feature]
    named = {c for d in divisions for c in (d["parent"], *d["daughters"])}
    named |= {int(c) for t in types for c in t["cells"]}
    if not named:
        return
    involved = set(named)
    for frame_renames in renames.values():
        involved |= {new for old, new in frame_renames.items() if old in named}
    frames_after = context.frames_of(feature, involved)
    if divisions:
        updated = label_actions.relabel_divisions(divisions, renames, frames_after)
        context.set_list(
            "divisions", label_actions.with_divisions_of(project.divisions, feature, updated)
        )
    if types:
        remaining = {cell for cell, frames in frames_after.items() if frames}
        context.set_list(
            "cell_types",
            label_actions.relabel_cell_types(project.cell_types, feature, renames, remaining),
        )


# --------------------------------------------------------------------------- the actions


def _propagate(context: EditContext, args: dict, feature: int) -> None:
    project = context.project
    source, target = args["from_frame"], args["to_frame"]
    states = (context.frame(feature, source), context.frame(feature, target))
    for frame, state, role in ((source, states[0], "take ids from"), (target, states[1], "match")):
        if not state.index:
            raise EditError(
                f"Frame {frame + 1} has no cells in feature {feature}, so there is nothing to "
                f"{role}. Choose a frame with cells."
            )
    a, b = FrameCells.of(states[0]), FrameCells.of(states[1])
    measure = overlap_of(project, feature, (source, target), states, (a.values, b.values))
    overlaps = linking.overlaps_of_cells(measure, a.members, b.members)
    rows, columns = linking.match(overlaps, a.areas, b.areas, args["threshold"])
    changed = a.ids[rows] != b.ids[columns]
    renames = dict(
        zip(b.ids[columns][changed].tolist(), a.ids[rows][changed].tolist(), strict=True)
    )
    next_id = project.next_cell[feature]
    unmatched = np.setdiff1d(np.arange(b.ids.size), columns)
    for column in unmatched.tolist():
        renames[int(b.ids[column])] = next_id
        next_id += 1
    relabel(context, feature, {target: renames}, next_id)


def _cell_mask(context: EditContext, feature: int, frame: int, cell: int, box: tiling.Box):
    state = context.frame(feature, frame)
    window = context.tileset(feature, frame, box).read(box)
    return label_actions.cell_mask(window, state.cellmap, cell)


def _cell_box(context: EditContext, feature: int, frame: int, cell: int) -> tiling.Box:
    box = context.frame(feature, frame).cell_box(cell)
    if box is None:
        raise EditError(f"Cell {cell} is not in frame {frame + 1} (feature {feature}).")
    return box


def _copy_cell(context: EditContext, args: dict, feature: int, write_mode: str) -> None:
    cell, source, target = args["cell"], args["from_frame"], args["to_frame"]
    box = _cell_box(context, feature, source, cell)
    mask = _cell_mask(context, feature, source, cell, box)
    context.apply_window(
        feature,
        target,
        box,
        lambda window, cellmap: label_actions.add_cell(window, mask, cell, cellmap, write_mode),
    )


def _interpolate(context: EditContext, args: dict, feature: int, write_mode: str) -> None:
    project = context.project
    cell = args["cell"]
    first, last = sorted((args["from_frame"], args["to_frame"]))
    if last - first < 2:
        raise EditError(
            f"Frames {first + 1} and {last + 1} have no frame between them to fill; choose two frames "
            "further apart."
        )
    boxes = [_cell_box(context, feature, frame, cell) for frame in (first, last)]
    box = tiling.union(*boxes)
    moved = centroid(_cell_mask(context, feature, last, cell, box)) - centroid(
        _cell_mask(context, feature, first, cell, box)
    )
    # Room for each shape to travel to the other's place.
    margin = math.ceil(float(np.abs(moved).max())) + 1
    frame_box = (0, 0, project.height, project.width)
    window = tiling.intersect(
        (box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin), frame_box
    )
    masks = interpolate_masks(
        _cell_mask(context, feature, first, cell, window),
        _cell_mask(context, feature, last, cell, window),
        last - first - 1,
    )
    for frame, mask in zip(range(first + 1, last), masks, strict=True):
        context.apply_window(
            feature,
            frame,
            window,
            lambda window, cellmap, mask=mask: label_actions.add_cell(
                window, mask, cell, cellmap, write_mode
            ),
        )


def dispatch(context: EditContext, action: str, args: dict, feature: int, write_mode: str) -> None:
    """Apply one of STACK_ACTIONS."""
    args = _arguments(action, args, context.project)
    if action == "propagate":
        _propagate(context, args, feature)
    elif action == "copy_cell":
        _copy_cell(context, args, feature, write_mode)
    else:
        _interpolate(context, args, feature, write_mode)
