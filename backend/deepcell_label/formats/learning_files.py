"""The project zip's files of learnt cell types: ``embeddings.json`` (imported vectors, one per
cell) and ``markers.json`` (each cell type's marker channels). Read, checked and written here;
the rest of the zip does not depend on them."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from deepcell_label.errors import InputFormatError

EMBEDDINGS_FILE = "embeddings.json"
MARKERS_FILE = "markers.json"
MAX_DIMENSIONS = 4096
MAX_MARKER_NAME = 200


def parse_embeddings(content: Any, what: str = EMBEDDINGS_FILE) -> tuple[np.ndarray, np.ndarray]:
    """``{"<cell>": [numbers...]}`` as (cells ascending, vectors (cells, dimensions) float64).

    Every key must be a cell id (a whole number above 0), every vector a non-empty list of
    finite numbers, all of the same length. Raises ``InputFormatError`` naming the first
    problem and how to fix it.
    """
    if not isinstance(content, Mapping) or not content:
        raise InputFormatError(
            f'{what} must be a JSON object of cells and their vectors, e.g. {{"1": [0.5, 2.0], '
            '"2": [1.5, 0.1]}.'
        )
    cells, vectors = [], []
    length = None
    for key, vector in content.items():
        cell = _cell_id(key, what)
        if not isinstance(vector, list) or not vector:
            raise InputFormatError(f"In {what}, cell {cell} needs a non-empty list of numbers.")
        if length is None:
            length = len(vector)
            if length > MAX_DIMENSIONS:
                raise InputFormatError(
                    f"In {what}, the vectors have {length} numbers; at most {MAX_DIMENSIONS} are "
                    "accepted."
                )
        elif len(vector) != length:
            raise InputFormatError(
                f"In {what}, cell {cell} has {len(vector)} numbers but the first cell has "
                f"{length}: every vector must have the same length."
            )
        if not all(
            isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
            for x in vector
        ):
            raise InputFormatError(
                f"In {what}, the vector of cell {cell} holds something that is not a finite "
                "number (text, null, NaN or infinity)."
            )
        cells.append(cell)
        vectors.append(vector)
    order = np.argsort(cells, kind="stable")
    cells_array = np.asarray(cells, np.int64)[order]
    if np.any(np.diff(cells_array) == 0):
        repeated = int(cells_array[np.flatnonzero(np.diff(cells_array) == 0)[0]])
        raise InputFormatError(f"In {what}, cell {repeated} is given twice.")
    return cells_array, np.asarray(vectors, np.float64)[order]


def _cell_id(key: Any, what: str) -> int:
    text = str(key).strip()
    if not text.isdigit() or int(text) < 1 or len(text) > 10:
        raise InputFormatError(
            f"In {what}, {str(key)[:40]!r} is not a cell id: the keys must be cell ids (whole "
            "numbers from 1)."
        )
    return int(text)


def check_cells_exist(
    cells: np.ndarray, known: Sequence[int] | np.ndarray, what: str = EMBEDDINGS_FILE
) -> None:
    """Refuse vectors of cells the labels do not have."""
    missing = np.setdiff1d(np.asarray(cells, np.int64), np.asarray(known, np.int64))
    if missing.size:
        shown = ", ".join(str(c) for c in missing[:10].tolist())
        raise InputFormatError(
            f"{what} has vectors for {missing.size} cell{'s' if missing.size != 1 else ''} the "
            f"labels do not have ({shown}{'…' if missing.size > 10 else ''}). Give vectors only "
            "for cells of the project."
        )


def embeddings_json(cells: np.ndarray, vectors: np.ndarray) -> bytes:
    """The vectors as ``embeddings.json`` (numbers written so that they read back the same)."""
    return json.dumps(
        {str(int(c)): [float(x) for x in row] for c, row in zip(cells, vectors, strict=True)}
    ).encode()


def parse_markers(content: Any, what: str = MARKERS_FILE) -> dict[str, list[str]]:
    """``{"<type name>": ["<channel name>", ...]}``: each cell type's marker channels."""
    if not isinstance(content, Mapping):
        raise InputFormatError(
            f"{what} must be a JSON object of cell type names and their marker channel names, "
            'e.g. {"T cell": ["CD3", "CD4"]}.'
        )
    markers: dict[str, list[str]] = {}
    for name, channels in content.items():
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_MARKER_NAME:
            raise InputFormatError(
                f"In {what}, a cell type name must be text of 1 to {MAX_MARKER_NAME} characters."
            )
        if not isinstance(channels, list) or not all(
            isinstance(c, str) and c.strip() and len(c) <= MAX_MARKER_NAME for c in channels
        ):
            raise InputFormatError(
                f"In {what}, the markers of {name.strip()[:40]!r} must be a list of channel names."
            )
        markers[name.strip()] = list(dict.fromkeys(c.strip() for c in channels))
    return markers
