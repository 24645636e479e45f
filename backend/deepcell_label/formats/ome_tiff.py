"""Writing a stack of planes as a tiled, pyramidal OME-TIFF, one tile at a time.

The full-resolution planes are the pages of one OME image, dimension order TCYX, in square
tiles; every further level halves the one before and is stored as SubIFDs of each page (the
OME-TIFF pyramid layout that tifffile, Bio-Formats, QuPath and napari read). Tiles are deflated
little-endian pixels, which is how the project stores its own tiles: a stored full-size tile is
copied into the file as it is, and only edge tiles are padded and deflated again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import tifffile

from deepcell_label.formats import physical, tiling
from deepcell_label.formats.levels import level_shapes

# (level, frame, channel, tile_y) -> {tile_x: tile}: a tile is deflated bytes (as stored:
# partial at the right and bottom edges) or its pixels; a tile left out is all zeros.
TileRow = Callable[[int, int, int, int], dict[int, bytes | np.ndarray]]
# (fraction done, what is being written)
Progress = Callable[[float, str], None]
# Past this many bytes (before compression) the file is a BigTIFF, whose offsets are 64-bit.
BIGTIFF_BYTES = 2**31


@dataclass
class TiledPlanes:
    """Planes (frames x channels) of one size and type, handed out as rows of tiles at every
    level (``levels`` of them: level 0 is full resolution, each next one half the size,
    rounded up)."""

    frames: int
    channels: int
    height: int
    width: int
    dtype: np.dtype
    tile_size: int
    levels: int
    tile_row: TileRow

    def shapes(self) -> list[tuple[int, int]]:
        shapes = [(self.height, self.width)]
        while len(shapes) < self.levels:
            h, w = shapes[-1]
            shapes.append((-(-h // 2), -(-w // 2)))
        return shapes

    def tile_count(self) -> int:
        """Tiles in all levels of all planes."""
        per_plane = sum(np.prod(tiling.tile_count(h, w, self.tile_size)) for h, w in self.shapes())
        return int(per_plane) * self.frames * self.channels


def array_planes(
    array: np.ndarray, tile_size: int, reduce: Callable[[np.ndarray], np.ndarray]
) -> TiledPlanes:
    """The planes of a (frames, height, width, channels) array, levels made with ``reduce``
    (``levels.mean_2x2`` for images, ``levels.every_other`` for labels)."""
    frames, height, width, channels = array.shape
    latest: dict[tuple[int, int, int], np.ndarray] = {}

    def plane(level: int, frame: int, channel: int) -> np.ndarray:
        key = (level, frame, channel)
        if key not in latest:  # the plane of the rows asked for last is kept
            found = array[frame, :, :, channel]
            for _ in range(level):
                found = reduce(found)
            latest.clear()
            latest[key] = found
        return latest[key]

    def tile_row(level: int, frame: int, channel: int, tile_y: int) -> dict[int, np.ndarray]:
        pixels = plane(level, frame, channel)
        strip = pixels[tile_y * tile_size : (tile_y + 1) * tile_size]
        columns = tiling.tile_count(*pixels.shape, tile_size)[1]
        return {x: strip[:, x * tile_size : (x + 1) * tile_size] for x in range(columns)}

    levels = len(level_shapes(height, width))
    return TiledPlanes(frames, channels, height, width, array.dtype, tile_size, levels, tile_row)


def write_ome_tiff(
    planes: TiledPlanes,
    fileobj: BinaryIO,
    channel_names: list[str],
    physical_size: dict | None = None,
    progress: Progress | None = None,
) -> None:
    """Write the planes as a tiled OME-TIFF (TCYX) with its lower levels as SubIFDs, deflated,
    with the channel names and the physical pixel size (also as resolution tags, per cm).
    ``progress`` is told the fraction of tiles written as each plane of each level starts, and
    1.0 at the end."""
    dtype = tiling.little_endian(planes.dtype)
    shapes = planes.shapes()
    size = planes.tile_size
    total = max(planes.tile_count(), 1)
    written = 0
    zero = tiling.encode_image(np.zeros((size, size), dtype))
    bigtiff = planes.frames * planes.channels * planes.height * planes.width * dtype.itemsize
    metadata = {
        "axes": "TCYX",
        "Channel": {"Name": list(channel_names)},
        **physical.to_ome_metadata(physical_size),
    }

    def tell(message: str) -> None:
        if progress is not None:
            progress(written / total, message)

    def tiles(level: int, height: int, width: int) -> Iterator[bytes]:
        nonlocal written
        rows, columns = tiling.tile_count(height, width, size)
        for frame in range(planes.frames):
            for channel in range(planes.channels):
                tell(
                    f"Writing level {level + 1} of {len(shapes)}, frame {frame + 1} of "
                    f"{planes.frames}, channel {channel + 1} of {planes.channels}"
                )
                for tile_y in range(rows):
                    row = planes.tile_row(level, frame, channel, tile_y)
                    for tile_x in range(columns):
                        box = tiling.tile_box(tile_y, tile_x, height, width, size)
                        yield _full_tile(row.get(tile_x), box, size, dtype, zero)
                written += rows * columns

    with tifffile.TiffWriter(fileobj, bigtiff=bigtiff > BIGTIFF_BYTES, ome=True) as tif:
        for level, (height, width) in enumerate(shapes):
            options = {
                "shape": (planes.frames, planes.channels, height, width),
                "dtype": dtype,
                "tile": (size, size),
                "compression": "zlib",
                "photometric": "minisblack",
                **_resolution(physical_size, level),
            }
            if level == 0:
                options.update(subifds=len(shapes) - 1, metadata=metadata)
            else:
                options.update(subfiletype=1, metadata=None)
            tif.write(tiles(level, height, width), **options)
            # The writer stops asking for tiles after a level's last one: count that plane here.
            written = sum(
                planes.frames * planes.channels * int(np.prod(tiling.tile_count(h, w, size)))
                for h, w in shapes[: level + 1]
            )
        tell(f"Written {len(shapes)} levels")


def _full_tile(
    tile: bytes | np.ndarray | None,
    box: tiling.Box,
    size: int,
    dtype: np.dtype,
    zero: bytes,
) -> bytes:
    """A deflated tile of ``size`` x ``size``: a stored full tile as it is, others padded."""
    if tile is None:
        return zero
    shape = (box[2] - box[0], box[3] - box[1])
    if isinstance(tile, bytes):
        if shape == (size, size):
            return tile
        tile = tiling.inflate(tile, shape, dtype)
    return tiling.padded_tile(np.asarray(tile, dtype), size)


def _resolution(size: dict | None, level: int) -> dict:
    """TIFF resolution tags (pixels per cm) of a level, for readers of the TIFF tags alone."""
    if not size or size.get("x") is None or size.get("y") is None:
        return {}
    x_cm, y_cm = (physical.convert(size[axis], size["unit"], "cm") * 2**level for axis in "xy")
    return {"resolution": (1 / x_cm, 1 / y_cm), "resolutionunit": "CENTIMETER"}
