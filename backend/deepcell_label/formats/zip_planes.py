"""Large OME-Zarr and Cell Tracking Challenge zips read a plane or a band of rows at a time.

``readers.read_images`` reads a file whole. A project built from these planes holds one raw
plane and one band of a label plane at a time instead: OME-Zarr chunks are read as the band
needs them, and each CTC frame is a TIFF member read by strips (from where it lies in the zip,
or from a temporary file). Everything is checked as the whole-file reader checks it; the CTC
track file against the masks with one pass over them, band by band, before anything is built.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
import tifffile

from deepcell_label.errors import InputFormatError
from deepcell_label.formats import axes as axes_rules
from deepcell_label.formats import ctc
from deepcell_label.formats.archives import ZipMembers
from deepcell_label.formats.arrays import check_plain, label_dtype, raw_dtype, raw_target
from deepcell_label.formats.data import (
    ProjectData,
    default_channel_names,
    default_feature_names,
    names_or_default,
)
from deepcell_label.formats.limits import Limits
from deepcell_label.formats.omezarr_read import (
    ZipZarrStore,
    _channel_names,
    _physical_size,
    image_root,
    is_ome_zarr,
    open_label_images,
    open_multiscale,
    read_pixels,
)
from deepcell_label.formats.streams import BAND_ROWS


@dataclass
class ZipPlanes:
    """What a zip holds, to be built plane by plane: the annotations (``data``; its ``raw``
    and ``labels`` are empty), the raw planes and the label planes (None: no labels)."""

    data: ProjectData
    raw: Any
    labels: Any | None
    fileobj: BinaryIO = field(repr=False)

    def close(self) -> None:
        self.fileobj.close()


def open_zip_planes(
    path: str | os.PathLike, max_pixels: int | None, larger_than: int = 0
) -> ZipPlanes | None:
    """The OME-Zarr or CTC zip at ``path`` as planes, or None when it is neither, or holds no
    more than ``larger_than`` raw pixel values (it is read whole then)."""
    from deepcell_label.formats import readers

    fileobj = open(path, "rb")  # noqa: SIM115 (kept open while the planes are read)
    try:
        if readers.detect_format(fileobj.read(512)) != "zip":
            fileobj.close()
            return None
        fileobj.seek(0)
        limits = Limits(max_pixels)
        members = ZipMembers(fileobj, limits)
        by_name = {relative: name for name, relative in members.names.items()}
        if any(name in by_name for name in readers.PROJECT_IMAGES):
            opened = None
        elif (track := ctc.find_track_file(by_name)) is not None:
            opened = _open_ctc(members, by_name, track, limits, larger_than)
        elif is_ome_zarr(by_name):
            opened = _open_ome_zarr(members, by_name, limits, larger_than)
        else:
            opened = None
        if opened is None:
            fileobj.close()
            return None
        data, raw, labels, side = opened
        # The side files are read as readers.read_images reads them; their checks need the
        # numbers of channels, frames and features only.
        data.raw = np.empty((0, 0, 0, raw.shape[3]), raw.dtype)
        if labels is not None:
            data.labels = np.empty((labels.shape[0], 0, 0, labels.shape[3]), np.int32)
        side = {**readers._read_side_files(members, by_name), **side}
        readers._apply_side_files(data, side)
        data.labels = None
        return ZipPlanes(data, raw, labels, fileobj)
    except BaseException:
        fileobj.close()
        raise


def _index(letter: str, y0: int, y1: int, other: int) -> slice | int:
    """How a dimension is indexed to read rows y0..y1 of one plane."""
    if letter == "Y":
        return slice(y0, y1)
    return slice(None) if letter == "X" else other


# ---------------------------------------------------------------- OME-Zarr


class ZarrPlanes:
    """Zarr arrays (the image, or the label images side by side as features) read by planes
    and bands; ``shape`` is (frames, height, width, channels)."""

    def __init__(self, parts: list[tuple[Any, str]], labels: bool, what: str) -> None:
        self.parts = parts
        shapes = [axes_rules.standard_shape(array.shape, letters) for array, letters in parts]
        self.shape = (*shapes[0][:3], sum(shape[3] for shape in shapes))
        self.where = [(i, j) for i, shape in enumerate(shapes) for j in range(shape[3])]
        self.labels = labels
        self.what = what
        dtype = np.dtype(parts[0][0].dtype)
        self.dtype = np.dtype(np.int32) if labels else raw_target(dtype, what)[0]

    def band(self, frame: int, channel: int, y0: int, y1: int) -> np.ndarray:
        part, inner = self.where[channel]
        array, letters = self.parts[part]
        sizes = dict(zip(letters, (int(n) for n in array.shape), strict=True))
        index: dict[str, int] = {}
        for group, number in (
            (axes_rules.FRAME_LETTERS, frame),
            (axes_rules.CHANNEL_LETTERS, inner),
        ):
            present = [letter for letter in group if letter in sizes]
            counts = [sizes[letter] for letter in present]
            for letter, value in zip(
                present, np.unravel_index(number, counts) if counts else (), strict=True
            ):
                index[letter] = int(value)
        where = tuple(_index(letter, y0, y1, index.get(letter, 0)) for letter in letters)
        pixels = read_pixels(array, where, self.what)
        if letters.index("X") < letters.index("Y"):
            pixels = pixels.T
        return label_dtype(pixels, self.what) if self.labels else raw_dtype(pixels, self.what)

    def plane(self, frame: int, channel: int) -> np.ndarray:
        return self.band(frame, channel, 0, self.shape[1])

    def close(self) -> None:
        pass


def _open_ome_zarr(members: ZipMembers, by_name: dict[str, str], limits: Limits, larger_than: int):
    store = ZipZarrStore(members, by_name, "")
    root = image_root(store)
    array, letters, attributes = open_multiscale(store, root, limits, "the image")
    check_plain(np.dtype(array.dtype), array.shape, "The image")
    raw = ZarrPlanes([(array, letters)], False, "The image")
    if math.prod(raw.shape) <= larger_than:
        return None
    images = open_label_images(store, root, limits)
    labels = None
    data = ProjectData(raw=np.empty(0))
    channels = raw.shape[3]
    data.channel_names = names_or_default(
        _channel_names(attributes), channels, default_channel_names(channels)
    )
    data.physical_size = _physical_size(attributes)
    if images:
        labels = ZarrPlanes([(a, axes) for a, axes, _ in images], True, "The labels")
        if labels.shape[:3] != raw.shape[:3]:
            return None  # the whole-file reader says what does not fit
        names = [title for _, _, titles in images for title in titles]
        features = labels.shape[3]
        data.feature_names = names_or_default(names, features, default_feature_names(features))
    return data, raw, labels, {}


# ---------------------------------------------------------------- Cell Tracking Challenge


class CtcFrames:
    """The TIFF frames of a CTC sequence (masks, or raw frames), one member per frame, read by
    strips: only the frame being read is open."""

    def __init__(self, members: ZipMembers, files: list[str], mask: bool) -> None:
        self.members = members
        self.files = files
        self.mask = mask
        self.open_frame: tuple[int, Any, Any, Any] | None = None  # (frame, file, tiff, array)
        first = self._series_shape(0)
        self.shape = (len(files), first[1], first[2], first[3])
        self.dtype = np.dtype(np.int32) if mask else raw_target(self._dtype, f"'{files[0]}'")[0]

    def _series_shape(self, frame: int) -> tuple[int, int, int, int]:
        name = self.files[frame]
        _, tif, _ = self._open(frame, header=True)
        series = tif.series[0]
        shape = axes_rules.standard_shape(series.shape, series.axes)
        self._dtype = np.dtype(series.dtype)
        self.close()
        if shape[0] != 1 or (self.mask and shape[3] != 1):
            raise InputFormatError(
                f"'{name}' holds an image of shape {series.shape}; each Cell Tracking Challenge "
                "frame must be one 2-D image (3-D sequences are not supported)."
            )
        return shape

    def check_sizes(self, limits: Limits) -> None:
        """Every frame of one size (read from the headers), within the pixel limit."""
        limits.check_shape(self.shape, "The sequence")
        for frame in range(1, len(self.files)):
            shape = self._series_shape(frame)
            if shape[1:3] != self.shape[1:3]:
                raise InputFormatError(
                    f"'{self.files[frame]}' is {shape[2]} x {shape[1]} pixels but the first "
                    f"frame is {self.shape[2]} x {self.shape[1]}; all frames must be of one size."
                )

    def _open(self, frame: int, header: bool = False):
        """(file, TiffFile, pixels or None) of a frame's member: read where it lies when it is
        stored, else inflated into a temporary file; for its ``header`` only, read as a stream."""
        if self.open_frame is not None and self.open_frame[0] == frame:
            return self.open_frame[1:]
        self.close()
        name = self.files[frame]
        if header:
            fileobj, offset, size = self.members.open(name), None, None
        else:
            fileobj, offset, size = self.members.seekable(name)
        try:
            tif = tifffile.TiffFile(fileobj, offset=offset, size=size, name=name)
        except Exception as error:
            if fileobj is not self.members.fileobj:
                fileobj.close()
            raise InputFormatError(
                f"'{name}' in the zip is not a readable TIFF file ({error})."
            ) from None
        self.open_frame = (-1 if header else frame, fileobj, tif, None)
        return fileobj, tif, None

    def _pixels(self, frame: int) -> tuple[str, Any]:
        """The frame's axes and pixels as an array-like cut by rows: a zarr view of its strips
        or tiles, or the whole page when it is one strip."""
        fileobj, tif, pixels = self._open(frame)
        series = tif.series[0]
        if pixels is None:
            import zarr

            pixels = zarr.open_array(store=series.aszarr())
            if pixels.chunks[series.axes.index("Y")] >= self.shape[1]:
                pixels = series.asarray()
            self.open_frame = (frame, fileobj, tif, pixels)
        return series.axes, pixels

    def band(self, frame: int, channel: int, y0: int, y1: int) -> np.ndarray:
        axes, pixels = self._pixels(frame)
        letters = list(axes)
        where = tuple(_index(letter, y0, y1, channel) for letter in letters)
        what = f"'{self.files[frame]}' in the zip"
        try:
            part = np.asarray(pixels[where])
        except Exception as error:
            raise InputFormatError(
                f"{what} has damaged pixel data ({type(error).__name__}: {error})."
            ) from None
        kept = [letter for letter in letters if letter in "YX"]
        if kept == ["X", "Y"]:
            part = part.T
        return label_dtype(part, what) if self.mask else raw_dtype(part, what)

    def plane(self, frame: int, channel: int) -> np.ndarray:
        return self.band(frame, channel, 0, self.shape[1])

    def close(self) -> None:
        if self.open_frame is not None:
            _, fileobj, tif, _ = self.open_frame
            tif.close()
            if fileobj is not self.members.fileobj:
                fileobj.close()
        self.open_frame = None


def _open_ctc(
    members: ZipMembers, by_name: dict[str, str], track_name: str, limits: Limits, larger_than: int
):
    from deepcell_label.formats import readers

    masks_by_number, raw_by_number = ctc.sequence_files(by_name, track_name)
    if not raw_by_number:
        return None  # no image in the zip: it is read as the labels of another file
    numbers = sorted(masks_by_number)
    raw = CtcFrames(members, [by_name[raw_by_number[n]] for n in numbers], mask=False)
    raw.check_sizes(limits)
    if math.prod(raw.shape) <= larger_than:
        return None
    masks = CtcFrames(members, [by_name[masks_by_number[n]] for n in numbers], mask=True)
    masks.check_sizes(limits)
    if masks.shape[1:3] != raw.shape[1:3]:
        raise InputFormatError(
            f"The raw frames are {raw.shape[2]} x {raw.shape[1]} pixels but the masks are "
            f"{masks.shape[2]} x {masks.shape[1]}; they must be of the same size."
        )
    present = []
    for frame in range(masks.shape[0]):
        values = np.zeros(0, np.int32)
        for y0 in range(0, masks.shape[1], BAND_ROWS):
            band = masks.band(frame, 0, y0, min(y0 + BAND_ROWS, masks.shape[1]))
            values = np.union1d(values, ctc.present_values(band))
        present.append(values)
    masks.close()
    members.limits = Limits(limits.max_pixels)  # the members fit: the build reads them again
    track_file = by_name[track_name]
    tracks = ctc.parse_tracks(
        ctc._text(members.read(track_file), track_name), ctc._base(track_name)
    )
    ctc.check_tracks(tracks, present, numbers[0], ctc._base(track_name))
    divisions = ctc.tracks_to_divisions(tracks, numbers[0])
    data = ProjectData(raw=np.empty(0))
    channels = raw.shape[3]
    data.channel_names = default_channel_names(channels)
    data.feature_names = default_feature_names(1)
    if divisions:
        data.notes.append(
            f"{ctc._base(track_name)}: {readers._count(divisions, 'division')} converted"
        )
    return data, raw, masks, {"divisions.json": divisions}
