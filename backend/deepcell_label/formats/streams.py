"""A project read a band of rows at a time, and NumPy ``.npy`` data written as it comes, so that
an export of any size holds one band of one plane at a time instead of the whole project."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from deepcell_label.formats.data import ProjectData

# Rows of a band: a multiple of both tile sizes and of the sampling step of every pyramid level
# (2**10), 64 MiB of an int32 plane 16384 pixels wide.
BAND_ROWS = 1024


@dataclass
class ProjectBands:
    """A project whose planes are read in bands of rows.

    ``raw_band(frame, channel, y0, y1)`` gives rows y0..y1 of a raw plane (height y1 - y0,
    ``width`` wide, ``dtype``); ``label_band(frame, feature, y0, y1)`` the same rows of a label
    plane, int32 values as stored. ``values[frame, feature]`` are the sorted values present in
    a label plane (0 may be listed when absent) and ``cells`` maps them to cells as in
    ProjectData (None: every value its own cell).
    """

    frames: int
    height: int
    width: int
    channels: int
    features: int
    dtype: np.dtype
    raw_band: Callable[[int, int, int, int], np.ndarray]
    label_band: Callable[[int, int, int, int], np.ndarray]
    values: dict[tuple[int, int], np.ndarray]
    cells: list[dict] | None
    divisions: list[dict]
    band_rows: int = BAND_ROWS

    def bands(self) -> Iterator[tuple[int, int]]:
        """(y0, y1) of every band, top to bottom."""
        for y0 in range(0, self.height, self.band_rows):
            yield y0, min(y0 + self.band_rows, self.height)

    def blocks(self, read: Callable[[int, int, int], np.ndarray]) -> Iterator[np.ndarray]:
        """``read(frame, y0, y1)`` of every band of every frame, in C order of (frames, rows)."""
        for frame in range(self.frames):
            for y0, y1 in self.bands():
                yield read(frame, y0, y1)

    def raw_rows(self, frame: int, y0: int, y1: int) -> np.ndarray:
        """Rows y0..y1 of every channel of a frame: (rows, width, channels)."""
        return np.stack([self.raw_band(frame, c, y0, y1) for c in range(self.channels)], axis=-1)


def bands_of(data: ProjectData, band_rows: int = BAND_ROWS) -> ProjectBands:
    """A project in memory as bands (labels None: one feature of zeros)."""
    raw = np.asarray(data.raw)
    frames, height, width, channels = raw.shape
    labels = None if data.labels is None else np.asarray(data.labels)
    if labels is None:
        values = {(t, 0): np.zeros(1, np.int32) for t in range(frames)}
    else:
        values = {
            (t, c): np.unique(labels[t, :, :, c])
            for c in range(labels.shape[3])
            for t in range(frames)
        }

    def label_band(frame: int, feature: int, y0: int, y1: int) -> np.ndarray:
        if labels is None:
            return np.zeros((y1 - y0, width), np.int32)
        return np.asarray(labels[frame, y0:y1, :, feature], dtype=np.int32)

    return ProjectBands(
        frames=frames,
        height=height,
        width=width,
        channels=channels,
        features=1 if labels is None else labels.shape[3],
        dtype=raw.dtype,
        raw_band=lambda frame, channel, y0, y1: raw[frame, y0:y1, :, channel],
        label_band=label_band,
        values=values,
        cells=data.cells,
        divisions=list(data.divisions),
        band_rows=band_rows,
    )


# ---------------------------------------------------------------- .npy data as it comes


def npy_header(shape: tuple[int, ...], dtype: np.dtype) -> bytes:
    """The header numpy.save writes before C-order data of ``shape`` and ``dtype``."""
    buffer = io.BytesIO()
    header = {
        "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
        "fortran_order": False,
        "shape": tuple(int(n) for n in shape),
    }
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def npy_size(shape: tuple[int, ...], dtype: np.dtype) -> int:
    """The bytes of the whole .npy file."""
    return len(npy_header(shape, dtype)) + math.prod(shape) * np.dtype(dtype).itemsize


def npy_pieces(
    shape: tuple[int, ...], dtype: np.dtype, blocks: Iterable[np.ndarray]
) -> Iterator[bytes | memoryview]:
    """The .npy file of an array given as consecutive C-order ``blocks``: its header, then each
    block's bytes (which must add up to the whole array)."""
    dtype = np.dtype(dtype)
    yield npy_header(shape, dtype)
    for block in blocks:
        yield memoryview(np.ascontiguousarray(block, dtype=dtype)).cast("B")


class PiecesReader(io.RawIOBase):
    """A readable file over an iterator of bytes (for tarfile, which copies from a file)."""

    def __init__(self, pieces: Iterable[bytes | memoryview]) -> None:
        self.pieces = iter(pieces)
        self.current = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not len(self.current):
            piece = next(self.pieces, None)
            if piece is None:
                return 0
            self.current = memoryview(piece).cast("B")
        count = min(len(buffer), len(self.current))
        buffer[:count] = self.current[:count]
        self.current = self.current[count:]
        return count
