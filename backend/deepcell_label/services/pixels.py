"""Pixel data for the browser: raw and label frames and tiles at every pyramid level, checked."""

from __future__ import annotations

from ..errors import NotFoundError
from ..formats import tiling
from ..store import pyramid
from ..store.labelstore import read_frame, tile_bytes
from ..store.models import Project
from ..store.overviews import view_tile
from ..store.rawtiles import check_plane, raw_frame, raw_key, storage


def _grid_tile(
    height: int, width: int, tile_y: int, tile_x: int, size: int, grid: str
) -> tiling.Box:
    """The box of a tile of a height × width grid, or 404 for a tile outside it."""
    rows, columns = tiling.tile_count(height, width, size)
    if not (0 <= tile_y < rows and 0 <= tile_x < columns):
        raise NotFoundError(
            f"Tile ({tile_y}, {tile_x}) is outside {grid} {rows}×{columns} tile grid."
        )
    return tiling.tile_box(tile_y, tile_x, height, width, size)


def check_tile(
    project: Project, tile_y: int, tile_x: int, size: int = tiling.TILE_SIZE
) -> tiling.Box:
    return _grid_tile(project.height, project.width, tile_y, tile_x, size, "the")


def raw_tile(project: Project, frame: int, channel: int, tile_y: int, tile_x: int):
    """The stored (deflated) bytes of one raw tile, with its shape."""
    check_plane(project, frame, channel, project.channels, "Channel")
    y0, x0, y1, x1 = check_tile(project, tile_y, tile_x)
    data = storage().get(raw_key(project.id, frame, channel, tile_y, tile_x))
    return data, (y1 - y0, x1 - x0)


def check_level(project: Project, level: int, tile_y: int, tile_x: int) -> tiling.Box:
    """The box of a view tile in its level, or 404 for a level or tile that does not exist."""
    if not 0 <= level < project.levels:
        raise NotFoundError(
            f"Level {level} does not exist; the project has levels 0–{project.levels - 1}."
        )
    height, width = pyramid.level_shape(project.height, project.width, level)
    return _grid_tile(height, width, tile_y, tile_x, pyramid.VIEW_TILE_SIZE, f"level {level}'s")


def raw_level_tile(
    project: Project, frame: int, channel: int, level: int, tile_y: int, tile_x: int
) -> tuple[bytes, tuple[int, int]]:
    """The stored (deflated) bytes of one raw view tile at a pyramid level, with its shape."""
    check_plane(project, frame, channel, project.channels, "Channel")
    y0, x0, y1, x1 = check_level(project, level, tile_y, tile_x)
    data = storage().get(raw_key(project.id, frame, channel, tile_y, tile_x, level))
    return data, (y1 - y0, x1 - x0)


def label_level_tile(
    project: Project, feature: int, frame: int, level: int, tile_y: int, tile_x: int
):
    """(shape, version, read) of one label view tile at a pyramid level; see overviews.view_tile."""

    check_labels(project, feature, frame)
    check_level(project, level, tile_y, tile_x)
    return view_tile(project, feature, frame, level, tile_y, tile_x)


def raw_frame_deflated(project: Project, frame: int, channel: int) -> tuple[bytes, tuple[int, int]]:
    """One whole raw frame of one channel, deflated, with its shape."""
    array = raw_frame(project, frame, channel)
    return tiling.encode(array), array.shape


def check_labels(project: Project, feature: int, frame: int) -> None:
    check_plane(project, frame, feature, project.features, "Feature")


def label_frame(project: Project, feature: int, frame: int) -> tuple[bytes, tuple[int, int]]:
    """One whole label frame, deflated, with its shape."""

    check_labels(project, feature, frame)
    array = read_frame(project, feature, frame)
    return tiling.encode(array), array.shape


def label_tile(
    project: Project, feature: int, frame: int, tile_y: int, tile_x: int
) -> tuple[bytes, tuple[int, int], int]:
    """The stored (deflated) bytes of one label tile, its shape and its version."""

    check_labels(project, feature, frame)
    y0, x0, y1, x1 = check_tile(project, tile_y, tile_x, tiling.LABEL_TILE_SIZE)
    data, version = tile_bytes(project, feature, frame, tile_y, tile_x)
    return data, (y1 - y0, x1 - x0), version
