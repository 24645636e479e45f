"""Label frames seen from afar: view tiles at each pyramid level, kept exact by every label write.

A level-l overview pixel (y, x) is the level-0 label at (y * 2^l, x * 2^l). The overview tiles are
rows of their own table, written at creation and patched in the same transaction as each change of
the level-0 tiles, so a zoomed-out view never reads a whole frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np
from sqlalchemy import and_, delete, or_, select, update

from . import pyramid, tiling
from .labelstore import SIZE as LABEL_SIZE
from .labelstore import cache as label_cache
from .models import LabelOverview, LabelTile, Project, db

VIEW = pyramid.VIEW_TILE_SIZE
QUERY_TERMS = 200  # (level, tile) pairs per query


def view_grid(project: Project, level: int) -> tuple[int, int, int, int]:
    """(level height, level width, tile rows, tile columns) of a level."""
    height, width = pyramid.level_shape(project.height, project.width, level)
    return (height, width, *tiling.tile_count(height, width, VIEW))


def overview_rows(
    project_id: str, feature: int, frame: int, plane: np.ndarray, levels: int, version: int = 0
) -> Iterator[dict]:
    """The rows of every nonzero overview tile of one whole level-0 label frame."""
    for level in range(1, levels):
        sampled = pyramid.sample(plane, level)
        height, width = sampled.shape
        rows, columns = tiling.tile_count(height, width, VIEW)
        for tile_y in range(rows):
            for tile_x in range(columns):
                y0, x0, y1, x1 = tiling.tile_box(tile_y, tile_x, height, width, VIEW)
                tile = sampled[y0:y1, x0:x1]
                if tile.any():
                    key = _key(project_id, feature, frame, level, tile_y, tile_x)
                    yield dict(**key, version=version, data=tiling.encode(tile))


def _key(project_id: str, feature: int, frame: int, level: int, tile_y: int, tile_x: int) -> dict:
    return dict(
        project_id=project_id,
        feature=feature,
        frame=frame,
        level=level,
        tile_y=tile_y,
        tile_x=tile_x,
    )


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
            tile_y, tile_x = y_first // VIEW, x_first // VIEW
            rows = slice(y_first - tile_y * VIEW, y_end - tile_y * VIEW)
            columns = slice(x_first - tile_x * VIEW, x_end - tile_x * VIEW)
            updates.setdefault((level, tile_y, tile_x), []).append((rows, columns, values))
    stored = _read(project, feature, frame, updates)
    for key, parts in sorted(updates.items()):
        level, tile_y, tile_x = key
        height, width, _, _ = view_grid(project, level)
        y0, x0, y1, x1 = tiling.tile_box(tile_y, tile_x, height, width, VIEW)
        current = stored.get(key)
        array = (
            np.zeros((y1 - y0, x1 - x0), np.int32)
            if current is None
            else tiling.decode(current, (y1 - y0, x1 - x0), np.int32)
        )
        for rows, columns, values in parts:
            array[rows, columns] = values
        key = _key(project.id, feature, frame, level, tile_y, tile_x)
        where = [getattr(LabelOverview, name) == value for name, value in key.items()]
        if not array.any():
            if current is not None:
                db.session.execute(delete(LabelOverview).where(*where))
        elif current is not None:
            db.session.execute(
                update(LabelOverview)
                .where(*where)
                .values(version=version, data=tiling.encode(array))
            )
        else:
            db.session.add(LabelOverview(**key, version=version, data=tiling.encode(array)))


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

    The version changes whenever a pixel of the tile changes: the stored version when every part
    of the tile is stored (a part is written at most once per version), else the project's
    version (a part that became background was deleted, which no stored version shows).
    """
    height, width, _, _ = view_grid(project, level)
    y0, x0, y1, x1 = tiling.tile_box(tile_y, tile_x, height, width, VIEW)
    shape = (y1 - y0, x1 - x0)
    if level == 0:
        return shape, *_composed(project, feature, frame, (y0, x0, y1, x1))
    key = _key(project.id, feature, frame, level, tile_y, tile_x)
    row = db.session.execute(
        select(LabelOverview.version, LabelOverview.data).where(
            *[getattr(LabelOverview, name) == value for name, value in key.items()]
        )
    ).first()
    if row is None:
        return shape, project.version, lambda: tiling.encode(np.zeros(shape, np.int32))
    return shape, row.version, lambda: row.data


def _composed(
    project: Project, feature: int, frame: int, box: tiling.Box
) -> tuple[int, Callable[[], bytes]]:
    """A level-0 view tile made of the stored label tiles it covers."""
    parts = list(tiling.tiles_in(box, project.height, project.width, LABEL_SIZE))
    where = (
        LabelTile.project_id == project.id,
        LabelTile.feature == feature,
        LabelTile.frame == frame,
        LabelTile.tile_y.between(parts[0][0], parts[-1][0]),
        LabelTile.tile_x.between(parts[0][1], parts[-1][1]),
    )
    versions = {
        (y, x): v
        for y, x, v in db.session.execute(
            select(LabelTile.tile_y, LabelTile.tile_x, LabelTile.version).where(*where)
        )
    }
    version = max(versions.values()) if len(versions) == len(parts) else project.version

    def read() -> bytes:
        out = np.zeros((box[2] - box[0], box[3] - box[1]), np.int32)
        if versions:
            for y, x, stored, data in db.session.execute(
                select(LabelTile.tile_y, LabelTile.tile_x, LabelTile.version, LabelTile.data).where(
                    *where
                )
            ):
                ty0, tx0, ty1, tx1 = tiling.tile_box(
                    y, x, project.height, project.width, LABEL_SIZE
                )
                array = label_cache.get((project.id, feature, frame, y, x), stored)
                if array is None:
                    array = tiling.decode(data, (ty1 - ty0, tx1 - tx0), np.int32)
                out[ty0 - box[0] : ty1 - box[0], tx0 - box[1] : tx1 - box[1]] = array
        return tiling.encode(out)

    return version, read
