"""PNG and JPEG reading with Pillow: grey, grey+alpha, RGB, RGBA (colour components become
channels), 8 and 16 bits. Palette images are expanded to RGB(A). Only the first frame of an
animated file is read."""

from __future__ import annotations

import warnings
from typing import BinaryIO

import numpy as np
from PIL import Image

from deepcell_label.errors import DeepCellLabelError, InputFormatError, TooLargeError
from deepcell_label.formats.data import ImageArray
from deepcell_label.formats.limits import Limits


def read_bitmap(
    fileobj: BinaryIO, limits: Limits, kind: str, what: str = "The image"
) -> ImageArray:
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
        raise InputFormatError(
            # The library's own text may name the server's temporary file, so it is left out.
            f"The {kind} file could not be read ({type(error).__name__}); it "
            "may be damaged or incomplete. Save it again and re-upload it."
        ) from None
    if array.size == 0:
        raise InputFormatError(f"{what} is empty (shape {array.shape}).")
    return ImageArray(array, "YX" if array.ndim == 2 else "YXS", None)
