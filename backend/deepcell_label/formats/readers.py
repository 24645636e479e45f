"""``read_images`` and ``read_labels``: recognise a file by its content and bring it into a
``ProjectData``.

User ``axes`` apply to single arrays (TIFF, PNG, JPEG, .npy, the image of an .npz, the images
in a zip of images). Project zips, .trk/.trks files and ``*_batch_<b>_feature_<f>.tif`` sets
have a fixed layout, and ``axes`` are ignored for them.
"""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

from deepcell_label.errors import InputFormatError
from deepcell_label.formats import axes as axes_rules
from deepcell_label.formats.archives import TarMembers, ZipMembers
from deepcell_label.formats.arrays import check_plain, label_target, raw_target
from deepcell_label.formats.bitmaps import read_bitmap
from deepcell_label.formats.cells import (
    lineage_of_cells,
    lineage_to_divisions,
    parse_cell_types,
    parse_cells,
    parse_channel_names,
    parse_divisions,
    parse_spots,
)
from deepcell_label.formats.ctc import find_track_file, read_ctc
from deepcell_label.formats.data import (
    ImageArray,
    LazyPixels,
    ProjectData,
    default_channel_names,
    default_feature_names,
    names_or_default,
)
from deepcell_label.formats.learning_files import (
    EMBEDDINGS_FILE,
    MARKERS_FILE,
    parse_embeddings,
    parse_markers,
)
from deepcell_label.formats.limits import Limits
from deepcell_label.formats.numpy_files import NpyPixels, read_npy, read_npz_arrays
from deepcell_label.formats.omezarr_read import is_ome_zarr, read_ome_zarr
from deepcell_label.formats.tiff import read_tiff

ACCEPTED = (
    "DeepCell Label accepts TIFF (also OME-TIFF and ImageJ), PNG, JPEG, NumPy .npy and .npz, "
    "zip files (a DeepCell Label project, a Cell Tracking Challenge sequence, an OME-Zarr, or "
    "TIFF/.npy/PNG images) and .trk/.trks files."
)
SINGLE_FORMATS = ("tiff", "png", "jpeg", "npy")
PROJECT_IMAGES = ("X.ome.tiff", "X.ome.tif")
PROJECT_LABELS = ("y.ome.tiff", "y.ome.tif")
BATCH_FEATURE = re.compile(r"batch_(\d+)_feature_(\d+)\.tiff?$", re.IGNORECASE)


def detect_format(head: bytes) -> str | None:
    """The format of a file from its first 512 bytes, or None."""
    if head[:4] in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"):
        return "tiff"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if head[257:262] == b"ustar" or head.startswith(b"\x1f\x8b"):
        return "tar"
    return None


@dataclass
class _Content:
    """What a file holds before it is fitted together; ``fixed`` layouts ignore user axes."""

    raw: ImageArray | None = None
    labels: ImageArray | None = None
    fixed: bool = False
    side_files: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def read_images(
    path: str | os.PathLike, axes: str | None = None, *, max_pixels: int | None = None
) -> ProjectData:
    """Read an image file (and any labels and annotations it holds) into a ``ProjectData``.

    The format is recognised from the content, never from the name; see docs/FORMATS.md.
    ``max_pixels`` limits the number of pixel values (frames x height x width x channels)
    of the image and of the labels; it is checked from headers before anything is decoded.
    Raises ``InputFormatError`` for anything unreadable and ``TooLargeError`` over the limit.
    """
    limits = Limits(max_pixels)
    # The file stays open while the pixels are read into place.
    with open(path, "rb") as fileobj:
        content = _read_content(fileobj, limits)
        if content.raw is None:
            raise InputFormatError(
                "The file holds no image; a project zip needs X.ome.tiff, an .npz needs an "
                "array (named X for the image), a Cell Tracking Challenge zip its raw frames "
                "tNNN.tif (or give the images separately, with this zip as the labels). "
                f"{ACCEPTED}"
            )
        raw, channel_names = _standardize(content.raw, None if content.fixed else axes, "The image")
        data = ProjectData(
            raw=raw,
            channel_names=names_or_default(
                channel_names, raw.shape[3], default_channel_names(raw.shape[3])
            ),
            physical_size=content.raw.physical_size,
            notes=content.notes,
        )
        if raw.dtype != content.raw.dtype.newbyteorder("="):
            data.notes.append(
                f"the image's {content.raw.dtype.name} pixels are kept as {raw.dtype}"
            )
        if content.labels is not None:
            labels, feature_names = _fit_labels(content.labels, raw.shape[:3], None)
            data.labels = labels
            data.feature_names = names_or_default(
                feature_names, labels.shape[3], default_feature_names(labels.shape[3])
            )
    _apply_side_files(data, content.side_files)
    return data


def read_labels(
    path: str | os.PathLike,
    shape: tuple[int, int, int],
    axes: str | None = None,
    *,
    max_pixels: int | None = None,
) -> np.ndarray:
    """Read a labels file for an image of (frames, height, width).

    Returns int32 labels (frames, height, width, features). From a project zip, .npz with
    ``y`` or .trk file, the labels in it are used; otherwise the file's image. Without
    ``axes``, the file's metadata, the shape rule and the usual alternatives are tried in turn
    and the first that fits the image is used; none fitting is an ``InputFormatError``.
    """
    limits = Limits(max_pixels)
    with open(path, "rb") as fileobj:
        content = _read_content(fileobj, limits, "The labels file")
        source = content.labels or content.raw
        if source is None:
            raise InputFormatError(f"The labels file holds no labels. {ACCEPTED}")
        labels, _ = _fit_labels(source, tuple(shape), None if content.fixed else axes)
    return labels


def _standardize(
    image: ImageArray, axes: str | None, what: str
) -> tuple[np.ndarray, list[str] | None]:
    """The image as (frames, height, width, channels) in the dtype it is kept in, and the
    channel names its file gives."""
    pixels = image.pixels
    if axes is not None:
        if image.axes is not None:
            # The user names the dimensions that have more than one element; the file's
            # metadata may list singleton ones too (tifffile's full TZCYXS form).
            pixels = _without_singletons(pixels, len(axes))
        chosen = axes_rules.check_axes(axes, pixels.shape, what)
    else:
        chosen = image.axes or axes_rules.guess_axes(pixels.shape)
    check_plain(image.dtype, pixels.shape, what)
    dtype, convert = raw_target(image.dtype, what)
    return _in_memory(what, axes_rules.standardize, pixels, chosen, dtype, convert), (
        image.channel_names
    )


def _fit_labels(
    image: ImageArray, frames_height_width: tuple[int, ...], axes: str | None
) -> tuple[np.ndarray, list[str] | None]:
    """Labels as int32 (frames, height, width, features) covering the image."""
    pixels, wanted = image.pixels, tuple(frames_height_width)
    known = image.axes
    if axes is None and known and axes_rules.standard_shape(pixels.shape, known)[:3] == wanted:
        chosen, names = known, image.channel_names
    else:
        if known is not None:
            pixels = _without_singletons(pixels, len(axes) if axes else None)
        chosen, names = axes_rules.fit_to_image(pixels.shape, wanted, axes), None
    check_plain(image.dtype, pixels.shape, "The labels")
    dtype, convert = label_target(image.dtype)
    return _in_memory("The labels", axes_rules.standardize, pixels, chosen, dtype, convert), names


def _in_memory(what: str, read, *args):
    """``read(*args)``, with running out of memory told as the user's problem to solve."""
    try:
        return read(*args)
    except MemoryError:
        raise InputFormatError(
            f"{what} is too large to read into memory; split it into smaller files."
        ) from None


def _without_singletons(
    pixels: np.ndarray | LazyPixels, ndim: int | None
) -> np.ndarray | LazyPixels:
    """Drop dimensions of size 1, unless the array already has ``ndim`` dimensions."""
    if ndim == pixels.ndim:
        return pixels
    return pixels.reshape(tuple(n for n in pixels.shape if n > 1) or (1,))


def _read_content(fileobj: BinaryIO, limits: Limits, what: str = "The image") -> _Content:
    head = fileobj.read(512)
    fileobj.seek(0)
    kind = detect_format(head)
    if kind in SINGLE_FORMATS:
        return _Content(raw=_read_single(fileobj, kind, limits, what))
    if kind == "zip":
        return _read_zip(ZipMembers(fileobj, limits), limits)
    if kind == "tar":
        return _read_trk(TarMembers(fileobj, limits), limits)
    if not head:
        raise InputFormatError(f"The file is empty (0 bytes). {ACCEPTED}")
    raise InputFormatError(f"The file's format was not recognised ({_describe(head)}). {ACCEPTED}")


def _describe(head: bytes) -> str:
    text = head[:200].decode("utf-8", errors="replace")
    if head.lstrip()[:1] in (b"<", b"{", b"[") or text.isprintable() or "\n" in text:
        start = " ".join(text.split())[:40]
        return f"it looks like text starting with {start!r}"
    return f"it starts with the bytes {head[:8].hex(' ')}"


def _read_single(fileobj: BinaryIO, kind: str, limits: Limits, what: str) -> ImageArray:
    if kind == "tiff":
        return read_tiff(fileobj, limits, what)
    if kind == "npy":
        return read_npy(fileobj, limits, what)
    return read_bitmap(fileobj, limits, kind.upper(), what)


# --- archives -------------------------------------------------------------------------------

SIDE_FILES = (
    "cells.json",
    "divisions.json",
    "lineage.json",
    "cellTypes.json",
    "channels.json",
    EMBEDDINGS_FILE,
    MARKERS_FILE,
)


def _read_zip(members: ZipMembers, limits: Limits) -> _Content:
    by_name = {relative: name for name, relative in members.names.items()}
    if not by_name:
        raise InputFormatError(f"The zip file is empty. {ACCEPTED}")
    content = _Content(side_files=_read_side_files(members, by_name))
    images = {r: n for r, n in by_name.items() if r not in SIDE_FILES and r != "spots.csv"}
    project_raw = next((by_name[r] for r in PROJECT_IMAGES if r in by_name), None)
    track_file = None if project_raw else find_track_file(by_name)
    if project_raw is None and track_file is None and is_ome_zarr(by_name):
        # OME-Zarr: the axes come from its metadata, the labels from its labels group.
        content.fixed = True
        content.raw, content.labels = read_ome_zarr(members, by_name, limits)
    elif track_file is not None:
        # Cell Tracking Challenge: masks, track file and perhaps raw frames tNNN.tif.
        found = read_ctc(lambda r: members.read(by_name[r]), by_name, track_file, limits)
        content.fixed = True
        content.raw = None if found.raw is None else ImageArray(found.raw, "TYXC", None)
        content.labels = ImageArray(found.labels, "TYXC", None)
        content.side_files.pop("lineage.json", None)
        content.side_files["divisions.json"] = found.divisions
        if found.divisions:
            content.notes.append(
                f"{track_file.rsplit('/', 1)[-1]}: {_count(found.divisions, 'division')} converted"
            )
    elif project_raw is not None:
        content.fixed = True
        content.raw = _read_member(members, project_raw, limits, "X.ome.tiff")
        project_labels = next((by_name[r] for r in PROJECT_LABELS if r in by_name), None)
        if project_labels is not None:
            content.labels = _read_member(members, project_labels, limits, "y.ome.tiff")
    elif images and all(r.endswith(".npy") for r in images):
        arrays = read_npz_arrays(members, {n: r for r, n in images.items()}, limits)
        content.raw = arrays.get("X") or next(iter(arrays.values()))
        content.labels = arrays.get("y") if "X" in arrays else None
    elif images and all(BATCH_FEATURE.search(r) for r in images):
        content.fixed = True
        content.raw = _read_batch_feature_set(members, images, limits)
    else:
        _read_image_members(content, members, images, limits)
    return content


def _read_member(members: ZipMembers, name: str, limits: Limits, what: str) -> ImageArray:
    """An image file in a zip, read without a copy of the member where the format allows:
    a TIFF where it lies (or from a temporary file), a .npy streamed, PNG/JPEG from its bytes."""
    kind = detect_format(members.head(name))
    if kind not in SINGLE_FORMATS:
        raise InputFormatError(
            f"'{what}' in the zip is not an image file (TIFF, PNG, JPEG or .npy)."
        )
    described = f"'{what}' in the zip"
    if kind == "tiff":
        fileobj, offset, size = members.seekable(name)
        return read_tiff(fileobj, limits, described, offset, size)
    if kind == "npy":
        limits.take_archive_bytes(members.declared_size(name), name)
        return read_npy(members.open(name), limits, described)
    return _read_single(io.BytesIO(members.read(name)), kind, limits, described)


def _read_image_members(
    content: _Content, members: ZipMembers, images: dict[str, str], limits: Limits
) -> None:
    """A zip of image files: ``y.*`` holds labels, ``X.*`` the image; otherwise each image file
    is a set of channels, in name order, all of the same frames, height and width."""
    labels = [r for r in images if _stem(r) == "y"]
    if labels:
        content.labels = _read_member(members, images[labels[0]], limits, labels[0])
    others = sorted((r for r in images if r not in labels), key=_natural)
    raws = [r for r in others if _stem(r) == "X"] or others
    if not raws:
        raise InputFormatError(f"The zip file holds no image files. {ACCEPTED}")
    if len(raws) == 1:
        content.raw = _read_member(members, images[raws[0]], limits, raws[0])
        return
    parts = [_read_member(members, images[r], limits, r) for r in raws]
    shapes, names = [], []
    for relative, part in zip(raws, parts, strict=True):
        shape = axes_rules.standard_shape(
            part.shape, part.axes or axes_rules.guess_axes(part.shape)
        )
        if shapes and shape[:3] != shapes[0][:3]:
            raise InputFormatError(
                f"The images in the zip differ in size: '{raws[0]}' has (frames, height, width) "
                f"{shapes[0][:3]} but '{relative}' has {shape[:3]}. Zip images of "
                "one size, one file per channel."
            )
        shapes.append(shape)
        stem, count = _stem(relative), shape[3]
        names += (
            [stem]
            if count == 1
            else [
                f"{stem} {n}"
                for n in names_or_default(part.channel_names, count, default_channel_names(count))
            ]
        )
    # Every file is read straight into its channels of one array.
    dtype = np.result_type(*(part.dtype for part in parts))
    stacked = np.empty((*shapes[0][:3], sum(shape[3] for shape in shapes)), dtype)
    first = 0
    for relative, part, shape in zip(raws, parts, shapes, strict=True):
        what = f"'{relative}' in the zip"
        check_plain(part.dtype, part.shape, what)
        _, convert = raw_target(part.dtype, what)
        chosen = part.axes or axes_rules.guess_axes(part.shape)
        target = stacked[..., first : first + shape[3]]
        _in_memory(what, axes_rules.fill_standard, target, part.pixels, chosen, convert)
        first += shape[3]
    content.raw = ImageArray(stacked, "TYXC", names, parts[0].physical_size)
    content.fixed = True


def _read_batch_feature_set(
    members: ZipMembers, images: dict[str, str], limits: Limits
) -> ImageArray:
    """``<name>_batch_<b>_feature_<f>.tif`` files: batches become frames, features channels."""
    found: dict[tuple[int, int], ImageArray] = {}
    for relative, name in images.items():
        match = BATCH_FEATURE.search(relative)
        image = _read_member(members, name, limits, relative)
        if sum(n > 1 for n in image.shape) > 2:
            raise InputFormatError(
                f"'{relative}' holds an image of shape {image.shape}; each batch/feature TIFF "
                "must hold one 2-D image."
            )
        found[int(match.group(1)), int(match.group(2))] = image
    batches = sorted({b for b, _ in found})
    features = sorted({f for _, f in found})
    missing = [(b, f) for b in batches for f in features if (b, f) not in found]
    if missing:
        raise InputFormatError(
            f"The zip lacks the TIFF for batch {missing[0][0]}, feature {missing[0][1]}; every "
            "batch needs a file for every feature."
        )
    planes = {key: image.pixels for key, image in found.items()}
    planes = {key: p.reshape(_plane_shape(p.shape)) for key, p in planes.items()}
    shapes = {tuple(p.shape) for p in planes.values()}
    if len(shapes) > 1:
        raise InputFormatError(f"The batch/feature TIFFs differ in size: {sorted(shapes)}.")
    ((height, width),) = shapes
    dtype = np.result_type(*(image.dtype for image in found.values()))
    stacked = np.empty((len(batches), height, width, len(features)), dtype)
    for (b, f), pixels in planes.items():
        what = f"The batch {b}, feature {f} TIFF"
        target = stacked[batches.index(b), :, :, features.index(f)]
        _in_memory(what, axes_rules.fill_standard, target[None, :, :, None], pixels, "YX", _as_is)
    return ImageArray(stacked, "TYXC", None)


def _plane_shape(shape: tuple[int, ...]) -> tuple[int, int]:
    """(height, width) of a 2-D image stored with extra dimensions of size 1."""
    kept = [n for n in shape if n > 1]
    if len(kept) == 2:
        return kept[0], kept[1]
    if len(kept) == 1:  # a single row or column: keep the file's order
        return (1, kept[0]) if shape[-1] == kept[0] else (kept[0], 1)
    return 1, 1


def _as_is(block: np.ndarray) -> np.ndarray:
    return block


def _read_trk(members: TarMembers, limits: Limits) -> _Content:
    """Legacy deepcell-tracking files: raw.npy, tracked.npy and lineage.json (.trk) or
    lineages.json (.trks, several batches: the first batch is read)."""
    by_name = {relative: name for name, relative in members.names.items()}
    if "raw.npy" not in by_name:
        raise InputFormatError(
            "The tar file is not a .trk/.trks file: it has no raw.npy. " + ACCEPTED
        )
    content = _Content(fixed=True)
    content.raw = _trk_array(members, by_name["raw.npy"], limits, "raw.npy")
    if "tracked.npy" in by_name:
        content.labels = _trk_array(members, by_name["tracked.npy"], limits, "tracked.npy")
    for lineage_name in ("lineage.json", "lineages.json"):
        if lineage_name in by_name:
            lineage = _parse_json(members.read(by_name[lineage_name]), lineage_name)
            if isinstance(lineage, list):
                lineage = lineage[0] if lineage else {}
            content.side_files["lineage.json"] = lineage
    return content


def _trk_array(members: TarMembers, name: str, limits: Limits, what: str) -> ImageArray:
    pixels = read_npy(members.open(name), limits, what).pixels
    if pixels.ndim == 5:
        pixels = pixels.first() if isinstance(pixels, NpyPixels) else pixels[0]
    if pixels.ndim != 4:
        raise InputFormatError(
            f"{what} has shape {pixels.shape}; a .trk holds (frames, height, width, channels) "
            "and a .trks (batches, frames, height, width, channels)."
        )
    return ImageArray(pixels, "TYXC", None)


# --- annotations ----------------------------------------------------------------------------


def _read_side_files(members: ZipMembers, by_name: dict[str, str]) -> dict[str, Any]:
    side = {}
    for relative in SIDE_FILES:
        if relative in by_name:
            side[relative] = _parse_json(members.read(by_name[relative]), relative)
    if "spots.csv" in by_name:
        side["spots.csv"] = _decode(members.read(by_name["spots.csv"]), "spots.csv")
    return side


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFormatError(f"{what} is not UTF-8 text.") from None


def _parse_json(data: bytes, what: str) -> Any:
    try:
        return json.loads(_decode(data, what))
    except (json.JSONDecodeError, RecursionError) as error:
        raise InputFormatError(f"{what} is not valid JSON ({error}).") from None


def _apply_side_files(data: ProjectData, side: dict[str, Any]) -> None:
    if "channels.json" in side:
        names = parse_channel_names(side["channels.json"])
        data.channel_names = names_or_default(names, data.raw.shape[3], data.channel_names)
    if "divisions.json" in side:
        data.divisions = parse_divisions(side["divisions.json"])
    elif "lineage.json" in side:
        data.divisions = lineage_to_divisions(side["lineage.json"])
        if data.divisions:
            data.notes.append(f"lineage.json: {_count(data.divisions, 'division')} converted")
    elif (lineage := lineage_of_cells(side.get("cells.json"))) is not None:
        data.divisions = lineage_to_divisions(lineage)
        data.notes.append(f"cells.json lineage: {_count(data.divisions, 'division')} converted")
    if "cellTypes.json" in side:
        data.cell_types = parse_cell_types(side["cellTypes.json"])
    if "cells.json" in side and data.labels is not None:
        frames, _, _, features = data.labels.shape
        data.cells = parse_cells(side["cells.json"], frames, features, data.notes)
    if "spots.csv" in side:
        data.spot_columns, data.spots = parse_spots(side["spots.csv"])
    if EMBEDDINGS_FILE in side:
        data.embeddings = parse_embeddings(side[EMBEDDINGS_FILE])
    if MARKERS_FILE in side:
        data.markers = parse_markers(side[MARKERS_FILE])


def _count(items: list, name: str) -> str:
    return f"{len(items)} {name}{'' if len(items) == 1 else 's'}"


def _stem(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return re.sub(r"\.(ome\.)?[A-Za-z0-9]+$", "", base)


def _natural(name: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
