"""Export: the project zip (see docs/FORMATS.md) and the DeepCell .npz."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any, BinaryIO

import numpy as np
import tifffile

from deepcell_label.formats.cells import format_spots, normalize_labels
from deepcell_label.formats.data import (
    ProjectData,
    default_channel_names,
    default_feature_names,
    names_or_default,
)

# A fixed timestamp makes the same project give the same zip entries.
ENTRY_TIME = (1980, 1, 1, 0, 0, 0)


def write_project_zip(data: ProjectData, fileobj: BinaryIO) -> None:
    """Write the project zip: X.ome.tiff, y.ome.tiff, cells.json, divisions.json,
    cellTypes.json, channels.json and, when there are spot columns, spots.csv.

    Both TIFFs are OME-TIFF with dimension order TCYX (frames as T, channels or features as C),
    deflate-compressed. Labels are renumbered by ``normalize_labels`` first.
    """
    raw = np.asarray(data.raw)
    labels, cells = _export_labels(data)
    channels = names_or_default(
        data.channel_names, raw.shape[3], default_channel_names(raw.shape[3])
    )
    features = names_or_default(
        data.feature_names, labels.shape[3], default_feature_names(labels.shape[3])
    )
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED) as archive:
        # The TIFFs are compressed inside; compressing them again costs time for nothing.
        _add(archive, "X.ome.tiff", _ome_tiff(raw, channels), zipfile.ZIP_STORED)
        _add(archive, "y.ome.tiff", _ome_tiff(labels, features), zipfile.ZIP_STORED)
        _add(archive, "cells.json", _json(cells))
        _add(archive, "divisions.json", _json(data.divisions))
        _add(archive, "cellTypes.json", _json(data.cell_types))
        _add(archive, "channels.json", _json(channels))
        if data.spot_columns:
            _add(archive, "spots.csv", format_spots(data.spot_columns, data.spots).encode())


def write_npz(data: ProjectData, fileobj: BinaryIO) -> None:
    """Write arrays ``X`` (frames, height, width, channels) and ``y`` (frames, height, width,
    features, int32, renumbered by ``normalize_labels``). A value encoding several cells
    cannot be told apart from a cell in this format; use the project zip to keep overlaps."""
    labels, _ = _export_labels(data)
    np.savez_compressed(fileobj, X=np.asarray(data.raw), y=labels)


def _export_labels(data: ProjectData) -> tuple[np.ndarray, list[dict]]:
    if data.labels is None:
        frames, height, width, _ = data.raw.shape
        return np.zeros((frames, height, width, 1), dtype=np.int32), []
    return normalize_labels(data.labels, data.cells)


def _ome_tiff(array: np.ndarray, channel_names: list[str]) -> bytes:
    buffer = io.BytesIO()
    tifffile.imwrite(
        buffer,
        np.moveaxis(array, 3, 1),
        ome=True,
        photometric="minisblack",
        compression="zlib",
        metadata={"axes": "TCYX", "Channel": {"Name": channel_names}},
    )
    return buffer.getvalue()


def _json(content: Any) -> bytes:
    return json.dumps(content).encode()


def _add(
    archive: zipfile.ZipFile, name: str, content: bytes, compression: int = zipfile.ZIP_DEFLATED
) -> None:
    info = zipfile.ZipInfo(name, date_time=ENTRY_TIME)
    info.compress_type = compression
    archive.writestr(info, content)
