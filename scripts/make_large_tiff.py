"""Write a large synthetic multi-channel uint16 TIFF (smooth round 'cells' on a jittered grid).

Rows are computed one band of tiles at a time and written zlib-compressed, so memory stays at a
few bands however large the image is. Used by the browser scale test and benchmark:

    python scripts/make_large_tiff.py out.tif --size 16384 --channels 3
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import numpy as np
import tifffile

TILE = 512
PITCH = 48  # distance between cell centres, pixels
RADIUS = 17.0


def band(top: int, height: int, width: int, channel: int) -> np.ndarray:
    """Rows top..top+height of one channel: a bright disc per grid cell, dim background."""
    y = np.arange(top, top + height, dtype=np.float32)[:, None]
    x = np.arange(width, dtype=np.float32)[None, :]
    row = np.floor(y / PITCH)
    column = np.floor(x / PITCH)
    # A fixed jitter per cell so cells do not line up perfectly.
    jitter_y = ((row * 7 + column * 13) % 9 - 4).astype(np.float32)
    jitter_x = ((row * 11 + column * 5) % 9 - 4).astype(np.float32)
    dy = y - (row + 0.5) * PITCH - jitter_y
    dx = x - (column + 0.5) * PITCH - jitter_x
    inside = np.clip(1.0 - (dx * dx + dy * dy) / (RADIUS * RADIUS), 0.0, 1.0)
    # Large-scale shading so overviews and far corners look different.
    shade = 0.6 + 0.4 * np.sin(y / (width / 5.0) + channel) * np.cos(x / (width / 7.0))
    values = 400 + channel * 300 + inside * (12000 + 8000 * channel) * shade
    # Coarse steps keep the file small (it compresses well) while looking smooth.
    return (values // 64 * 64).astype(np.uint16)


def tiles(size: int, channels: int) -> Iterator[np.ndarray]:
    for channel in range(channels):
        for top in range(0, size, TILE):
            rows = band(top, min(TILE, size - top), size, channel)
            for left in range(0, size, TILE):
                tile = np.zeros((TILE, TILE), np.uint16)
                part = rows[:, left : left + TILE]
                tile[: part.shape[0], : part.shape[1]] = part
                yield tile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--size", type=int, default=16384)
    parser.add_argument("--channels", type=int, default=3)
    args = parser.parse_args()
    with tifffile.TiffWriter(args.path, bigtiff=True) as tif:
        tif.write(
            tiles(args.size, args.channels),
            shape=(args.channels, args.size, args.size),
            dtype=np.uint16,
            tile=(TILE, TILE),
            photometric="minisblack",
            compression="zlib",
            compressionargs={"level": 1},
            predictor=True,
            metadata={"axes": "CYX"},
        )


if __name__ == "__main__":
    main()
