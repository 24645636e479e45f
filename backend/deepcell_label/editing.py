"""Use cases of editing: apply an action, undo, redo, and list what changed since a version.

Each call is one database transaction: the project row is locked first (so edits to one
project are serialized across processes), then tiles, cell rows, lists and the history
record are written together.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from . import labels as label_actions
from . import presence, tiling
from .cellindex import FrameIndex, ValueInfo, pack_index, unpack_index, update_index, value_rows
from .errors import ConflictError, EditError
from .history import ChangeSet
from .labelstore import TileSet
from .models import CellValue, Edit, FrameCheckpoint, Project, db
from .projects import get_project, raw_window, require_ready

log = logging.getLogger(__name__)

WRITE_MODES = ("exclude", "overwrite", "overlap")
SCOPES = ("frame", "past", "future", "all")
DIVISION_ACTIONS = ("add_daughter", "remove_daughter")
CELL_TYPE_ACTIONS = (
    "create_cell_type",
    "rename_cell_type",
    "recolor_cell_type",
    "delete_cell_type",
    "reorder_cell_types",
    "add_to_cell_type",
    "remove_from_cell_type",
)
PROJECT_ACTIONS = ("rename_channel",)
RETRIES = 5
FRAME_CACHE_SIZE = 64
CACHE_CATCH_UP = 64  # beyond this many unseen versions, reload a frame's state instead
CHECKPOINT_CATCH_UP = 5000  # edits after a checkpoint that a load may replay
CHECKPOINT_REFRESH = 256  # a load replaying more than this writes a newer checkpoint


# ---------------------------------------------------------------- frame index cache


@dataclass
class FrameState:
    """A frame's index (value -> cells, area, box) and its cell map, kept in step."""

    index: FrameIndex
    cellmap: label_actions.CellMap

    @classmethod
    def build(cls, index: FrameIndex) -> FrameState:
        cells = {value: info.cells for value, info in index.items()}
        return cls(index, label_actions.CellMap.from_sets(cells, 1))

    def set(self, value: int, info: ValueInfo | None) -> None:
        if info is None:
            self.index.pop(value, None)
            self.cellmap.remove(value)
        else:
            self.index[value] = info
            self.cellmap.set(value, info.cells)

    def forget_unused(self) -> None:
        """Drop values an action created in the map but left without pixels."""
        for value in self.cellmap.added:
            if value not in self.index:
                self.cellmap.remove(value)
        self.cellmap.added = []

    def cell_box(self, cell: int) -> tiling.Box | None:
        box = None
        for value in self.cellmap.values_containing(cell):
            box = tiling.union(box, self.index[value].box)
        return box

    def has(self, cell: int) -> bool:
        return bool(self.cellmap.values_containing(cell))


@dataclass
class CachedFrame:
    version: int
    state: FrameState


class FrameCache:
    """Frame states per process, valid for the project version they were read or written at."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, int, int], CachedFrame] = {}
        self.lock = threading.Lock()

    def get(self, key) -> CachedFrame | None:
        with self.lock:
            return self.entries.get(key)

    def put(self, key, version: int, state: FrameState) -> None:
        with self.lock:
            if len(self.entries) >= FRAME_CACHE_SIZE and key not in self.entries:
                self.entries.pop(next(iter(self.entries)))
            self.entries[key] = CachedFrame(version, state)

    def drop(self, project_id: str, frames) -> None:
        with self.lock:
            for feature, frame in frames:
                self.entries.pop((project_id, feature, frame), None)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


frame_cache = FrameCache()


def _load_index(project_id: str, feature: int, frame: int) -> FrameIndex:
    rows = db.session.execute(
        select(
            CellValue.value,
            CellValue.cell,
            CellValue.area,
            CellValue.y0,
            CellValue.x0,
            CellValue.y1,
            CellValue.x1,
        ).where(
            CellValue.project_id == project_id,
            CellValue.feature == feature,
            CellValue.frame == frame,
        )
    ).tuples()
    cells: dict[int, set[int]] = {}
    first: dict[int, tuple] = {}
    for value, cell, area, y0, x0, y1, x1 in rows:
        cells.setdefault(value, set()).add(cell)
        first.setdefault(value, (area, (y0, x0, y1, x1)))
    return {value: ValueInfo(frozenset(found), *first[value]) for value, found in cells.items()}


def prefetch_frame(project_id: str, feature: int, frame: int) -> None:
    """Load a frame's state into the cache before an edit locks the project.

    Reading a large frame's index takes a while; done here, outside the lock, other edits of
    the project do not wait for it. Under the lock the state is brought up to date from the
    history. The transaction is ended afterwards, so the edit's own reads start afresh.
    """
    try:
        project = db.session.get(Project, project_id)
        if (
            project is not None
            and project.status == "ready"
            and 0 <= feature < project.features
            and 0 <= frame < project.frames
        ):
            frame_state(project, feature, frame)
        db.session.commit()  # a checkpoint it may have refreshed
    except Exception:
        db.session.rollback()
        raise


def frame_state(project: Project, feature: int, frame: int) -> FrameState:
    """The frame's state at the project's current version (shared: only an edit holding the
    project's lock may change it).

    A cached state is reused when no edit since it was cached touched the frame, which the
    history's `touched` column tells, so processes sharing one database stay correct.
    """
    key = (project.id, feature, frame)
    entry = frame_cache.get(key)
    if entry is not None and entry.version != project.version:
        entry = _catch_up(project, feature, frame, entry)
    state = _load_state(project, feature, frame) if entry is None else entry.state
    frame_cache.put(key, project.version, state)
    return state


def _load_state(project: Project, feature: int, frame: int) -> FrameState:
    """A frame's state from its checkpoint and the edits since, or from its rows.

    A checkpoint far behind, or missing, is written anew at the current version (in the
    caller's transaction, inside a savepoint: a concurrent writer simply wins).
    """
    row = db.session.execute(
        select(FrameCheckpoint.version, FrameCheckpoint.data).where(
            FrameCheckpoint.project_id == project.id,
            FrameCheckpoint.feature == feature,
            FrameCheckpoint.frame == frame,
        )
    ).first()
    if row is not None and row.version <= project.version:
        start = CachedFrame(row.version, FrameState.build(unpack_index(row.data)))
        entry = _catch_up(project, feature, frame, start, CHECKPOINT_CATCH_UP)
        if entry is not None:
            if project.version - row.version > CHECKPOINT_REFRESH:
                _write_checkpoint(project, feature, frame, entry.state.index, exists=True)
            return entry.state
    index = _load_index(project.id, feature, frame)
    _write_checkpoint(project, feature, frame, index, exists=row is not None)
    return FrameState.build(index)


def _write_checkpoint(
    project: Project, feature: int, frame: int, index: FrameIndex, exists: bool
) -> None:
    key = dict(project_id=project.id, feature=feature, frame=frame)
    data = pack_index(index)
    try:
        with db.session.begin_nested():
            if exists:
                db.session.execute(
                    update(FrameCheckpoint)
                    .where(*[getattr(FrameCheckpoint, k) == v for k, v in key.items()])
                    .where(FrameCheckpoint.version < project.version)
                    .values(version=project.version, data=data)
                )
            else:
                db.session.add(FrameCheckpoint(**key, version=project.version, data=data))
    except IntegrityError:
        pass  # another process wrote it first


def _catch_up(
    project: Project, feature: int, frame: int, entry: CachedFrame, limit: int = CACHE_CATCH_UP
) -> CachedFrame | None:
    """Bring a cached frame state up to the project's version with the history's records.

    Edits made by other processes since the state was cached are applied from their stored
    changes (only the cell entries of this frame), so the cost follows what they changed, not
    the number of cells. Too far behind, or ahead (a rolled-back version): None, reload.
    """
    gap = project.version - entry.version
    if gap == 0:
        return entry
    if not 0 < gap <= limit:
        return None
    rows = db.session.execute(
        select(Edit.version, Edit.touched)
        .where(Edit.project_id == project.id, Edit.version > entry.version)
        .order_by(Edit.version)
    ).all()
    if len(rows) != gap:
        return None
    needed = [version for version, touched in rows if [feature, frame] in touched]
    if needed:
        records = db.session.execute(
            select(Edit.changes)
            .where(Edit.project_id == project.id, Edit.version.in_(needed))
            .order_by(Edit.version)
        ).scalars()
        for data in records:
            for (feature_, frame_, value), (_, after) in ChangeSet.decode(data).cells.items():
                if (feature_, frame_) == (feature, frame):
                    entry.state.set(value, after)
    return entry


def cell_frames(
    project: Project, feature: int, cells: set[int] | None = None
) -> dict[int, list[int]]:
    """In which frames each cell appears (all cells, or the given ones)."""
    query = select(CellValue.cell, CellValue.frame).where(
        CellValue.project_id == project.id, CellValue.feature == feature
    )
    frames: dict[int, set[int]] = {}
    if cells is not None:
        ids = sorted(cells)
        for start in range(0, len(ids), 500):
            for cell, frame in db.session.execute(
                query.where(CellValue.cell.in_(ids[start : start + 500]))
            ):
                frames.setdefault(cell, set()).add(frame)
    else:
        for cell, frame in db.session.execute(query):
            frames.setdefault(cell, set()).add(frame)
    return {cell: sorted(found) for cell, found in frames.items()}


def validation_findings(project: Project) -> list[dict]:
    if not project.divisions:
        return []
    return label_actions.validate_divisions(project.divisions, presence.presence(project))


# ---------------------------------------------------------------- one edit


class EditContext:
    """The state an edit works on, and the record of what it changed."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.changes = ChangeSet()
        self.tilesets: dict[tuple[int, int], TileSet] = {}
        self.frames: dict[tuple[int, int], FrameState] = {}
        self.changed_frames: set[tuple[int, int]] = set()
        self.recorded = False

    def frame(self, feature: int, frame: int) -> FrameState:
        """A frame's state, changed in place by this edit.

        No copy is made (that would cost time in the number of cells): the project row lock
        keeps other edits of this project away, and a failed transaction empties the cache.
        """
        key = (feature, frame)
        if key not in self.frames:
            self.frames[key] = frame_state(self.project, feature, frame)
        return self.frames[key]

    def changing(self, feature: int, frame: int) -> FrameState:
        """A frame's state that this edit is about to change (dropped from the cache on failure)."""
        self.changed_frames.add((feature, frame))
        return self.frame(feature, frame)

    def tileset(self, feature: int, frame: int, box: tiling.Box) -> TileSet:
        key = (feature, frame)
        if key not in self.tilesets:
            self.tilesets[key] = TileSet(self.project, feature, frame, box)
        return self.tilesets[key]

    def frames_of(self, feature: int, cells: set[int]) -> dict[int, list[int]]:
        """Frames each cell is in after this edit so far (stored rows, overridden by edited frames)."""
        stored = cell_frames(self.project, feature, cells)
        result = {}
        for cell in cells:
            frames = set(stored.get(cell, ()))
            for (feature_, frame), state in self.frames.items():
                if feature_ != feature:
                    continue
                if state.has(cell):
                    frames.add(frame)
                else:
                    frames.discard(frame)
            result[cell] = sorted(frames)  # an empty list: the cell is gone everywhere
        return result

    def apply_window(
        self,
        feature: int,
        frame: int,
        box: tiling.Box,
        change: Callable[[np.ndarray, object], np.ndarray],
    ) -> None:
        """Run a pure label function on a window and record the pixels and cells it changed."""
        tileset = self.tileset(feature, frame, box)
        before = tileset.read(box)
        state = self.changing(feature, frame)
        cellmap = state.cellmap
        cellmap.next_value = max(cellmap.next_value, self.project.next_cell[feature])
        after = np.asarray(change(before.copy(), cellmap), dtype=np.int32)
        changed = tiling.changed_box(before, after)
        if changed is None:
            state.forget_unused()
            return
        y, x = box[0], box[1]
        patch_box = (y + changed[0], x + changed[1], y + changed[2], x + changed[3])
        sub = (slice(changed[0], changed[2]), slice(changed[1], changed[3]))
        tileset.write(patch_box, after[sub])
        self.changes.add_patch(feature, frame, patch_box, before[sub], after[sub])
        updates = update_index(state.index, before[sub], after[sub], patch_box[:2], cellmap.cells)
        for value, info in updates.items():
            self.changes.set_cell((feature, frame, value), state.index.get(value), info)
            if info is None:
                state.set(value, None)
            else:
                state.index[value] = info
        state.forget_unused()
        self._note_cells(feature, (info.cells for info in updates.values() if info is not None))

    def _note_cells(self, feature: int, cell_sets) -> None:
        top = max((max(cells) for cells in cell_sets if cells), default=0)
        if top >= self.project.next_cell[feature]:
            self.set_list("next_cell", _replace(self.project.next_cell, feature, top + 1))

    def set_list(self, name: str, value) -> None:
        self.changes.set_list(name, getattr(self.project, name), value)
        setattr(self.project, name, value)

    def save(self, version: int) -> None:
        for tileset in self.tilesets.values():
            tileset.save(version)
        self._write_cells()

    def _write_cells(self) -> None:
        for (feature, frame, value), (_, after) in self.changes.cells.items():
            write_cell_rows(self.project.id, feature, frame, value, after)


def _replace(items: list, position: int, value) -> list:
    items = list(items)
    items[position] = value
    return items


def write_cell_rows(
    project_id: str, feature: int, frame: int, value: int, info: ValueInfo | None
) -> None:
    db.session.execute(
        delete(CellValue).where(
            CellValue.project_id == project_id,
            CellValue.feature == feature,
            CellValue.frame == frame,
            CellValue.value == value,
        )
    )
    if info is not None:
        for row in value_rows(feature, frame, value, info):
            db.session.add(CellValue(project_id=project_id, **row))


# ---------------------------------------------------------------- the actions


def _require_int(args: dict, name: str, action: str) -> int:
    value = args.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise EditError(f"{action} needs '{name}' as a whole number.")
    return value


def _pixel_action(
    context: EditContext, action: str, args: dict, frame: int, feature: int, write_mode: str
) -> None:
    project = context.project
    spec = label_actions.ACTIONS[action]
    args = dict(args)
    if action == "watershed" and args.get("new_cell") is None:
        args["new_cell"] = project.next_cell[feature]  # the server picks unused ids
    args = spec.validate(args, project.height, project.width)
    state = context.frame(feature, frame)
    box = spec.window(args, project.height, project.width, state.cell_box, frame)
    channel = args.get("channel", 0)
    if spec.uses_raw and (
        isinstance(channel, bool)
        or not isinstance(channel, int)
        or not 0 <= channel < project.channels
    ):
        raise EditError(
            f"{action} reads raw channel {channel!r}, but the project has channels "
            f"0–{project.channels - 1}."
        )
    whole = (0, 0, project.height, project.width)
    if action == "flood":
        _check_flood_size(context, args, frame, feature)
        # A background flood never reaches past its region.
        whole = args.get("region") or whole
    while True:
        raw = raw_window(project, frame, channel, box) if spec.uses_raw else None
        try:
            context.apply_window(
                feature,
                frame,
                box,
                lambda window, cellmap, box=box, raw=raw: spec.apply(
                    window, box[:2], cellmap, args, raw, write_mode, (project.height, project.width)
                ),
            )
            return
        except label_actions.WindowTooSmall as more:
            # The clicked value's pixels (or the background) continue past the window.
            info = state.index.get(more.value)
            bigger = (
                tiling.union(box, whole)
                if info is None
                else _pad(tiling.union(box, info.box), 1, (0, 0, project.height, project.width))
            )
            box = (0, 0, project.height, project.width) if bigger == box else bigger


def _check_flood_size(context: EditContext, args: dict, frame: int, feature: int) -> None:
    """Refuse a background flood of a large frame unless it is bounded by a region."""
    project = context.project
    limit = current_app.config["FLOOD_MAX_PIXELS"]
    if args.get("region") is not None or project.height * project.width <= limit:
        return
    x, y = args["x"], args["y"]
    point = (y, x, y + 1, x + 1)
    if context.tileset(feature, frame, point).read(point)[0, 0] == 0:
        raise EditError(
            f"Flooding the background of a {project.width}×{project.height} frame could fill "
            f"most of it (more than {limit:,} pixels). Zoom in and flood within the visible "
            "region (send 'region' with the flood)."
        )


def _pad(box: tiling.Box, margin: int, limit: tiling.Box) -> tiling.Box:
    return (
        max(limit[0], box[0] - margin),
        max(limit[1], box[1] - margin),
        min(limit[2], box[2] + margin),
        min(limit[3], box[3] + margin),
    )


def _scope_frames(project: Project, frame: int, scope: str) -> range:
    return {
        "frame": range(frame, frame + 1),
        "past": range(0, frame + 1),
        "future": range(frame, project.frames),
        "all": range(project.frames),
    }[scope]


def _cell_action(context: EditContext, action: str, args: dict, frame: int, feature: int) -> None:
    project = context.project
    spec = label_actions.CELL_ACTIONS[action]
    args = spec.validate(dict(args))
    action = spec.name
    scope = args.get("scope", "frame")
    cell = args["cell"]
    other = args.get("other_cell")
    new_id = None
    if action == "new":
        # The server picks the id, so two annotators can never pick the same one.
        new_id = project.next_cell[feature]
        args["new_cell"] = new_id
        context.set_list("next_cell", _replace(project.next_cell, feature, new_id + 1))
    involved = {cell} | ({other} if other is not None else set())
    present = cell_frames(project, feature, involved)
    frames = [
        t
        for t in _scope_frames(project, frame, scope)
        if any(t in present.get(c, ()) for c in involved)
    ]
    if not frames:
        raise EditError(f"Cell {cell} is not in the frames of scope '{scope}' (feature {feature}).")
    for t in frames:
        state = context.frame(feature, t)
        box = None
        for c in involved:
            box = tiling.union(box, state.cell_box(c))
        context.apply_window(
            feature,
            t,
            box,
            lambda window, cellmap: spec.apply(window, cellmap, args),
        )
    cells = involved | ({new_id} if new_id else set())
    frames_after = context.frames_of(feature, cells)
    if feature == 0 and project.divisions:
        context.set_list(
            "divisions",
            label_actions.update_divisions(
                project.divisions, action, cell, other, new_id, frames, frames_after
            ),
        )
    if project.cell_types:
        context.set_list(
            "cell_types",
            label_actions.update_cell_types(
                project.cell_types,
                action,
                cell,
                other,
                new_id,
                {c for c, found in frames_after.items() if found},
            ),
        )


def _division_action(context: EditContext, action: str, args: dict) -> None:
    project = context.project
    parent = _require_int(args, "parent", action)
    daughter = _require_int(args, "daughter", action)
    if set(args) - {"parent", "daughter"}:
        raise EditError(f"{action} takes only 'parent' and 'daughter'.")
    function = (
        label_actions.add_daughter if action == "add_daughter" else label_actions.remove_daughter
    )
    frames = presence.presence(project)  # every cell's frames, kept current per process
    context.set_list("divisions", function(project.divisions, parent, daughter, frames))


def _cell_type_action(context: EditContext, action: str, args: dict) -> None:
    context.set_list(
        "cell_types",
        label_actions.apply_cell_type_action(context.project.cell_types, action, dict(args)),
    )


def _rename_channel(context: EditContext, args: dict) -> None:
    project = context.project
    if set(args) != {"channel", "name"}:
        raise EditError("rename_channel takes exactly 'channel' and 'name'.")
    channel, name = args["channel"], args["name"]
    if isinstance(channel, bool) or not isinstance(channel, int):
        raise EditError("rename_channel needs 'channel' as a whole number.")
    if not 0 <= channel < project.channels:
        raise EditError(f"Channel {channel} does not exist; the project has {project.channels}.")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise EditError("A channel name is text of 1 to 100 characters.")
    context.set_list("channel_names", _replace(project.channel_names, channel, name.strip()))


def _dispatch(
    context: EditContext, action: str, args: dict, frame: int, feature: int, write_mode: str
) -> None:
    if action in label_actions.ACTIONS:
        _pixel_action(context, action, args, frame, feature, write_mode)
    elif action in label_actions.CELL_ACTIONS:
        _cell_action(context, action, args, frame, feature)
    elif action in DIVISION_ACTIONS:
        _division_action(context, action, args)
    elif action in CELL_TYPE_ACTIONS:
        _cell_type_action(context, action, args)
    elif action == "rename_channel":
        _rename_channel(context, args)
    else:
        known = sorted(
            [
                *label_actions.ACTIONS,
                *label_actions.CELL_ACTIONS,
                *DIVISION_ACTIONS,
                *CELL_TYPE_ACTIONS,
                *PROJECT_ACTIONS,
            ]
        )
        raise EditError(f"Unknown action {action[:80]!r}. Known actions: {', '.join(known)}.")


# ---------------------------------------------------------------- transactions


def _lock(project_id: str) -> Project:
    """Lock the project row for this transaction (serializes edits to a project everywhere)."""
    locked = db.session.execute(
        update(Project).where(Project.id == project_id).values(version=Project.version)
    )
    if locked.rowcount == 0:
        get_project(project_id)  # raises the user-facing "no such project"
    return db.session.execute(
        select(Project).where(Project.id == project_id).execution_options(populate_existing=True)
    ).scalar_one()


def _transaction(project_id: str, work: Callable[[EditContext], dict]) -> dict:
    """Run `work` in one transaction, retried on lock timeouts and deadlocks.

    On failure, the frame states the edit had begun to change are dropped from the cache.
    """
    for attempt in range(RETRIES):
        context = None
        try:
            context = EditContext(require_ready(_lock(project_id)))
            result = work(context)
            db.session.commit()
            return result
        except BaseException as error:
            db.session.rollback()
            if context is not None and context.recorded:
                presence.forget(project_id)
            if context is not None:
                # Once recorded, every frame the edit loaded is cached under a version that
                # was never committed: drop them all; before that, only what it changed.
                frames = context.frames if context.recorded else context.changed_frames
                frame_cache.drop(project_id, frames)
            if not isinstance(error, OperationalError) or attempt == RETRIES - 1:
                raise
            log.warning("retrying an edit of %s after %s", project_id, error.orig)
            time.sleep(0.01 * 2**attempt)
    raise AssertionError("unreachable")


def _record(
    project: Project,
    context: EditContext,
    kind: str,
    action: str,
    args: dict,
    frame: int,
    feature: int,
    write_mode: str,
    target: int | None,
    author: str,
) -> Edit:
    version = project.version + 1
    context.recorded = True
    context.save(version)
    edit = Edit(
        project_id=project.id,
        version=version,
        kind=kind,
        action=action,
        args=args,
        frame=frame,
        feature=feature,
        write_mode=write_mode,
        state="applied" if kind == "edit" else "done",
        target=target,
        author=author[:255],
        touched=context.changes.touched,
        changes=context.changes.encode(),
    )
    db.session.add(edit)
    project.version = version
    for (feature_, frame_), state in context.frames.items():
        frame_cache.put((project.id, feature_, frame_), version, state)
    return edit


def undo_state(project: Project, known: dict | None = None) -> dict:
    """Whether undo and redo are possible; `known` gives answers the caller already has."""
    known = known or {}

    def exists(state: str) -> bool:
        return (
            db.session.execute(
                select(Edit.version)
                .where(Edit.project_id == project.id, Edit.kind == "edit", Edit.state == state)
                .limit(1)
            ).first()
            is not None
        )

    return {
        "can_undo": known["can_undo"] if "can_undo" in known else exists("applied"),
        "can_redo": known["can_redo"] if "can_redo" in known else exists("undone"),
    }


def _answer(project: Project, base_version: int | None, own: list[dict], known: dict) -> dict:
    edits = own
    if base_version is not None and base_version < project.version - len(own):
        edits = edits_since(project, base_version)
    return {
        "version": project.version,
        "edits": edits,
        "findings": validation_findings(project),
        **undo_state(project, known),
    }


def describe_edit(edit: Edit, changes: ChangeSet | None = None) -> dict:
    changes = changes or ChangeSet.decode(edit.changes)
    return {
        "version": edit.version,
        "kind": edit.kind,
        "action": edit.action,
        "target": edit.target,
        "frame": edit.frame,
        "feature": edit.feature,
        **changes.describe(),
    }


def edits_since(project: Project, since: int) -> list[dict]:
    rows = db.session.execute(
        select(Edit)
        .where(Edit.project_id == project.id, Edit.version > since)
        .order_by(Edit.version)
    ).scalars()
    return [describe_edit(edit) for edit in rows]


def _check_base(project: Project, base_version: int | None) -> None:
    if base_version is not None and base_version > project.version:
        raise EditError(
            f"'base_version' {base_version} is newer than the project (version {project.version}). "
            "Reload the project."
        )


def _parse_base_version(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EditError(
            "'base_version' must be the project version the client last saw (a whole number ≥ 0)."
        )
    return value


def apply_edit(project_id: str, request: dict, author: str = "") -> dict:
    """Apply one edit request `{action, args, frame, feature, write_mode, base_version}`."""
    if not isinstance(request, dict):
        raise EditError("Send the edit as a JSON object with 'action' and 'args'.")
    extra = set(request) - {"action", "args", "frame", "feature", "write_mode", "base_version"}
    if extra:
        named = ", ".join(repr(name[:40]) for name in sorted(extra)[:5])
        raise EditError(
            f"Unknown fields {named} in the edit; allowed: action, args, frame, feature, "
            "write_mode, base_version."
        )
    action = request.get("action")
    if not isinstance(action, str) or not action:
        raise EditError("The edit needs an 'action' such as 'brush'.")
    args = request.get("args", {})
    if not isinstance(args, dict):
        raise EditError("'args' must be a JSON object.")
    write_mode = request.get("write_mode") or "exclude"
    if write_mode not in WRITE_MODES:
        raise EditError(
            f"'write_mode' must be one of {', '.join(WRITE_MODES)}, not {write_mode!r}."
        )
    base_version = _parse_base_version(request.get("base_version"))
    frame = request.get("frame", 0)
    feature = request.get("feature", 0)

    if isinstance(frame, int) and isinstance(feature, int) and action in label_actions.ACTIONS:
        prefetch_frame(project_id, feature, frame)

    def work(context: EditContext) -> dict:
        project = context.project
        _check_base(project, base_version)
        for name, value, count in (
            ("frame", frame, project.frames),
            ("feature", feature, project.features),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < count:
                raise EditError(f"'{name}' must be between 0 and {count - 1}, not {value!r}.")
        _dispatch(context, action, args, frame, feature, write_mode)
        db.session.execute(
            update(Edit)
            .where(Edit.project_id == project.id, Edit.kind == "edit", Edit.state == "undone")
            .values(state="discarded")
        )
        edit = _record(
            project, context, "edit", action, args, frame, feature, write_mode, None, author
        )
        # An edit was just applied and every undone edit discarded.
        known = {"can_undo": True, "can_redo": False}
        return _answer(project, base_version, [describe_edit(edit, context.changes)], known)

    return _transaction(project_id, work)


def _replay(context: EditContext, changes: ChangeSet) -> None:
    """Apply a stored change set (forwards); used by undo (with its inverse) and redo."""
    for patch in changes.patches:
        tileset = context.tileset(patch.feature, patch.frame, patch.box)
        tileset.write(patch.box, patch.values("after"))
        context.changes.patches.append(patch)
    for (feature, frame, value), (before, after) in changes.cells.items():
        context.changes.set_cell((feature, frame, value), before, after)
        context.changing(feature, frame).set(value, after)
    for name, (_, after) in changes.lists.items():
        context.set_list(name, after)


def _step(project_id: str, direction: str, base_version: int | None, author: str) -> dict:
    def work(context: EditContext) -> dict:
        project = context.project
        _check_base(project, base_version)
        state = "applied" if direction == "undo" else "undone"
        order = Edit.version.desc() if direction == "undo" else Edit.version.asc()
        target = db.session.execute(
            select(Edit)
            .where(Edit.project_id == project.id, Edit.kind == "edit", Edit.state == state)
            .order_by(order)
            .limit(1)
        ).scalar_one_or_none()
        if target is None:
            raise ConflictError(f"There is nothing to {direction}.")
        changes = ChangeSet.decode(target.changes)
        _replay(context, changes.inverse() if direction == "undo" else changes)
        target.state = "undone" if direction == "undo" else "applied"
        edit = _record(
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
        known = {"can_redo": True} if direction == "undo" else {"can_undo": True}
        return _answer(project, base_version, [describe_edit(edit, context.changes)], known)

    return _transaction(project_id, work)


def undo(project_id: str, base_version: int | None = None, author: str = "") -> dict:
    return _step(project_id, "undo", _parse_base_version(base_version), author)


def redo(project_id: str, base_version: int | None = None, author: str = "") -> dict:
    return _step(project_id, "redo", _parse_base_version(base_version), author)


def history(project_id: str, since: int) -> dict:
    project = get_project(project_id)
    if since < 0:
        raise EditError("'since' must be a version number ≥ 0.")
    return {
        "version": project.version,
        "edits": edits_since(project, since),
        "findings": validation_findings(project),
        **undo_state(project),
    }
