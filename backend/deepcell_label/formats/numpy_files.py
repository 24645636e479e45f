"""NumPy ``.npy`` and ``.npz`` reading, with pickling disabled and the size checked from the
array header before any data is read. The data is then streamed in blocks straight into the
array it ends up in, so an upload is never held twice."""

from __future__ import annotations

import math
from typing import BinaryIO

import numpy as np

from deepcell_label.errors import DeepCellLabelError, InputFormatError
from deepcell_label.formats.archives import ZipMembers
from deepcell_label.formats.data import Convert, ImageArray, LazyPixels
from deepcell_label.formats.limits import Limits

# Bytes of an array put in place at once while streaming it, and asked from the file at once
# (a compressed archive member hands out a new bytes object for every read).
BLOCK_BYTES = 8 * 2**20
READ_BYTES = 2**20


def read_npy(fileobj: BinaryIO, limits: Limits, what: str = "The array") -> ImageArray:
    """The array of a .npy file from its header; its data is read when put in place (from the
    position after the header: ``fileobj`` must stay open and not be read meanwhile)."""
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
    except DeepCellLabelError:
        raise
    except Exception as error:
        raise InputFormatError(
            f"{what} could not be read as a NumPy .npy file ({type(error).__name__}: "
            f"{str(error)[:200]})."
        ) from None
    if dtype.hasobject or dtype.fields is not None:
        raise InputFormatError(
            f"{what} holds Python objects ({dtype}), which are never unpickled for safety; "
            "save a plain numeric array (numpy.save(..., allow_pickle=False))."
        )
    if dtype.kind not in "biuf":
        raise InputFormatError(
            f"{what} holds {dtype} values; save integers or real numbers instead."
        )
    if any(n < 0 for n in shape):
        raise InputFormatError(
            f"{what} could not be read as a NumPy .npy file: its header gives the shape {shape}."
        )
    limits.check_shape(shape, what)
    return ImageArray(NpyPixels(fileobj, tuple(shape), dtype, fortran, what), None, None)


class NpyPixels(LazyPixels):
    """The data of a .npy file, read in blocks of whole rows into their place."""

    def __init__(
        self, stream: BinaryIO, shape: tuple[int, ...], dtype: np.dtype, fortran: bool, what: str
    ) -> None:
        self.stream = stream
        self.start = stream.tell() if stream.seekable() else None
        self.shape = tuple(int(n) for n in shape)
        self.dtype = np.dtype(dtype)
        self.fortran = fortran
        self.what = what

    def first(self) -> np.ndarray | NpyPixels:
        """The part with index 0 of the first dimension (the first batch of a .trks)."""
        if self.fortran:  # not one stretch of the file: read it all
            return self.load()[0]
        first = self.reshape(self.shape)
        first.shape = self.shape[1:]
        return first

    def read_into(self, out: np.ndarray, convert: Convert) -> None:
        if self.start is not None:
            self.stream.seek(self.start)
        # A Fortran-order array is the C-order array of the reversed shape, transposed.
        target = out.T if self.fortran else out
        shape = self.shape[::-1] if self.fortran else self.shape
        try:
            _stream_into(self.stream, shape, self.dtype, target, convert, self.what)
        except DeepCellLabelError:
            raise
        except Exception as error:
            raise InputFormatError(
                f"{self.what} could not be read as a NumPy .npy file ({type(error).__name__}: "
                f"{str(error)[:200]})."
            ) from None


def _stream_into(
    stream: BinaryIO,
    shape: tuple[int, ...],
    dtype: np.dtype,
    out: np.ndarray,
    convert: Convert,
    what: str,
) -> None:
    """Read C-order data of ``shape`` from ``stream`` into ``out`` in blocks of at most
    BLOCK_BYTES (whole rows of some dimension ``axis``, a few at a time)."""
    row_items = math.prod(shape)
    axis = 0
    while axis < len(shape) and row_items * dtype.itemsize > BLOCK_BYTES:
        row_items //= shape[axis]
        axis += 1
    # Blocks are `step` consecutive indices of dimension axis - 1 (or the whole array).
    outer = shape[: max(axis - 1, 0)]
    length = shape[axis - 1] if axis else 1
    step = max(1, BLOCK_BYTES // max(row_items * dtype.itemsize, 1)) if axis else 1
    # One buffer serves every block.
    buffer = np.empty((min(step, length), *shape[axis:]) if axis else shape, dtype)
    for index in np.ndindex(*outer):
        for begin in range(0, length, step):
            count = min(step, length - begin)
            block = buffer[:count] if axis else buffer
            if _read_into(stream, memoryview(block.reshape(-1)).cast("B")) != block.nbytes:
                raise InputFormatError(
                    f"{what} is incomplete: its header promises shape {shape} of {dtype} but "
                    "the data stops early. Save or download it again."
                )
            place = (*index, slice(begin, begin + count)) if axis else ...
            out[place] = convert(block)


def _read_into(fileobj: BinaryIO, buffer: memoryview) -> int:
    filled = 0
    while filled < len(buffer):
        count = fileobj.readinto(buffer[filled : filled + READ_BYTES])
        if not count:
            break
        filled += count
    return filled


def read_npz_arrays(
    members: ZipMembers, names: dict[str, str], limits: Limits
) -> dict[str, ImageArray]:
    """The arrays of an .npz (a zip of .npy files), by name without '.npy', in the order of
    ``names`` (name in the archive -> name without a shared folder). Only headers are read
    here; an array's data is streamed from the archive when it is put in place."""
    arrays = {}
    for name, relative in names.items():
        stem = relative[:-4] if relative.endswith(".npy") else relative
        limits.take_archive_bytes(members.declared_size(name), relative)
        # Streamed: the .npy header bounds what is read, and it is checked against the limits.
        arrays[stem] = read_npy(members.open(name), limits, f"The array '{stem}'")
    return arrays
