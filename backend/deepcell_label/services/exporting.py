"""Exports: the project as a zip, npz, CTC, .trk or OME-Zarr file, downloaded or submitted to
the output bucket.

The project zip and the OME-Zarr are written straight from the stored tiles, a row of tiles at
a time, and npz, CTC and .trk from bands of rows of each plane (`project_bands`), so a project
of any size is exported in bounded memory. Large projects are exported by jobs
(`export_jobs.py`); this module writes the files.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import numpy as np
from flask import current_app
from sqlalchemy import select

from .. import formats
from ..errors import ConflictError, DeepCellLabelError, InputFormatError
from ..formats import tiling
from ..formats.ome_tiff import Progress, TiledPlanes
from ..formats.omezarr_write import ZarrProject, write_ome_zarr
from ..formats.writers import TiledProject, write_tiled_project_zip
from ..store import pyramid
from ..store.labelstore import read_frame, read_window, tile_row
from ..store.models import Project, db
from ..store.overviews import level_tile_row
from ..store.projects import cells_list
from ..store.rawtiles import raw_frame, raw_key, raw_window, storage
from ..store.storage import output_storage_from_config
from . import learning
from .projects import spots

log = logging.getLogger(__name__)


def project_data(project: Project, progress: Progress | None = None) -> formats.ProjectData:
    """Everything in a project as arrays and lists, for export. ``progress`` is told the
    fraction of the planes read."""
    planes = project.frames * (project.features + project.channels)
    read = 0

    def tell(what: str) -> None:
        nonlocal read
        read += 1
        if progress is not None:
            progress(read / planes, f"Reading the {what}")

    labels = np.zeros((project.frames, project.height, project.width, project.features), np.int32)
    for feature in range(project.features):
        for frame in range(project.frames):
            labels[frame, :, :, feature] = read_frame(project, feature, frame)
            tell(f"labels (frame {frame + 1} of {project.frames}, feature {feature + 1})")
    raw = np.empty(
        (project.frames, project.height, project.width, project.channels), np.dtype(project.dtype)
    )
    for frame in range(project.frames):
        for channel in range(project.channels):
            raw[frame, :, :, channel] = raw_frame(project, frame, channel)
            tell(f"image (frame {frame + 1} of {project.frames}, channel {channel + 1})")
    spot_data = spots(project)
    return formats.ProjectData(
        raw=raw,
        labels=labels,
        channel_names=list(project.channel_names),
        feature_names=list(project.feature_names),
        cells=cells_list(project.id),
        divisions=list(project.divisions),
        cell_types=list(project.cell_types),
        spot_columns=list(spot_data["columns"]),
        spots=spot_data["spots"],
        physical_size=project.physical_size,
    )


def project_bands(project: Project, progress: Progress | None = None) -> formats.ProjectBands:
    """The project read band by band from its stored tiles (see formats.streams), with the
    values present in each label frame known from its cells. ``progress`` is told the fraction
    of the bands read (counting one pass over the image and the labels)."""
    cells = cells_list(project.id)
    total = project.frames * (project.channels + project.features)
    total *= -(-project.height // formats.streams.BAND_ROWS)
    read = 0

    def tell(what: str, frame: int) -> None:
        nonlocal read
        read += 1
        if progress is not None:
            progress(
                min(read / total, 0.99),
                f"Writing the {what} (frame {frame + 1} of {project.frames})",
            )

    def raw_band(frame: int, channel: int, y0: int, y1: int) -> np.ndarray:
        tell("image", frame)
        return raw_window(project, frame, channel, (y0, 0, y1, project.width))

    def label_band(frame: int, feature: int, y0: int, y1: int) -> np.ndarray:
        tell("labels", frame)
        return read_window(project, feature, frame, (y0, 0, y1, project.width))

    return formats.ProjectBands(
        frames=project.frames,
        height=project.height,
        width=project.width,
        channels=project.channels,
        features=project.features,
        dtype=tiling.little_endian(project.dtype),
        raw_band=raw_band,
        label_band=label_band,
        values=_present_values(project, cells),
        cells=cells,
        divisions=list(project.divisions),
    )


def _from_bands(writer: Callable[[formats.ProjectBands, BinaryIO], None]):
    """A writer of a project read band by band, as an export writer of a stored project."""

    def write(project: Project, fileobj: BinaryIO, progress: Progress | None = None) -> None:
        writer(project_bands(project, progress), fileobj)

    return write


def _stored_levels(project: Project) -> int:
    """The pyramid levels stored for the project: all of them, or only level 0 for a project
    made before pyramids whose levels were never added (`flask add-pyramids`)."""
    last = raw_key(project.id, project.frames - 1, project.channels - 1, 0, 0, project.levels - 1)
    return project.levels if project.levels == 1 or storage().exists(last) else 1


def _renumbering(project: Project) -> formats.Renumbering:
    """How the export renumbers label values (see normalize_labels), from the cells list: it
    names every value present in every frame."""
    cells = cells_list(project.id)
    return formats.Renumbering(_present_values(project, cells), cells)


def _present_values(project: Project, cells: list[dict]) -> dict[tuple[int, int], np.ndarray]:
    """The sorted values of every (frame, feature), 0 included, from the cells list (which
    names every value present in every frame)."""
    present = {(t, c): {0} for t in range(project.frames) for c in range(project.features)}
    for entry in cells:
        present[entry["t"], entry["c"]].add(entry["value"])
    return {key: np.array(sorted(found), np.int32) for key, found in present.items()}


def _write_project_zip(
    project: Project, fileobj: BinaryIO, progress: Progress | None = None
) -> None:
    """The project zip straight from the stored tiles, at every stored pyramid level: raw
    tiles from object storage (full ones copied as they are), label tiles and overviews from
    the database, renumbered where the export renumbers values. ``progress`` is told the
    fraction written, with a message (for a job to report)."""
    store = storage()
    renumbering = _renumbering(project)
    levels = _stored_levels(project)
    label_size = tiling.LABEL_TILE_SIZE
    with ThreadPoolExecutor(max_workers=4) as pool:

        def raw_row(level: int, frame: int, channel: int, tile_y: int) -> dict[int, bytes]:
            height, width = pyramid.level_shape(project.height, project.width, level)
            columns = tiling.tile_count(height, width)[1]
            keys = [raw_key(project.id, frame, channel, tile_y, x, level) for x in range(columns)]
            return dict(enumerate(pool.map(store.get, keys)))

        def label_row(level: int, frame: int, feature: int, tile_y: int) -> dict:
            if level:
                tiles = level_tile_row(project, feature, frame, level, tile_y, label_size)
            else:
                tiles = tile_row(project, feature, frame, tile_y)
            if renumbering.unchanged(frame, feature):
                return tiles
            height, width = pyramid.level_shape(project.height, project.width, level)
            renumbered = {}
            for tile_x, tile in tiles.items():
                if isinstance(tile, bytes):
                    y0, x0, y1, x1 = tiling.tile_box(tile_y, tile_x, height, width, label_size)
                    tile = tiling.decode(tile, (y1 - y0, x1 - x0), np.int32)
                renumbered[tile_x] = renumbering.apply(frame, feature, tile)
            return renumbered

        shape = (project.frames, project.height, project.width)
        spot_data = spots(project)
        tiled = TiledProject(
            raw=TiledPlanes(
                shape[0],
                project.channels,
                *shape[1:],
                np.dtype(project.dtype),
                tiling.TILE_SIZE,
                levels,
                raw_row,
            ),
            labels=TiledPlanes(
                shape[0],
                project.features,
                *shape[1:],
                np.dtype(np.int32),
                label_size,
                levels,
                label_row,
            ),
            channel_names=list(project.channel_names),
            feature_names=list(project.feature_names),
            cells=renumbering.cells,
            divisions=list(project.divisions),
            cell_types=list(project.cell_types),
            spot_columns=list(spot_data["columns"]),
            spots=spot_data["spots"],
            physical_size=project.physical_size,
            extra_files=learning.zip_files(project),
        )
        write_tiled_project_zip(tiled, fileobj, progress, str(_scratch()))


def _scratch() -> Path:
    folder = Path(current_app.config["DATA_DIR"]) / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_ome_zarr(project: Project, fileobj: BinaryIO, progress: Progress | None = None) -> None:
    """OME-Zarr straight from the stored tiles: raw tiles from object storage, label tiles
    from the database, one row of tiles at a time. ``progress`` is told the fraction of the
    rows of tiles read."""

    store = storage()
    rows, columns = tiling.tile_count(project.height, project.width)
    label_rows_per_frame = tiling.tile_count(project.height, project.width, tiling.LABEL_TILE_SIZE)[
        0
    ]
    total = project.frames * (project.channels * rows + project.features * label_rows_per_frame)
    done = 0

    def tell(what: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(min(done / total, 0.99), f"Writing the {what}")

    with ThreadPoolExecutor(max_workers=4) as pool:

        def raw_rows(frame: int, channel: int):
            def row(tile_y: int) -> dict[int, bytes]:
                keys = [raw_key(project.id, frame, channel, tile_y, x) for x in range(columns)]
                tell(f"image (frame {frame + 1} of {project.frames}, channel {channel + 1})")
                return dict(enumerate(pool.map(store.get, keys)))

            return row

        def label_rows(feature: int, frame: int):
            def row(tile_y: int) -> dict[int, bytes]:
                tell(f"labels (frame {frame + 1} of {project.frames}, feature {feature + 1})")
                return tile_row(project, feature, frame, tile_y)

            return row

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
            physical_size=project.physical_size,
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
    "zip": (_write_project_zip, "application/zip", "zip"),
    "npz": (_from_bands(formats.write_npz_bands), "application/octet-stream", "npz"),
    "ctc": (_from_bands(formats.write_ctc_bands), "application/zip", "ctc.zip"),
    "trk": (_from_bands(formats.write_trk_bands), "application/x-tar", "trk"),
    "ome-zarr": (_write_ome_zarr, "application/zip", "ome.zarr.zip"),
}


CHANGED_ATTEMPTS = 3  # exports begun again when the project changed while being written


def check_format(kind: str) -> str:
    if kind not in EXPORT_FORMATS:
        raise InputFormatError(
            f"Unknown export format {str(kind)[:20]!r}; use one of {', '.join(EXPORT_FORMATS)}."
        )
    return kind


def file_name(project: Project, kind: str) -> tuple[str, str]:
    """The export's file name and content type."""
    _, content_type, ending = EXPORT_FORMATS[check_format(kind)]
    return f"{project.id}.{ending}", content_type


def _version(project: Project) -> int:
    """The project's version as this session's transaction sees it."""
    return db.session.execute(select(Project.version).where(Project.id == project.id)).scalar_one()


def write_export(
    project: Project, kind: str, fileobj: BinaryIO, progress: Progress | None = None
) -> int:
    """Write the export into ``fileobj`` (from its start); returns the version exported.

    The export is read over many queries. On MySQL they all read one snapshot (the
    transaction's); on SQLite an edit committed meanwhile is seen halfway, so when the version
    moved during the writing, the export is written again (CHANGED_ATTEMPTS times at most).
    """
    writer = EXPORT_FORMATS[check_format(kind)][0]
    for attempt in range(CHANGED_ATTEMPTS):
        version = _version(project)
        fileobj.seek(0)
        fileobj.truncate()
        try:
            writer(project, fileobj, progress)
        except DeepCellLabelError:
            if _version(project) == version:
                raise
            continue
        if _version(project) == version:
            fileobj.flush()
            return version
        log.info("project %s changed while it was exported (attempt %d)", project.id, attempt + 1)
        if progress is not None:
            progress(0.0, "The project was edited meanwhile: exporting it again")
    raise ConflictError(
        f"The project was edited while it was exported, {CHANGED_ATTEMPTS} times in a row. "
        "Export it again when fewer edits are being made."
    )


def export(
    project: Project, kind: str = "zip", progress: Progress | None = None
) -> tuple[BinaryIO, str, str]:
    """The project as a download: (an open temporary file at its start, file name, content
    type). The file disappears when closed; the caller closes it. ``progress(fraction,
    message)`` is told how far the writing is."""
    filename, content_type = file_name(project, kind)
    fileobj = tempfile.TemporaryFile(dir=_scratch(), prefix="export-")  # noqa: SIM115
    try:
        write_export(project, kind, fileobj, progress)
        fileobj.seek(0)
    except BaseException:
        fileobj.close()
        raise
    return fileobj, filename, content_type


def submit(project: Project, kind: str = "zip") -> dict:
    """Write the export to the configured output bucket (never one the client names)."""
    fileobj, filename, _ = export(project, kind)
    with fileobj:
        return deliver(project, filename, fileobj)


def deliver(project: Project, filename: str, fileobj: BinaryIO) -> dict:
    """Copy a written export (an open file) to the configured output bucket."""
    size = fileobj.seek(0, os.SEEK_END)
    fileobj.seek(0)
    target, bucket = output_storage_from_config(current_app.config)
    key = f"{project.id}/{filename}"
    target.put_file(key, fileobj)
    log.info("submitted project %s to %s/%s", project.id, bucket, key)
    return {"bucket": bucket, "key": key, "bytes": size}
