"""The in-memory form of a project as the readers return it and the writers take it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class ProjectData:
    """Raw image, labels and annotations of one project.

    ``raw`` is (frames, height, width, channels) in the file's dtype; ``labels`` is
    (frames, height, width, features) int32 or None. ``cells`` maps label values to cells
    per frame (``t``) and feature (``c``); None means every nonzero value is its own cell.
    """

    raw: np.ndarray
    labels: np.ndarray | None = None
    channel_names: list[str] = field(default_factory=list)
    feature_names: list[str] = field(default_factory=list)
    cells: list[dict] | None = None
    divisions: list[dict] = field(default_factory=list)
    cell_types: list[dict] = field(default_factory=list)
    spot_columns: list[str] = field(default_factory=list)
    spots: list[list[float]] = field(default_factory=list)


def default_channel_names(count: int) -> list[str]:
    return [f"channel {i}" for i in range(count)]


def default_feature_names(count: int) -> list[str]:
    return [f"feature {i}" for i in range(count)]


def names_or_default(names: list[str] | None, count: int, default: list[str]) -> list[str]:
    """Use ``names`` when there is exactly one per channel; fill blanks from ``default``."""
    if not names or len(names) != count:
        return default
    return [
        name if isinstance(name, str) and name.strip() else default[i]
        for i, name in enumerate(names)
    ]


@dataclass
class ImageArray:
    """One array as a file stores it, before it is brought into (frames, height, width, channels).

    ``axes`` is the dimension order the file's metadata gives, or None when only the shape is
    known; ``channel_names`` are names found in the metadata, or None.
    """

    array: np.ndarray
    axes: str | None = None
    channel_names: list[str] | None = None
