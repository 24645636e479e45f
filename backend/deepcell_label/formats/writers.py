"""Export: the project zip (see docs/FORMATS.md) and the DeepCell .npz (written band by band).

The project zip's images are tiled, pyramidal OME-TIFFs written tile by tile
(:mod:`ome_tiff`), from a project's stored tiles or from arrays in memory alike.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
import tifffile

from deepcell_label.formats import tiling
from deepcell_label.formats.cells import Renumbering, format_spots, normalize_labels
from deepcell_label.formats.data import (
    ProjectData,
    default_channel_names,
    default_feature_names,
    names_or_default,
)
from deepcell_label.formats.levels import every_other, mean_2x2
from deepcell_label.formats.ome_tiff import Progress, TiledPlanes, array_planes, write_ome_tiff
from deepcell_label.formats.streams import ProjectBands, bands_of, npy_pieces

# A fixed timestamp makes the same project give the same zip entries.
ENTRY_TIME = (1980, 1, 1, 0, 0, 0)
# A TIFF is written to a temporary file before it goes into the zip (the TIFF writer goes back
# to fill in offsets); it stays in memory up to this size.
SPOOL_BYTES = 4 * 2**20


@dataclass
class TiledProject:
    """A project as the project zip takes it: the image and the labels as tiles at every level
    (labels already renumbered by ``normalize_labels``, ``cells`` the cells it gave)."""

    raw: TiledPlanes
    labels: TiledPlanes
    channel_names: list[str]
    feature_names: list[str]
    cells: list[dict]
    divisions: list[dict] = field(default_factory=list)
    cell_types: list[dict] = field(default_factory=list)
    spot_columns: list[str] = field(default_factory=list)
    spots: list[list[float]] = field(default_factory=list)
    physical_size: dict | None = None
    # Files of other parts of the project, e.g. embeddings.json and markers.json.
    extra_files: dict[str, bytes] = field(default_factory=dict)


def write_project_zip(
    data: ProjectData, fileobj: BinaryIO, progress: Progress | None = None
) -> None:
    """Write the project zip of a project in memory (see :func:`write_tiled_project_zip`).

    Labels are renumbered by ``normalize_labels`` first."""
    raw = np.asarray(data.raw)
    labels, cells = _export_labels(data)
    project = TiledProject(
        raw=array_planes(raw, tiling.TILE_SIZE, mean_2x2),
        labels=array_planes(labels, tiling.LABEL_TILE_SIZE, every_other),
        channel_names=data.channel_names,
        feature_names=data.feature_names,
        cells=cells,
        divisions=data.divisions,
        cell_types=data.cell_types,
        spot_columns=data.spot_columns,
        spots=data.spots,
        physical_size=data.physical_size,
    )
    write_tiled_project_zip(project, fileobj, progress)


def write_tiled_project_zip(
    project: TiledProject,
    fileobj: BinaryIO,
    progress: Progress | None = None,
    scratch: str | None = None,
) -> None:
    """Write the project zip: X.ome.tiff, y.ome.tiff, cells.json, divisions.json,
    cellTypes.json, channels.json and, when there are spot columns, spots.csv.

    Both TIFFs are tiled OME-TIFFs, dimension order TCYX (frames as T, channels or features
    as C), deflated, with the lower pyramid levels as SubIFDs and the physical pixel size;
    they are stored in the zip uncompressed. Nothing is held whole: each TIFF goes through a
    temporary file (in ``scratch``, a folder, when it grows large). ``progress`` is told the
    fraction of tiles written, with a message.
    """
    channels = names_or_default(
        project.channel_names, project.raw.channels, default_channel_names(project.raw.channels)
    )
    features = names_or_default(
        project.feature_names,
        project.labels.channels,
        default_feature_names(project.labels.channels),
    )
    raw_share = project.raw.tile_count() / max(
        project.raw.tile_count() + project.labels.tile_count(), 1
    )
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for name, planes, names, share, start in (
            ("X.ome.tiff", project.raw, channels, raw_share, 0.0),
            ("y.ome.tiff", project.labels, features, 1 - raw_share, raw_share),
        ):
            told = None if progress is None else _part_of(progress, start, share, name)
            with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, dir=scratch) as tiff:
                # tifffile wants a name for a file it did not open; it is never used.
                handle = tifffile.FileHandle(tiff, name=name)
                write_ome_tiff(planes, handle, names, project.physical_size, told)
                _add_file(archive, name, tiff)
        _add(archive, "cells.json", _json(project.cells))
        _add(archive, "divisions.json", _json(project.divisions))
        _add(archive, "cellTypes.json", _json(project.cell_types))
        _add(archive, "channels.json", _json(channels))
        if project.spot_columns:
            _add(archive, "spots.csv", format_spots(project.spot_columns, project.spots).encode())
        for name, content in sorted(project.extra_files.items()):
            _add(archive, name, content)


def _part_of(progress: Progress, start: float, share: float, name: str) -> Progress:
    return lambda fraction, message: progress(start + share * fraction, f"{name}: {message}")


def write_npz(data: ProjectData, fileobj: BinaryIO) -> None:
    """Write arrays ``X`` (frames, height, width, channels) and ``y`` (frames, height, width,
    features, int32, renumbered by ``normalize_labels``). A value encoding several cells
    cannot be told apart from a cell in this format; use the project zip to keep overlaps."""
    write_npz_bands(bands_of(data), fileobj)


def write_npz_bands(project: ProjectBands, fileobj: BinaryIO) -> None:
    """:func:`write_npz` of a project read band by band: each .npy member is written into the
    zip (deflated, as numpy.savez_compressed does) as its bands are read, so only a band of
    each array is held."""
    renumbering = Renumbering(project.values, project.cells)
    frames, height, width = project.frames, project.height, project.width

    def label_rows(frame: int, y0: int, y1: int) -> np.ndarray:
        bands = [project.label_band(frame, c, y0, y1) for c in range(project.features)]
        return np.stack([renumbering.apply(frame, c, b) for c, b in enumerate(bands)], axis=-1)

    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for name, channels, dtype, blocks in (
            ("X.npy", project.channels, project.dtype, project.blocks(project.raw_rows)),
            ("y.npy", project.features, np.dtype(np.int32), project.blocks(label_rows)),
        ):
            shape = (frames, height, width, channels)
            with archive.open(_entry(name, zipfile.ZIP_DEFLATED), "w", force_zip64=True) as member:
                for piece in npy_pieces(shape, dtype, blocks):
                    member.write(piece)


def _export_labels(data: ProjectData) -> tuple[np.ndarray, list[dict]]:
    if data.labels is None:
        frames, height, width, _ = data.raw.shape
        return np.zeros((frames, height, width, 1), dtype=np.int32), []
    return normalize_labels(data.labels, data.cells)


def _json(content: Any) -> bytes:
    return json.dumps(content).encode()


def _entry(name: str, compression: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ENTRY_TIME)
    info.compress_type = compression
    return info


def _add(archive: zipfile.ZipFile, name: str, content: bytes) -> None:
    archive.writestr(_entry(name, zipfile.ZIP_DEFLATED), content)


def _add_file(
    archive: zipfile.ZipFile, name: str, source: BinaryIO, compression: int = zipfile.ZIP_STORED
) -> None:
    """Copy a file into the zip, by default uncompressed: its tiles are compressed already, and
    a stored member can be read where it lies when the zip is imported again."""
    info = _entry(name, compression)
    info.file_size = source.seek(0, io.SEEK_END)
    source.seek(0)
    with archive.open(info, "w") as target:
        shutil.copyfileobj(source, target, tiling.TILE_SIZE * tiling.TILE_SIZE)
