"""Label frames kept as tiles in the database, with a per-process cache of decoded tiles.

The cache is keyed by each tile's version, so several processes can share one database:
a stale entry is never used because the version read with the row decides.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator

import numpy as np
from sqlalchemy import and_, or_, select

from ..formats import tiling
from .models import LabelTile, Project, db
from .overviews import patch, write_rows

CACHE_TILES = 1024
SIZE = tiling.LABEL_TILE_SIZE
ROWS_PER_QUERY = 100  # tile rows per query when reading many stored tiles


class TileCache:
    """Least-recently-used decoded tiles: (project, feature, frame, tile_y, tile_x) -> (version, array)."""

    def __init__(self, capacity: int = CACHE_TILES) -> None:
        self.capacity = capacity
        self.entries: OrderedDict[tuple, tuple[int, np.ndarray]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple, version: int) -> np.ndarray | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry[0] != version:
                return None
            self.entries.move_to_end(key)
            return entry[1]

    def put(self, key: tuple, version: int, array: np.ndarray) -> None:
        with self.lock:
            self.entries[key] = (version, array)
            self.entries.move_to_end(key)
            while len(self.entries) > self.capacity:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


cache = TileCache()


class TileSet:
    """The tiles of one label frame that cover a box: read once, changed in memory, saved together."""

    def __init__(self, project: Project, feature: int, frame: int, box: tiling.Box) -> None:
        self.project = project
        self.feature = feature
        self.frame = frame
        self.tiles: dict[tuple[int, int], np.ndarray] = {}
        self.stored: set[tuple[int, int]] = set()
        self.dirty: set[tuple[int, int]] = set()
        # Tiles saved in the open transaction, cached only once it commits (see `publish`).
        self.saved: dict[tuple[int, int], tuple[int, np.ndarray]] = {}
        self.load(box)

    def _key(self, tile: tuple[int, int]) -> tuple:
        return (self.project.id, self.feature, self.frame, *tile)

    def load(self, box: tiling.Box) -> None:
        wanted = [
            tile
            for tile in tiling.tiles_in(box, self.project.height, self.project.width, SIZE)
            if tile not in self.tiles
        ]
        if not wanted:
            return
        rows = [tile[0] for tile in wanted]
        columns = [tile[1] for tile in wanted]
        where = (
            (LabelTile.project_id == self.project.id)
            & (LabelTile.feature == self.feature)
            & (LabelTile.frame == self.frame)
            & LabelTile.tile_y.between(min(rows), max(rows))
            & LabelTile.tile_x.between(min(columns), max(columns))
        )
        versions = dict(
            ((y, x), v)
            for y, x, v in db.session.execute(
                select(LabelTile.tile_y, LabelTile.tile_x, LabelTile.version).where(where)
            )
        )
        missing = []
        for tile in wanted:
            if tile not in versions:
                y0, x0, y1, x1 = tiling.tile_box(
                    *tile, self.project.height, self.project.width, SIZE
                )
                self.tiles[tile] = np.zeros((y1 - y0, x1 - x0), np.int32)
                continue
            self.stored.add(tile)
            cached = cache.get(self._key(tile), versions[tile])
            if cached is None:
                missing.append(tile)
            else:
                self.tiles[tile] = cached.copy()
        # One condition per tile row (SQLite refuses expressions deeper than 1000 terms).
        by_row: dict[int, list[int]] = {}
        for y, x in missing:
            by_row.setdefault(y, []).append(x)
        groups = sorted(by_row.items())
        for start in range(0, len(groups), ROWS_PER_QUERY):
            only_missing = or_(
                *(
                    and_(LabelTile.tile_y == y, LabelTile.tile_x.in_(xs))
                    for y, xs in groups[start : start + ROWS_PER_QUERY]
                )
            )
            self._decode_rows(where, only_missing)

    def _decode_rows(self, *where) -> None:
        for y, x, version, data in db.session.execute(
            select(LabelTile.tile_y, LabelTile.tile_x, LabelTile.version, LabelTile.data).where(
                *where
            )
        ):
            y0, x0, y1, x1 = tiling.tile_box(y, x, self.project.height, self.project.width, SIZE)
            array = tiling.decode(data, (y1 - y0, x1 - x0), np.int32)
            cache.put(self._key((y, x)), version, array.copy())
            self.tiles[(y, x)] = array

    def _parts(self, box: tiling.Box):
        self.load(box)
        for tile in tiling.tiles_in(box, self.project.height, self.project.width, SIZE):
            tile_box = tiling.tile_box(*tile, self.project.height, self.project.width, SIZE)
            part = tiling.intersect(box, tile_box)
            yield (
                tile,
                (
                    slice(part[0] - box[0], part[2] - box[0]),
                    slice(part[1] - box[1], part[3] - box[1]),
                ),
                (
                    slice(part[0] - tile_box[0], part[2] - tile_box[0]),
                    slice(part[1] - tile_box[1], part[3] - tile_box[1]),
                ),
            )

    def read(self, box: tiling.Box) -> np.ndarray:
        out = np.empty((box[2] - box[0], box[3] - box[1]), np.int32)
        for tile, window_part, tile_part in self._parts(box):
            out[window_part] = self.tiles[tile][tile_part]
        return out

    def write(self, box: tiling.Box, values: np.ndarray) -> None:
        """Write pixels; only the tiles whose pixels change are saved again."""
        for tile, window_part, tile_part in self._parts(box):
            if not np.array_equal(self.tiles[tile][tile_part], values[window_part]):
                self.tiles[tile][tile_part] = values[window_part]
                self.dirty.add(tile)

    def save(self, version: int) -> None:
        """Write the changed tiles in the current transaction; all-background tiles are deleted.

        Call :meth:`publish` after the transaction commits.

        The frame's overviews above the changed tiles are patched in the same transaction.
        """

        patch(
            self.project,
            self.feature,
            self.frame,
            {tile: self.tiles[tile] for tile in self.dirty},
            version,
        )
        tiles = sorted(self.dirty)
        keys = [
            dict(
                project_id=self.project.id,
                feature=self.feature,
                frame=self.frame,
                tile_y=tile[0],
                tile_x=tile[1],
            )
            for tile in tiles
        ]
        arrays = [self.tiles[tile] for tile in tiles]
        stored = {number for number, tile in enumerate(tiles) if tile in self.stored}
        write_rows(LabelTile, keys, stored, arrays, version)
        for tile, array in zip(tiles, arrays, strict=True):
            if array.any():
                self.stored.add(tile)
                self.saved[tile] = (version, array.copy())
            else:
                self.stored.discard(tile)
        self.dirty.clear()

    def publish(self) -> None:
        """Cache the saved tiles, once their transaction has committed.

        Cached earlier, a rolled-back tile would stay cached under a version number that another
        process may then commit with other pixels, and be read back as if it were theirs.
        """
        for tile, (version, array) in self.saved.items():
            cache.put(self._key(tile), version, array)
        self.saved.clear()


def read_window(project: Project, feature: int, frame: int, box: tiling.Box) -> np.ndarray:
    return TileSet(project, feature, frame, box).read(box)


def read_frame(project: Project, feature: int, frame: int) -> np.ndarray:
    return read_window(project, feature, frame, (0, 0, project.height, project.width))


def _in_frame(project: Project, feature: int, frame: int):
    return (
        (LabelTile.project_id == project.id)
        & (LabelTile.feature == feature)
        & (LabelTile.frame == frame)
    )


def tile_row(project: Project, feature: int, frame: int, tile_y: int) -> dict[int, bytes]:
    """The stored deflated tiles of one row of a label frame, by tile_x; absent tiles are blank."""
    found = db.session.execute(
        select(LabelTile.tile_x, LabelTile.data).where(
            _in_frame(project, feature, frame), LabelTile.tile_y == tile_y
        )
    )
    return {tile_x: data for tile_x, data in found}


def tile_bytes(
    project: Project, feature: int, frame: int, tile_y: int, tile_x: int
) -> tuple[bytes, int]:
    """The stored deflated bytes of one label tile and its version (a deflated blank tile if none)."""
    row = db.session.execute(
        select(LabelTile.data, LabelTile.version).where(
            _in_frame(project, feature, frame),
            LabelTile.tile_y == tile_y,
            LabelTile.tile_x == tile_x,
        )
    ).first()
    if row is not None:
        return row.data, row.version
    y0, x0, y1, x1 = tiling.tile_box(tile_y, tile_x, project.height, project.width, SIZE)
    return tiling.encode(np.zeros((y1 - y0, x1 - x0), np.int32)), 0


def read_bands(
    project: Project, feature: int, frame: int, rows: int = SIZE
) -> Iterator[tuple[int, np.ndarray]]:
    """A label frame as bands of ``rows`` rows (whole tile rows), top to bottom: (first row,
    band). Only a band is held at a time, so a frame of any size can be read."""
    for y0 in range(0, project.height, rows):
        box = (y0, 0, min(y0 + rows, project.height), project.width)
        yield y0, read_window(project, feature, frame, box)
