"""Divisions and cell types: pure functions on the plain lists stored with a project.

A division is ``{"parent": p, "daughters": [d, ...], "t": t}`` where ``t`` is the first frame in
which the daughters exist. A cell type is ``{"id", "name", "color", "cells", "feature"}``.
Every function returns new lists and leaves its inputs alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from deepcell_label.errors import EditError
from deepcell_label.labels import arguments as a

CellFrames = Mapping[int, Sequence[int]]
"""For each cell, the frames in which it is present."""

CELL_ACTION_NAMES = ("delete", "replace", "swap", "new")

# --- divisions ---------------------------------------------------------------------------------


def division_feature(division: Mapping[str, Any]) -> int:
    """The label feature whose cells a division names: its ``feature``, 0 when it has none
    (divisions made before every feature could have divisions)."""
    return int(division.get("feature", 0))


def divisions_of(divisions: Iterable[Mapping[str, Any]], feature: int) -> list[dict[str, Any]]:
    """The divisions of one feature, without their ``feature`` (the functions of this module
    work on the divisions of one feature at a time)."""
    return _copy(d for d in divisions if division_feature(d) == feature)


def with_divisions_of(
    divisions: Iterable[Mapping[str, Any]], feature: int, replacement: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """``divisions`` with those of ``feature`` replaced by ``replacement``; a division of a
    feature other than 0 says its ``feature``."""
    kept = [dict(d) for d in divisions if division_feature(d) != feature]
    for division in _copy(replacement):
        kept.append({**division, "feature": feature} if feature else division)
    return kept


def _copy(divisions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "parent": int(d["parent"]),
            "daughters": [int(c) for c in d["daughters"]],
            "t": int(d["t"]),
        }
        for d in divisions
    ]


def _frames(cell_frames: CellFrames, cell: int) -> Sequence[int] | None:
    """The frames of ``cell``; None when ``cell_frames`` does not say."""
    return cell_frames.get(cell)


def _present(cell_frames: CellFrames, cell: int) -> bool:
    frames = _frames(cell_frames, cell)
    return frames is None or len(frames) > 0


def _require_present(cell_frames: CellFrames, cell: int) -> None:
    if not _frames(cell_frames, cell):
        raise EditError(f"cell {cell} is in no frame")


def _first_frame(division: dict[str, Any], cell_frames: CellFrames) -> int:
    """The first frame of the daughters; the stored ``t`` when their frames are not known."""
    firsts = []
    for daughter in division["daughters"]:
        frames = _frames(cell_frames, daughter)
        if frames is None:
            return division["t"]
        if frames:
            firsts.append(min(frames))
    return min(firsts) if firsts else division["t"]


def add_daughter(
    divisions: Iterable[Mapping[str, Any]], parent: int, daughter: int, cell_frames: CellFrames
) -> list[dict[str, Any]]:
    """Record that ``daughter`` is born from the division of ``parent``.

    Parameters
    ----------
    divisions : list of dict
        The current divisions.
    parent, daughter : int
        Cell ids; both must be present in some frame.
    cell_frames : Mapping[int, Sequence[int]]
        The frames in which each cell is present.

    Returns
    -------
    list of dict
        The new divisions; the division's ``t`` is the first frame of its daughters.

    Raises
    ------
    EditError
        A cell is absent, the parent is its own daughter, or the daughter already has a parent.
    """
    parent, daughter = int(parent), int(daughter)
    if parent == daughter:
        raise EditError(f"cell {parent} cannot be its own daughter")
    _require_present(cell_frames, parent)
    _require_present(cell_frames, daughter)
    result = _copy(divisions)
    for division in result:
        if daughter in division["daughters"]:
            raise EditError(
                f"cell {daughter} is already a daughter of cell {division['parent']}; "
                "remove it there first"
            )
    division = next((d for d in result if d["parent"] == parent), None)
    if division is None:
        division = {"parent": parent, "daughters": [], "t": min(cell_frames[daughter])}
        result.append(division)
    division["daughters"].append(daughter)
    division["t"] = _first_frame(division, cell_frames)
    return result


def remove_daughter(
    divisions: Iterable[Mapping[str, Any]], parent: int, daughter: int, cell_frames: CellFrames
) -> list[dict[str, Any]]:
    """Remove ``daughter`` from the division of ``parent``; a division left empty is removed.

    Raises
    ------
    EditError
        When ``daughter`` is not a daughter of ``parent``.
    """
    parent, daughter = int(parent), int(daughter)
    result = _copy(divisions)
    for division in result:
        if division["parent"] == parent and daughter in division["daughters"]:
            division["daughters"].remove(daughter)
            division["t"] = _first_frame(division, cell_frames)
            return [d for d in result if d["daughters"]]
    raise EditError(f"cell {daughter} is not a daughter of cell {parent}")


def update_divisions(
    divisions: Iterable[Mapping[str, Any]],
    action: str,
    cell: int,
    other_cell: int | None,
    new_id: int | None,
    frames_changed: Collection[int],
    cell_frames_after: CellFrames,
) -> list[dict[str, Any]]:
    """Keep the divisions consistent after a cell action.

    Parameters
    ----------
    divisions : list of dict
        The divisions before the action.
    action : {'delete', 'replace', 'swap', 'new'}
        The cell action (``replace``: ``other_cell`` becomes ``cell``; ``new``: ``cell`` becomes
        ``new_id``).
    cell, other_cell, new_id : int
        The action's cells (``other_cell`` for replace and swap, ``new_id`` for new).
    frames_changed : collection of int
        The frames the action was applied to (its scope).
    cell_frames_after : Mapping[int, Sequence[int]]
        The frames of each cell after the action. A cell it does not mention is taken as
        unchanged by the action.

    Returns
    -------
    list of dict
        The new divisions.

    Notes
    -----
    A division is a moment in the life of the cells it names: the parent's role belongs to the
    frame just before the division (``t - 1``), the daughters' roles to the frame ``t``. So:

    1. ``replace``, ``swap`` and ``new`` rename a cell in a division only where the frame of its
       role is among the changed frames: replacing the parent in frames that all come after its
       division leaves the division alone; replacing it in the frame before the division makes
       the new cell the parent. A renamed cell that is now in no frame at all (``other_cell``
       of a replace, ``cell`` of a new) is renamed in every division.
    2. ``delete`` renames nothing; the cleanup below drops the cell when it is gone everywhere.
    3. Then every division is cleaned up:

       - cells present in no frame are dropped, as daughters or (with their whole division)
         as parents;
       - a cell that became its own daughter (e.g. a daughter combined into its parent) is
         dropped from the daughters, and a daughter named twice is kept once;
       - two divisions of the same parent are merged into one;
       - a cell that became a daughter in two divisions stays only in the division where it
         was not renamed (or the first one);
       - divisions without daughters are removed;
       - ``t`` is recomputed as the first frame of the daughters.

    What stays questionable (a parent still present after its division, a single daughter)
    is reported by :func:`validate_divisions`, not silently changed.
    """
    if action not in CELL_ACTION_NAMES:
        raise EditError(f"unknown cell action {action!r}")
    changed = set(frames_changed)
    renames = _renames(action, cell, other_cell, new_id)
    gone = {old for old in renames if not _present(cell_frames_after, old)}

    def renamed(old: int, frame: int) -> tuple[int, bool]:
        if old in renames and (frame in changed or old in gone):
            return renames[old], True
        return old, False

    result = []
    for division in _copy(divisions):
        t = division["t"]
        parent, _ = renamed(division["parent"], t - 1)
        daughters = [renamed(daughter, t) for daughter in division["daughters"]]
        result.append({"parent": parent, "daughters": daughters, "t": t})
    return _clean(result, cell_frames_after)


def relabel_divisions(
    divisions: Iterable[Mapping[str, Any]],
    renames: Mapping[int, Mapping[int, int]],
    cell_frames_after: CellFrames,
) -> list[dict[str, Any]]:
    """Keep divisions (of one feature) consistent after cells were given other ids frame by
    frame (propagation, linking).

    Parameters
    ----------
    divisions : list of dict
        The divisions before.
    renames : Mapping[int, Mapping[int, int]]
        For each changed frame, each renamed cell's new id in that frame.
    cell_frames_after : Mapping[int, Sequence[int]]
        The frames of each cell after the renaming (a cell not mentioned is unchanged).

    Returns
    -------
    list of dict
        The new divisions: a parent is renamed as it was in the frame before its division, a
        daughter as it was in the first frame of the division; then the cleanup of
        :func:`update_divisions` applies.
    """
    result = []
    for division in _copy(divisions):
        t = division["t"]
        before, at = renames.get(t - 1, {}), renames.get(t, {})
        parent = before.get(division["parent"], division["parent"])
        daughters = [(at.get(d, d), d in at) for d in division["daughters"]]
        result.append({"parent": parent, "daughters": daughters, "t": t})
    return _clean(result, cell_frames_after)


def _renames(action: str, cell: int, other_cell: int | None, new_id: int | None) -> dict[int, int]:
    if action in ("replace", "swap") and other_cell is None:
        raise EditError(f"{action} needs 'other_cell'")
    if action == "replace":
        return {other_cell: cell}
    if action == "swap":
        return {cell: other_cell, other_cell: cell}
    if action == "new":
        if new_id is None:
            raise EditError("a new cell id is needed to renumber a cell")
        return {cell: new_id}
    return {}


def _clean(divisions: list[dict[str, Any]], cell_frames: CellFrames) -> list[dict[str, Any]]:
    """Apply the cleanup rules of :func:`update_divisions`.

    The daughters of ``divisions`` are ``(cell, renamed)`` pairs here.
    """
    by_parent: dict[int, dict[str, Any]] = {}
    for division in divisions:
        parent = division["parent"]
        if not _present(cell_frames, parent):
            continue
        merged = by_parent.setdefault(
            parent, {"parent": parent, "daughters": [], "t": division["t"]}
        )
        merged["t"] = min(merged["t"], division["t"])
        for daughter, was_renamed in division["daughters"]:
            if daughter != parent and _present(cell_frames, daughter):
                merged["daughters"].append((daughter, was_renamed))
    # Where a cell is a daughter twice, the role it had before the action wins.
    keep: dict[int, tuple[int, bool]] = {}
    for parent, division in by_parent.items():
        for daughter, was_renamed in division["daughters"]:
            if daughter not in keep or (keep[daughter][1] and not was_renamed):
                keep[daughter] = (parent, was_renamed)
    result = []
    for parent, division in by_parent.items():
        daughters = []
        for daughter, _ in division["daughters"]:
            if keep[daughter][0] == parent and daughter not in daughters:
                daughters.append(daughter)
        if daughters:
            cleaned = {"parent": parent, "daughters": daughters, "t": division["t"]}
            cleaned["t"] = _first_frame(cleaned, cell_frames)
            result.append(cleaned)
    return result


def validate_divisions(
    divisions: Iterable[Mapping[str, Any]], cell_frames: CellFrames
) -> list[dict[str, Any]]:
    """Findings about divisions that do not agree with the labels.

    Parameters
    ----------
    divisions : list of dict
        The divisions.
    cell_frames : Mapping[int, Sequence[int]]
        The frames in which each cell is present.

    Returns
    -------
    list of dict
        ``{"kind", "cell", "frames", "message"}`` where ``kind`` is one of

        - ``parent_after_division``: the parent is still present at or after ``t``;
        - ``daughter_before_division``: a daughter is present before ``t``;
        - ``single_daughter``: the division has one daughter only;
        - ``multiple_divisions``: the cell is the parent of several divisions, or a daughter
          in several.

        ``frames`` are the frames to look at.
    """
    findings: list[dict[str, Any]] = []
    divisions = list(divisions)
    # Only the last frame of parents and the first frame of daughters are needed; a map that
    # knows them all at once (``spans()``) saves building every cell's frame list.
    if hasattr(cell_frames, "spans"):
        first, last = cell_frames.spans()
    else:
        first, last = _spans(cell_frames, divisions)
    parent_of: dict[int, list[int]] = {}
    daughter_of: dict[int, list[int]] = {}
    for division in divisions:
        parent, t, daughters = division["parent"], division["t"], division["daughters"]
        parent_of.setdefault(parent, []).append(t)
        if last.get(parent, -1) >= t:
            frames = sorted([f for f in cell_frames[parent] if f >= t])
            findings.append(
                _finding(
                    "parent_after_division",
                    parent,
                    frames,
                    f"cell {parent} divides at frame {t + 1} but is still present in "
                    f"{_frame_list(frames)}",
                )
            )
        for daughter in daughters:
            daughter_of.setdefault(daughter, []).append(t)
            if first.get(daughter, math.inf) < t:
                frames = sorted([f for f in cell_frames[daughter] if f < t])
                findings.append(
                    _finding(
                        "daughter_before_division",
                        daughter,
                        frames,
                        f"cell {daughter}, a daughter of cell {parent} born at frame {t + 1}, is "
                        f"already present in {_frame_list(frames)}",
                    )
                )
        if len(daughters) == 1:
            findings.append(
                _finding(
                    "single_daughter",
                    parent,
                    [t],
                    f"cell {parent} divides at frame {t + 1} into one daughter only "
                    f"(cell {daughters[0]})",
                )
            )
    for role, roles in (("parent", parent_of), ("daughter", daughter_of)):
        for cell, times in roles.items():
            if len(times) > 1:
                findings.append(
                    _finding(
                        "multiple_divisions",
                        cell,
                        sorted(set(times)),
                        f"cell {cell} is the {role} in {len(times)} divisions "
                        f"(at frames {', '.join(str(t + 1) for t in sorted(times))})",
                    )
                )
    return findings


def _spans(
    cell_frames: CellFrames, divisions: list[Mapping[str, Any]]
) -> tuple[dict[int, int], dict[int, int]]:
    """First and last frame of each cell named in the divisions that is present somewhere."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for division in divisions:
        for cell in (division["parent"], *division["daughters"]):
            if cell not in first:
                frames = cell_frames.get(cell)
                if frames is not None and len(frames):
                    first[cell], last[cell] = min(frames), max(frames)
    return first, last


def _finding(kind: str, cell: int, frames: list[int], message: str) -> dict[str, Any]:
    return {"kind": kind, "cell": cell, "frames": frames, "message": message}


def _frame_list(frames: Sequence[int]) -> str:
    """``frames`` (ascending, from 0) in a few words, counted from 1 as people read them: "frame 7",
    "frames 7 to 9", "4 frames from 7 to 20"."""
    first, last = frames[0] + 1, frames[-1] + 1
    if len(frames) == 1:
        return f"frame {first}"
    if last - first == len(frames) - 1:
        return f"frames {first} to {last}"
    return f"{len(frames)} frames from {first} to {last}"


# --- cell types --------------------------------------------------------------------------------

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
MAX_NAME_LENGTH = 200


def _name(name: str, value: Any, frame: a.Frame) -> str:
    if not isinstance(value, str) or not value.strip():
        raise EditError(f"'{name}' must be a non-empty text")
    if len(value) > MAX_NAME_LENGTH:
        raise EditError(f"'{name}' may have at most {MAX_NAME_LENGTH} characters")
    return value.strip()


def _color(name: str, value: Any, frame: a.Frame) -> str:
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise EditError(f"'{name}' must be a colour written #rrggbb, not {value!r}")
    return value.lower()


def _feature(name: str, value: Any, frame: a.Frame) -> int:
    number = a.whole_number(name, value)
    if number < 0:
        raise EditError(f"'{name}' must be a feature number (0 or more), not {number}")
    return number


def _order(name: str, value: Any, frame: a.Frame) -> list[int]:
    if not isinstance(value, list | tuple):
        raise EditError(f"'{name}' must be a list of cell type ids")
    return [a.whole_number(name, v) for v in value]


def _cell_list(name: str, value: Any, frame: a.Frame) -> list[int]:
    if not isinstance(value, list | tuple) or not 0 < len(value) <= MAX_LISTED_CELLS:
        raise EditError(f"'{name}' must be a list of 1 to {MAX_LISTED_CELLS:,} cell ids")
    return sorted({a.cell_id(name, v, frame) for v in value})


MAX_LISTED_CELLS = 100_000
_TYPE_ID = {"id": a.Argument(a.cell_id)}
# One cell, or a list of cells (e.g. picked in a plot) as one undoable edit.
_TYPE_CELLS = {
    "cell": a.Argument(a.cell_id, required=False),
    "cells": a.Argument(_cell_list, required=False),
}
_CELL_TYPE_ARGUMENTS: dict[str, dict[str, a.Argument]] = {
    "create_cell_type": {
        "name": a.Argument(_name),
        "color": a.Argument(_color),
        "feature": a.Argument(_feature, required=False, default=0),
    },
    "rename_cell_type": {**_TYPE_ID, "name": a.Argument(_name)},
    "recolor_cell_type": {**_TYPE_ID, "color": a.Argument(_color)},
    "delete_cell_type": _TYPE_ID,
    "reorder_cell_types": {"order": a.Argument(_order)},
    "add_to_cell_type": {**_TYPE_ID, **_TYPE_CELLS},
    "remove_from_cell_type": {**_TYPE_ID, **_TYPE_CELLS},
}
CELL_TYPE_ACTIONS = tuple(_CELL_TYPE_ARGUMENTS)


def _copy_types(cell_types: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{**t, "cells": [int(c) for c in t["cells"]]} for t in cell_types]


def validate_cell_type_action(action: str, args: Any) -> dict[str, Any]:
    """Check the arguments of a cell type action.

    Raises
    ------
    EditError
        Unknown action, missing, unexpected or invalid arguments.
    """
    if action not in _CELL_TYPE_ARGUMENTS:
        raise EditError(f"unknown cell type action {action!r}")
    return a.validate_arguments(action, _CELL_TYPE_ARGUMENTS[action], args, a.Frame())


def apply_cell_type_action(
    cell_types: Iterable[Mapping[str, Any]], action: str, args: Any
) -> list[dict[str, Any]]:
    """Apply one cell type action.

    Parameters
    ----------
    cell_types : list of dict
        ``{"id", "name", "color", "cells", "feature"}`` each.
    action : str
        ``create_cell_type`` (``name``, ``color``, ``feature``; the new type gets the next id and
        comes last), ``rename_cell_type`` (``id``, ``name``), ``recolor_cell_type`` (``id``,
        ``color`` as ``#rrggbb``), ``delete_cell_type`` (``id``), ``reorder_cell_types``
        (``order``: every id once), ``add_to_cell_type`` / ``remove_from_cell_type``
        (``id``, ``cell``).
    args : dict
        The action's arguments.

    Returns
    -------
    list of dict
        The new cell types.

    Raises
    ------
    EditError
        Invalid arguments, an unknown cell type, a cell added twice or removed when absent.
    """
    args = validate_cell_type_action(action, args)
    types = _copy_types(cell_types)
    if action == "create_cell_type":
        new_id = max((t["id"] for t in types), default=0) + 1
        types.append(
            {
                "id": new_id,
                "name": args["name"],
                "color": args["color"],
                "cells": [],
                "feature": args["feature"],
            }
        )
        return types
    if action == "reorder_cell_types":
        by_id = {t["id"]: t for t in types}
        if sorted(args["order"]) != sorted(by_id):
            raise EditError("the new order must name every cell type exactly once")
        return [by_id[i] for i in args["order"]]
    cell_type = _find_type(types, args["id"])
    if action == "rename_cell_type":
        cell_type["name"] = args["name"]
    elif action == "recolor_cell_type":
        cell_type["color"] = args["color"]
    elif action == "delete_cell_type":
        types.remove(cell_type)
    elif action in ("add_to_cell_type", "remove_from_cell_type"):
        if (args["cell"] is None) == (args["cells"] is None):
            raise EditError(f"{action} needs either 'cell' or 'cells'")
        named = [args["cell"]] if args["cell"] is not None else args["cells"]
        members = set(cell_type["cells"])
        adding = action == "add_to_cell_type"
        changing = [c for c in named if (c in members) != adding]
        if not changing:
            which = ", ".join(str(c) for c in named[:10])
            state = "already" if adding else "not"
            raise EditError(f"cell {which} is {state} of type {cell_type['name']!r}")
        members = members | set(changing) if adding else members - set(changing)
        cell_type["cells"] = sorted(members)
    return types


def _find_type(types: list[dict[str, Any]], type_id: int) -> dict[str, Any]:
    for cell_type in types:
        if cell_type["id"] == type_id:
            return cell_type
    raise EditError(f"there is no cell type {type_id}")


def relabel_cell_types(
    cell_types: Iterable[Mapping[str, Any]],
    feature: int,
    renames: Mapping[int, Mapping[int, int]],
    cells_remaining: Collection[int],
) -> list[dict[str, Any]]:
    """Keep the cell types of ``feature`` consistent after cells were given other ids frame by
    frame: as after the cell action ``new`` in those frames, a new id joins the types of the
    cell it renamed, and a renamed cell present in no frame any more leaves them."""
    joined: dict[int, set[int]] = {}
    for frame_renames in renames.values():
        for old, new in frame_renames.items():
            joined.setdefault(old, set()).add(new)
    remaining = set(cells_remaining)
    types = _copy_types(cell_types)
    for cell_type in types:
        if int(cell_type.get("feature", 0)) != feature:
            continue
        cells = set(cell_type["cells"])
        for old in cells & joined.keys():
            cells |= joined[old]
        cell_type["cells"] = sorted(c for c in cells if c in remaining or c not in joined)
    return types


def update_cell_types(
    cell_types: Iterable[Mapping[str, Any]],
    action: str,
    cell: int,
    other_cell: int | None,
    new_id: int | None,
    cells_remaining: Collection[int],
) -> list[dict[str, Any]]:
    """Keep cell types consistent after a cell action.

    Parameters
    ----------
    cell_types : list of dict
        The cell types before the action.
    action : {'delete', 'replace', 'swap', 'new'}
        The cell action.
    cell, other_cell, new_id : int
        The action's cells.
    cells_remaining : collection of int
        The cells present in some frame after the action.

    Returns
    -------
    list of dict
        The new cell types.

    Notes
    -----
    Types belong to the cell a biologist sees, so they follow it when its id changes:

    - ``delete``: a cell present nowhere any more leaves every type.
    - ``replace`` (``other_cell`` becomes ``cell``): when ``other_cell`` is gone, ``cell`` joins
      its types and ``other_cell`` leaves them; when it remains in other frames, nothing changes.
    - ``swap``: the two cells exchange their types.
    - ``new`` (``cell`` becomes ``new_id``): ``new_id`` joins the types of ``cell``; ``cell``
      leaves them only when it is gone everywhere.
    """
    if action not in CELL_ACTION_NAMES:
        raise EditError(f"unknown cell action {action!r}")
    remaining = set(cells_remaining)
    renames = _renames(action, cell, other_cell, new_id)
    types = _copy_types(cell_types)
    for cell_type in types:
        cells = set(cell_type["cells"])
        if action == "swap":
            cells = {renames.get(c, c) for c in cells}
        else:
            for old, new in renames.items():
                if old in cells and (action == "new" or old not in remaining):
                    cells.add(new)
        cells = {c for c in cells if c in remaining or c not in (cell, other_cell, new_id)}
        cell_type["cells"] = sorted(cells)
    return types
