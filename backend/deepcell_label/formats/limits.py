"""Size limits checked before anything is decoded, so a small file cannot claim a huge image."""

from __future__ import annotations

import math
from collections.abc import Sequence

from deepcell_label.errors import TooLargeError

# When the caller gives no limit: about 2 billion pixel values (2 GB of uint8).
DEFAULT_MAX_PIXELS = 2**31 - 1
# Room in an archive for the JSON and CSV files next to the images.
ANNOTATION_BYTES = 64 * 2**20
# Most bytes one pixel value may take in an archive (float64 / int64 arrays).
BYTES_PER_PIXEL = 8


class Limits:
    """The pixel limit of one read, and the uncompressed bytes an archive may still expand to."""

    def __init__(self, max_pixels: int | None) -> None:
        self.max_pixels = DEFAULT_MAX_PIXELS if max_pixels is None else int(max_pixels)
        self.archive_bytes_left = self.max_pixels * BYTES_PER_PIXEL + ANNOTATION_BYTES

    def check_shape(self, shape: Sequence[int], what: str = "The image") -> None:
        count = math.prod(int(n) for n in shape)
        if count > self.max_pixels:
            dims = " x ".join(str(int(n)) for n in shape)
            raise TooLargeError(
                f"{what} has {dims} = {count:,} pixel values, more than the limit of "
                f"{self.max_pixels:,}. Crop it or split it into smaller projects."
            )

    def take_archive_bytes(self, size: int, name: str) -> None:
        """Count ``size`` uncompressed bytes of archive member ``name`` against the budget."""
        if size > self.archive_bytes_left:
            raise TooLargeError(
                f"The archive member '{name}' expands to more than {self.archive_bytes_left:,} "
                f"bytes, more than an image of {self.max_pixels:,} pixel values needs. "
                "Check that the archive is not damaged, or split it into smaller projects."
            )
        self.archive_bytes_left -= size
