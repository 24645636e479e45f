"""Writing a project as OME-Zarr (OME-NGFF 0.4, zarr format 2) into a zip, tile by tile.

Stored tiles are deflated little-endian bytes in C order, which is exactly what a zarr v2
chunk with the ``zlib`` compressor holds, so full-size tiles are copied as they are; only
partial edge tiles are padded to the chunk size and deflated again. Downsampled levels are
built in strips of one row of chunks, so no whole plane is ever in memory.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np

from deepcell_label.formats import physical, tiling
from deepcell_label.formats.levels import every_other, level_shapes, mean_2x2

NGFF_VERSION = "0.4"
IMAGE_CHUNK = tiling.TILE_SIZE
LABEL_CHUNK = tiling.LABEL_TILE_SIZE
CHANNEL_COLORS = ("FFFFFF",)
MULTI_CHANNEL_COLORS = ("FF0000", "00FF00", "0000FF", "FF00FF", "00FFFF", "FFFF00")
ENTRY_TIME = (1980, 1, 1, 0, 0, 0)
# zlib releases the GIL: tiles of one strip are deflated and inflated side by side.
THREADS = 4

# (tile_y) -> {tile_x: deflated tile bytes}; tiles left out are all zero.
RowReader = Callable[[int], dict[int, bytes]]
# (level, tile_y, tile_x, deflated chunk bytes)
Chunk = tuple[int, int, int, bytes]


@dataclass
class ZarrProject:
    """What the writer needs to know about a project, and how to read its level-0 tiles."""

    name: str
    frames: int
    height: int
    width: int
    channels: int
    dtype: str
    channel_names: list[str]
    channel_ranges: list[list[float]]
    feature_names: list[str]
    # (frame, channel) -> a reader of that plane's 512 x 512 raw tiles, one tile row at a time
    raw_rows: Callable[[int, int], RowReader]
    # (feature, frame) -> a reader of that label frame's 256 x 256 int32 tiles
    label_rows: Callable[[int, int], RowReader]
    # {"x", "y", "z", "unit"} or None: the space axes' unit and scale (z has no axis here)
    physical_size: dict | None = None


def plane_chunks(
    rows: RowReader,
    height: int,
    width: int,
    dtype: np.dtype,
    size: int,
    levels: int,
    reduce: Callable[[np.ndarray], np.ndarray],
    keep_empty: bool,
    map_tiles: Callable = map,
) -> Iterator[Chunk]:
    """Every chunk of every level of one plane, from its level-0 tiles of ``size``.

    Level 0 is copied from the stored tiles (edge tiles padded); levels >= 1 are reduced from
    the level before, one strip of ``size`` rows at a time. Tiles the reader leaves out, and
    when ``keep_empty`` is false all-zero chunks of the higher levels, give no chunk (zarr
    reads them as the fill value 0). This is the one place that produces levels, so stored
    levels can replace the reduction later. ``map_tiles`` (an ordered map, such as a thread
    pool's) spreads the deflating and inflating of a strip's tiles over threads.
    """
    dtype = tiling.little_endian(dtype)
    tile_rows, tile_columns = tiling.tile_count(height, width, size)
    pending: list[list[np.ndarray]] = [[] for _ in range(levels)]
    emitted = [0] * levels  # chunk rows written per level

    def emit(level: int, strip: np.ndarray) -> Iterator[Chunk]:
        tile_y = emitted[level]
        emitted[level] += 1
        parts = [
            (tile_x, strip[:, tile_x * size : (tile_x + 1) * size])
            for tile_x in range(-(-strip.shape[1] // size))
        ]
        kept = [(tile_x, part) for tile_x, part in parts if keep_empty or part.any()]
        encoded = map_tiles(lambda item: tiling.padded_tile(item[1], size), kept)
        for (tile_x, _), data in zip(kept, encoded, strict=True):
            yield level, tile_y, tile_x, data
        if level + 1 < levels:
            yield from feed(level + 1, reduce(strip))

    def feed(level: int, strip: np.ndarray) -> Iterator[Chunk]:
        pending[level].append(strip)
        if sum(part.shape[0] for part in pending[level]) >= size:
            whole = np.concatenate(pending[level])
            pending[level] = []
            yield from emit(level, whole)

    for tile_y in range(tile_rows):
        y0 = tile_y * size
        strip = np.zeros((min(size, height - y0), width), dtype) if levels > 1 else None

        stored = sorted(rows(tile_y).items())
        level0 = partial(_level0_chunk, tile_y, height, width, size, dtype, strip)
        for (tile_x, _), data in zip(stored, map_tiles(level0, stored), strict=True):
            yield 0, tile_y, tile_x, data
        if strip is not None:
            yield from feed(1, reduce(strip))
    for level in range(1, levels):  # the last, shorter strips
        if pending[level]:
            whole = np.concatenate(pending[level])
            pending[level] = []
            yield from emit(level, whole)


def _level0_chunk(
    tile_y: int,
    height: int,
    width: int,
    size: int,
    dtype: np.dtype,
    strip: np.ndarray | None,
    item: tuple[int, bytes],
) -> bytes:
    """A stored tile as a level-0 chunk (padded when partial), copied into ``strip`` if given."""
    tile_x, data = item
    y0, x0, y1, x1 = tiling.tile_box(tile_y, tile_x, height, width, size)
    full = (y1 - y0, x1 - x0) == (size, size)
    if strip is None and full:
        return data
    tile = tiling.inflate(data, (y1 - y0, x1 - x0), dtype)
    if strip is not None:
        strip[:, x0:x1] = tile
    return data if full else tiling.padded_tile(tile, size)


def label_path(names: list[str]) -> list[str]:
    """Folder names for label images: letters, digits, '.', '_' and '-' only, unique."""
    paths: list[str] = []
    for index, name in enumerate(names):
        path = re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).strip("._-") or f"feature_{index}"
        base, count = path, 1
        while path in paths:
            count += 1
            path = f"{base}_{count}"
        paths.append(path)
    return paths


def _zarray(shape: list[int], chunks: list[int], dtype: np.dtype) -> dict:
    dtype = tiling.little_endian(dtype)
    return {
        "zarr_format": 2,
        "shape": shape,
        "chunks": chunks,
        "dtype": dtype.str,
        "compressor": {"id": "zlib", "level": tiling.COMPRESSION_LEVEL},
        "fill_value": 0.0 if dtype.kind == "f" else 0,
        "order": "C",
        "filters": None,
        "dimension_separator": "/",
    }


def _axes(unit: str | None) -> list[dict]:
    space = {"type": "space", **({"unit": unit} if unit else {})}
    return [
        {"name": "t", "type": "time"},
        {"name": "c", "type": "channel"},
        {"name": "y", **space},
        {"name": "x", **space},
    ]


def _multiscales(name: str, levels: int, kind: str, method: str, size: dict | None) -> list[dict]:
    """The multiscales metadata; with a physical size, the space axes have its unit and each
    level's scale is what one of its pixels measures."""
    unit, y, x = physical.to_ngff(size)
    return [
        {
            "version": NGFF_VERSION,
            "name": name,
            "axes": _axes(unit),
            "datasets": [
                {
                    "path": str(level),
                    "coordinateTransformations": [
                        {"type": "scale", "scale": [1.0, 1.0, y * 2**level, x * 2**level]}
                    ],
                }
                for level in range(levels)
            ],
            "type": kind,
            "metadata": {"description": method},
        }
    ]


def _omero(project: ZarrProject) -> dict:
    dtype = np.dtype(project.dtype)
    colors = CHANNEL_COLORS if project.channels == 1 else MULTI_CHANNEL_COLORS
    channels = []
    for index, name in enumerate(project.channel_names):
        low, high = project.channel_ranges[index]
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            smallest, largest = int(info.min), int(info.max)
        else:
            smallest, largest = low, high
        channels.append(
            {
                "label": name,
                "color": colors[index % len(colors)],
                "active": True,
                "coefficient": 1.0,
                "family": "linear",
                "inverted": False,
                "window": {"start": low, "end": high, "min": smallest, "max": largest},
            }
        )
    return {
        "name": project.name,
        "version": NGFF_VERSION,
        "channels": channels,
        "rdefs": {"defaultT": 0, "model": "greyscale" if project.channels == 1 else "color"},
    }


class _Archive:
    def __init__(self, archive: zipfile.ZipFile, map_tiles: Callable) -> None:
        self.archive = archive
        self.map_tiles = map_tiles

    def add(self, name: str, content: bytes) -> None:
        info = zipfile.ZipInfo(name, date_time=ENTRY_TIME)
        info.compress_type = zipfile.ZIP_STORED  # chunks are compressed already
        self.archive.writestr(info, content)

    def json(self, name: str, content: dict) -> None:
        self.add(name, json.dumps(content, indent=1).encode())


def write_ome_zarr(
    project: ZarrProject, fileobj, side_files: dict[str, bytes] | None = None
) -> None:
    """Write ``<name>.ome.zarr/`` (image, one label image per feature) into a zip.

    ``side_files`` (name -> bytes) are added at the top of the zip, beside the folder.
    """
    shapes = level_shapes(project.height, project.width)
    levels = len(shapes)
    root = f"{project.name}.ome.zarr"
    paths = label_path(project.feature_names)
    with (
        zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED, allowZip64=True) as archive,
        ThreadPoolExecutor(max_workers=THREADS) as pool,
    ):
        out = _Archive(archive, pool.map)
        image = {
            "multiscales": _multiscales(
                project.name, levels, "mean", "2x2 mean", project.physical_size
            ),
            "omero": _omero(project),
        }
        _write_multiscale(
            out,
            root,
            image,
            shapes,
            project,
            project.channels,
            project.raw_rows,
            np.dtype(project.dtype),
            IMAGE_CHUNK,
            mean_2x2,
            keep_empty=True,
        )
        for name, content in (side_files or {}).items():
            out.add(name, content)
        if not paths:
            return
        out.json(f"{root}/labels/.zgroup", {"zarr_format": 2})
        out.json(f"{root}/labels/.zattrs", {"labels": paths})
        for feature, path in enumerate(paths):
            attributes = {
                "multiscales": _multiscales(
                    str(project.feature_names[feature]),
                    levels,
                    "nearest",
                    "every other pixel",
                    project.physical_size,
                ),
                "image-label": {"version": NGFF_VERSION, "source": {"image": "../../"}},
            }
            _write_multiscale(
                out,
                f"{root}/labels/{path}",
                attributes,
                shapes,
                project,
                1,
                lambda frame, _, feature=feature: project.label_rows(feature, frame),
                np.dtype(np.int32),
                LABEL_CHUNK,
                every_other,
                keep_empty=False,
            )


def _write_multiscale(
    out: _Archive,
    base: str,
    attributes: dict,
    shapes: list[tuple[int, int]],
    project: ZarrProject,
    channels: int,
    plane_rows: Callable[[int, int], RowReader],
    dtype: np.dtype,
    size: int,
    reduce: Callable[[np.ndarray], np.ndarray],
    keep_empty: bool,
) -> None:
    """One multiscale group (t, c, y, x): its metadata, then every chunk of every level."""
    out.json(f"{base}/.zgroup", {"zarr_format": 2})
    out.json(f"{base}/.zattrs", attributes)
    for level, (h, w) in enumerate(shapes):
        out.json(
            f"{base}/{level}/.zarray",
            _zarray([project.frames, channels, h, w], [1, 1, size, size], dtype),
        )
    for frame in range(project.frames):
        for channel in range(channels):
            chunks = plane_chunks(
                plane_rows(frame, channel),
                project.height,
                project.width,
                dtype,
                size,
                len(shapes),
                reduce,
                keep_empty,
                out.map_tiles,
            )
            for level, tile_y, tile_x, data in chunks:
                out.add(f"{base}/{level}/{frame}/{channel}/{tile_y}/{tile_x}", data)
