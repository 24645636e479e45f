"""Exports: the project as a zip, npz, CTC, .trk or OME-Zarr file, downloaded or submitted to
the output bucket."""

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

from .. import formats
from ..errors import InputFormatError
from ..formats import tiling
from ..formats.omezarr_write import ZarrProject, write_ome_zarr
from ..store.labelstore import read_frame, tile_row
from ..store.models import Project
from ..store.projects import cells_list
from ..store.rawtiles import raw_array, raw_key, storage
from ..store.storage import output_storage_from_config
from .projects import spots

log = logging.getLogger(__name__)


def project_data(project: Project) -> formats.ProjectData:
    """Everything in a project as arrays and lists, for export."""

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
