"""Campaigns: agreement of two replicas of a large image, beside a naive cell-by-cell loop.

Agreement: two labellings of a SIZE² image with about 10 000 cells (bench/common.py layout, the
second replica with every cell moved a little, one cell in 50 dropped and one in 50 shifted off
its place), compared with labels/agreement.compare (sparse overlap table, optimal matching)
and made into a consensus with a third replica. Baseline in the same run: the naive way, for
each cell of the first replica its mask, the cells of the second under it, and each pair's IoU
from two full-image masks, timed on BASELINE_CELLS cells and scaled to all of them.
"""

from __future__ import annotations

import time

import numpy as np

from .common import (
    QUICK,
    Goal,
    cell_layout,
    goals_table,
    render_labels,
    summary,
    table,
    time_calls,
    write_results,
)

SIZE = 512 if QUICK else 2048
RUNS = 3 if QUICK else 7
BASELINE_CELLS = 20 if QUICK else 60


def _replicas() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    layout = cell_layout(SIZE, SIZE, seed=3)
    first = render_labels(layout, SIZE, SIZE)
    second = render_labels(layout.at(1), SIZE, SIZE)
    ids = layout.ids.ravel()
    second[np.isin(second, ids[::50])] = 0
    shifted = np.isin(second, ids[25::50])
    second[np.roll(shifted, 6, axis=1)] = second[shifted]
    second[shifted & ~np.roll(shifted, 6, axis=1)] = 0
    third = render_labels(layout.at(2), SIZE, SIZE)
    return first, second, third


def _naive(a: np.ndarray, b: np.ndarray, cells: np.ndarray) -> list[tuple[int, int, float]]:
    """Each cell's best partner by IoU, one full-image mask comparison per pair."""
    pairs = []
    for cell in cells.tolist():
        mask = a == cell
        best = (0, 0.0)
        for other in np.unique(b[mask]).tolist():
            if other == 0:
                continue
            other_mask = b == other
            score = np.count_nonzero(mask & other_mask) / np.count_nonzero(mask | other_mask)
            best = max(best, (other, score), key=lambda x: x[1])
        pairs.append((cell, *best))
    return pairs


def run() -> str:
    from deepcell_label.labels import agreement

    first, second, third = _replicas()
    cells = np.unique(first[first != 0])
    found = agreement.compare(first, second)
    compare = summary(time_calls(lambda _: agreement.compare(first, second), RUNS))
    consensus = summary(time_calls(lambda _: agreement.consensus([first, second, third]), 3))
    subset = cells[:: max(1, cells.size // BASELINE_CELLS)][:BASELINE_CELLS]
    started = time.perf_counter()
    _naive(first, second, subset)
    naive_ms = (time.perf_counter() - started) * 1000 / subset.size * cells.size
    ratio = naive_ms / compare["median_ms"]
    data = {
        "size": SIZE,
        "cells": int(cells.size),
        "agreement": found.as_dict(),
        "compare": compare,
        "consensus_of_three": consensus,
        "naive_whole_image_ms": naive_ms,
        "naive_cells_timed": int(subset.size),
    }
    write_results("campaigns", data)
    rows = [
        ("compare (sparse overlaps, optimal matching)", compare["median_ms"], 1.0),
        ("consensus of three replicas", consensus["median_ms"], ""),
        (
            f"naive per-cell IoU loop ({subset.size} cells, scaled to {cells.size})",
            naive_ms,
            round(ratio, 1),
        ),
    ]
    return "\n".join(
        [
            table(
                f"Agreement of two replicas of {SIZE}² with {cells.size:,} cells "
                f"(F1 {found.f1:.3f}, merges {found.merges:.0f}, missed {found.missed:.0f})",
                ("what", "median ms", "× slower than compare"),
                rows,
            ),
            goals_table(
                "Campaign goals",
                [
                    Goal(
                        f"agreement of two {SIZE}² replicas with {cells.size:,} cells ≤ 1 s",
                        f"{compare['median_ms']:.0f} ms (naive {naive_ms / 1000:.0f} s, "
                        f"{ratio:.0f}× slower)",
                        compare["median_ms"] <= 1000,
                    )
                ],
            ),
        ]
    )
