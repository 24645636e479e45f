"""Export to the legacy ``.trk`` file of deepcell-tracking: a tar of ``raw.npy``,
``tracked.npy`` and ``lineage.json``."""

from __future__ import annotations

import io
import json
import tarfile
from typing import BinaryIO

import numpy as np

from deepcell_label.formats.ctc import cell_frames, cell_per_pixel, feature_divisions
from deepcell_label.formats.data import ProjectData


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
    cells, present = cell_per_pixel(data, feature)
    lineage = trk_lineage(cell_frames(present), feature_divisions(data.divisions, feature))
    members = {
        "raw.npy": _npy(np.asarray(data.raw)),
        "tracked.npy": _npy(cells[..., np.newaxis]),
        "lineage.json": json.dumps(lineage).encode(),
    }
    with tarfile.open(fileobj=fileobj, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(content))


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


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()
