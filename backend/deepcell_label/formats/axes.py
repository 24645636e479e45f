"""Dimension order: read an axes string, guess one from a shape, and bring arrays into
(frames, height, width, channels).

Letters: ``T`` time, ``Z`` depth, ``C`` channel, ``S`` sample (colour component, counted as a
channel), ``Y`` rows, ``X`` columns, ``Q``/``I`` unknown (counted as frames).

* Frames are every T, Z, Q and I dimension together, T outermost: with T=3 and Z=5, frame
  ``t * 5 + z`` is time point t at depth z.
* Channels are C and S together, C outermost.
* Without axes from the user or the file's metadata, the shape decides:

  ======  ==========================================================
  2-D     ``YX``
  3-D     ``YXC`` when the last dimension is 4 or less, else ``TYX``
  4-D     ``TYXC`` (the DeepCell convention: frames, y, x, channels)
  5-D     ``TZYXC`` (batches, frames, y, x, channels; batches outermost)
  ======  ==========================================================
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from deepcell_label.errors import InputFormatError
from deepcell_label.formats.data import Convert, LazyPixels, copy_blocks

ALLOWED = "TZCYXSQI"
FRAME_LETTERS = "TZQI"
CHANNEL_LETTERS = "CS"
# Alternatives tried, in order, when labels must be fitted to an image of known size.
LABEL_CANDIDATES = {
    2: ["YX"],
    3: ["TYX", "YXC", "CYX"],
    4: ["TYXC", "TCYX", "CTYX", "TZYX"],
    5: ["TZYXC", "TCZYX", "TZCYX"],
}
MAX_CHANNELS_LAST = 4


def guess_axes(shape: Sequence[int]) -> str:
    """The documented guess of the axes of an array that has no metadata (see module docstring)."""
    ndim = len(shape)
    if ndim == 2:
        return "YX"
    if ndim == 3:
        return "YXC" if shape[-1] <= MAX_CHANNELS_LAST else "TYX"
    if ndim == 4:
        return "TYXC"
    if ndim == 5:
        return "TZYXC"
    raise InputFormatError(
        f"The image has shape {tuple(int(n) for n in shape)}: {ndim} dimensions, and only 2 to 5 "
        "can be guessed. Give the axes, one letter per dimension from T, Z, C, Y, X "
        "(e.g. 'TCZYX' for 5 dimensions); dimensions of size 1 may be removed first."
    )


def _example(ndim: int) -> str:
    return {2: "YX", 3: "ZYX", 4: "TYXC", 5: "TCZYX"}.get(ndim, "TCZYX")


def check_axes(axes: str, shape: Sequence[int], what: str = "The image") -> str:
    """Validate a user's ``axes`` for an array of ``shape``; returns it upper-cased."""
    shape = tuple(int(n) for n in shape)
    if not isinstance(axes, str):
        raise InputFormatError("The axes must be text such as 'TYXC'.")
    if len(axes) > len(ALLOWED):
        shown = axes if len(axes) <= 20 else axes[:20] + "..."
        raise InputFormatError(
            f"The axes '{shown}' have {len(axes)} letters; an image has at most {len(ALLOWED)}. "
            f"Give one letter per dimension of the shape {shape}, e.g. '{_example(len(shape))}'."
        )
    upper = axes.strip().upper()
    unknown = sorted({letter for letter in upper if letter not in ALLOWED})
    if unknown:
        raise InputFormatError(
            f"The axes '{axes}' contain {', '.join(repr(u) for u in unknown)}; use only T (time), "
            "Z (depth), C (channel), Y, X, S (sample = channel) and Q (unknown, counted as frames)."
        )
    repeated = sorted({letter for letter in upper if upper.count(letter) > 1})
    if repeated:
        raise InputFormatError(
            f"The axes '{axes}' name {', '.join(repr(r) for r in repeated)} more than once; "
            f"each letter may appear once, e.g. '{_example(len(shape))}'."
        )
    if "Y" not in upper or "X" not in upper:
        raise InputFormatError(
            f"The axes '{axes}' must contain both Y (rows) and X (columns), e.g. "
            f"'{_example(len(shape))}'."
        )
    if len(upper) != len(shape):
        raise InputFormatError(
            f"{what} has shape {shape} but axes '{axes}' names {len(upper)} dimensions; give "
            f"{len(shape)} axes, e.g. '{_example(len(shape))}'."
        )
    return upper


def standard_shape(shape: Sequence[int], axes: str) -> tuple[int, int, int, int]:
    """(frames, height, width, channels) of an array of ``shape`` read with ``axes``."""
    sizes = dict(zip(axes, (int(n) for n in shape), strict=True))
    frames = math.prod(sizes.get(letter, 1) for letter in FRAME_LETTERS)
    channels = math.prod(sizes.get(letter, 1) for letter in CHANNEL_LETTERS)
    return frames, sizes["Y"], sizes["X"], channels


def to_standard(array: np.ndarray, axes: str) -> np.ndarray:
    """Rearrange ``array`` (dimension order ``axes``) into a C-contiguous
    (frames, height, width, channels) array, copying at most once."""
    return standardize(array, axes, np.dtype(array.dtype).newbyteorder("="), lambda b: b)


def _standard_order(axes: str) -> list[int]:
    order = [axes.index(letter) for letter in FRAME_LETTERS if letter in axes]
    order += [axes.index("Y"), axes.index("X")]
    return order + [axes.index(letter) for letter in CHANNEL_LETTERS if letter in axes]


def standardize(
    pixels: np.ndarray | LazyPixels, axes: str, dtype: np.dtype, convert: Convert
) -> np.ndarray:
    """A new C-contiguous (frames, height, width, channels) array of ``dtype`` holding
    ``pixels`` (dimension order ``axes``), each block passed through ``convert`` on the way.

    An array in memory is rearranged and converted with at most one copy; lazy pixels are read
    straight into the new array.
    """
    if isinstance(pixels, np.ndarray):
        order = _standard_order(axes)
        arranged = np.transpose(pixels, order).reshape(standard_shape(pixels.shape, axes))
        checked = convert(arranged)
        return np.ascontiguousarray(checked, dtype=np.dtype(dtype).newbyteorder("="))
    out = np.empty(standard_shape(pixels.shape, axes), dtype)
    fill_standard(out, pixels, axes, convert)
    return out


def fill_standard(
    out: np.ndarray, pixels: np.ndarray | LazyPixels, axes: str, convert: Convert
) -> None:
    """Write ``pixels`` (dimension order ``axes``) into ``out``, a (frames, height, width,
    channels) array or a view of one (such as some of its channels)."""
    order = _standard_order(axes)
    expanded = out.view()
    # Frames and channels split back into the file's dimensions: always a view, never a copy.
    expanded.shape = [int(pixels.shape[i]) for i in order]
    in_file_order = expanded.transpose(np.argsort(order))
    if isinstance(pixels, np.ndarray):
        copy_blocks(pixels, in_file_order, convert)
    else:
        pixels.read_into(in_file_order, convert)


def fit_to_image(
    shape: Sequence[int],
    frames_height_width: tuple[int, int, int],
    axes: str | None,
    what: str = "The labels file",
) -> str:
    """Choose the axes under which an array of ``shape`` covers an image of
    (frames, height, width): the user's ``axes`` if given, else the guess and the usual
    alternatives, in that order."""
    shape = tuple(int(n) for n in shape)
    if axes is not None:
        candidates = [check_axes(axes, shape, what)]
    else:
        candidates = []
        if len(shape) in LABEL_CANDIDATES:
            candidates = [guess_axes(shape), *LABEL_CANDIDATES[len(shape)]]
    tried: list[str] = []
    for candidate in candidates:
        if candidate in tried or len(candidate) != len(shape):
            continue
        tried.append(candidate)
        if standard_shape(shape, candidate)[:3] == tuple(frames_height_width):
            return candidate
    frames, height, width = frames_height_width
    tried_text = ", ".join(tried) if tried else "none (too many dimensions)"
    raise InputFormatError(
        f"{what} has shape {shape}, which does not fit the image (frames {frames}, height "
        f"{height}, width {width}); axes tried: {tried_text}. Check that the labels belong to "
        "this image, or give their axes."
    )
