"""Raw image tiles in object storage: their keys, and frames and windows read from them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..errors import NotFoundError
from ..formats import tiling
from .models import Project
from .storage import storage


def project_prefix(project_id: str) -> str:
    return f"projects/{project_id}/"


def raw_key(
    project_id: str, frame: int, channel: int, tile_y: int, tile_x: int, level: int = 0
) -> str:
    if level == 0:
        return f"projects/{project_id}/raw/{frame}/{channel}/{tile_y}_{tile_x}"
    return f"projects/{project_id}/raw/{frame}/{channel}/L{level}/{tile_y}_{tile_x}"


def check_plane(project: Project, frame: int, channel: int, channels: int, what: str) -> None:
    if not 0 <= frame < project.frames:
        raise NotFoundError(
            f"Frame {frame} does not exist; the project has frames 0–{project.frames - 1}."
        )
    if not 0 <= channel < channels:
        raise NotFoundError(f"{what} {channel} does not exist; the project has {channels}.")


def raw_frame(project: Project, frame: int, channel: int) -> np.ndarray:
    check_plane(project, frame, channel, project.channels, "Channel")
    out = np.empty((project.height, project.width), tiling.little_endian(project.dtype))
    rows, columns = tiling.tile_count(project.height, project.width)
    store = storage()

    def read(tile: tuple[int, int]) -> None:
        y0, x0, y1, x1 = tiling.tile_box(*tile, project.height, project.width)
        data = store.get(raw_key(project.id, frame, channel, *tile))
        out[y0:y1, x0:x1] = tiling.decode(data, (y1 - y0, x1 - x0), project.dtype)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(read, [(ty, tx) for ty in range(rows) for tx in range(columns)]))
    return out


def raw_window(project: Project, frame: int, channel: int, box: tiling.Box) -> np.ndarray:
    """A window of one raw channel, read from the tiles it overlaps."""
    check_plane(project, frame, channel, project.channels, "Channel")
    y0, x0, y1, x1 = box
    out = np.empty((y1 - y0, x1 - x0), tiling.little_endian(project.dtype))
    store = storage()
    for tile_y, tile_x in tiling.tiles_in(box, project.height, project.width):
        tile = tiling.tile_box(tile_y, tile_x, project.height, project.width)
        data = tiling.decode(
            store.get(raw_key(project.id, frame, channel, tile_y, tile_x)),
            (tile[2] - tile[0], tile[3] - tile[1]),
            project.dtype,
        )
        part = tiling.intersect(box, tile)
        out[part[0] - y0 : part[2] - y0, part[1] - x0 : part[3] - x0] = data[
            part[0] - tile[0] : part[2] - tile[0], part[1] - tile[1] : part[3] - tile[1]
        ]
    return out
