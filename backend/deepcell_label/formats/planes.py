"""Large TIFF images read one (frame, channel) plane at a time.

Reading a 16384² x 3 image whole and then bringing it into (frames, height, width, channels)
holds it twice; here only the file's header is read when the project is created, and the
build reads each plane when it needs it. Only files whose layout is plain are read this way:
one page per plane or per plane with its samples, axes from the file's metadata or the user's,
no unknown dimensions, and a dtype kept as it is. Anything else returns None and is read whole.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tifffile

from deepcell_label.formats import axes as axes_rules
from deepcell_label.formats.data import default_channel_names, names_or_default
from deepcell_label.formats.limits import Limits
from deepcell_label.formats.tiff import (
    KNOWN_LETTERS,
    channel_names,
    check_complete,
    physical_size,
)

TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
KEPT_DTYPES = {"uint8", "uint16", "uint32", "int8", "int16", "int32", "float32"}


@dataclass
class PlaneLayout:
    """Where plane (frame, channel) lies in the file: a page, and a sample within it."""

    series_axes: str  # squeezed axes of the series, e.g. "CYX", "TYXS"
    series_shape: tuple[int, ...]
    page_axes: str  # axes of one page, e.g. "YX", "YXS", "SYX"

    def locate(self, frame: int, channel: int) -> tuple[int, dict[str, int]]:
        sizes = dict(zip(self.series_axes, self.series_shape, strict=True))
        index: dict[str, int] = {}
        for letters, number in ((axes_rules.FRAME_LETTERS, frame), ("CS", channel)):
            present = [letter for letter in letters if letter in sizes]
            counts = [sizes[letter] for letter in present]
            for letter, value in zip(
                present, np.unravel_index(number, counts) if counts else (), strict=True
            ):
                index[letter] = int(value)
        lead = self.series_axes[: len(self.series_axes) - len(self.page_axes)]
        page = 0
        for letter in lead:
            page = page * sizes[letter] + index.get(letter, 0)
        return page, {letter: index.get(letter, 0) for letter in self.page_axes if letter in "CS"}


@dataclass
class PlaneImages:
    """An image file read plane by plane; ``shape`` is (frames, height, width, channels).

    The file stays open between reads (its page list is parsed once), and the last page read is
    kept, so the channels of one page (e.g. RGB samples) are decoded once. :meth:`close` ends it.
    """

    path: Path
    shape: tuple[int, int, int, int]
    dtype: np.dtype
    channel_names: list[str]
    layout: PlaneLayout
    physical_size: dict | None = None
    _tif: tifffile.TiffFile | None = field(default=None, repr=False)
    _page: tuple[int, np.ndarray] | None = field(default=None, repr=False)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def _pixels(self, page_number: int) -> np.ndarray:
        if self._page is None or self._page[0] != page_number:
            if self._tif is None:
                self._tif = tifffile.TiffFile(self.path)
            self._page = (page_number, self._tif.series[0].pages[page_number].asarray())
        return self._page[1]

    def close(self) -> None:
        if self._tif is not None:
            self._tif.close()
        self._tif = self._page = None

    def plane(self, frame: int, channel: int) -> np.ndarray:
        page_number, samples = self.layout.locate(frame, channel)
        pixels = self._pixels(page_number)
        page_axes = self.layout.page_axes
        if pixels.ndim != len(page_axes):
            pixels = pixels.reshape([n for n in pixels.shape if n > 1] or pixels.shape)
        taken = tuple(samples.get(letter, slice(None)) for letter in page_axes)
        plane = pixels[taken]
        kept = [letter for letter in page_axes if letter in "YX"]
        if kept == ["X", "Y"]:
            plane = plane.T
        return np.ascontiguousarray(plane, dtype=plane.dtype.newbyteorder("="))


def _named_by_user(axes: str, full_shape: tuple[int, ...]) -> tuple[str, tuple[int, ...]] | None:
    """The user's axes for the file's dimensions (as the whole-file reader takes them), without
    the dimensions of size 1; None when that leaves no Y or X."""
    shape = full_shape
    if len(axes) != len(full_shape):
        shape = tuple(n for n in full_shape if n > 1) or (1,)
    chosen = axes_rules.check_axes(axes, shape, "The image")
    kept = [(letter, n) for letter, n in zip(chosen, shape, strict=True) if n > 1]
    letters = "".join(letter for letter, _ in kept)
    if "Y" not in letters or "X" not in letters:
        return None
    return letters, tuple(n for _, n in kept)


def open_planes(
    path: str | os.PathLike, axes: str | None, max_pixels: int | None
) -> PlaneImages | None:
    """The image as planes to read later, or None when it must be read whole.

    Raises the same errors as reading the whole file for a header that is too large or a
    file that is cut short.
    """
    path = Path(path)
    with path.open("rb") as fileobj:
        if fileobj.read(4) not in TIFF_MAGICS:
            return None
        fileobj.seek(0)
        try:
            tif = tifffile.TiffFile(fileobj)
        except Exception:
            return None  # the whole-file reader explains what is wrong
        with tif:
            if not tif.series:
                return None
            series = tif.series[0]
            series_axes, series_shape = series.axes, tuple(int(n) for n in series.shape)
            Limits(max_pixels).check_shape(series_shape, "The image")
            if axes is not None:
                named = _named_by_user(axes, tuple(int(n) for n in series.get_shape(False)))
                if named is None:
                    return None
                series_axes, series_shape = named
            elif any(letter not in KNOWN_LETTERS for letter in series_axes) or len(
                set(series_axes)
            ) != len(series_axes):
                return None
            first = series.pages[0] if len(series.pages) else None
            if first is None or any(page is None for page in series.pages):
                return None
            page_axes = "".join(
                letter for letter, n in zip(first.axes, first.shape, strict=True) if n > 1
            )
            # The page's own letters may differ from the series' (a planar RGB page is "SYX"
            # in a "CYX" series): the series names the page's dimensions.
            tail = series_axes[len(series_axes) - len(page_axes) :] if page_axes else ""
            if len(tail) != len(page_axes) or any(
                mine != theirs and not (mine == "S" and theirs in "CS")
                for mine, theirs in zip(page_axes, tail, strict=True)
            ):
                return None
            page_axes = tail
            if (
                "Y" not in page_axes
                or "X" not in page_axes
                or not set(page_axes) <= set("YXCS")
                or str(np.dtype(series.dtype).newbyteorder("=")) not in KEPT_DTYPES
            ):
                return None
            lead = series_axes[: len(series_axes) - len(page_axes)]
            if math.prod(series_shape[: len(lead)]) != len(series.pages):
                return None
            check_complete(tif, series)
            names = channel_names(tif, series_axes, series_shape)
            size = physical_size(tif, series)
            dtype = np.dtype(series.dtype).newbyteorder("=")
    shape = axes_rules.standard_shape(series_shape, series_axes)
    channels = shape[3]
    return PlaneImages(
        path=path,
        shape=shape,
        dtype=dtype,
        channel_names=names_or_default(names, channels, default_channel_names(channels)),
        layout=PlaneLayout(series_axes, series_shape, page_axes),
        physical_size=size,
    )
