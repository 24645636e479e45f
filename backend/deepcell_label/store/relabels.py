"""The cells that relabellings gave a frame's values, kept as one packed mapping per frame, and
the readings of `cell_values` that apply it.

A relabelling (propagate, a linking, their undo) changes which cell thousands of values encode
and nothing else. Storing it as rows (one update per value, or the frame's rows written anew)
made it cost in the number of values: propagating a 2048² frame of 10,404 cells spent about
50 of its 150 ms writing the frame's rows (35 ms of it in SQL), and undoing a linked movie of
100 frames wrote 50,000 rows. Instead each relabelled frame has one `frame_relabels` row
holding three arrays — the values, the cell their `cell_values` row names, the cell they encode
now — so a relabelling reads and writes one row per frame whatever its size, like a few brush
edits.

Rows stay the truth for everything else (areas, boxes, values of several cells): a mapped value
always has exactly one row, a relabelling moving only values of one cell. An edit that writes a
value's rows anew takes the value out of its frame's mapping; a value given back its row's cell
leaves it. Readers of cells (:func:`frame_cells`, :func:`frame_counts`, :func:`distinct_cells`,
the frame index and the cells list) apply the mapping, so they answer as if the rows had been
updated.

With the mapping, that write is one read and one insert of a 250 KB row (a few ms), and the
linking's undo writes one row per frame. Also considered: skipping the row writes when a
relabelling is a permutation of a frame's cells (it rarely is: a propagate gives unmatched
cells new ids), and writing rows faster (they already went as literals, a few thousand per
statement; SQL itself was most of the cost).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from sqlalchemy import bindparam, delete, func, insert, select

from .history import Relabel
from .models import CellValue, FrameRelabel, db

FRAMES_PER_QUERY = 500


@dataclass(frozen=True)
class CellMapping:
    """Values of one frame (ascending) with the cell their row names and the cell they encode."""

    values: np.ndarray
    stored: np.ndarray
    cells: np.ndarray

    @classmethod
    def empty(cls) -> CellMapping:
        return cls(*(np.zeros(0, np.int64) for _ in range(3)))

    @classmethod
    def unpack(cls, data: bytes) -> CellMapping:
        count = len(data) // 24
        return cls(*(np.frombuffer(data, "<i8", count, 8 * count * n) for n in range(3)))

    def pack(self) -> bytes:
        return b"".join(column.astype("<i8").tobytes() for column in self.columns())

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.values, self.stored, self.cells

    def __len__(self) -> int:
        return int(self.values.size)

    def without(self, values: Iterable[int]) -> CellMapping:
        """The mapping less ``values`` (their rows were written anew)."""
        keep = ~np.isin(self.values, np.fromiter(values, np.int64))
        return CellMapping(*(column[keep] for column in self.columns()))

    def rows_written(self, rows: dict[int, frozenset[int] | None]) -> CellMapping:
        """The mapping once rows were written for values of it (value -> the row's cells, None
        for none) in the edit that relabelled them: a row of one cell is what the mapping
        starts from; a value of no row or several cells is the rows' alone."""
        if not rows or not len(self):
            return self
        stored = self.stored.copy()
        keep = np.ones(len(self), bool)
        for at, value in enumerate(self.values.tolist()):
            if value in rows:
                cells = rows[value]
                if cells is not None and len(cells) == 1:
                    (stored[at],) = cells
                else:
                    keep[at] = False
        keep &= stored != self.cells
        return CellMapping(self.values[keep], stored[keep], self.cells[keep])

    def after(self, relabel: Relabel) -> CellMapping:
        """The mapping once ``relabel`` is applied; values back at their row's cell leave it."""
        at = np.minimum(np.searchsorted(self.values, relabel.values), max(len(self) - 1, 0))
        known = self.values[at] == relabel.values if len(self) else np.zeros(len(relabel), bool)
        cells = self.cells.copy()
        cells[at[known]] = relabel.after[known]
        new = ~known
        values = np.concatenate([self.values, relabel.values[new]])
        stored = np.concatenate([self.stored, relabel.before[new]])
        cells = np.concatenate([cells, relabel.after[new]])
        keep = np.flatnonzero(stored != cells)
        order = keep[np.argsort(values[keep], kind="stable")]
        return CellMapping(values[order], stored[order], cells[order])


def mappings(
    project_id: str, feature: int | None = None, frames: Iterable[int] | None = None
) -> dict[tuple[int, int], CellMapping]:
    """The mappings of a project's relabelled frames: all, a feature's, or some frames'."""
    query = select(FrameRelabel.feature, FrameRelabel.frame, FrameRelabel.data).where(
        FrameRelabel.project_id == project_id
    )
    if feature is not None:
        query = query.where(FrameRelabel.feature == feature)
    if frames is None:
        queries = [query]
    else:
        numbers = sorted(set(frames))
        queries = [
            query.where(FrameRelabel.frame.in_(numbers[start : start + FRAMES_PER_QUERY]))
            for start in range(0, len(numbers), FRAMES_PER_QUERY)
        ]
    return {
        (found_feature, frame): CellMapping.unpack(data)
        for query in queries
        for found_feature, frame, data in db.session.execute(query)
    }


def store(
    project_id: str,
    rewritten: dict[tuple[int, int], dict[int, frozenset[int] | None]],
    relabels: dict[tuple[int, int], Relabel],
) -> None:
    """Bring the mappings up to an edit: the values whose rows it wrote anew (by frame: value
    -> the row's cells, None when gone) leave them, then its relabellings are applied, from
    the rows just written for values it also rewrote (whichever came first in the edit, the
    rows and the mapping end at the edit's cells). One read and at most two writes."""
    keys = set(rewritten) | set(relabels)
    if not keys:
        return
    existing: dict[tuple[int, int], CellMapping] = {}
    for feature in {feature for feature, _ in keys}:
        existing.update(mappings(project_id, feature, (frame for f, frame in keys if f == feature)))
    changed = {}
    for key in keys:
        old = existing.get(key)
        if old is None and key not in relabels:
            continue
        mapping = old if old is not None else CellMapping.empty()
        rows = rewritten.get(key, {})
        if old is not None and rows:
            mapping = mapping.without(rows)
        if key in relabels:
            mapping = mapping.after(relabels[key]).rows_written(rows)
        changed[key] = mapping
    table = FrameRelabel.__table__
    gone = [
        {"p": project_id, "f": feature, "t": frame}
        for feature, frame in changed
        if (feature, frame) in existing
    ]
    if gone:
        db.session.execute(
            delete(table).where(
                table.c.project_id == bindparam("p"),
                table.c.feature == bindparam("f"),
                table.c.frame == bindparam("t"),
            ),
            gone,
        )
    rows = [
        {"project_id": project_id, "feature": feature, "frame": frame, "data": mapping.pack()}
        for (feature, frame), mapping in changed.items()
        if len(mapping)
    ]
    if rows:
        db.session.execute(insert(table), rows)


def frame_cells(project_id: str, feature: int, frame: int) -> dict[int, int]:
    """value -> cell of the frame's relabelled values (the cell their row does not say)."""
    mapping = mappings(project_id, feature, [frame]).get((feature, frame))
    if mapping is None:
        return {}
    return dict(zip(mapping.values.tolist(), mapping.cells.tolist(), strict=True))


def corrected_cells(project_id: str, rows: Iterable[tuple]) -> Iterator[tuple]:
    """Rows (value, cell, frame, feature, ...) of `cell_values` with the mappings applied."""
    found = mappings(project_id)
    if not found:
        yield from rows
        return
    cells = {
        key: dict(zip(m.values.tolist(), m.cells.tolist(), strict=True)) for key, m in found.items()
    }
    for row in rows:
        value, cell, frame, feature = row[:4]
        mapped = cells.get((feature, frame))
        if mapped is not None and value in mapped:
            row = (value, mapped[value], *row[2:])
        yield row


def _corrections(
    project_id: str, feature: int | None, frame: int | None
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(frame, cells their rows name, cells they encode) of the mapped values in scope."""
    for (_, found_frame), mapping in mappings(
        project_id, feature, None if frame is None else [frame]
    ).items():
        yield found_frame, mapping.stored, mapping.cells


def frame_counts(
    project_id: str, feature: int, cells: Iterable[int] | None = None
) -> Iterator[tuple[int, int, int]]:
    """(cell, frame, count): how many values of the frame encode the cell (those of ``cells``,
    or all), to be summed per cell and frame: the rows' counts come first, then the mappings'
    corrections (-1 for the cell a mapped value's row names, +1 for its cell now). Streamed,
    so a project of millions of cells and frames is never held as one dict."""
    query = (
        select(CellValue.cell, CellValue.frame, func.count())
        .where(CellValue.project_id == project_id, CellValue.feature == feature)
        .group_by(CellValue.cell, CellValue.frame)
    )
    if cells is None:
        wanted = None
        yield from db.session.execute(query).tuples()
    else:
        ids = sorted(set(cells))
        wanted = np.array(ids, np.int64)
        for start in range(0, len(ids), FRAMES_PER_QUERY):
            part = query.where(CellValue.cell.in_(ids[start : start + FRAMES_PER_QUERY]))
            yield from db.session.execute(part).tuples()
    for frame, stored, now in _corrections(project_id, feature, None):
        for column, step in ((stored, -1), (now, 1)):
            if wanted is not None:
                column = column[np.isin(column, wanted)]
            for cell in column.tolist():
                yield cell, frame, step


def distinct_cells(
    project_id: str, feature: int | None = None, frame: int | None = None
) -> np.ndarray:
    """The cells (ascending) that some value encodes: in the project, a feature, or a frame."""
    query = (
        select(CellValue.cell, func.count())
        .where(CellValue.project_id == project_id)
        .group_by(CellValue.cell)
    )
    if feature is not None:
        query = query.where(CellValue.feature == feature)
    if frame is not None:
        query = query.where(CellValue.frame == frame)
    counts = dict(db.session.execute(query).tuples().all())
    for _, stored, now in _corrections(project_id, feature, frame):
        for cell in stored.tolist():
            counts[cell] -= 1
        for cell in now.tolist():
            counts[cell] = counts.get(cell, 0) + 1
    return np.array(sorted(cell for cell, count in counts.items() if count > 0), np.int64)
