"""Undo and redo, per annotator: each annotator takes back (and makes again) only their own edits,
and only where nobody else has changed the same pixels, cells or list items since.

An undo writes back, in the pixels its edit changed and nowhere else, the cells those pixels held
before the edit (a redo: after it), as the values that encode those cells now. It first checks
that each of those pixels still holds what the edit left there (a redo: what the undo left) —
compared as cells, so a value renumbered by someone else counts as changed — and that the list
items the edit changed (a cell type, a division, a channel name) can be merged with what others
changed since. Otherwise it is refused with 409 naming who changed what, and nothing changes.

Both are history records of their own (kind `undo`/`redo`, `target` = the edit's version), made
through the same unit of work as an edit, so the cell index, presence and other processes' caches
follow them as they follow edits. The cost follows the size of the edit, not of the history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Select, func, select

from ...errors import ConflictError
from ...formats import tiling
from ...labels import CellMap
from ...store.cellindex import ValueInfo
from ...store.framestate import relabelled
from ...store.history import ChangeSet, Patch
from ...store.models import Edit, Project, db
from .history import answer, check_base, describe_edit, parse_base_version
from .merging import ListConflict, merge_list
from .unit import EditContext, record, transaction

# On a conflict, how many later records are read to find who made it.
CONFLICT_SCAN = 1000
NO_CELLS: frozenset[int] = frozenset()


@dataclass
class FramePlan:
    """What an undo or redo does to one label frame."""

    feature: int
    frame: int
    box: tiling.Box
    mask: np.ndarray  # the pixels the edit changed, within `box`
    expected: np.ndarray  # what they must still hold (undo: the edit's after; redo: its before)
    goal: np.ndarray  # what they get (undo: the edit's before; redo: its after)


def _composite(patches: list[Patch], box: tiling.Box) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Over `box`: each changed pixel's value before the first patch that changed it and after
    the last one, and which pixels changed."""
    shape = (box[2] - box[0], box[3] - box[1])
    first, last, mask = np.zeros(shape, np.int32), np.zeros(shape, np.int32), np.zeros(shape, bool)
    for patch in patches:
        y0, x0, y1, x1 = patch.box
        part = (slice(y0 - box[0], y1 - box[0]), slice(x0 - box[1], x1 - box[1]))
        before, after = patch.values("before"), patch.values("after")
        changed = before != after
        new = changed & ~mask[part]
        first[part][new] = before[new]
        last[part][changed] = after[changed]
        mask[part] |= changed
    return first, last, mask


def _plans(changes: ChangeSet, forwards: bool) -> list[FramePlan]:
    by_frame: dict[tuple[int, int], list[Patch]] = {}
    for patch in changes.patches:
        by_frame.setdefault((patch.feature, patch.frame), []).append(patch)
    plans = []
    for (feature, frame), patches in by_frame.items():
        box = None
        for patch in patches:
            box = tiling.union(box, patch.box)
        first, last, mask = _composite(patches, box)
        expected, goal = (first, last) if forwards else (last, first)
        plans.append(FramePlan(feature, frame, box, mask, expected, goal))
    return plans


def _meanings(changes: ChangeSet, plan: FramePlan, side: int) -> Callable[[int], frozenset[int]]:
    """The cells each value of the frame encoded before (side 0) or after (side 1) the edit.

    Every value the edit took pixels from or gave pixels to has an entry in its record.
    """
    entries = {
        value: pair
        for (feature, frame, value), pair in changes.cells.items()
        if (feature, frame) == (plan.feature, plan.frame)
    }

    def meaning(value: int) -> frozenset[int]:
        if value == 0:
            return NO_CELLS
        pair = entries.get(value)
        info = (pair[side] or pair[1 - side]) if pair else None
        return info.cells if info is not None else frozenset({value})

    return meaning


def _conflict_box(context: EditContext, plan: FramePlan, meaning) -> tiling.Box | None:
    """The box of the pixels that no longer encode the cells the edit (or undo) left there."""
    cellmap = context.frame(plan.feature, plan.frame).cellmap
    current = context.tileset(plan.feature, plan.frame, plan.box).read(plan.box)
    now, expected = current[plan.mask].astype(np.int64), plan.expected[plan.mask].astype(np.int64)
    pairs, inverse = np.unique((now << 32) | (expected & 0xFFFFFFFF), return_inverse=True)
    wrong = np.array(
        [cellmap.cells(int(pair >> 32)) != meaning(int(pair & 0xFFFFFFFF)) for pair in pairs],
        bool,
    )
    if not wrong.any():
        return None
    where = np.zeros(plan.mask.shape, bool)
    where[plan.mask] = wrong[inverse.ravel()]
    ys, xs = np.nonzero(where)
    y, x = plan.box[0], plan.box[1]
    return (y + int(ys.min()), x + int(xs.min()), y + int(ys.max()) + 1, x + int(xs.max()) + 1)


def _value_now(cellmap: CellMap, value: int, cells: frozenset[int]) -> int:
    """The value that encodes `cells` in the frame now: the one the edit had where it still
    means them or is free again (so a lone undo and redo give back the very same values), else
    the frame's value for them, made if needed."""
    if not cells:
        return 0
    if cellmap.cells(value) == cells:
        return value
    for other in cellmap.values_containing(min(cells)):
        if cellmap.cells(other) == cells:
            return other
    if not cellmap.cells(value):
        cellmap.set(value, cells)
        cellmap.added.append(value)
        return value
    return cellmap.value_for(cells)


def _write(context: EditContext, plan: FramePlan, meaning) -> None:
    goal = plan.goal[plan.mask]

    def change(window: np.ndarray, cellmap: CellMap) -> np.ndarray:
        distinct, inverse = np.unique(goal, return_inverse=True)
        values = np.array([_value_now(cellmap, v, meaning(v)) for v in distinct.tolist()], np.int32)
        window[plan.mask] = values[inverse.ravel()]
        return window

    context.apply_window(plan.feature, plan.frame, plan.box, change)


def _relabels(changes: ChangeSet, plans: list[FramePlan]) -> list[tuple]:
    """What the edit changed in the meaning of values without touching their pixels (propagate,
    linking): (feature, frame, value, before, after), in frames with no pixel patch."""
    painted = {(plan.feature, plan.frame) for plan in plans}
    return [
        (feature, frame, value, before, after)
        for (feature, frame, value), (before, after) in changes.cells.items()
        if (feature, frame) not in painted and before is not None and after is not None
    ]


def _relabel_conflict(
    context: EditContext, relabels: list[tuple], changes: ChangeSet, forwards: bool
):
    """The first value whose cells are no longer those the edit (or undo) left, if any: of its
    entries of values of several cells, then of its relabellings."""
    for feature, frame, value, before, after in relabels:
        expected = before if forwards else after
        now = context.frame(feature, frame).index.get(value)
        if now is None or now.cells != expected.cells:
            return feature, frame, value
    for (feature, frame), relabel in changes.relabels.items():
        index = context.frame(feature, frame).plain()
        expected = relabel.before if forwards else relabel.after
        for value, cell in zip(relabel.values.tolist(), expected.tolist(), strict=True):
            now = index.get(value)
            if now is None or now.cells != {cell}:
                return feature, frame, value
    return None


def _write_relabels(
    context: EditContext, relabels: list[tuple], changes: ChangeSet, forwards: bool
) -> None:
    """Give each value back the cells of the goal side; its pixel count and box are today's.
    A relabelling is given back as one (its inverse, or itself again)."""
    for feature, frame, value, before, after in relabels:
        goal = after if forwards else before
        state = context.changing(feature, frame)
        now = state.index[value]
        changed = ValueInfo(goal.cells, now.area, now.box)
        context.changes.set_cell((feature, frame, value), now, changed)
        state.set(value, changed)
    for (feature, frame), relabel in changes.relabels.items():
        step = relabel if forwards else relabel.inverse()
        state = context.changing(feature, frame)
        state.set_many(relabelled(state.plain(), step.values, step.after))
        context.changes.add_relabel(feature, frame, *step.columns())


def _who_relabelled(project: Project, author: str, since: int, feature: int, frame: int, value):
    for edit in _others_since(project, author, since):
        if [feature, frame] not in edit.touched:
            continue
        changes = ChangeSet.decode(edit.changes)
        relabel = changes.relabels.get((feature, frame))
        if (feature, frame, value) in changes.cells or (
            relabel is not None and value in relabel.values
        ):
            return edit
    return None


def _merged_lists(project: Project, changes: ChangeSet, forwards: bool) -> dict:
    """The project's lists with the edit's change taken back (or made again)."""
    merged = {}
    for name, (before, after) in changes.lists.items():
        current = getattr(project, name)
        if name == "next_cell":
            # Cell ids are never handed out twice: the counters only go up.
            merged[name] = [max(a, b) for a, b in zip(current, after, strict=True)]
            continue
        base, goal = (before, after) if forwards else (after, before)
        merged[name] = merge_list(name, current, base, goal)
    return merged


def _latest(project_id: str, author: str, direction: str) -> Select:
    """The author's latest edit still in effect (undo), or the one they undid last (redo).

    An annotator's undone edits always follow their applied ones (a new edit discards them),
    so the earliest undone edit is the one undone last.
    """
    undo = direction == "undo"
    return (
        select(Edit)
        .where(
            Edit.project_id == project_id,
            Edit.author == author,
            Edit.kind == "edit",
            Edit.state == ("applied" if undo else "undone"),
        )
        .order_by(Edit.version.desc() if undo else Edit.version.asc())
        .limit(1)
    )


def _since(project: Project, target: Edit, direction: str) -> int:
    """The version after which others' changes would meet this undo or redo."""
    if direction == "undo":
        return target.version
    undone = db.session.execute(
        select(func.max(Edit.version)).where(
            Edit.project_id == project.id, Edit.kind == "undo", Edit.target == target.version
        )
    ).scalar_one_or_none()
    return undone or target.version


def _others_since(project: Project, author: str, since: int):
    return db.session.execute(
        select(Edit)
        .where(Edit.project_id == project.id, Edit.version > since, Edit.author != author)
        .order_by(Edit.version.desc())
        .limit(CONFLICT_SCAN)
    ).scalars()


def _changed_pixels_in(patch: Patch, feature: int, frame: int, box: tiling.Box) -> bool:
    if (patch.feature, patch.frame) != (feature, frame):
        return False
    part = tiling.intersect(patch.box, box)
    if part is None:
        return False
    y0, x0 = patch.box[0], patch.box[1]
    rows = slice(part[0] - y0, part[2] - y0)
    columns = slice(part[1] - x0, part[3] - x0)
    return bool(
        (patch.values("before")[rows, columns] != patch.values("after")[rows, columns]).any()
    )


def _who_changed_pixels(
    project: Project, author: str, since: int, feature: int, frame: int, box: tiling.Box
) -> Edit | None:
    for edit in _others_since(project, author, since):
        if [feature, frame] not in edit.touched:
            continue
        patches = ChangeSet.decode(edit.changes).patches
        if any(_changed_pixels_in(p, feature, frame, box) for p in patches):
            return edit
    return None


def _who_changed_list(project: Project, author: str, since: int, name: str) -> Edit | None:
    for edit in _others_since(project, author, since):
        if name in ChangeSet.decode(edit.changes).lists:
            return edit
    return None


def _refuse(direction: str, target: Edit, other: Edit | None, what: str) -> ConflictError:
    mine = f"your {target.action} (version {target.version}, frame {target.frame + 1})"
    if other is None:
        who = f"Someone else has since changed {what}"
    else:
        done = f"{other.kind} of {other.action}" if other.kind != "edit" else other.action
        who = (
            f"{other.author} has since changed {what} (their {done}, version "
            f"{other.version}, {other.created.strftime('%Y-%m-%d %H:%M:%S')} UTC)"
        )
    return ConflictError(
        f"Cannot {direction} {mine}: {who}. Nothing was changed; edit those pixels or items "
        f"by hand, or ask {other.author if other else 'them'} first."
    )


def _step(project_id: str, direction: str, base_version: int | None, author: str) -> dict:
    forwards = direction == "redo"

    def work(context: EditContext) -> dict:
        project = context.project
        check_base(project, base_version)
        target = db.session.execute(_latest(project.id, author, direction)).scalar_one_or_none()
        if target is None:
            raise ConflictError(
                f"There is nothing to {direction} for annotator {author!r} (undo and redo act "
                "on the annotator's own edits only)."
            )
        changes = ChangeSet.decode(target.changes)
        plans = _plans(changes, forwards)
        expected_side, goal_side = (0, 1) if forwards else (1, 0)
        # Everything is checked before anything is written: a refusal leaves no trace.
        for plan in plans:
            conflict = _conflict_box(context, plan, _meanings(changes, plan, expected_side))
            if conflict is not None:
                y0, x0, y1, x1 = conflict
                other = _who_changed_pixels(
                    project,
                    author,
                    _since(project, target, direction),
                    plan.feature,
                    plan.frame,
                    conflict,
                )
                raise _refuse(
                    direction,
                    target,
                    other,
                    f"the same pixels (frame {plan.frame + 1}, feature {plan.feature}, "
                    f"x {x0}–{x1 - 1}, y {y0}–{y1 - 1})",
                )
        relabels = _relabels(changes, plans)
        conflict = _relabel_conflict(context, relabels, changes, forwards)
        if conflict is not None:
            feature, frame, value = conflict
            since = _since(project, target, direction)
            other = _who_relabelled(project, author, since, feature, frame, value)
            raise _refuse(
                direction,
                target,
                other,
                f"the cells of label value {value} (frame {frame + 1}, feature {feature})",
            )
        try:
            lists = _merged_lists(project, changes, forwards)
        except ListConflict as conflict:
            since = _since(project, target, direction)
            other = _who_changed_list(project, author, since, conflict.name)
            raise _refuse(direction, target, other, conflict.what) from None
        for plan in plans:
            _write(context, plan, _meanings(changes, plan, goal_side))
        _write_relabels(context, relabels, changes, forwards)
        for name, value in lists.items():
            context.set_list(name, value)
        target.state = "applied" if forwards else "undone"
        edit = record(
            project,
            context,
            direction,
            target.action,
            {},
            target.frame,
            target.feature,
            target.write_mode,
            target.version,
            author,
        )
        known = {"can_undo": True} if forwards else {"can_redo": True}
        return answer(project, base_version, [describe_edit(edit, context.changes)], known, author)

    return transaction(project_id, work)


def undo(project_id: str, base_version: int | None = None, author: str = "anonymous") -> dict:
    """Take back `author`'s latest edit still in effect."""
    return _step(project_id, "undo", parse_base_version(base_version), author)


def redo(project_id: str, base_version: int | None = None, author: str = "anonymous") -> dict:
    """Make again the edit `author` undid last."""
    return _step(project_id, "redo", parse_base_version(base_version), author)
