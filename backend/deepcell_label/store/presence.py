"""In which frames each cell of each label feature is present, kept current per process.

Validating divisions after every edit needs the frames of thousands of cells; reading them from
`cell_values` each time would cost time in the size of the project. Instead each process keeps,
per project and feature, a count per cell and frame of the label values that encode the cell,
and brings it up to date from the history's change records (the same records that undo uses),
so an edit costs what it changed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping

import numpy as np
from sqlalchemy import select

from . import relabels
from .history import ChangeSet
from .models import Edit, Project, db

CATCH_UP = 256
CACHED_PROJECTS = 8


class Presence(Mapping[int, list[int]]):
    """cell -> frames (ascending) in which some value of one feature encodes the cell.

    Counts live in one table (a row per cell, a column per frame), so the first and last frame
    of every cell come from a few array operations.
    """

    def __init__(self, frames: int, feature: int = 0) -> None:
        self.frames = frames
        self.feature = feature
        self.rows: dict[int, int] = {}
        self.table = np.zeros((64, frames), np.int32)
        self._spans: tuple[dict[int, int], dict[int, int]] | None = None

    def add(self, cell: int, frame: int, count: int) -> None:
        row = self.rows.get(cell)
        if row is None:
            row = self.rows[cell] = len(self.rows)
            if row >= len(self.table):
                self.table = np.concatenate([self.table, np.zeros_like(self.table)])
        self.table[row, frame] += count
        self._spans = None

    def apply(self, changes: ChangeSet) -> None:
        for (feature, frame, _value), (before, after) in changes.cells.items():
            if feature != self.feature:
                continue
            for cell in before.cells if before else ():
                self.add(cell, frame, -1)
            for cell in after.cells if after else ():
                self.add(cell, frame, 1)
        for (feature, frame), relabel in changes.relabels.items():
            if feature != self.feature:
                continue
            self.add_many(relabel.before, frame, -1)
            self.add_many(relabel.after, frame, 1)

    def add_many(self, cells: np.ndarray, frame: int, count: int) -> None:
        """:meth:`add` for many cells of one frame (a relabelling), the counts added at once."""
        rows = self.rows
        for cell in cells.tolist():  # rows for cells never seen
            if cell not in rows:
                self.add(cell, frame, 0)
        at = np.fromiter((rows[cell] for cell in cells.tolist()), np.int64, cells.size)
        np.add.at(self.table[:, frame], at, count)
        self._spans = None

    def spans(self) -> tuple[dict[int, int], dict[int, int]]:
        """First and last frame of every cell that is present somewhere."""
        if self._spans is None:
            present = self.table[: len(self.rows)] > 0
            anywhere = present.any(axis=1)
            first = present.argmax(axis=1)
            last = self.frames - 1 - present[:, ::-1].argmax(axis=1)
            cells = np.fromiter(self.rows, np.int64, len(self.rows))[anywhere]
            self._spans = (
                dict(zip(cells.tolist(), first[anywhere].tolist(), strict=True)),
                dict(zip(cells.tolist(), last[anywhere].tolist(), strict=True)),
            )
        return self._spans

    def __getitem__(self, cell: int) -> list[int]:
        return np.flatnonzero(self.table[self.rows[cell]] > 0).tolist()

    def get(self, cell: int, default=None):
        return self[cell] if cell in self.rows else default

    def __iter__(self) -> Iterator[int]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


class _Entry:
    def __init__(self, version: int, presence: Presence) -> None:
        self.version = version
        self.presence = presence
        self.lock = threading.Lock()


_entries: dict[tuple[str, int], _Entry] = {}
_entries_lock = threading.Lock()


def _load(project: Project, feature: int) -> Presence:
    presence = Presence(project.frames, feature)
    for cell, frame, count in relabels.frame_counts(project.id, feature):
        presence.add(cell, frame, count)
    return presence


def _records(project_id: str, after: int, upto: int) -> list[bytes]:
    """The change records of the versions after `after` up to `upto`: exactly those, so that
    a record committed by another process since `upto` was read is not applied twice."""
    return list(
        db.session.execute(
            select(Edit.changes)
            .where(Edit.project_id == project_id, Edit.version > after, Edit.version <= upto)
            .order_by(Edit.version)
        ).scalars()
    )


def presence(project: Project, feature: int = 0) -> Presence:
    """The presence of a feature's cells at the project's current version; shared, so read it
    and let go.

    Inside an edit's transaction the edit's own record is already flushed, so it is included;
    if that transaction fails, :func:`forget` drops what it taught the cache.
    """
    with _entries_lock:
        entry = _entries.get((project.id, feature))
    if entry is None or not 0 <= project.version - entry.version <= CATCH_UP:
        entry = _Entry(project.version, _load(project, feature))
        with _entries_lock:
            if len(_entries) >= CACHED_PROJECTS and (project.id, feature) not in _entries:
                _entries.pop(next(iter(_entries)))
            _entries[project.id, feature] = entry
    with entry.lock:
        if entry.version < project.version:
            records = _records(project.id, entry.version, project.version)
            if len(records) != project.version - entry.version:
                # A version without its record (a history being rewritten): load afresh.
                entry.presence = _load(project, feature)
            else:
                for data in records:
                    entry.presence.apply(ChangeSet.decode(data))
            entry.version = project.version
        return entry.presence


def forget(project_id: str) -> None:
    with _entries_lock:
        for key in [key for key in _entries if key[0] == project_id]:
            _entries.pop(key, None)
