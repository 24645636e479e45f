"""The in-memory form of a project as the readers return it and the writers take it, and the
pixels of a file before they are read."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# Checks the values of a block of pixels and gives them back (or converted) for their array.
Convert = Callable[[np.ndarray], np.ndarray]


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
    # {"x", "y", "z", "unit"} (see physical.py) or None when the file does not say.
    physical_size: dict | None = None
    # What was converted on import, one sentence each, for the project's notes.
    notes: list[str] = field(default_factory=list)
    # embeddings.json (cells, vectors) and markers.json of a project zip (formats/learning_files.py).
    embeddings: tuple[np.ndarray, np.ndarray] | None = None
    markers: dict[str, list[str]] = field(default_factory=dict)


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


class LazyPixels:
    """An array of a file known from its header (``shape``, ``dtype``) whose pixels are read
    only when :meth:`read_into` writes them into their final place.

    Subclasses implement ``read_into``; ``shape`` may be changed only by adding or removing
    dimensions of size 1 (:meth:`reshape`), which leaves the pixels' order as it is.
    """

    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def read_into(self, out: np.ndarray, convert: Convert) -> None:
        """Write the pixels into ``out`` (an array of ``shape``, often a strided view into the
        final array, perhaps of another dtype), block by block through ``convert``."""
        raise NotImplementedError

    def reshape(self, shape: tuple[int, ...]) -> LazyPixels:
        shape = tuple(int(n) for n in shape)
        if [n for n in shape if n != 1] != [n for n in self.shape if n != 1]:
            raise ValueError(f"cannot reshape {self.shape} to {shape} without reading")
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.shape = shape
        return other

    def load(self) -> np.ndarray:
        """Every pixel, read into a new array in the file's own dtype."""
        out = np.empty(self.shape, np.dtype(self.dtype).newbyteorder("="))
        self.read_into(out, lambda block: block)
        return out


def copy_blocks(source: np.ndarray, out: np.ndarray, convert: Convert) -> None:
    """``out[...] = convert(source)``, one index of the first dimension at a time so that a
    conversion never needs a second copy of the whole array."""
    if source.ndim == 0 or source.shape[0] <= 1:
        out[...] = convert(source)
        return
    for index in range(source.shape[0]):
        out[index] = convert(source[index])


@dataclass
class ImageArray:
    """One array as a file stores it, before it is brought into (frames, height, width, channels).

    ``pixels`` is the array, or a :class:`LazyPixels` read only when it is put in place.
    ``axes`` is the dimension order the file's metadata gives, or None when only the shape is
    known; ``channel_names`` are names found in the metadata, or None; ``physical_size`` is
    the file's pixel size (see physical.py), or None.
    """

    pixels: np.ndarray | LazyPixels
    axes: str | None = None
    channel_names: list[str] | None = None
    physical_size: dict | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.pixels.shape)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.pixels.dtype)

    @property
    def array(self) -> np.ndarray:
        """The whole array in memory (read now if it was not yet)."""
        if isinstance(self.pixels, LazyPixels):
            self.pixels = self.pixels.load()
        return self.pixels
