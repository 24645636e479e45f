"""NumPy ``.npy`` and ``.npz`` reading, with pickling disabled and the size checked from the
array header before any data is read."""

from __future__ import annotations

import math
from typing import BinaryIO

import numpy as np

from deepcell_label.errors import DeepCellLabelError, InputFormatError
from deepcell_label.formats.archives import ZipMembers
from deepcell_label.formats.data import ImageArray
from deepcell_label.formats.limits import Limits


def read_npy(fileobj: BinaryIO, limits: Limits, what: str = "The array") -> ImageArray:
    try:
        version = np.lib.format.read_magic(fileobj)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fileobj)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fileobj)
        else:
            raise InputFormatError(
                f"{what} uses .npy format version {version}, which holds structured data; save "
                "a plain numeric array with numpy.save."
            )
        if dtype.hasobject or dtype.fields is not None:
            raise InputFormatError(
                f"{what} holds Python objects ({dtype}), which are never unpickled for safety; "
                "save a plain numeric array (numpy.save(..., allow_pickle=False))."
            )
        if dtype.kind not in "biuf":
            raise InputFormatError(
                f"{what} holds {dtype} values; save integers or real numbers instead."
            )
        limits.check_shape(shape, what)
        count = math.prod(shape)
        flat = np.empty(count, dtype=dtype)
        if _read_into(fileobj, memoryview(flat).cast("B")) != flat.nbytes:
            raise InputFormatError(
                f"{what} is incomplete: its header promises shape {shape} of {dtype} but the "
                "data stops early. Save or download it again."
            )
        array = flat.reshape(shape, order="F" if fortran else "C")
    except DeepCellLabelError:
        raise
    except Exception as error:
        raise InputFormatError(
            f"{what} could not be read as a NumPy .npy file ({type(error).__name__}: "
            f"{str(error)[:200]})."
        ) from None
    return ImageArray(array, None, None)


def _read_into(fileobj: BinaryIO, buffer: memoryview) -> int:
    filled = 0
    while filled < len(buffer):
        count = fileobj.readinto(buffer[filled:])
        if not count:
            break
        filled += count
    return filled


def read_npz_arrays(
    members: ZipMembers, names: dict[str, str], limits: Limits
) -> dict[str, ImageArray]:
    """The arrays of an .npz (a zip of .npy files), by name without '.npy', in the order of
    ``names`` (name in the archive -> name without a shared folder)."""
    arrays = {}
    for name, relative in names.items():
        stem = relative[:-4] if relative.endswith(".npy") else relative
        limits.take_archive_bytes(members.declared_size(name), relative)
        # Streamed: the .npy header bounds what is read, and it is checked against the limits.
        with members.open(name) as stream:
            arrays[stem] = read_npy(stream, limits, f"The array '{stem}'")
    return arrays
