"""Checks and dtype conversions applied to every array a reader returns, to whole arrays or
block by block as the pixels are read."""

from __future__ import annotations

import math

import numpy as np

from deepcell_label.errors import InputFormatError
from deepcell_label.formats.data import Convert

INT32_MAX = np.iinfo(np.int32).max
UINT32_MAX = np.iinfo(np.uint32).max


def native(array: np.ndarray) -> np.ndarray:
    """The array in the machine's byte order (files may be big-endian)."""
    if not array.dtype.isnative:
        return array.astype(array.dtype.newbyteorder("="))
    return array


def check_plain(dtype: np.dtype, shape: tuple[int, ...], what: str) -> None:
    """Refuse arrays that do not hold plain numbers, and empty ones, from their header."""
    dtype = np.dtype(dtype)
    if dtype.hasobject or dtype.fields is not None:
        raise InputFormatError(
            f"{what} holds {dtype} values, not plain numbers; save it as a numeric array."
        )
    if math.prod(shape) == 0:
        raise InputFormatError(
            f"{what} is empty (shape {tuple(shape)}); it needs at least one pixel."
        )


def raw_target(dtype: np.dtype, what: str = "The image") -> tuple[np.dtype, Convert]:
    """The dtype an image is kept in, and the check of each block of its values on the way.

    uint8..uint32, int8..int32 and float32 stay as they are; bool -> uint8, float16/float64 ->
    float32, int64/uint64 -> int32/uint32 when the values fit (else the file is refused).
    """
    dtype = np.dtype(dtype).newbyteorder("=")
    kind, size = dtype.kind, dtype.itemsize
    if kind == "b":
        return np.dtype(np.uint8), _unchecked
    if kind == "f":
        return np.dtype(np.float32), _unchecked
    if kind in "iu" and size <= 4:
        return dtype, _unchecked
    if kind == "i":
        return np.dtype(np.int32), lambda block: _fits_int32(block, what)
    if kind == "u":
        return np.dtype(np.uint32), lambda block: _fits_uint32(block, what)
    raise InputFormatError(f"{what} holds {dtype} values; use integers or real numbers (float32).")


def label_target(dtype: np.dtype, what: str = "The labels") -> tuple[np.dtype, Convert]:
    """Labels are int32; each block is checked to hold whole, non-negative numbers that fit."""
    if np.dtype(dtype).kind not in "biuf":
        raise InputFormatError(f"{what} hold {dtype} values; labels must be whole numbers.")
    return np.dtype(np.int32), lambda block: _whole_labels(block, what)


def raw_dtype(array: np.ndarray, what: str = "The image") -> np.ndarray:
    """A whole image in the dtype it is kept in (see :func:`raw_target`)."""
    check_plain(array.dtype, array.shape, what)
    target, convert = raw_target(array.dtype, what)
    return _converted(native(array), target, convert)


def label_dtype(array: np.ndarray, what: str = "The labels") -> np.ndarray:
    """Whole labels as int32: whole, non-negative numbers that fit in 32 bits."""
    check_plain(array.dtype, array.shape, what)
    target, convert = label_target(array.dtype, what)
    return _converted(native(array), target, convert)


def _converted(array: np.ndarray, target: np.dtype, convert: Convert) -> np.ndarray:
    checked = convert(array)
    return checked if checked.dtype == target else checked.astype(target)


def _unchecked(block: np.ndarray) -> np.ndarray:
    return block


def _fits_int32(block: np.ndarray, what: str) -> np.ndarray:
    low, high = int(block.min()), int(block.max())
    if low < np.iinfo(np.int32).min or high > INT32_MAX:
        raise InputFormatError(
            f"{what} holds 64-bit integers from {low} to {high}, beyond the 32-bit range; "
            "rescale it to 32 bits or save it as float32."
        )
    return block


def _fits_uint32(block: np.ndarray, what: str) -> np.ndarray:
    high = int(block.max())
    if high > UINT32_MAX:
        raise InputFormatError(
            f"{what} holds values up to {high}, beyond the 32-bit range; rescale it to 32 "
            "bits or save it as float32."
        )
    return block


def _whole_labels(block: np.ndarray, what: str) -> np.ndarray:
    if block.dtype.kind == "f":
        if not np.isfinite(block).all():
            raise InputFormatError(
                f"{what} contain NaN or infinite values; labels must be whole numbers (cell ids)."
            )
        if not np.array_equal(block, np.floor(block)):
            raise InputFormatError(
                f"{what} contain fractions (e.g. {_first_fraction(block)}); labels must be whole "
                "numbers (cell ids), not intensities. Did you swap the image and the labels?"
            )
    if block.size and block.dtype.kind != "b":
        _check_label_range(block, what)
    return block


def _check_label_range(array: np.ndarray, what: str) -> None:
    low, high = array.min(), array.max()
    if low < 0:
        raise InputFormatError(
            f"{what} contain negative values (down to {low}); cell ids are 0 (background) or "
            "positive whole numbers."
        )
    if high > INT32_MAX:
        raise InputFormatError(
            f"{what} contain values up to {high}; cell ids must be at most {INT32_MAX}. "
            "Renumber the cells."
        )


def _first_fraction(array: np.ndarray) -> float:
    flat = array.reshape(-1)
    index = int(np.flatnonzero(flat != np.floor(flat))[0])
    return float(flat[index])
