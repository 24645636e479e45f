"""TIFF reading with tifffile: plain, multi-page, ImageJ hyperstacks, OME-TIFF, BigTIFF and
compressed (deflate, LZW, ZSTD... through imagecodecs).

Only the first series is read: for OME-TIFFs with several images or positions, that is the
first image. Pyramid files give their full-resolution level.
"""

from __future__ import annotations

import logging
import os
import re
from typing import BinaryIO
from xml.etree import ElementTree

import numpy as np
import tifffile

from deepcell_label.errors import DeepCellLabelError, InputFormatError
from deepcell_label.formats.data import ImageArray
from deepcell_label.formats.limits import Limits

KNOWN_LETTERS = "TZCYXS"
# ImageJ slice labels are taken as channel names for at most this many slices.
MAX_LABELLED_CHANNELS = 16

# tifffile logs details of damaged files; our exceptions already tell the user.
logging.getLogger("tifffile").setLevel(logging.ERROR)


def read_tiff(fileobj: BinaryIO, limits: Limits, what: str = "The image") -> ImageArray:
    try:
        with tifffile.TiffFile(fileobj) as tif:
            if not tif.series:
                raise InputFormatError("The TIFF file holds no images.")
            series = tif.series[0]
            limits.check_shape(series.shape, what)
            _check_complete(tif, series, fileobj)
            array = series.asarray()
            image = _with_metadata(tif, series, array)
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
    if array.size == 0:
        raise InputFormatError(f"{what} is empty (shape {array.shape}).")
    return image


def _file_size(fileobj: BinaryIO) -> int:
    position = fileobj.tell()
    size = fileobj.seek(0, os.SEEK_END)
    fileobj.seek(position)
    return size


def _check_complete(tif: tifffile.TiffFile, series, fileobj: BinaryIO) -> None:
    """Refuse files whose image data lies beyond their end (truncated downloads)."""
    size = _file_size(fileobj)
    for page in series.pages:
        if page is None:
            continue
        for offset, count in zip(page.dataoffsets, page.databytecounts, strict=False):
            if count and offset + count > size:
                raise InputFormatError(
                    f"The TIFF file is incomplete: its image data reaches byte {offset + count:,} "
                    f"but the file has {size:,} bytes. Download or copy it again."
                )


def _with_metadata(tif: tifffile.TiffFile, series, array: np.ndarray) -> ImageArray:
    axes = series.get_axes(False)
    shape = series.get_shape(False)
    # Shaped files written from NumPy arrays and plain multi-page files name their extra
    # dimensions Q or I (unknown); the documented shape rule decides those.
    if any(letter not in KNOWN_LETTERS and n > 1 for letter, n in zip(axes, shape, strict=True)):
        return ImageArray(array, None, None)
    array = array.reshape(shape)
    names = None
    if tif.is_ome:
        names = ome_channel_names(tif.ome_metadata)
    elif tif.is_imagej:
        axes, names = _imagej_labelled_channels(tif.imagej_metadata or {}, axes, shape)
    return ImageArray(array, axes, names)


def ome_channel_names(xml: str | None) -> list[str] | None:
    """Channel names of the first image in OME XML (None when there are none)."""
    if not xml:
        return None
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return None
    image = next((e for e in root.iter() if _tag(e) == "Image"), None)
    if image is None:
        return None
    channels = [e for e in image.iter() if _tag(e) == "Channel"]
    names = [channel.get("Name", "") for channel in channels]
    return names if any(names) else None


def _tag(element: ElementTree.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _imagej_labelled_channels(
    metadata: dict, axes: str, shape: tuple[int, ...]
) -> tuple[str, list[str] | None]:
    """ImageJ stacks of differently stained images (e.g. slices 'DNA.tif', 'Membrane.tif'):
    when the only dimension besides Y and X is Z or T and its slices carry distinct labels,
    the slices are channels named after the labels."""
    labels = metadata.get("Labels")
    sizes = dict(zip(axes, shape, strict=True))
    stacked = [letter for letter in "TZC" if sizes.get(letter, 1) > 1]
    if (
        not isinstance(labels, list | tuple)
        or len(stacked) != 1
        or stacked[0] == "C"
        or len(labels) != sizes[stacked[0]]
        or len(labels) > MAX_LABELLED_CHANNELS
        or len(set(labels)) != len(labels)
        or not all(isinstance(label, str) and label.strip() for label in labels)
    ):
        return axes, None
    letter = stacked[0]
    # Swap the stacked letter with C, so the slices count as channels.
    swapped = axes.replace("C", "#").replace(letter, "C").replace("#", letter)
    names = [
        re.sub(r"\.(ome\.)?(tiff?|png|jpe?g)$", "", label.strip(), flags=re.I) for label in labels
    ]
    return swapped, names
