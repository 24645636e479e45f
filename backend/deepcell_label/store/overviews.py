"""Label frames seen from afar: view tiles at each pyramid level, kept exact by every label write.

A level-l overview pixel (y, x) is the level-0 label at (y * 2^l, x * 2^l). Each level is stored
as rows of CHUNK² pixels, written at creation and patched in the same transaction as each change
of the level-0 tiles; a view tile (512²) is put together from the rows under it. Small chunks
keep an edit's cost low: a changed level-0 tile falls in one chunk per level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np
from sqlalchemy import and_, bindparam, delete, insert, or_, select, update

from ..formats import tiling
from . import pyramid
from .models import LabelOverview, LabelTile, Project, db

VIEW = pyramid.VIEW_TILE_SIZE
LABEL_SIZE = tiling.LABEL_TILE_SIZE
CHUNK = 128  # overview rows hold CHUNK² pixels of a level; VIEW is a multiple of it
QUERY_TERMS = 200  # (level, chunk) pairs per query


def view_grid(project: Project, level: int) -> tuple[int, int, int, int]:
    """(level height, level width, tile rows, tile columns) of a level."""
    height, width = pyramid.level_shape(project.height, project.width, level)
    return (height, width, *tiling.tile_count(height, width, VIEW))


def overview_rows(
    project_id: str, feature: int, frame: int, plane: np.ndarray, levels: int, version: int = 0
) -> Iterator[dict]:
    """The rows of every nonzero overview chunk of one whole level-0 label frame."""
    strips = OverviewStrips(project_id, feature, frame, levels, version)
    yield from strips.add(0, plane)
    yield from strips.finish()


class OverviewStrips:
    """The overview rows of one label frame given as bands of level-0 rows, top to bottom:
    each level keeps only the sampled rows of its chunk row being filled."""

    def __init__(
        self, project_id: str, feature: int, frame: int, levels: int, version: int = 0
    ) -> None:
        self.key = (project_id, feature, frame)
        self.version = version
        self.pending: dict[int, list[np.ndarray]] = {level: [] for level in range(1, levels)}
        self.strip = dict.fromkeys(self.pending, 0)  # the chunk row being filled, per level

    def add(self, y0: int, band: np.ndarray) -> Iterator[dict]:
        """The rows of the chunks completed by level-0 rows y0.. (``band``)."""
        for level, pending in self.pending.items():
            step = 1 << level
            pending.append(band[(-y0) % step :: step, ::step])
            rows = sum(len(part) for part in pending)
            if rows >= CHUNK:
                sampled = np.concatenate(pending)
                whole = rows - rows % CHUNK
                yield from self._strips(level, sampled[:whole])
                pending[:] = [sampled[whole:].copy()]

    def finish(self) -> Iterator[dict]:
        """The rows of the last, partly filled chunk row of each level."""
        for level, pending in self.pending.items():
            if sum(len(part) for part in pending):
                yield from self._strips(level, np.concatenate(pending))
            pending.clear()

    def _strips(self, level: int, sampled: np.ndarray) -> Iterator[dict]:
        for first in range(0, len(sampled), CHUNK):
            for _, tile_x, tile in tiling.tiles_of(sampled[first : first + CHUNK], CHUNK):
                if tile.any():
                    key = _key(*self.key, level, self.strip[level], tile_x)
                    yield dict(**key, version=self.version, data=tiling.encode(tile))
            self.strip[level] += 1


def _key(project_id: str, feature: int, frame: int, level: int, tile_y: int, tile_x: int) -> dict:
    return dict(
        project_id=project_id,
        feature=feature,
        frame=frame,
        level=level,
        tile_y=tile_y,
        tile_x=tile_x,
    )


def write_rows(
    model, keys: list[dict], stored: set[int], arrays: list[np.ndarray], version: int
) -> None:
    """Store tiles of a tile table (LabelTile, LabelOverview) in one statement each for the
    updated, inserted and deleted ones: tile i has key columns ``keys[i]`` and pixels
    ``arrays[i]``; it has a row already when i is in ``stored``. An all-background tile has
    no row."""
    table = model.__table__
    names = list(keys[0]) if keys else []
    where = [table.c[name] == bindparam(f"key_{name}") for name in names]
    changed, added, removed = [], [], []
    for number, (key, array) in enumerate(zip(keys, arrays, strict=True)):
        by_name = {f"key_{name}": value for name, value in key.items()}
        if not array.any():
            if number in stored:
                removed.append(by_name)
        elif number in stored:
            changed.append({**by_name, "new_data": tiling.encode(array)})
        else:
            added.append({**key, "version": version, "data": tiling.encode(array)})
    if removed:
        db.session.execute(delete(table).where(*where), removed)
    if changed:
        new = update(table).where(*where).values(version=version, data=bindparam("new_data"))
        db.session.execute(new, changed)
    if added:
        db.session.execute(insert(table), added)


def _first_multiple_index(start: int, step: int) -> int:
    """The smallest i with i * step >= start."""
    return -(-start // step)


def patch(
    project: Project,
    feature: int,
    frame: int,
    tiles: dict[tuple[int, int], np.ndarray],
    version: int,
) -> None:
    """Bring the overviews up to date with changed level-0 label tiles, in this transaction.

    Only the overview tiles above `tiles` are read (one query), patched, and written; those left
    all background are deleted.
    """
    if project.levels <= 1 or not tiles:
        return
    # (level, tile_y, tile_x) -> [(rows in the overview tile, columns, values)]
    updates: dict[tuple[int, int, int], list] = {}
    for (label_y, label_x), array in tiles.items():
        top, left = label_y * LABEL_SIZE, label_x * LABEL_SIZE
        bottom, right = top + array.shape[0], left + array.shape[1]
        for level in range(1, project.levels):
            step = 1 << level
            y_first, y_end = _first_multiple_index(top, step), _first_multiple_index(bottom, step)
            x_first, x_end = _first_multiple_index(left, step), _first_multiple_index(right, step)
            if y_first >= y_end or x_first >= x_end:
                continue  # no sampled pixel falls in this label tile
            values = array[y_first * step - top :: step, x_first * step - left :: step]
            values = values[: y_end - y_first, : x_end - x_first]
            sampled = (y_first, x_first, y_end, x_end)
            height, width = pyramid.level_shape(project.height, project.width, level)
            for tile_y, tile_x in tiling.tiles_in(sampled, height, width, CHUNK):
                chunk = tiling.tile_box(tile_y, tile_x, height, width, CHUNK)
                y0, x0, y1, x1 = tiling.intersect(sampled, chunk)
                updates.setdefault((level, tile_y, tile_x), []).append(
                    (
                        slice(y0 - chunk[0], y1 - chunk[0]),
                        slice(x0 - chunk[1], x1 - chunk[1]),
                        values[y0 - y_first : y1 - y_first, x0 - x_first : x1 - x_first],
                    )
                )
    # A chunk that the changed tiles cover whole is not read: none of its pixels stay.
    partial = [key for key, parts in updates.items() if not _covered(project, key, parts)]
    stored = _read(project, feature, frame, partial)
    present = _present(project, feature, frame, [key for key in updates if key not in stored])
    keys, arrays, existing = [], [], set()
    for key, parts in sorted(updates.items()):
        level, tile_y, tile_x = key
        height, width = pyramid.level_shape(project.height, project.width, level)
        y0, x0, y1, x1 = tiling.tile_box(tile_y, tile_x, height, width, CHUNK)
        current = stored.get(key)
        array = (
            np.zeros((y1 - y0, x1 - x0), np.int32)
            if current is None
            else tiling.decode(current, (y1 - y0, x1 - x0), np.int32)
        )
        for rows, columns, values in parts:
            array[rows, columns] = values
        if current is not None or key in present:
            existing.add(len(keys))
        keys.append(_key(project.id, feature, frame, level, tile_y, tile_x))
        arrays.append(array)
    write_rows(LabelOverview, keys, existing, arrays, version)


def _covered(project: Project, key: tuple[int, int, int], parts: list) -> bool:
    level, tile_y, tile_x = key
    height, width = pyramid.level_shape(project.height, project.width, level)
    y0, x0, y1, x1 = tiling.tile_box(tile_y, tile_x, height, width, CHUNK)
    return sum(values.size for _, _, values in parts) == (y1 - y0) * (x1 - x0)


def _present(
    project: Project, feature: int, frame: int, keys: list[tuple[int, int, int]]
) -> set[tuple[int, int, int]]:
    """Which of the chunks have a stored row (without reading their data)."""
    if not keys:
        return set()
    rows = db.session.execute(
        select(LabelOverview.level, LabelOverview.tile_y, LabelOverview.tile_x).where(
            LabelOverview.project_id == project.id,
            LabelOverview.feature == feature,
            LabelOverview.frame == frame,
            LabelOverview.level.in_({level for level, _, _ in keys}),
        )
    )
    return {tuple(row) for row in rows} & set(keys)


def _in_chunks(keys: Iterable, size: int) -> Iterator[list]:
    keys = sorted(keys)
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


def _read(
    project: Project, feature: int, frame: int, keys: Iterable[tuple[int, int, int]]
) -> dict[tuple[int, int, int], bytes]:
    found = {}
    for chunk in _in_chunks(keys, QUERY_TERMS):
        rows = db.session.execute(
            select(
                LabelOverview.level, LabelOverview.tile_y, LabelOverview.tile_x, LabelOverview.data
            ).where(
                LabelOverview.project_id == project.id,
                LabelOverview.feature == feature,
                LabelOverview.frame == frame,
                or_(
                    *(
                        and_(
                            LabelOverview.level == level,
                            LabelOverview.tile_y == tile_y,
                            LabelOverview.tile_x == tile_x,
                        )
                        for level, tile_y, tile_x in chunk
                    )
                ),
            )
        )
        for level, tile_y, tile_x, data in rows:
            found[(level, tile_y, tile_x)] = data
    return found


def view_tile(
    project: Project, feature: int, frame: int, level: int, tile_y: int, tile_x: int
) -> tuple[tuple[int, int], int, Callable[[], bytes]]:
    """(shape, version, read) of one view tile of a label frame; `read()` gives its deflated bytes.

    The tile is put together from the stored rows under it (level-0 label tiles, or overview
    chunks). Its version changes whenever a pixel of it changes: the highest stored version when
    every part is stored (a part is written at most once per version), else the project's
    version (a part that became background was deleted, which no stored version shows).
    """
    height, width, _, _ = view_grid(project, level)
    box = tiling.tile_box(tile_y, tile_x, height, width, VIEW)
    if level == 0:
        model, size, where = LabelTile, LABEL_SIZE, ()
    else:
        model, size, where = LabelOverview, CHUNK, (LabelOverview.level == level,)
    parts = list(tiling.tiles_in(box, height, width, size))
    where = (
        model.project_id == project.id,
        model.feature == feature,
        model.frame == frame,
        *where,
        model.tile_y.between(parts[0][0], parts[-1][0]),
        model.tile_x.between(parts[0][1], parts[-1][1]),
    )
    versions = [
        version for (version,) in db.session.execute(select(model.version).where(*where)).all()
    ]
    version = max(versions) if len(versions) == len(parts) else project.version

    def read() -> bytes:
        out = np.zeros((box[2] - box[0], box[3] - box[1]), np.int32)
        if versions:
            parts = db.session.execute(select(model.tile_y, model.tile_x, model.data).where(*where))
            _put_parts(out, box, parts, height, width, size)
        return tiling.encode(out)

    return (box[2] - box[0], box[3] - box[1]), version, read


def _put_parts(
    out: np.ndarray, box: tiling.Box, parts: Iterable, height: int, width: int, size: int
) -> None:
    """Decode stored parts (tile_y, tile_x, data) of a grid of ``size`` into ``out``, the
    pixels of ``box``."""
    for y, x, data in parts:
        y0, x0, y1, x1 = tiling.tile_box(y, x, height, width, size)
        out[y0 - box[0] : y1 - box[0], x0 - box[1] : x1 - box[1]] = tiling.decode(
            data, (y1 - y0, x1 - x0), np.int32
        )


def level_tile_row(
    project: Project, feature: int, frame: int, level: int, tile_y: int, size: int
) -> dict[int, np.ndarray]:
    """The tiles of ``size`` (a multiple of CHUNK) in row ``tile_y`` of level ``level`` >= 1 of
    a label frame, by tile_x, put together from the stored chunks; all-background tiles are
    left out. For exports that write the label pyramid."""
    height, width = pyramid.level_shape(project.height, project.width, level)
    per = size // CHUNK
    parts = db.session.execute(
        select(LabelOverview.tile_y, LabelOverview.tile_x, LabelOverview.data).where(
            LabelOverview.project_id == project.id,
            LabelOverview.feature == feature,
            LabelOverview.frame == frame,
            LabelOverview.level == level,
            LabelOverview.tile_y.between(tile_y * per, tile_y * per + per - 1),
        )
    )
    by_tile: dict[int, list] = {}
    for part in parts:
        by_tile.setdefault(part[1] // per, []).append(part)
    tiles = {}
    for tile_x, found in by_tile.items():
        box = tiling.tile_box(tile_y, tile_x, height, width, size)
        tiles[tile_x] = np.zeros((box[2] - box[0], box[3] - box[1]), np.int32)
        _put_parts(tiles[tile_x], box, found, height, width, CHUNK)
    return tiles
