"""Reading an OME-Zarr (OME-NGFF 0.4 on zarr format 2, or 0.5 on zarr format 3) from a zip.

zarr-python reads the arrays through a read-only store over the zip's members, so every byte
passes the archive guards (declared sizes, the expansion budget). Each chunk is checked to
expand to no more than its chunk size before a codec inflates it, which stops chunk-level
compression bombs. Only the first (full-resolution) level of the image and of each label image
is read.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

import numpy as np

from deepcell_label.errors import InputFormatError, TooLargeError
from deepcell_label.formats import physical
from deepcell_label.formats.archives import ZARR_METADATA, ZipMembers
from deepcell_label.formats.data import ImageArray
from deepcell_label.formats.limits import Limits

METADATA_FILES = ZARR_METADATA
MAX_METADATA_BYTES = 8 * 2**20
MAX_CHUNK_BYTES = 512 * 2**20
MAX_LABEL_IMAGES = 64
# Chunk positions zarr visits to read an array, present or not.
MAX_CHUNKS = 1_000_000
SUPPORTED = "zlib, gzip, blosc, zstd, lz4 or no compression"


def is_ome_zarr(relative_names: Iterable[str]) -> bool:
    return any(name.rsplit("/", 1)[-1] in METADATA_FILES for name in relative_names)


def _bad(message: str) -> InputFormatError:
    return InputFormatError(f"The OME-Zarr in the zip {message}")


class ZipZarrStore:
    """A read-only zarr store over the members under one folder of a zip."""

    def __init__(self, members: ZipMembers, by_name: dict[str, str], root: str) -> None:
        self.members = members
        self.keys = {r[len(root) :]: n for r, n in by_name.items() if r.startswith(root)}
        self.chunk_rules: dict[str, tuple[str | None, int]] = {}

    def read(self, key: str) -> bytes | None:
        name = self.keys.get(key)
        if name is None:
            return None
        if key.rsplit("/", 1)[-1] in METADATA_FILES:
            if self.members.declared_size(name) > MAX_METADATA_BYTES:
                raise _bad(f"has a metadata file '{key}' larger than {MAX_METADATA_BYTES:,} bytes.")
            return self.members.read(name)
        data = self.members.read(name)
        array = key.rsplit("/", 1)[0]
        while array and array not in self.chunk_rules:
            array = array.rsplit("/", 1)[0] if "/" in array else ""
        if array in self.chunk_rules:
            codec, limit = self.chunk_rules[array]
            check_chunk(data, codec, limit, key)
        return data

    def json(self, key: str) -> Any:
        data = self.read(key)
        if data is None:
            return None
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise _bad(f"has a metadata file '{key}' that is not valid JSON ({error}).") from None

    def zarr_store(self):
        return _make_zarr_store(self)


def check_chunk(data: bytes, codec: str | None, limit: int, key: str) -> None:
    """Refuse a chunk that would expand to more than ``limit`` bytes."""
    size = None
    if codec in ("zlib", "gzip"):
        try:
            inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # zlib or gzip header
            size = len(inflater.decompress(data, limit + 1))
        except zlib.error as error:
            raise _bad(f"has a damaged chunk '{key}' ({error}).") from None
    elif codec == "blosc" and len(data) >= 16:
        size = int.from_bytes(data[4:8], "little")
    elif codec == "lz4" and len(data) >= 4:
        size = int.from_bytes(data[:4], "little")
    elif codec == "zstd":
        size = zstd_content_size(data)
        if size is None:
            raise _bad(
                f"has a zstd chunk '{key}' that does not state its size; write it again with "
                "zarr or ome-zarr."
            )
    elif codec is None:
        size = len(data)
    if size is not None and size > limit:
        raise TooLargeError(
            f"The OME-Zarr chunk '{key}' expands to more than the {limit:,} bytes of one chunk; "
            "the file is damaged or malicious."
        )


def zstd_content_size(data: bytes) -> int | None:
    """The content size a zstd frame header states, or None."""
    if len(data) < 6 or data[:4] != b"\x28\xb5\x2f\xfd":
        return None
    descriptor = data[4]
    flag, single = descriptor >> 6, (descriptor >> 5) & 1
    position = 5 + (0 if single else 1) + (0, 1, 2, 4)[descriptor & 3]
    width = (1 if single else 0, 2, 4, 8)[flag]
    if width == 0 or len(data) < position + width:
        return None
    value = int.from_bytes(data[position : position + width], "little")
    return value + 256 if width == 2 else value


def _make_zarr_store(source: ZipZarrStore):
    from zarr.abc.store import Store

    class _Store(Store):
        supports_writes = False
        supports_deletes = False
        supports_listing = True

        def __init__(self) -> None:
            super().__init__(read_only=True)

        def __eq__(self, other: object) -> bool:
            return self is other

        async def get(self, key, prototype, byte_range=None):
            data = source.read(key)
            if data is None:
                return None
            return prototype.buffer.from_bytes(_slice(data, byte_range))

        async def get_partial_values(self, prototype, key_ranges):
            return [await self.get(key, prototype, byte_range) for key, byte_range in key_ranges]

        async def exists(self, key: str) -> bool:
            return key in source.keys

        async def set(self, key, value) -> None:
            raise NotImplementedError("read-only")

        async def delete(self, key) -> None:
            raise NotImplementedError("read-only")

        async def list(self) -> AsyncIterator[str]:
            for key in list(source.keys):
                yield key

        async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
            for key in list(source.keys):
                if key.startswith(prefix):
                    yield key

        async def list_dir(self, prefix: str) -> AsyncIterator[str]:
            prefix = prefix.rstrip("/") + "/" if prefix.rstrip("/") else ""
            seen = set()
            for key in list(source.keys):
                if key.startswith(prefix):
                    child = key[len(prefix) :].split("/", 1)[0]
                    if child not in seen:
                        seen.add(child)
                        yield child

    return _Store()


def _slice(data: bytes, byte_range) -> bytes:
    if byte_range is None:
        return data
    from zarr.abc.store import OffsetByteRequest, RangeByteRequest, SuffixByteRequest

    if isinstance(byte_range, RangeByteRequest):
        return data[byte_range.start : byte_range.end]
    if isinstance(byte_range, OffsetByteRequest):
        return data[byte_range.offset :]
    if isinstance(byte_range, SuffixByteRequest):
        return data[max(0, len(data) - byte_range.suffix) :]
    raise InputFormatError("The OME-Zarr could not be read (unexpected byte range).")


# --- metadata ------------------------------------------------------------------------------


def find_root(store_keys: Iterable[str]) -> list[str]:
    """Folders holding group metadata, shallowest first (the image group is among them)."""
    folders = set()
    for key in store_keys:
        folder, _, base = key.rpartition("/")
        if base in (".zattrs", "zarr.json"):
            folders.add(folder + "/" if folder else "")
    return sorted(folders, key=lambda f: (f.count("/"), f))


def _attributes(store: ZipZarrStore, folder: str) -> tuple[dict | None, int]:
    """The OME attributes of a group (``ome`` of zarr.json for 0.5) and its zarr format."""
    v3 = store.json(folder + "zarr.json")
    if v3 is not None:
        attributes = v3.get("attributes", {}) if isinstance(v3, dict) else {}
        ome = attributes.get("ome", attributes) if isinstance(attributes, dict) else {}
        return (ome if isinstance(ome, dict) else None), 3
    v2 = store.json(folder + ".zattrs")
    return (v2 if isinstance(v2, dict) else None), 2


def _axes(multiscale: dict, ndim: int, what: str) -> str:
    """Our axis letters (T, C, Z, Y, X) from the multiscales ``axes``."""
    axes = multiscale.get("axes")
    if axes is None:  # versions before 0.3 had no axes: always 5-D TCZYX
        if ndim == 5:
            return "TCZYX"
        raise _bad(f"{what} has no axes and {ndim} dimensions; give it OME-NGFF axes.")
    if not isinstance(axes, list) or len(axes) != ndim:
        raise _bad(
            f"{what} lists {len(axes) if isinstance(axes, list) else 'no'} axes for an array "
            f"of {ndim} dimensions."
        )
    letters = ""
    for axis in axes:
        if not isinstance(axis, str | dict):
            raise _bad(f"{what} has an axis {str(axis)[:40]!r}; axes are names or objects.")
        name, kind = (axis, None) if isinstance(axis, str) else (axis.get("name"), axis.get("type"))
        name = str(name).lower()
        if kind == "time" or name in ("t", "time"):
            letters += "T"
        elif kind == "channel" or name in ("c", "channel"):
            letters += "C"
        elif name in ("z", "y", "x"):
            letters += name.upper()
        else:
            raise _bad(
                f"{what} has an axis {name!r} of type {kind!r}; DeepCell Label reads time, "
                "channel and the space axes z, y and x."
            )
    if len(set(letters)) != len(letters) or "Y" not in letters or "X" not in letters:
        raise _bad(f"{what} has axes {letters}; each may appear once, and y and x are needed.")
    return letters


def _codec(array) -> str | None:
    """The compressor of an array (zarr v2) or its bytes-to-bytes codec (v3)."""
    metadata = array.metadata
    if array.metadata.zarr_format == 2:
        if metadata.filters:
            raise _bad("uses zarr filters, which DeepCell Label does not read.")
        compressor = metadata.compressor
        return None if compressor is None else str(compressor.codec_id)
    names = [type(codec).__name__.lower() for codec in metadata.codecs]
    if any("sharding" in name for name in names):
        raise _bad("uses sharding, which DeepCell Label does not read; write it without shards.")
    compressing = [n for n in names if n not in ("bytescodec", "transposecodec", "crc32ccodec")]
    if len(compressing) > 1:
        raise _bad(f"uses several codecs ({', '.join(compressing)}); use one of {SUPPORTED}.")
    if not compressing:
        return None
    return compressing[0].removesuffix("codec")


def _read_multiscale(
    store: ZipZarrStore, folder: str, limits: Limits, what: str, counted: int | None = None
) -> tuple[np.ndarray, str, dict]:
    """The pixels of the first level of the multiscale image in ``folder`` (see
    :func:`open_multiscale`), its axes and its attributes."""
    array, letters, attributes = open_multiscale(store, folder, limits, what, counted)
    return read_pixels(array, ..., what), letters, attributes


def read_pixels(array, where, what: str) -> np.ndarray:
    """``array[where]`` of a zarr array opened by :func:`open_multiscale`, its errors told as
    damaged data."""
    try:
        return np.asarray(array[where])
    except (InputFormatError, TooLargeError):
        raise
    except Exception as error:
        raise _bad(
            f"has damaged pixel data in '{array.path}' ({type(error).__name__}: {error})."
        ) from None


def open_multiscale(
    store: ZipZarrStore, folder: str, limits: Limits, what: str, counted: int | None = None
):
    """The first level of the multiscale image in ``folder`` as a zarr array (checked, not yet
    read), its axes and its attributes.

    ``counted`` is None for the image, which must have pixel data; for a label image it is the
    pixel values of the label images read before it, and it may have no chunk at all (every
    pixel the fill value: a label image without cells)."""
    import zarr

    attributes, zarr_format = _attributes(store, folder)
    multiscales = (attributes or {}).get("multiscales")
    if not isinstance(multiscales, list) or not multiscales or not isinstance(multiscales[0], dict):
        raise _bad(f"has no 'multiscales' metadata for {what}.")
    datasets = multiscales[0].get("datasets")
    if not isinstance(datasets, list) or not datasets or not isinstance(datasets[0], dict):
        raise _bad(f"lists no datasets for {what}.")
    path = str(datasets[0].get("path", "")).strip("/")
    key = f"{folder}{path}/"
    if (key + ".zarray") not in store.keys and (key + "zarr.json") not in store.keys:
        raise _bad(f"lacks the array '{key}' that its metadata names for {what}.")
    try:
        array = zarr.open_array(
            store.zarr_store(), path=f"{folder}{path}", mode="r", zarr_format=zarr_format
        )
    except (InputFormatError, TooLargeError):
        raise
    except Exception as error:  # zarr's own errors name no common base class
        raise _bad(f"has an array '{key}' that zarr cannot open ({error}).") from None
    shape = tuple(int(n) for n in array.shape)
    letters = _axes(multiscales[0], len(shape), what)
    limits.check_shape(shape, f"In the OME-Zarr, {what}")
    if (counted or 0) + math.prod(shape) > limits.max_pixels:
        raise TooLargeError(
            f"The label images of the OME-Zarr hold more than the limit of "
            f"{limits.max_pixels:,} pixel values together. Split them into smaller projects."
        )
    codec = _codec(array)
    if codec not in ("zlib", "gzip", "blosc", "zstd", "lz4", None):
        raise _bad(f"compresses {what} with '{codec}'; use {SUPPORTED}.")
    dtype = np.dtype(array.dtype)
    if dtype.kind not in "biuf":
        raise _bad(f"stores {what} as {dtype}; DeepCell Label reads numbers only.")
    grid = math.prod(
        -(-size // max(int(chunk), 1)) for size, chunk in zip(shape, array.chunks, strict=True)
    )
    if grid > MAX_CHUNKS:
        raise _bad(
            f"cuts {what} into {grid:,} chunks; at most {MAX_CHUNKS:,} are read. Write it with "
            "larger chunks."
        )
    chunk_bytes = math.prod(int(n) for n in array.chunks) * dtype.itemsize
    if chunk_bytes > MAX_CHUNK_BYTES:
        raise _bad(f"has chunks of {chunk_bytes:,} bytes for {what}; at most {MAX_CHUNK_BYTES:,}.")
    if counted is None and not any(
        k.startswith(key) and k.rsplit("/", 1)[-1] not in METADATA_FILES for k in store.keys
    ):
        raise _bad(f"holds no pixel data for {what} (the array '{key}' has no chunks).")
    store.chunk_rules[key.rstrip("/")] = (codec, chunk_bytes)
    return array, letters, attributes


def read_ome_zarr(
    members: ZipMembers, by_name: dict[str, str], limits: Limits
) -> tuple[ImageArray, ImageArray | None]:
    """The image and the labels (each label image a feature, or None) of the OME-Zarr."""
    store = ZipZarrStore(members, by_name, "")
    pixels, letters, attributes = _read_multiscale(store, image_root(store), limits, "the image")
    image = ImageArray(pixels, letters, _channel_names(attributes), _physical_size(attributes))
    return image, _read_labels(store, image_root(store), limits)


def image_root(store: ZipZarrStore) -> str:
    """The folder of the OME-Zarr's image (the first group with multiscales metadata)."""
    for folder in find_root(store.keys):
        attributes, _ = _attributes(store, folder)
        if attributes and "multiscales" in attributes and "image-label" not in attributes:
            return folder
    raise _bad("has no image: no group carries OME-NGFF 'multiscales' metadata.")


def _physical_size(attributes: dict) -> dict | None:
    """The pixel size from the axes' units and the first dataset's scale transform."""
    multiscale = attributes["multiscales"][0]
    datasets = multiscale.get("datasets") or [{}]
    transforms = datasets[0].get("coordinateTransformations") or []
    scale = next(
        (t.get("scale") for t in transforms if isinstance(t, dict) and t.get("type") == "scale"),
        None,
    )
    return physical.from_ngff(multiscale.get("axes"), scale)


def _channel_names(attributes: dict) -> list[str] | None:
    omero = attributes.get("omero")
    channels = omero.get("channels") if isinstance(omero, dict) else None
    if not isinstance(channels, list):
        return None
    return [str(c.get("label", "")) if isinstance(c, dict) else "" for c in channels]


def _read_labels(store: ZipZarrStore, root: str, limits: Limits) -> ImageArray | None:
    from deepcell_label.formats import axes as axes_rules

    images = open_label_images(store, root, limits)
    if not images:
        return None
    parts, feature_names = [], []
    for array, letters, titles in images:
        parts.append(axes_rules.to_standard(read_pixels(array, ..., "labels"), letters))
        feature_names += titles
    return ImageArray(np.concatenate(parts, axis=3), "TYXC", feature_names)


def open_label_images(
    store: ZipZarrStore, root: str, limits: Limits
) -> list[tuple[Any, str, list[str]]]:
    """The label images of the OME-Zarr as checked zarr arrays, not yet read: (array, axes,
    a feature name for each of its channels)."""
    from deepcell_label.formats import axes as axes_rules

    attributes, _ = _attributes(store, f"{root}labels/")
    names = (attributes or {}).get("labels")
    if not names:
        return []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _bad("lists its label images in 'labels' other than as a list of names.")
    if len(names) > MAX_LABEL_IMAGES:
        raise _bad(f"has {len(names)} label images; at most {MAX_LABEL_IMAGES} are read.")
    images: list[tuple[Any, str, list[str]]] = []
    counted, first = 0, None
    for name in names:
        what = f"the label image '{name}'"
        array, letters, label_attributes = open_multiscale(
            store, f"{root}labels/{name.strip('/')}/", limits, what, counted
        )
        counted += math.prod(array.shape)
        if not np.issubdtype(np.dtype(array.dtype), np.integer):
            raise _bad(f"stores {what} as {array.dtype}; label images hold whole numbers.")
        shape = axes_rules.standard_shape(array.shape, letters)
        if first is not None and shape[:3] != first:
            raise _bad(
                f"has label images of different sizes: {shape[:3]} and {first} (frames, "
                "height, width)."
            )
        first = shape[:3]
        title = label_attributes["multiscales"][0].get("name") or name
        count = shape[3]
        titles = [str(title)] if count == 1 else [f"{title} {i}" for i in range(count)]
        images.append((array, letters, titles))
    return images
