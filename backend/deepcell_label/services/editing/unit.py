"""The unit of work of one edit: its context (frame states, tiles, the change record), the
transaction under the project's row lock, and the history record it writes."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from ...formats import tiling
from ...labels.overlay import get_many
from ...store import presence
from ...store.cellindex import update_index
from ...store.framestate import (
    FrameState,
    cell_frames,
    checkpoint_large_changes,
    frame_cache,
    frame_state,
    write_cells,
)
from ...store.history import ChangeSet
from ...store.labelstore import TileSet
from ...store.models import Edit, Project, db, utcnow
from ...store.projects import get_project, require_ready

log = logging.getLogger(__name__)

RETRIES = 5


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
        befores = get_many(state.index, list(updates))
        for (value, info), before_info in zip(updates.items(), befores, strict=True):
            self.changes.set_cell((feature, frame, value), before_info, info)
            if info is None:
                state.set(value, None)
            else:
                state.index[value] = info
        state.forget_unused()
        self._note_cells(feature, (info.cells for info in updates.values() if info is not None))

    def _note_cells(self, feature: int, cell_sets) -> None:
        top = max((max(cells) for cells in cell_sets if cells), default=0)
        if top >= self.project.next_cell[feature]:
            self.set_list("next_cell", replace_item(self.project.next_cell, feature, top + 1))

    def set_list(self, name: str, value) -> None:
        self.changes.set_list(name, getattr(self.project, name), value)
        setattr(self.project, name, value)

    def publish(self) -> None:
        """Share what the committed edit wrote with later requests of this process."""
        for tileset in self.tilesets.values():
            tileset.publish()

    def save(self, version: int) -> None:
        for tileset in self.tilesets.values():
            tileset.save(version)
        self._write_cells()

    def _write_cells(self) -> None:
        write_cells(
            self.project.id,
            [
                (feature, frame, value, before, after)
                for (feature, frame, value), (before, after) in self.changes.cells.items()
            ],
            self.changes.relabels,
        )


def discard_undone(project: Project, author: str) -> None:
    """A new edit ends what its author could redo; others keep theirs."""
    db.session.execute(
        update(Edit)
        .where(
            Edit.project_id == project.id,
            Edit.author == author,
            Edit.kind == "edit",
            Edit.state == "undone",
        )
        .values(state="discarded")
    )


def replace_item(items: list, position: int, value) -> list:
    items = list(items)
    items[position] = value
    return items


def lock_project(project_id: str) -> Project:
    """Lock the project row for this transaction (serializes edits to a project everywhere)."""
    locked = db.session.execute(
        update(Project).where(Project.id == project_id).values(version=Project.version)
    )
    if locked.rowcount == 0:
        get_project(project_id)  # raises the user-facing "no such project"
    return db.session.execute(
        select(Project).where(Project.id == project_id).execution_options(populate_existing=True)
    ).scalar_one()


_collector = threading.Lock()
_edits_running = 0
_collector_was_on = True
_paused_since = 0.0
_frozen = False  # the objects of the process's first edit's end moved out of the collector's way
# Edits that overlap without a break keep the collector paused; cycles then wait at most this
# long before one collection runs (between edits, outside the lock).
LONGEST_PAUSE_SECONDS = 10.0


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while edits run (in any thread), resumed after the last.

    A process serving large frames caches millions of small objects (each value's entry), and
    an edit that relabels thousands of values allocates enough to start full collections, each
    walking that whole cache: they cost a relabelling more than its own work. What an edit
    allocates is freed by reference counting; cycles wait for the next collection after it.

    Once the process's first edits have ended, the objects then alive are frozen (see
    _freeze_long_lived): the later full collections walk only what was made since.
    """
    global _edits_running, _collector_was_on, _paused_since
    with _collector:
        _edits_running += 1
        if _edits_running == 1:
            _collector_was_on = gc.isenabled()
            _paused_since = time.monotonic()
            gc.disable()
    try:
        yield
    finally:
        overdue = freeze = False
        with _collector:
            _edits_running -= 1
            if _edits_running == 0 and _collector_was_on:
                freeze = not _frozen
                gc.enable()
            elif _collector_was_on and time.monotonic() - _paused_since > LONGEST_PAUSE_SECONDS:
                overdue = True
                _paused_since = time.monotonic()
        if overdue:
            gc.collect()
        if freeze:
            _freeze_long_lived()


def _freeze_long_lived() -> None:
    """Collect cycles once, then freeze what is alive (gc.freeze): the modules, functions and
    classes of the app and its libraries, the cached frames. Every full collection walked them
    (a few hundred thousand objects, 150 to 350 ms each time, every few large edits); frozen,
    the collector no longer looks at them.

    Memory: a frozen object is still freed by reference counting when its last reference goes
    (a frame leaving the cache: its entries hold no cycles), but a frozen object that later
    becomes part of unreachable cycles is never collected. Freezing once, after a collection,
    bounds that to the cycles among the objects alive at that moment that die later (the
    state of requests then running on other threads): a one-time loss, not a growing leak.
    The process's first edit pays the one collection.
    """
    global _frozen
    with _collector:
        if _frozen:
            return
        _frozen = True
    gc.collect()
    gc.freeze()


def transaction(project_id: str, work: Callable[[EditContext], dict]) -> dict:
    """Run `work` in one transaction, retried on lock timeouts and deadlocks, with the cycle
    collector paused (see collector_paused).

    On failure, the frame states the edit had begun to change are dropped from the cache.
    """
    with collector_paused():
        return _transaction(project_id, work)


def _transaction(project_id: str, work: Callable[[EditContext], dict]) -> dict:
    for attempt in range(RETRIES):
        context = None
        try:
            context = EditContext(require_ready(lock_project(project_id)))
            result = work(context)
            db.session.commit()
            context.publish()
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


def record(
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
    checkpoint_large_changes(project, version, context.frames, context.changes)
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
        created=utcnow(),  # now, not at the flush: the answer tells it
        touched=context.changes.touched,
        changes=context.changes.encode(),
    )
    db.session.add(edit)
    project.version = version
    for (feature_, frame_), state in context.frames.items():
        frame_cache.put((project.id, feature_, frame_), version, state)
    return edit


def record_job_edit(
    context: EditContext, action: str, params: dict, frame: int, feature: int, author: str
) -> Edit:
    """Record what a job changed (linking, segmenting) as one edit of its author's, which ends
    what they could redo."""
    discard_undone(context.project, author)
    return record(
        context.project, context, "edit", action, params, frame, feature, "exclude", None, author
    )
