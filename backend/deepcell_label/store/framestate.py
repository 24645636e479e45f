"""The frame states edits work on: each label frame's index (value -> cells, area, box) and cell
map, cached per process and kept correct across processes from the history's records."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from .. import labels as label_actions
from ..formats import tiling
from ..labels.overlay import Overlay
from . import relabels
from .cellindex import FrameIndex, PackedFrame, ValueInfo, pack_index, value_rows
from .history import ChangeSet, Relabel
from .models import CellValue, Edit, FrameCheckpoint, Project, db

FRAME_CACHE_SIZE = 64
CACHE_CATCH_UP = 64  # beyond this many unseen versions, reload a frame's state instead
CHECKPOINT_CATCH_UP = 5000  # edits after a checkpoint that a load may replay
CHECKPOINT_REFRESH = 256  # a load replaying more than this writes a newer checkpoint
REBUILD_AT = 2000  # changed values from which a frame's maps are built anew
REBUILD_SHARE = 0.25  # ... or this share of the frame's values
BIG_CHANGE = 2000  # cell entries from which an edit writes the checkpoints of what it changed
RELABELS_BEHIND = 4  # versions a checkpoint may lag behind relabellings of its frame
LAZY_FRAMES = 8  # ... when the relabelling changed at most this many frames


@dataclass
class FrameState:
    """A frame's index (value -> cells, area, box) and its cell map, kept in step."""

    index: FrameIndex
    cellmap: label_actions.CellMap

    @classmethod
    def packed(cls, data: bytes) -> FrameState:
        """The state of a packed checkpoint, opened without unpacking it (see PackedFrame)."""
        frame = PackedFrame(data)
        return cls(frame.index(), frame.cellmap())

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

    def plain(self) -> FrameIndex:
        """The index as a plain dict. A state opened from a checkpoint is a lazy view that
        looks each value up in packed arrays: cheap for the few values of a brush edit, slow
        for a relabelling that reads or changes most of them."""
        if isinstance(self.index, Overlay):
            self.index = self.index.as_dict()
        return self.index

    def set_many(self, changes: dict[int, ValueInfo]) -> None:
        """New infos for many existing values at once (a relabelling). Past a few thousand, or
        a quarter of the frame, the maps are built anew, which is several times faster than
        changing each entry."""
        if len(changes) < REBUILD_AT and len(changes) < REBUILD_SHARE * len(self.index):
            # Forgotten first, so that no two values encode the same cells on the way.
            for value in changes:
                self.cellmap.remove(value)
            for value, info in changes.items():
                self.set(value, info)
            return
        index = dict(self.plain())
        index.update(changes)
        self.index = index
        cells = {value: info.cells for value, info in index.items()}
        self.cellmap = label_actions.CellMap.from_sets(cells, self.cellmap.next_value)

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

    def put(self, key, version: int, state: FrameState, replace: bool = True) -> None:
        """Cache a state; with `replace` False only where none is cached (one may be in use)."""
        with self.lock:
            if key in self.entries and not replace:
                return
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
    for value, cell in relabels.frame_cells(project_id, feature, frame).items():
        cells[value] = {cell}
    return {value: ValueInfo(frozenset(found), *first[value]) for value, found in cells.items()}


def prefetch_frame(project_id: str, feature: int, frame: int) -> None:
    """Load a frame's state into the cache before an edit locks the project.

    Reading a large frame's index takes a while; done here, outside the lock, other edits of
    the project do not wait for it. Under the lock the state is brought up to date from the
    history. A frame already cached is left alone: its state belongs to whichever edit holds
    the lock, which may be changing it in place. The transaction is ended afterwards, so the
    edit's own reads start afresh.
    """
    try:
        project = db.session.get(Project, project_id)
        if (
            project is not None
            and project.status == "ready"
            and 0 <= feature < project.features
            and 0 <= frame < project.frames
        ):
            warm_frame(project, feature, frame)
        db.session.commit()  # a checkpoint it may have refreshed
    except Exception:
        db.session.rollback()
        raise


def frame_state(project: Project, feature: int, frame: int) -> FrameState:
    """The frame's state at the project's current version, for an edit holding the project's
    lock (the state is shared through the cache, and the edit changes it in place).

    A cached state is reused when no edit since it was cached touched the frame, which the
    history's `touched` column tells, so processes sharing one database stay correct.
    """
    key = (project.id, feature, frame)
    entry = frame_cache.get(key)
    if entry is not None and entry.version != project.version:
        entry = _catch_up(project, feature, frame, entry)
    state = read_state(project, feature, frame) if entry is None else entry.state
    frame_cache.put(key, project.version, state)
    return state


def warm_frame(project: Project, feature: int, frame: int) -> None:
    """Load a frame's state into the cache unless one is there already (without the project's
    lock: a cached state is never touched, the loaded one is only added where none was)."""
    key = (project.id, feature, frame)
    if frame_cache.get(key) is None:
        frame_cache.put(key, project.version, read_state(project, feature, frame), replace=False)


def read_state(project: Project, feature: int, frame: int) -> FrameState:
    """A frame's state of the caller's own, from its checkpoint and the edits since, or from
    its rows. Readers that do not hold the project's lock (measurements, learning, linking)
    use this, not the cached state, which an edit on another thread may be changing in place.

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
        start = CachedFrame(row.version, FrameState.packed(row.data))
        entry = _catch_up(project, feature, frame, start, CHECKPOINT_CATCH_UP)
        if entry is not None:
            if project.version - row.version > CHECKPOINT_REFRESH:
                _write_checkpoint(project, feature, frame, entry.state.index)
            return entry.state
    index = _load_index(project.id, feature, frame)
    _write_checkpoint(project, feature, frame, index)
    return FrameState.build(index)


def _write_checkpoint(
    project: Project, feature: int, frame: int, index: FrameIndex, version: int | None = None
) -> None:
    """Store the frame's packed index as its checkpoint at `version` (the project's by
    default), unless a checkpoint as new is there."""
    version = project.version if version is None else version
    key = dict(project_id=project.id, feature=feature, frame=frame)
    data = pack_index(index)
    try:
        with db.session.begin_nested():
            updated = db.session.execute(
                update(FrameCheckpoint)
                .where(*[getattr(FrameCheckpoint, k) == v for k, v in key.items()])
                .where(FrameCheckpoint.version < version)
                .values(version=version, data=data)
            ).rowcount
            if not updated:
                db.session.add(FrameCheckpoint(**key, version=version, data=data))
    except IntegrityError:
        pass  # another process wrote it first, or a checkpoint as new is there
    except OperationalError:
        # On SQLite, a reader's snapshot (store/snapshot.py) that an edit has moved past cannot
        # write; the checkpoint only saves time, and a later reader writes it.
        if db.session.get_bind().dialect.name != "sqlite":
            raise


def checkpoint_large_changes(
    project: Project, version: int, states: dict[tuple[int, int], FrameState], changes: ChangeSet
) -> None:
    """With an edit of BIG_CHANGE cell entries or more (its entries and relabelled values),
    write the checkpoint of every frame it changed.

    A later load would otherwise replay that record, and decoding a record of tens of
    thousands of entries is the cost, paid again by every frame it touched (a link of a whole
    movie, its undo): with a few such records in a row, loading a movie took minutes.

    A frame only relabelled by an edit of a few frames (a propagate, its undo) is cheaper to
    replay: its record is three arrays. Its checkpoint is written only once it lags
    RELABELS_BEHIND versions, so a load replays at most that many relabellings of the frame.
    An edit relabelling many frames (a linking, its undo) writes them all: the frames drop out
    of the process's cache, and their replays, one per frame loaded, cost more than the
    checkpoints.
    """
    if len(changes.cells) + changes.relabelled < BIG_CHANGE:
        return
    with_entries = {(feature, frame) for feature, frame, _ in changes.cells}
    frames = [key for key in with_entries | set(changes.relabels) if key in states]
    if len(frames) > LAZY_FRAMES:
        lagging = set(frames)
    else:
        lagging = with_entries | _lagging_checkpoints(
            project.id, [key for key in frames if key not in with_entries], version
        )
    for key in frames:
        if key in lagging:
            _write_checkpoint(project, *key, states[key].index, version)


def _lagging_checkpoints(
    project_id: str, frames: list[tuple[int, int]], version: int
) -> set[tuple[int, int]]:
    """Which of the frames have no checkpoint, or one RELABELS_BEHIND versions or more before
    ``version``."""
    if not frames:
        return set()
    recent = set()
    features = {feature for feature, _ in frames}
    for feature in features:
        numbers = sorted(frame for f, frame in frames if f == feature)
        for start in range(0, len(numbers), 500):
            recent |= {
                (feature, frame)
                for (frame,) in db.session.execute(
                    select(FrameCheckpoint.frame).where(
                        FrameCheckpoint.project_id == project_id,
                        FrameCheckpoint.feature == feature,
                        FrameCheckpoint.frame.in_(numbers[start : start + 500]),
                        FrameCheckpoint.version > version - RELABELS_BEHIND,
                    )
                )
            }
    return set(frames) - recent


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
    for version in needed:
        entries, relabel = _frame_changes(project.id, version).get((feature, frame), ((), None))
        for value, after in entries:
            entry.state.set(value, after)
        if relabel is not None:
            entry.state.set_many(relabelled(entry.state.plain(), relabel.values, relabel.after))
    return entry


def relabelled(index: FrameIndex, values: np.ndarray, cells: np.ndarray) -> dict[int, ValueInfo]:
    """The index entries of ``values`` each given one cell of ``cells`` (area and box kept).

    The entries are made by tuple.__new__, not the named tuple's own constructor (a Python
    function): a relabelling makes one per value, and this way costs a third less.
    """
    make = tuple.__new__
    entries = {}
    for value, cell in zip(values.tolist(), cells.tolist(), strict=True):
        info = index[value]
        entries[value] = make(ValueInfo, (frozenset((cell,)), info[1], info[2]))
    return entries


RECORDS_KEPT = 4
_records: OrderedDict[tuple[str, int], dict] = OrderedDict()
_records_lock = threading.Lock()


def _frame_changes(project_id: str, version: int) -> dict:
    """A history record's cell entries and relabelling by (feature, frame), decoded once and kept for a few
    records: an edit that changed every frame of a movie (a linking, its undo) would otherwise
    be decoded again for each frame that catches up with it."""
    key = (project_id, version)
    with _records_lock:
        if key in _records:
            _records.move_to_end(key)
            return _records[key]
    data = db.session.execute(
        select(Edit.changes).where(Edit.project_id == project_id, Edit.version == version)
    ).scalar_one()
    changes = ChangeSet.decode(data)
    by_frame: dict[tuple[int, int], tuple[list, Relabel | None]] = {}
    for (feature, frame, value), (_, after) in changes.cells.items():
        by_frame.setdefault((feature, frame), ([], None))[0].append((value, after))
    for key, relabel in changes.relabels.items():
        by_frame[key] = (by_frame.get(key, ([], None))[0], relabel)
    with _records_lock:
        _records[key] = by_frame
        while len(_records) > RECORDS_KEPT:
            _records.popitem(last=False)
    return by_frame


def cell_frames(
    project: Project, feature: int, cells: set[int] | None = None
) -> dict[int, list[int]]:
    """In which frames each cell appears (all cells, or the given ones)."""
    counts: dict[tuple[int, int], int] = {}
    for cell, frame, count in relabels.frame_counts(project.id, feature, cells):
        counts[cell, frame] = counts.get((cell, frame), 0) + count
    frames: dict[int, list[int]] = {}
    for cell, frame in sorted(key for key, count in counts.items() if count > 0):
        frames.setdefault(cell, []).append(frame)
    return frames


ROWS_PER_STATEMENT = 500


def write_cells(
    project_id: str,
    entries: list[tuple[int, int, int, ValueInfo | None, ValueInfo | None]],
    relabellings: dict[tuple[int, int], Relabel],
) -> None:
    """Store an edit's cell index changes: the entries (feature, frame, value, info before the
    edit and after it, None where the value has no pixel) of changed values as rows, their old
    rows deleted (a value new to the frame has none) and new ones inserted, many per
    statement; then its relabellings, as one mapping per frame (store/relabels.py), which the
    values whose rows were written leave first."""
    by_frame: dict[tuple[int, int], dict[int, frozenset[int] | None]] = {}
    rows = []
    gone = []
    for feature, frame, value, before, info in entries:
        by_frame.setdefault((feature, frame), {})[value] = info.cells if info else None
        if before is not None:
            gone.append({"p": project_id, "f": feature, "t": frame, "v": value})
        if info is not None:
            rows += value_rows(feature, frame, value, info, project_id)
    table = CellValue.__table__
    # One statement run for many values (executemany): its SQL is compiled once.
    forget = delete(table).where(
        table.c.project_id == bindparam("p"),
        table.c.feature == bindparam("f"),
        table.c.frame == bindparam("t"),
        table.c.value == bindparam("v"),
    )
    if gone:
        db.session.execute(forget, gone)
    for start in range(0, len(rows), ROWS_PER_STATEMENT * 10):
        # Core's insert: the ORM's bulk insert would spend more time on each row than SQL does.
        db.session.execute(
            CellValue.__table__.insert(), rows[start : start + ROWS_PER_STATEMENT * 10]
        )
    relabels.store(project_id, by_frame, relabellings)
