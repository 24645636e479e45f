"""Export to the legacy ``.trk`` file of deepcell-tracking: a tar of ``raw.npy``,
``tracked.npy`` and ``lineage.json``."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterable
from typing import BinaryIO

import numpy as np

from deepcell_label.formats.ctc import CellsOfValues, cell_frames, feature_divisions
from deepcell_label.formats.data import ProjectData
from deepcell_label.formats.streams import (
    PiecesReader,
    ProjectBands,
    bands_of,
    npy_pieces,
    npy_size,
)


def write_trk(data: ProjectData, fileobj: BinaryIO, feature: int = 0) -> None:
    """Write an uncompressed tar with ``raw.npy`` (frames, y, x, channels; pixel type as
    loaded), ``tracked.npy`` (frames, y, x, 1; int32, the labels of ``feature``) and
    ``lineage.json``: per cell ``{"label", "frames", "daughters", "parent", "frame_div",
    "capped"}`` keyed by the cell id as text.

    Pixels hold cell ids; a value encoding several cells goes to the cell with the smallest
    id. The divisions of ``feature`` are written, every one of them (the format holds one
    tracked feature). ``frame_div`` is the division's ``t`` and ``capped`` is true for a cell that divides.
    The layout allows one division per parent: a parent with several divisions gets all
    daughters in one list and the earliest ``t``.
    """
    write_trk_bands(bands_of(data), fileobj, feature)


def write_trk_bands(project: ProjectBands, fileobj: BinaryIO, feature: int = 0) -> None:
    """:func:`write_trk` of a project read band by band: each .npy member is written into the
    tar (its size known from its shape) as its bands are read."""
    cells = CellsOfValues(project, feature)
    lineage = trk_lineage(cell_frames(cells.present), feature_divisions(project.divisions, feature))
    frames, height, width = project.frames, project.height, project.width

    def tracked_rows(t: int, y0: int, y1: int) -> np.ndarray:
        return cells.apply(t, project.label_band(t, feature, y0, y1))

    lineage_file = json.dumps(lineage).encode()
    members = (
        ("raw.npy", (frames, height, width, project.channels), project.dtype, project.raw_rows),
        ("tracked.npy", (frames, height, width, 1), np.dtype(np.int32), tracked_rows),
    )
    with tarfile.open(fileobj=fileobj, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, shape, dtype, read in members:
            pieces = npy_pieces(shape, dtype, project.blocks(read))
            _add_member(archive, name, npy_size(shape, dtype), pieces)
        _add_member(archive, "lineage.json", len(lineage_file), [lineage_file])


def _add_member(archive: tarfile.TarFile, name: str, size: int, pieces: Iterable) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o644
    archive.addfile(info, io.BufferedReader(PiecesReader(pieces)))  # reads whole pieces


def trk_lineage(frames_of: dict[int, list[int]], divisions: list[dict]) -> dict[str, dict]:
    """The lineage.json of deepcell-tracking for the cells present in ``frames_of`` (cell ->
    sorted frames). Divisions naming cells that are in no frame are left out."""
    daughters: dict[int, list[int]] = {}
    frame_div: dict[int, int] = {}
    parent_of: dict[int, int] = {}
    for division in divisions:
        parent = int(division["parent"])
        kept = [int(d) for d in division["daughters"] if int(d) in frames_of]
        if parent not in frames_of or not kept:
            continue
        daughters.setdefault(parent, [])
        daughters[parent] += [d for d in kept if d not in daughters[parent]]
        frame_div[parent] = min(int(division["t"]), frame_div.get(parent, int(division["t"])))
        for daughter in kept:
            parent_of.setdefault(daughter, parent)
    return {
        str(cell): {
            "label": cell,
            "frames": frames_of[cell],
            "daughters": daughters.get(cell, []),
            "parent": parent_of.get(cell),
            "frame_div": frame_div.get(cell),
            "capped": cell in daughters,
        }
        for cell in sorted(frames_of)
    }
