"""TIFF reading with tifffile: plain, multi-page, ImageJ hyperstacks, OME-TIFF, BigTIFF, tiled
and pyramidal files, compressed (deflate, LZW, ZSTD... through imagecodecs).

Only the first series is read: for OME-TIFFs with several images or positions, that is the
first image. Pyramid files give their full-resolution level. The dimension order is what
tifffile reads from the OME-XML or the ImageJ metadata (``channels``, ``slices``, ``frames``);
ImageJ slice labels never change it (they name the channels only where there are channels).
The pixels are read page by page straight into their final array.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO
from xml.etree import ElementTree

import numpy as np
import tifffile

from deepcell_label.errors import DeepCellLabelError, InputFormatError
from deepcell_label.formats import physical
from deepcell_label.formats.data import Convert, ImageArray, LazyPixels, copy_blocks
from deepcell_label.formats.limits import Limits

KNOWN_LETTERS = "TZCYXS"
# ImageJ stacks without channels, slices or frames are a plain sequence of images ("I").
IMAGEJ_LETTERS = KNOWN_LETTERS + "I"
# ImageJ slice labels are offered as channel names for at most this many slices.
MAX_LABELLED_CHANNELS = 16

# tifffile logs details of damaged files; our exceptions already tell the user.
logging.getLogger("tifffile").setLevel(logging.ERROR)


def read_tiff(
    fileobj: BinaryIO,
    limits: Limits,
    what: str = "The image",
    offset: int | None = None,
    size: int | None = None,
) -> ImageArray:
    """The first series of a TIFF file (or of one embedded at ``offset``, ``size`` bytes long),
    its axes, channel names and physical size; the pixels are read when put in place.

    ``fileobj`` must stay open until then."""
    with _tiff_errors(what):
        # A name of our own: spooled temporary files have none, and tifffile wants one.
        tif = tifffile.TiffFile(fileobj, name="image.tif", offset=offset, size=size)
        if not tif.series:
            raise InputFormatError("The TIFF file holds no images.")
        series = tif.series[0]
        limits.check_shape(series.shape, what)
        check_complete(tif, series)
        if math.prod(series.shape) == 0:
            raise InputFormatError(f"{what} is empty (shape {tuple(series.shape)}).")
        return _with_metadata(tif, series, what)


@contextmanager
def _tiff_errors(what: str) -> Iterator[None]:
    """tifffile's and the codecs' errors as our own, with a hint for the user."""
    try:
        yield
    except DeepCellLabelError:
        raise
    except MemoryError:
        raise InputFormatError(
            f"{what} is too large to read into memory; split it into smaller files."
        ) from None
    except Exception as error:
        raise InputFormatError(
            f"The TIFF file could not be read ({type(error).__name__}: {str(error)[:200]}); it "
            "may be damaged or incomplete. Save it again (e.g. from Fiji) and re-upload it."
        ) from None


def check_complete(tif: tifffile.TiffFile, series) -> None:
    """Refuse files whose image data lies beyond their end (truncated downloads)."""
    size = tif.filehandle.size
    for page in series.pages:
        if page is None:
            continue
        for offset, count in zip(page.dataoffsets, page.databytecounts, strict=False):
            if count and offset + count > size:
                raise InputFormatError(
                    f"The TIFF file is incomplete: its image data reaches byte {offset + count:,} "
                    f"but the file has {size:,} bytes. Download or copy it again."
                )


class TiffPixels(LazyPixels):
    """The pixels of a series, read one page at a time into their place."""

    def __init__(self, tif: tifffile.TiffFile, series, shape: tuple[int, ...], what: str) -> None:
        self.tif = tif
        self.series = series
        self.shape = tuple(int(n) for n in shape)
        self.dtype = np.dtype(series.dtype)
        self.what = what

    def read_into(self, out: np.ndarray, convert: Convert) -> None:
        with _tiff_errors(self.what):
            pages = list(self.series.pages)
            split = _page_split(self.shape, pages)
            if split is None:  # e.g. ImageJ files larger than 4 GB, stored as one block
                copy_blocks(self.series.asarray().reshape(self.shape), out, convert)
                return
            lead, rest = self.shape[:split], self.shape[split:]
            for number, page in enumerate(pages):
                out[np.unravel_index(number, lead)] = convert(page.asarray().reshape(rest))


def _page_split(shape: tuple[int, ...], pages: list) -> int | None:
    """``k`` such that the series is ``prod(shape[:k])`` pages of ``shape[k:]`` each, in order;
    None when the pages do not lay out the series that simply."""
    if not pages or any(page is None for page in pages):
        return None
    page_size = pages[0].size
    if any(page.size != page_size for page in pages):
        return None
    for split in range(len(shape) + 1):
        if math.prod(shape[:split]) == len(pages) and math.prod(shape[split:]) == page_size:
            return split
    return None


def _with_metadata(tif: tifffile.TiffFile, series, what: str) -> ImageArray:
    axes = series.get_axes(False)
    shape = tuple(int(n) for n in series.get_shape(False))
    letters = IMAGEJ_LETTERS if tif.is_imagej else KNOWN_LETTERS
    size = physical_size(tif, series)
    # Shaped files written from NumPy arrays and plain multi-page files name their extra
    # dimensions Q (unknown); the documented shape rule decides those.
    if any(letter not in letters and n > 1 for letter, n in zip(axes, shape, strict=True)):
        return ImageArray(TiffPixels(tif, series, series.shape, what), None, None, size)
    names = channel_names(tif, axes, shape)
    return ImageArray(TiffPixels(tif, series, shape, what), axes, names, size)


def channel_names(tif: tifffile.TiffFile, axes: str, shape: tuple[int, ...]) -> list[str] | None:
    """Channel names from the OME-XML, or from ImageJ slice labels (see
    :func:`imagej_channel_names`); None when the file names none."""
    if tif.is_ome:
        return ome_channel_names(tif.ome_metadata)
    if tif.is_imagej:
        return imagej_channel_names(tif.imagej_metadata or {}, axes, shape)
    return None


def physical_size(tif: tifffile.TiffFile, series) -> dict | None:
    """The pixel size and z spacing the OME-XML or the ImageJ metadata give, or None."""
    if tif.is_ome:
        image = _first_ome_image(tif.ome_metadata)
        pixels = (
            None if image is None else next((e for e in image.iter() if _tag(e) == "Pixels"), None)
        )
        return None if pixels is None else physical.from_ome_pixels(dict(pixels.attrib))
    if tif.is_imagej:
        page = series.pages[0] if len(series.pages) else tif.pages[0]
        tags = page.tags
        x, y = tags.get("XResolution"), tags.get("YResolution")
        unit = tags.get("ResolutionUnit")
        return physical.from_imagej(
            tif.imagej_metadata or {},
            None if x is None else x.value,
            None if y is None else y.value,
            None if unit is None else int(unit.value),
        )
    return None


def _first_ome_image(xml: str | None) -> ElementTree.Element | None:
    if not xml:
        return None
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return None
    return next((e for e in root.iter() if _tag(e) == "Image"), None)


def ome_channel_names(xml: str | None) -> list[str] | None:
    """Channel names of the first image in OME XML (None when there are none)."""
    image = _first_ome_image(xml)
    if image is None:
        return None
    names = [channel.get("Name", "") for channel in image.iter() if _tag(channel) == "Channel"]
    return names if any(names) else None


def _tag(element: ElementTree.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def imagej_channel_names(metadata: dict, axes: str, shape: tuple[int, ...]) -> list[str] | None:
    """Channel names from ImageJ slice labels (file extensions removed).

    ImageJ labels each plane, channels changing fastest. Where the metadata has channels, the
    labels name them when there is one label per channel or the same labels repeat for every
    slice and frame. A stack with one other dimension (slices or frames, e.g. made by "Images
    to Stack" from 'DNA.tif' and 'Membrane.tif') keeps its distinct labels as names for the
    case where the user's axes make that dimension the channels; the metadata alone never does.
    """
    labels = metadata.get("Labels")
    if not isinstance(labels, list | tuple) or not all(
        isinstance(label, str) and label.strip() for label in labels
    ):
        return None
    names = [
        re.sub(r"\.(ome\.)?(tiff?|png|jpe?g)$", "", label.strip(), flags=re.I) for label in labels
    ]
    sizes = dict(zip(axes, shape, strict=True))
    channels = sizes.get("C", 1)
    if channels > 1:
        if len(names) % channels or any(
            name != names[i % channels] for i, name in enumerate(names)
        ):
            return None
        return names[:channels]
    stacked = [n for letter, n in sizes.items() if letter not in "YXS" and n > 1]
    if (
        len(stacked) == 1
        and len(names) == stacked[0] <= MAX_LABELLED_CHANNELS
        and len(set(names)) == len(names)
    ):
        return names
    return None
