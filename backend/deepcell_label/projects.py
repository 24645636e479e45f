"""Use cases around whole projects: create from a file or URL, describe, read pixels, export."""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from flask import current_app
from sqlalchemy import select

from . import formats, pyramid, tiling
from .errors import ConflictError, InputFormatError, NotFoundError
from .labels.expression import combine_frames, plane_expression
from .models import CellValue, Project, db, utcnow
from .storage import Storage, output_storage_from_config

log = logging.getLogger(__name__)

ID_BYTES = 9  # 72 bits of randomness, 12 URL-safe characters


def storage() -> Storage:
    return current_app.extensions["deepcell_storage"]


def project_prefix(project_id: str) -> str:
    return f"projects/{project_id}/"


def raw_key(
    project_id: str, frame: int, channel: int, tile_y: int, tile_x: int, level: int = 0
) -> str:
    if level == 0:
        return f"projects/{project_id}/raw/{frame}/{channel}/{tile_y}_{tile_x}"
    return f"projects/{project_id}/raw/{frame}/{channel}/L{level}/{tile_y}_{tile_x}"


@dataclass
class Source:
    """An input file on local disk (an upload saved to a temporary file, or a download)."""

    path: Path
    name: str
    origin: str  # "upload" or the URL it came from


@contextmanager
def temporary_file() -> Iterator[tuple[Path, io.BufferedWriter]]:
    folder = Path(current_app.config["DATA_DIR"]) / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, prefix="upload-")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            yield path, out
    finally:
        path.unlink(missing_ok=True)


def get_project(project_id: str) -> Project:
    project = db.session.get(Project, project_id) if project_id else None
    if project is None:
        raise NotFoundError(
            f"There is no project {project_id!r}. Check the link, or create the project again."
        )
    return project


def create_project(*args, **kwargs) -> Project:
    """Read and check the files, then build the project: here, or in the background when large.

    Takes the arguments of :func:`building.create`.
    """
    from .building import create

    return create(*args, **kwargs)


def cells_list(project_id: str) -> list[dict]:
    rows = db.session.execute(
        select(CellValue.value, CellValue.cell, CellValue.frame, CellValue.feature)
        .where(CellValue.project_id == project_id)
        .order_by(CellValue.feature, CellValue.frame, CellValue.value, CellValue.cell)
    )
    return [{"value": v, "cell": c, "t": t, "c": f} for v, c, t, f in rows]


STALE_MESSAGE = "Creation was interrupted; create the project again."


def status(project: Project) -> tuple[str, float, str]:
    """(status, progress, message); a build that stopped giving signs of life has failed."""
    if project.status == "building":
        limit = current_app.config["BUILD_STALE_SECONDS"]
        if project.heartbeat is None or (utcnow() - project.heartbeat).total_seconds() > limit:
            return "failed", project.progress, STALE_MESSAGE
    return project.status, project.progress, project.status_message


def require_ready(project: Project) -> Project:
    """The project, if its data can be read and edited; else a 409 saying why not."""
    state, progress, message = status(project)
    if state == "building":
        raise ConflictError(
            f"The project is still being prepared ({int(progress * 100)}%). "
            "Try again when its status is 'ready'."
        )
    if state == "failed":
        raise ConflictError(f"The project could not be created: {message}")
    return project


def metadata(project: Project) -> dict:
    from .editing import undo_state, validation_findings

    state, progress, message = status(project)
    if state != "ready":  # no cells, lineage or history to show yet
        return {
            **_description(project),
            "cells": [],
            "findings": [],
            "can_undo": False,
            "can_redo": False,
        }
    return {
        **_description(project),
        "cells": cells_list(project.id),
        "findings": validation_findings(project),
        **undo_state(project),
    }


def _description(project: Project) -> dict:
    state, progress, message = status(project)
    return {
        "id": project.id,
        "name": project.name,
        "created": project.created.isoformat() + "Z",
        "source": project.source,
        "frames": project.frames,
        "height": project.height,
        "width": project.width,
        "channels": project.channels,
        "features": project.features,
        "dtype": project.dtype,
        "channel_names": project.channel_names,
        "feature_names": project.feature_names,
        "channel_ranges": project.channel_ranges,
        "tile_size": tiling.TILE_SIZE,
        "label_tile_size": tiling.LABEL_TILE_SIZE,
        "version": project.version,
        "divisions": project.divisions,
        "cellTypes": project.cell_types,
        "spots": {"count": project.spot_count, "columns": project.spot_columns},
        "status": state,
        "progress": round(float(progress), 4),
        "status_message": message,
        "view_tile_size": pyramid.VIEW_TILE_SIZE,
        "levels": project.levels,
    }


def spots(project: Project) -> dict:
    rows: list = []
    if project.spot_count:
        rows = json.loads(storage().get(f"{project_prefix(project.id)}spots.json"))
    return {"columns": project.spot_columns, "spots": rows}


def check_plane(project: Project, frame: int, channel: int, channels: int, what: str) -> None:
    if not 0 <= frame < project.frames:
        raise NotFoundError(
            f"Frame {frame} does not exist; the project has frames 0–{project.frames - 1}."
        )
    if not 0 <= channel < channels:
        raise NotFoundError(f"{what} {channel} does not exist; the project has {channels}.")


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
    from .overviews import view_tile

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
    from .labelstore import read_frame

    check_labels(project, feature, frame)
    array = read_frame(project, feature, frame)
    return tiling.encode(array), array.shape


def label_tile(
    project: Project, feature: int, frame: int, tile_y: int, tile_x: int
) -> tuple[bytes, tuple[int, int], int]:
    """The stored (deflated) bytes of one label tile, its shape and its version."""
    from .labelstore import tile_bytes

    check_labels(project, feature, frame)
    y0, x0, y1, x1 = check_tile(project, tile_y, tile_x, tiling.LABEL_TILE_SIZE)
    data, version = tile_bytes(project, feature, frame, tile_y, tile_x)
    return data, (y1 - y0, x1 - x0), version


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


def raw_array(project: Project) -> np.ndarray:
    out = np.empty(
        (project.frames, project.height, project.width, project.channels), np.dtype(project.dtype)
    )
    for frame in range(project.frames):
        for channel in range(project.channels):
            out[frame, :, :, channel] = raw_frame(project, frame, channel)
    return out


def project_data(project: Project) -> formats.ProjectData:
    """Everything in a project as arrays and lists, for export."""
    from .labelstore import read_frame

    labels = np.zeros((project.frames, project.height, project.width, project.features), np.int32)
    for feature in range(project.features):
        for frame in range(project.frames):
            labels[frame, :, :, feature] = read_frame(project, feature, frame)
    spot_data = spots(project)
    return formats.ProjectData(
        raw=raw_array(project),
        labels=labels,
        channel_names=list(project.channel_names),
        feature_names=list(project.feature_names),
        cells=cells_list(project.id),
        divisions=list(project.divisions),
        cell_types=list(project.cell_types),
        spot_columns=list(spot_data["columns"]),
        spots=spot_data["spots"],
    )


def _from_arrays(writer: Callable[[formats.ProjectData, BinaryIO], None]):
    """A writer of in-memory arrays, as an export writer of a stored project."""

    def write(project: Project, fileobj: BinaryIO) -> None:
        writer(project_data(project), fileobj)

    return write


def _write_ome_zarr(project: Project, fileobj: BinaryIO) -> None:
    """OME-Zarr straight from the stored tiles: raw tiles from object storage, label tiles
    from the database, one row of tiles at a time."""
    from .formats.omezarr_write import ZarrProject, write_ome_zarr
    from .labelstore import tile_row

    store = storage()
    with ThreadPoolExecutor(max_workers=4) as pool:
        columns = tiling.tile_count(project.height, project.width)[1]

        def raw_rows(frame: int, channel: int):
            def row(tile_y: int) -> dict[int, bytes]:
                keys = [raw_key(project.id, frame, channel, tile_y, x) for x in range(columns)]
                return dict(enumerate(pool.map(store.get, keys)))

            return row

        def label_rows(feature: int, frame: int):
            return lambda tile_y: tile_row(project, feature, frame, tile_y)

        description = ZarrProject(
            name=project.id,
            frames=project.frames,
            height=project.height,
            width=project.width,
            channels=project.channels,
            dtype=project.dtype,
            channel_names=list(project.channel_names),
            channel_ranges=list(project.channel_ranges),
            feature_names=list(project.feature_names),
            raw_rows=raw_rows,
            label_rows=label_rows,
        )
        side_files = {
            "cells.json": json.dumps(cells_list(project.id)).encode(),
            "divisions.json": json.dumps(project.divisions).encode(),
            "cellTypes.json": json.dumps(project.cell_types).encode(),
            "channels.json": json.dumps(project.channel_names).encode(),
        }
        write_ome_zarr(description, fileobj, side_files)


# format -> (writer, content type, file name ending)
EXPORT_FORMATS = {
    "zip": (_from_arrays(formats.write_project_zip), "application/zip", "zip"),
    "npz": (_from_arrays(formats.write_npz), "application/octet-stream", "npz"),
    "ctc": (_from_arrays(formats.write_ctc), "application/zip", "ctc.zip"),
    "trk": (_from_arrays(formats.write_trk), "application/x-tar", "trk"),
    "ome-zarr": (_write_ome_zarr, "application/zip", "ome.zarr.zip"),
}


def export(project: Project, kind: str = "zip") -> tuple[BinaryIO, str, str]:
    """The project as a download: (an open temporary file at its start, file name, content
    type). The file disappears when closed; the caller closes it."""
    if kind not in EXPORT_FORMATS:
        raise InputFormatError(
            f"Unknown export format {str(kind)[:20]!r}; use one of {', '.join(EXPORT_FORMATS)}."
        )
    writer, content_type, ending = EXPORT_FORMATS[kind]
    folder = Path(current_app.config["DATA_DIR"]) / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    fileobj = tempfile.TemporaryFile(dir=folder, prefix="export-")  # noqa: SIM115
    try:
        writer(project, fileobj)
        fileobj.seek(0)
    except BaseException:
        fileobj.close()
        raise
    return fileobj, f"{project.id}.{ending}", content_type


def _planes_ahead(project: Project, frame: int) -> Iterator[np.ndarray]:
    """The frame's raw channels in order, each read while the one before is being used."""
    app = current_app._get_current_object()

    def read(channel: int) -> np.ndarray:
        with app.app_context():
            return raw_frame(project, frame, channel)

    with ThreadPoolExecutor(max_workers=1) as pool:
        coming = pool.submit(read, 0)
        for channel in range(project.channels):
            plane = coming.result()
            if channel + 1 < project.channels:
                coming = pool.submit(read, channel + 1)
            yield plane


def expression(project: Project, feature: int, frame: int | None) -> dict:
    """Per-cell area, mean and total intensity of every channel, in one frame or all frames."""
    from .editing import frame_state
    from .labelstore import read_frame

    if not 0 <= feature < project.features:
        raise NotFoundError(
            f"Feature {feature} does not exist; the project has {project.features}."
        )
    frames = range(project.frames) if frame is None else [frame]
    if frame is not None and not 0 <= frame < project.frames:
        raise NotFoundError(
            f"Frame {frame} does not exist; the project has frames 0–{project.frames - 1}."
        )
    results = [
        plane_expression(
            read_frame(project, feature, t),
            _planes_ahead(project, t),
            frame_state(project, feature, t).cellmap.mapping,
        )
        for t in frames
    ]
    table = results[0] if len(results) == 1 else combine_frames(results, project.channels)
    return {
        "feature": feature,
        "frame": "all" if frame is None else frame,
        "channels": list(project.channel_names),
        "cells": table["cells"].tolist(),
        "area": table["area"].tolist(),
        "mean": np.round(table["mean"], 6).tolist(),
        "total": table["total"].tolist(),
    }


def expression_csv(table: dict) -> str:
    header = ["cell", "area"]
    for name in table["channels"]:
        header += [f"{name} mean", f"{name} total"]
    lines = [",".join(f'"{h}"' if "," in h else h for h in header)]
    for row, cell in enumerate(table["cells"]):
        values = [cell, table["area"][row]]
        for channel in range(len(table["channels"])):
            values += [table["mean"][row][channel], table["total"][row][channel]]
        lines.append(",".join(str(v) for v in values))
    return "\n".join(lines) + "\n"


def submit(project: Project, kind: str = "zip") -> dict:
    """Write the export to the configured output bucket (never one the client names)."""
    fileobj, filename, _ = export(project, kind)
    with fileobj:
        size = fileobj.seek(0, os.SEEK_END)
        fileobj.seek(0)
        target, bucket = output_storage_from_config(current_app.config)
        key = f"{project.id}/{filename}"
        target.put_file(key, fileobj)
    log.info("submitted project %s to %s/%s", project.id, bucket, key)
    return {"bucket": bucket, "key": key, "bytes": size}
