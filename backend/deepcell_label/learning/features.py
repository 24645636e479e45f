"""Per-cell measurements for the embedding and the classifier: position, area and shape from
the labels (scikit-image's ``regionprops_table``), beside the expression figures of
``labels.expression``; the feature matrix of each source and its normalisation.

A label value may encode several overlapping cells: a cell's mask is every pixel whose value
encodes it, so its shape is measured on the union of those values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from skimage.measure import regionprops_table

from deepcell_label.errors import LearningError

SOURCES = ("position", "mean", "total", "imported")
SHAPE_COLUMNS = ("area", "perimeter", "eccentricity", "circularity", "major_axis", "minor_axis")
# Figures that grow with a cell's size: compared on a log scale.
LOG_SHAPE = ("area", "perimeter", "major_axis", "minor_axis")
_PROPERTIES = (
    "label",
    "area",
    "centroid",
    "perimeter",
    "eccentricity",
    "axis_major_length",
    "axis_minor_length",
    "bbox",
)


def cell_shapes(
    labels: np.ndarray, cells: Mapping[int, Iterable[int]] | None = None
) -> dict[str, np.ndarray]:
    """Centroid, area and shape figures of every cell of one frame.

    Parameters
    ----------
    labels : (height, width) integer array of label values; 0 is background.
    cells : for label values, the cells each encodes; a value not listed encodes the cell of
        its own number.

    Returns
    -------
    ``{"cells": (n,) sorted ids, "y", "x": centroids (rows, columns), "area", "perimeter",
    "eccentricity", "circularity", "major_axis", "minor_axis": (n,) float64}``. Circularity
    is 4π area / perimeter² (about 1 for a disc, less for long or ragged shapes): what solidity
    tells, without a convex hull per cell (which would cost most of the time here).
    """
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be a 2-D integer array, not {labels.dtype} {labels.shape}")
    table = regionprops_table(labels.astype(np.int32, copy=False), properties=_PROPERTIES)
    values = table["label"].astype(np.int64)
    encoded = {int(v): sorted(int(c) for c in cs) for v, cs in (cells or {}).items()}
    values_of: dict[int, list[int]] = {}
    for value in values.tolist():
        for cell in encoded.get(value, [value]):
            values_of.setdefault(cell, []).append(value)
    row_of = {int(v): i for i, v in enumerate(values.tolist())}
    ids = np.array(sorted(values_of), dtype=np.int64)
    figures = _figures(table)
    result = {name: np.zeros(ids.size) for name in ("y", "x", *SHAPE_COLUMNS)}
    # Most cells are one value: their figures are the value's row, copied at once.
    single = np.array([len(values_of[c]) == 1 for c in ids.tolist()], dtype=bool)
    rows = np.array([row_of[values_of[c][0]] for c in ids[single].tolist()], dtype=np.intp)
    for name, column in figures.items():
        result[name][single] = column[rows]
    for i in np.flatnonzero(~single).tolist():
        union = _union_shape(labels, table, [row_of[v] for v in values_of[int(ids[i])]])
        for name, figure in union.items():
            result[name][i] = figure
    return {"cells": ids, **result}


def _figures(table: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The columns of a ``regionprops_table`` as our figures."""
    area = np.asarray(table["area"], np.float64)
    perimeter = np.asarray(table["perimeter"], np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        circularity = np.where(perimeter > 0, 4 * np.pi * area / perimeter**2, 1.0)
    return {
        "y": np.asarray(table["centroid-0"], np.float64),
        "x": np.asarray(table["centroid-1"], np.float64),
        "area": area,
        "perimeter": perimeter,
        "eccentricity": np.asarray(table["eccentricity"], np.float64),
        "circularity": np.minimum(circularity, 1.0),
        "major_axis": np.asarray(table["axis_major_length"], np.float64),
        "minor_axis": np.asarray(table["axis_minor_length"], np.float64),
    }


def _union_shape(labels: np.ndarray, table: Mapping[str, np.ndarray], rows: list[int]) -> dict:
    """The figures of the union of several values' pixels (a cell that overlaps others)."""
    y0 = min(int(table["bbox-0"][r]) for r in rows)
    x0 = min(int(table["bbox-1"][r]) for r in rows)
    y1 = max(int(table["bbox-2"][r]) for r in rows)
    x1 = max(int(table["bbox-3"][r]) for r in rows)
    window = labels[y0:y1, x0:x1]
    mask = np.isin(window, [int(table["label"][r]) for r in rows]).astype(np.int32)
    figures = {
        name: float(column[0])
        for name, column in _figures(regionprops_table(mask, properties=_PROPERTIES)).items()
    }
    figures["y"] += y0
    figures["x"] += x0
    return figures


def combine_shapes(results: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Several frames' shapes as one row per cell: centroid and shape figures averaged over
    the frames the cell is in, weighted by its area in each; area the mean per frame."""
    if not results:
        return {
            "cells": np.zeros(0, np.int64),
            **{n: np.zeros(0) for n in ("y", "x", *SHAPE_COLUMNS)},
        }
    cells = np.concatenate([r["cells"] for r in results])
    ids, index = np.unique(cells, return_inverse=True)
    weights = np.concatenate([r["area"] for r in results])
    weight_sum = np.bincount(index, weights=weights, minlength=ids.size)
    frames = np.bincount(index, minlength=ids.size)
    combined: dict[str, np.ndarray] = {"cells": ids}
    for name in ("y", "x", *SHAPE_COLUMNS):
        column = np.concatenate([r[name] for r in results])
        if name == "area":
            combined[name] = np.bincount(index, weights=column, minlength=ids.size) / frames
        else:
            weighted = np.bincount(index, weights=column * weights, minlength=ids.size)
            combined[name] = weighted / np.maximum(weight_sum, 1e-12)
    return combined


@dataclass
class Measurements:
    """Every figure of the cells of one feature, one row per cell (``cells`` ascending)."""

    cells: np.ndarray
    channels: list[str]
    mean: np.ndarray  # (cells, channels)
    total: np.ndarray  # (cells, channels)
    shapes: dict[str, np.ndarray]  # "y", "x" and SHAPE_COLUMNS, (cells,) each


def join(
    expression: Mapping[str, np.ndarray], shapes: Mapping[str, np.ndarray], channels: list[str]
) -> Measurements:
    """The expression table (``labels.expression``) and the shapes of the same cells together."""
    if not np.array_equal(expression["cells"], shapes["cells"]):
        raise ValueError("the expression and the shapes list different cells")
    return Measurements(
        cells=np.asarray(expression["cells"], dtype=np.int64),
        channels=list(channels),
        mean=np.asarray(expression["mean"], dtype=np.float64),
        total=np.asarray(expression["total"], dtype=np.float64),
        shapes={
            name: np.asarray(shapes[name], dtype=np.float64) for name in ("y", "x", *SHAPE_COLUMNS)
        },
    )


@dataclass
class FeatureTable:
    """The numbers a source gives each cell, before normalisation.

    ``compress`` marks the columns compared on a compressed (arcsinh or log) scale: intensities
    and sizes, whose spread grows with their level. ``shared_scale`` keeps one scale for all
    columns (positions: x and y in the same units). ``weight`` scales columns after
    normalisation: the shape figures of a cell together weigh as much as one channel, so that
    they do not outweigh the markers of an image with few channels.
    """

    cells: np.ndarray
    values: np.ndarray  # (cells, columns)
    columns: list[str]
    compress: np.ndarray  # (columns,) bool
    shared_scale: bool = False
    # Each column's weight after normalisation (None: 1 each).
    weight: np.ndarray | None = None


def feature_table(
    source: str,
    measured: Measurements | None,
    imported: tuple[np.ndarray, np.ndarray] | None = None,
) -> FeatureTable:
    """The features of a source: ``position`` the centroid (x, y); ``mean`` / ``total`` each
    channel's mean / total intensity with the cell's area and shape figures; ``imported`` the
    vectors given for the cells (``imported`` = (cells, vectors))."""
    if source not in SOURCES:
        raise LearningError(
            f"Unknown source {str(source)[:40]!r}; choose one of {', '.join(SOURCES)}."
        )
    if source == "imported":
        if imported is None:
            raise LearningError(
                "The project has no imported embeddings. Upload an embeddings.json "
                '({"<cell>": [numbers...]}) first, or choose another source.'
            )
        cells, vectors = imported
        return FeatureTable(
            cells=np.asarray(cells, np.int64),
            values=np.asarray(vectors, np.float64),
            columns=[f"dimension {i}" for i in range(np.shape(vectors)[1])],
            compress=np.zeros(np.shape(vectors)[1], bool),
        )
    assert measured is not None
    shapes = measured.shapes
    if source == "position":
        return FeatureTable(
            cells=measured.cells,
            values=np.stack([shapes["x"], shapes["y"]], axis=1),
            columns=["x", "y"],
            compress=np.zeros(2, bool),
            shared_scale=True,
        )
    intensity = measured.mean if source == "mean" else measured.total
    shape = np.stack([shapes[name] for name in SHAPE_COLUMNS], axis=1)
    channels = len(measured.channels)
    return FeatureTable(
        cells=measured.cells,
        values=np.concatenate([intensity.reshape(len(measured.cells), -1), shape], axis=1),
        columns=[f"{name} {source}" for name in measured.channels] + list(SHAPE_COLUMNS),
        compress=np.array([True] * channels + [n in LOG_SHAPE for n in SHAPE_COLUMNS]),
        weight=np.array([1.0] * channels + [len(SHAPE_COLUMNS) ** -0.5] * len(SHAPE_COLUMNS)),
    )


@dataclass
class Scaling:
    """How a feature table is normalised, kept so that new cells are normalised alike.

    Compressed columns become ``arcsinh(value / cofactor)`` (``cofactor`` the column's median
    positive value: like log for bright cells, linear near zero, defined for zero and
    negatives); then every column is centred on its mean and divided by its standard
    deviation (one deviation for all columns with ``shared_scale``). Constant columns become 0.
    """

    compress: np.ndarray
    cofactor: np.ndarray
    centre: np.ndarray
    spread: np.ndarray
    weight: np.ndarray

    @classmethod
    def fit(cls, table: FeatureTable) -> Scaling:
        values = np.asarray(table.values, np.float64)
        cofactor = np.ones(values.shape[1])
        for column in np.flatnonzero(table.compress):
            positive = values[:, column][values[:, column] > 0]
            if positive.size:
                cofactor[column] = float(np.median(positive))
        compressed = _compress(values, table.compress, cofactor)
        centre = compressed.mean(axis=0) if len(values) else np.zeros(values.shape[1])
        if table.shared_scale:
            spread = np.full(
                values.shape[1],
                float(np.sqrt(compressed.var(axis=0).mean())) if len(values) else 0.0,
            )
        else:
            spread = compressed.std(axis=0) if len(values) else np.zeros(values.shape[1])
        # A constant column's deviation is rounding noise: it is no spread at all.
        spread = np.where(spread <= 1e-9 * np.maximum(np.abs(centre), 1.0), 0.0, spread)
        weight = np.ones(values.shape[1]) if table.weight is None else table.weight
        return cls(np.asarray(table.compress, bool), cofactor, centre, spread, weight)

    def apply(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, np.float64)
        if values.ndim != 2 or values.shape[1] != self.centre.size:
            raise LearningError(
                f"The cells have {values.shape[-1]} features, but the classifier was trained on "
                f"{self.centre.size}. Train it again."
            )
        compressed = _compress(values, self.compress, self.cofactor)
        spread = np.where(self.spread > 0, self.spread, 1.0)
        normalised = (compressed - self.centre) / spread
        normalised[:, self.spread == 0] = 0.0
        return normalised * self.weight

    def as_arrays(self) -> dict[str, np.ndarray]:
        return {
            "compress": self.compress,
            "cofactor": self.cofactor,
            "centre": self.centre,
            "spread": self.spread,
            "weight": self.weight,
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Scaling:
        return cls(
            np.asarray(arrays["compress"], bool),
            np.asarray(arrays["cofactor"], np.float64),
            np.asarray(arrays["centre"], np.float64),
            np.asarray(arrays["spread"], np.float64),
            np.asarray(arrays["weight"], np.float64),
        )


def _compress(values: np.ndarray, compress: np.ndarray, cofactor: np.ndarray) -> np.ndarray:
    out = values.copy()
    columns = np.flatnonzero(compress)
    if columns.size:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            ratio = values[:, columns] / cofactor[columns]
        # Far past any intensity: keeps arcsinh finite for extreme values and tiny cofactors.
        out[:, columns] = np.arcsinh(np.clip(ratio, -1e300, 1e300))
    return out


def normalise(table: FeatureTable) -> tuple[np.ndarray, Scaling]:
    """The table's values normalised (see :class:`Scaling`), and the scaling used."""
    scaling = Scaling.fit(table)
    return scaling.apply(table.values), scaling


def finite_rows(values: np.ndarray) -> np.ndarray:
    """Rows without NaN or infinity (a cell whose pixels hold NaN intensities)."""
    return np.isfinite(np.asarray(values, np.float64)).all(axis=1)
