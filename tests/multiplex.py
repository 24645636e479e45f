"""A made-up multiplexed image for the learning tests: round cells on a grid, each of one of
a few types, a type told by which marker channel is bright, with noise in every pixel and in
every cell's brightness."""

from __future__ import annotations

import io

import numpy as np

CHANNELS = ["DNA", "CD3", "CD20", "CD68"]
TYPES = {"T cell": "CD3", "B cell": "CD20", "Macrophage": "CD68"}


def multiplexed(
    rows: int = 12, columns: int = 12, seed: int = 0, spacing: int = 14, radius: int = 5
):
    """(raw (1, H, W, channels) float32, labels (1, H, W, 1) int32, truth {cell: type name})."""
    rng = np.random.default_rng(seed)
    height, width = rows * spacing, columns * spacing
    raw = rng.normal(5.0, 3.0, size=(height, width, len(CHANNELS))).clip(0)
    labels = np.zeros((height, width), np.int32)
    yy, xx = np.mgrid[:height, :width]
    names = list(TYPES)
    truth = {}
    cell = 0
    for row in range(rows):
        for column in range(columns):
            cell += 1
            cy = row * spacing + spacing // 2 + rng.integers(-1, 2)
            cx = column * spacing + spacing // 2 + rng.integers(-1, 2)
            r = radius + rng.integers(-1, 2)
            disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
            labels[disc] = cell
            kind = names[int(rng.integers(len(names)))]
            truth[cell] = kind
            levels = rng.lognormal(np.log(12.0), 0.4, size=len(CHANNELS))
            levels[0] = rng.lognormal(np.log(80.0), 0.2)  # every cell has a nucleus
            levels[CHANNELS.index(TYPES[kind])] = rng.lognormal(np.log(90.0), 0.35)
            raw[disc] += levels + rng.normal(0, 15.0, size=(int(disc.sum()), len(CHANNELS)))
    return raw[np.newaxis].astype(np.float32), labels[np.newaxis, ..., np.newaxis], truth


def multiplexed_npz(**kwargs) -> tuple[bytes, dict[int, str]]:
    raw, labels, truth = multiplexed(**kwargs)
    buffer = io.BytesIO()
    np.savez(buffer, X=raw, y=labels)
    return buffer.getvalue(), truth
