"""PNG and JPEG reading: grey, grey+alpha, RGB, RGBA (colour components become channels), 8 and
16 bits.

PNG is decoded by libpng (imagecodecs) from the file itself (mapped, not copied) straight into
its final array, after its size was checked from the header: 16-bit colour is kept, palette
images are expanded to RGB (RGBA with transparency), 1-bit grey reads as 0 and 1, 2- and 4-bit
grey are scaled to 0..255 (as libpng and Pillow do), and only the first frame of an animated
file is read. JPEG is read with Pillow.
"""

from __future__ import annotations

import mmap
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import imagecodecs
import numpy as np
from PIL import Image

from deepcell_label.errors import DeepCellLabelError, InputFormatError, TooLargeError
from deepcell_label.formats.data import Convert, ImageArray, LazyPixels
from deepcell_label.formats.limits import Limits

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Colour type -> (channels, bit depths allowed)
PNG_COLOURS = {
    0: (1, (1, 2, 4, 8, 16)),  # grey
    2: (3, (8, 16)),  # RGB
    3: (3, (1, 2, 4, 8)),  # palette, expanded to RGB
    4: (2, (8, 16)),  # grey + alpha
    6: (4, (8, 16)),  # RGBA
}


def read_bitmap(
    fileobj: BinaryIO, limits: Limits, kind: str, what: str = "The image"
) -> ImageArray:
    if kind == "PNG":
        pixels = PngPixels(fileobj, what)
        limits.check_shape(pixels.shape, what)
        return ImageArray(pixels, "YX" if pixels.ndim == 2 else "YXS", None)
    return _read_with_pillow(fileobj, limits, kind, what)


def _damaged(kind: str, error: Exception) -> InputFormatError:
    # The library's own text may name the server's temporary file, so it is left out.
    return InputFormatError(
        f"The {kind} file could not be read ({type(error).__name__}); it may be damaged or "
        "incomplete. Save it again and re-upload it."
    )


class PngPixels(LazyPixels):
    """A PNG image known from its header chunks, decoded when put in place."""

    def __init__(self, fileobj: BinaryIO, what: str) -> None:
        self.fileobj = fileobj
        self.what = what
        with _contents(fileobj) as data:
            width, height, depth, colour, transparent = _png_header(data)
        channels = PNG_COLOURS[colour][0] + (1 if colour == 3 and transparent else 0)
        self.shape = (height, width) if channels == 1 else (height, width, channels)
        self.dtype = np.dtype(np.uint16 if depth == 16 else np.uint8)
        # libpng adds an alpha channel for the transparency of grey and RGB images: dropped.
        self.extra_alpha = transparent and colour in (0, 2)
        self.one_bit_grey = depth == 1 and colour == 0

    def read_into(self, out: np.ndarray, convert: Convert) -> None:
        direct = (
            not self.extra_alpha
            and out.dtype == self.dtype
            and out.flags.c_contiguous
            and out.shape == self.shape
        )
        try:
            with _contents(self.fileobj) as data:
                decoded = imagecodecs.png_decode(data, out=out if direct else None)
            if self.extra_alpha:
                decoded = decoded[..., :-1]
            if self.one_bit_grey:  # libpng scales 1-bit grey to 0 and 255
                np.floor_divide(decoded, 255, out=decoded)
        except Exception:
            # libpng refuses pixel chunks whose checksum is wrong even when the pixels inflate
            # intact (zlib checks them too); Pillow reads those, as most readers do.
            decoded, direct = self._with_pillow(), False
        if direct:
            convert(out)
        else:
            out[...] = convert(decoded.reshape(self.shape))

    def _with_pillow(self) -> np.ndarray:
        """The pixels as Pillow reads them, when they have the shape the header promises."""
        self.fileobj.seek(0)
        array = _read_with_pillow(self.fileobj, Limits(None), "PNG", self.what).array
        if array.dtype == np.bool_:
            array = array.astype(np.uint8)
        if array.shape != self.shape or array.dtype != self.dtype:
            raise _damaged("PNG", ValueError("the pixels do not match the header"))
        return array


@contextmanager
def _contents(fileobj: BinaryIO) -> Iterator[bytes | mmap.mmap | memoryview]:
    """The whole file as a buffer: the file mapped into memory when it is one on disk,
    otherwise the in-memory bytes (a zip member's)."""
    try:
        number = fileobj.fileno()
    except (AttributeError, OSError, ValueError):
        number = None
    if number is not None:
        fileobj.seek(0)
        with mmap.mmap(number, 0, access=mmap.ACCESS_READ) as mapped:
            yield mapped
        return
    if hasattr(fileobj, "getbuffer"):
        with fileobj.getbuffer() as view:
            yield view
        return
    fileobj.seek(0)
    yield fileobj.read()


def _png_header(data) -> tuple[int, int, int, int, bool]:
    """(width, height, bit depth, colour type, has transparency) from the chunks before IDAT."""
    if bytes(data[:8]) != PNG_SIGNATURE or bytes(data[12:16]) != b"IHDR" or len(data) < 33:
        raise InputFormatError("The PNG file could not be read (its header is damaged).")
    width, height, depth, colour = struct.unpack(">IIBB", bytes(data[16:26]))
    if zlib.crc32(bytes(data[12:29])) != struct.unpack(">I", bytes(data[29:33]))[0]:
        raise InputFormatError("The PNG file could not be read (its header is damaged).")
    if colour not in PNG_COLOURS or depth not in PNG_COLOURS[colour][1] or not width or not height:
        raise InputFormatError(
            f"The PNG file has colour type {colour} with {depth} bits, which is not a valid PNG."
        )
    transparent, position = False, 8
    while position + 8 <= len(data):
        length = struct.unpack(">I", bytes(data[position : position + 4]))[0]
        kind = bytes(data[position + 4 : position + 8])
        if kind == b"IDAT":
            break
        transparent = transparent or kind == b"tRNS"
        position += 12 + length
    return width, height, depth, colour, transparent


def _read_with_pillow(fileobj: BinaryIO, limits: Limits, kind: str, what: str) -> ImageArray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(fileobj) as image:
                width, height = image.size
                limits.check_shape((height, width, len(image.getbands())), what)
                image.load()
                if image.mode == "P":
                    image = image.convert("RGBA" if "transparency" in image.info else "RGB")
                array = np.asarray(image)
    except DeepCellLabelError:
        raise
    except Image.DecompressionBombError as error:
        raise TooLargeError(f"{what} is too large to open safely: {error}") from None
    except Exception as error:
        raise _damaged(kind, error) from None
    if array.size == 0:
        raise InputFormatError(f"{what} is empty (shape {array.shape}).")
    return ImageArray(array, "YX" if array.ndim == 2 else "YXS", None)
