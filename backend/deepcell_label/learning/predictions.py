"""Predictions from class probabilities: the likeliest type, its probability and the
uncertainty (1 − the highest probability); which to apply; and applying them to the cell
types without touching a type a person gave."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from deepcell_label.errors import EditError

DEFAULT_THRESHOLD = 0.5
MAX_PREDICTIONS = 1_000_000


def predict(
    probabilities: np.ndarray, classes: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(type, probability, uncertainty) per row of ``probabilities`` (cells, classes).

    Ties go to the first class in ``classes`` order.
    """
    probabilities = np.asarray(probabilities, np.float64)
    if probabilities.ndim != 2 or probabilities.shape[1] != len(classes):
        raise ValueError(f"probabilities {probabilities.shape} do not match {len(classes)} classes")
    if not len(probabilities):
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    best = np.argmax(probabilities, axis=1)
    top = probabilities[np.arange(len(best)), best]
    return np.asarray(classes, np.int64)[best], top, 1.0 - top


def most_uncertain_first(uncertainty: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """The order that puts the least sure predictions first (ties by cell id)."""
    return np.lexsort((np.asarray(cells), -np.asarray(uncertainty)))


def confident(uncertainty: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """Which predictions are confident: uncertainty under the threshold."""
    return np.asarray(uncertainty) < threshold


def apply_predictions(
    cell_types: Iterable[Mapping[str, Any]], predictions: Any
) -> tuple[list[dict[str, Any]], int]:
    """Put each predicted cell in its type, unless the cell already has a type.

    ``predictions`` is ``[{"cell", "type"}, ...]`` (``type`` a cell type id). A cell that
    already belongs to any type of the same feature keeps it: a person's label is never
    replaced. Returns the new cell types and how many cells were added.

    Raises
    ------
    EditError
        Malformed predictions, an unknown type, a cell predicted twice.
    """
    if not isinstance(predictions, list) or not 0 < len(predictions) <= MAX_PREDICTIONS:
        raise EditError(
            f"apply_predictions needs 'predictions': a list of 1 to {MAX_PREDICTIONS:,} "
            '{"cell", "type"} entries'
        )
    types = [{**t, "cells": [int(c) for c in t["cells"]]} for t in cell_types]
    by_id = {int(t["id"]): t for t in types}
    typed: dict[int, set[int]] = {}
    for t in types:
        typed.setdefault(int(t.get("feature", 0)), set()).update(t["cells"])
    adding: dict[int, list[int]] = {}
    seen: set[int] = set()
    for entry in predictions:
        if not isinstance(entry, Mapping) or set(entry) - {
            "cell",
            "type",
            "probability",
            "uncertainty",
        }:
            raise EditError('each prediction must be {"cell": <id>, "type": <type id>}')
        cell, type_id = entry.get("cell"), entry.get("type")
        for name, value in (("cell", cell), ("type", type_id)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise EditError(
                    f"a prediction's '{name}' must be a whole number from 1, not {value!r}"
                )
        if type_id not in by_id:
            raise EditError(f"there is no cell type {type_id}; train and predict again")
        if cell in seen:
            raise EditError(f"cell {cell} is predicted twice")
        seen.add(cell)
        feature = int(by_id[type_id].get("feature", 0))
        if cell in typed.get(feature, set()):
            continue  # a person's type stays
        adding.setdefault(type_id, []).append(cell)
    for type_id, cells in adding.items():
        by_id[type_id]["cells"] = sorted(set(by_id[type_id]["cells"]) | set(cells))
    return types, sum(len(cells) for cells in adding.values())
