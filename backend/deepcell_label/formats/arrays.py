"""Checks and dtype conversions applied to every array a reader returns."""

from __future__ import annotations

import numpy as np

from deepcell_label.errors import InputFormatError

INT32_MAX = np.iinfo(np.int32).max
UINT32_MAX = np.iinfo(np.uint32).max


def native(array: np.ndarray) -> np.ndarray:
    """The array in the machine's byte order (files may be big-endian)."""
    if not array.dtype.isnative:
        return array.astype(array.dtype.newbyteorder("="))
    return array


def check_plain(array: np.ndarray, what: str) -> None:
    if array.dtype.hasobject or array.dtype.fields is not None:
        raise InputFormatError(
            f"{what} holds {array.dtype} values, not plain numbers; save it as a numeric array."
        )
    if array.size == 0:
        raise InputFormatError(
            f"{what} is empty (shape {array.shape}); it needs at least one pixel."
        )


def raw_dtype(array: np.ndarray, what: str = "The image") -> np.ndarray:
    """Keep uint8..uint32, int8..int32 and float32 as they are; convert the rest.

    bool -> uint8, float16/float64 -> float32, int64/uint64 -> int32/uint32 when the values fit.
    """
    check_plain(array, what)
    array = native(array)
    kind, size = array.dtype.kind, array.dtype.itemsize
    if kind == "b":
        return array.astype(np.uint8)
    if kind == "f":
        return array if size == 4 else array.astype(np.float32)
    if kind in "iu" and size <= 4:
        return array
    if kind == "i":
        low, high = int(array.min()), int(array.max())
        if low < np.iinfo(np.int32).min or high > INT32_MAX:
            raise InputFormatError(
                f"{what} holds 64-bit integers from {low} to {high}, beyond the 32-bit range; "
                "rescale it to 32 bits or save it as float32."
            )
        return array.astype(np.int32)
    if kind == "u":
        high = int(array.max())
        if high > UINT32_MAX:
            raise InputFormatError(
                f"{what} holds values up to {high}, beyond the 32-bit range; rescale it to 32 "
                "bits or save it as float32."
            )
        return array.astype(np.uint32)
    raise InputFormatError(
        f"{what} holds {array.dtype} values; use integers or real numbers (float32)."
    )


def label_dtype(array: np.ndarray, what: str = "The labels") -> np.ndarray:
    """Labels as int32: whole, non-negative numbers that fit in 32 bits."""
    check_plain(array, what)
    array = native(array)
    if array.dtype == np.int32:
        _check_label_range(array, what)
        return array
    kind = array.dtype.kind
    if kind == "b":
        return array.astype(np.int32)
    if kind == "f":
        if not np.isfinite(array).all():
            raise InputFormatError(
                f"{what} contain NaN or infinite values; labels must be whole numbers (cell ids)."
            )
        if not np.array_equal(array, np.floor(array)):
            raise InputFormatError(
                f"{what} contain fractions (e.g. {_first_fraction(array)}); labels must be whole "
                "numbers (cell ids), not intensities. Did you swap the image and the labels?"
            )
    elif kind not in "iu":
        raise InputFormatError(f"{what} hold {array.dtype} values; labels must be whole numbers.")
    _check_label_range(array, what)
    return array.astype(np.int32)


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
