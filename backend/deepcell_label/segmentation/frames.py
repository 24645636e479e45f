"""Steps the built-in segmenters share: scaling an image, working tile by tile so that memory
stays bounded on large frames, splitting a foreground into cells by distance-transform
watershed, and measuring how well a cell's size fits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi
from skimage import feature, filters, morphology, segmentation

from deepcell_label.errors import SegmentationError

TILE = 1024  # the core of a tile, in pixels; a window adds a margin on every side
SAMPLE = 512  # pixels per side of the grid the image's levels are measured on
MIN_DIAMETER = 4.0
MAX_DIAMETER = 400.0


@dataclass(frozen=True)
class Scale:
    """The dark and bright levels an image is scaled by (1st and 99.8th percentiles)."""

    low: float
    high: float

    def apply(self, image: np.ndarray) -> np.ndarray:
        """`image` scaled to float32 in [0, 1]."""
        scaled = (np.asarray(image, np.float32) - self.low) / (self.high - self.low)
        return np.clip(scaled, 0, 1, out=scaled)


def _grid(image: np.ndarray) -> np.ndarray:
    """An even sample of the pixels, at most SAMPLE² of them."""
    step = max(1, max(image.shape) // SAMPLE)
    return np.asarray(image[::step, ::step], np.float64)


def measure_scale(image: np.ndarray) -> Scale:
    """The levels of `image`, measured on an even sample of its pixels.

    Parameters
    ----------
    image : ndarray
        A 2-D frame of one channel.

    Returns
    -------
    Scale

    Raises
    ------
    SegmentationError
        When the image is constant (nothing can be told apart) or not finite.
    """
    if image.ndim != 2 or min(image.shape) < 8:
        raise SegmentationError(
            f"Segmentation needs a 2-D frame of at least 8×8 pixels, not {image.shape}."
        )
    sample = _grid(image)
    if not np.isfinite(sample).all():
        sample = sample[np.isfinite(sample)]
    if sample.size == 0 or sample.max() == sample.min():
        raise SegmentationError(
            "This channel of this frame is constant (every pixel has the same value), so there "
            "are no cells to find. Choose another channel or frame."
        )
    low, high = np.percentile(sample, (1.0, 99.8))
    if high <= low:
        low, high = float(sample.min()), float(sample.max())
    return Scale(float(low), float(high))


def check_diameter(diameter: float | None) -> float | None:
    if diameter is None:
        return None
    if not MIN_DIAMETER <= float(diameter) <= MAX_DIAMETER:
        raise SegmentationError(
            f"The cell diameter must be between {MIN_DIAMETER:g} and {MAX_DIAMETER:g} pixels, "
            f"not {diameter:g}."
        )
    return float(diameter)


def estimate_diameter(scaled: np.ndarray) -> float:
    """A typical cell diameter, from the bright objects of a scaled image: the diameter of a
    disc of the median area of the objects of the Otsu foreground (lightly smoothed, opened).

    Parameters
    ----------
    scaled : ndarray of float
        A frame scaled to [0, 1].

    Returns
    -------
    float
        The diameter in pixels, within the accepted range.
    """
    crop = scaled[: 4 * SAMPLE, : 4 * SAMPLE]
    smooth = filters.gaussian(crop, 2, preserve_range=True)
    foreground = ndi.binary_opening(smooth > filters.threshold_otsu(smooth), iterations=2)
    objects, count = ndi.label(foreground)
    if count == 0:
        return 6 * MIN_DIAMETER
    areas = np.bincount(objects.ravel())[1:]
    # Specks and clumps of touching cells: the median of the objects is robust to both.
    areas = areas[areas >= 16] if (areas >= 16).any() else areas
    return float(np.clip(2 * np.sqrt(np.median(areas) / np.pi), MIN_DIAMETER, MAX_DIAMETER))


def diameter_of_cells(labels: np.ndarray) -> float:
    """The median diameter of the cells of a label image (the diameter of a disc of the same
    area), as "measure from my cells" reports it.

    Parameters
    ----------
    labels : ndarray of int
        0 is background.

    Returns
    -------
    float

    Raises
    ------
    SegmentationError
        When there is no cell.
    """
    areas = np.bincount(np.asarray(labels).ravel().astype(np.int64))[1:]
    areas = areas[areas > 0]
    if areas.size == 0:
        raise SegmentationError("There are no cells to measure: draw a few cells first.")
    return float(np.clip(2 * np.sqrt(np.median(areas) / np.pi), MIN_DIAMETER, MAX_DIAMETER))


def margin_for(diameter: float) -> int:
    """How far beyond a tile's core its window reaches: a cell centred in the core is whole
    in the window, and the filters see past the core's edge."""
    return int(np.ceil(2 * diameter)) + 16


def tiles(shape: tuple[int, int], margin: int, size: int = TILE) -> Iterator[tuple]:
    """The tiles of a frame: each as ``(core, window)``, two ``(slice, slice)`` pairs; cores
    cover the frame once, each window is its core widened by `margin` (within the frame)."""
    height, width = shape
    for y in range(0, height, size):
        for x in range(0, width, size):
            core = (slice(y, min(y + size, height)), slice(x, min(x + size, width)))
            window = (
                slice(max(0, y - margin), min(height, y + size + margin)),
                slice(max(0, x - margin), min(width, x + size + margin)),
            )
            yield core, window


def split_cells(
    foreground: np.ndarray, diameter: float, cores: np.ndarray | None = None
) -> np.ndarray:
    """Clean a foreground and split it into cells by a watershed of a distance transform.

    Parameters
    ----------
    foreground : ndarray of bool
    diameter : float
        The typical cell diameter: it sets the clean-up, the smallest cell and how close two
        cell centres may be.
    cores : ndarray of bool, optional
        The inner parts of cells, without the edges where cells touch: the distance is
        measured inside them (which separates touching cells), else inside the foreground.

    Returns
    -------
    ndarray of int32
        The cells, numbered from 1.
    """
    radius = max(1, int(diameter / 10))
    foreground = morphology.binary_opening(foreground, morphology.disk(radius))
    foreground = ndi.binary_fill_holes(foreground)
    foreground = morphology.remove_small_objects(foreground, int(np.pi * (diameter / 5) ** 2))
    if cores is None:
        cores = foreground
    else:
        cores = morphology.remove_small_objects(
            cores & foreground, int(np.pi * (diameter / 8) ** 2)
        )
    distance = ndi.gaussian_filter(ndi.distance_transform_edt(cores).astype(np.float32), 1)
    # Peaks over the whole window at once (peak_local_max with `labels` loops over the objects,
    # a third of the time on 1,000 nuclei); an object whose peaks all lie within min_distance
    # of a neighbour's gets its own highest point back below.
    peaks = feature.peak_local_max(
        np.where(cores, distance, 0),
        min_distance=max(1, int(diameter / 4)),
        threshold_abs=1e-3,
        exclude_border=False,
    )
    objects, count = ndi.label(cores)
    missing = np.setdiff1d(np.arange(1, count + 1), objects[tuple(peaks.T)])
    if missing.size:
        extra = np.asarray(ndi.maximum_position(distance, objects, missing)).reshape(-1, 2)
        peaks = np.concatenate([peaks.reshape(-1, 2), extra.astype(peaks.dtype)])
    markers = np.zeros(foreground.shape, np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    return segmentation.watershed(-distance, markers, mask=foreground).astype(np.int32)


def place_core_cells(
    output: np.ndarray,
    cells: np.ndarray,
    scores: np.ndarray,
    core: tuple[slice, slice],
    window: tuple[slice, slice],
    confidence: dict[int, float],
) -> None:
    """Copy into `output` the cells of a window whose centre lies in the window's core,
    numbered on from the cells already there, and record their scores.

    A cell is written only on background pixels of `output`, so neighbouring tiles never
    overwrite each other's cells.
    """
    count = int(cells.max())
    if count == 0:
        return
    index = np.arange(1, count + 1)
    centres = np.asarray(ndi.center_of_mass(np.ones(cells.shape), cells, index)).reshape(-1, 2)
    centres += (window[0].start, window[1].start)
    inside = (
        (centres[:, 0] >= core[0].start)
        & (centres[:, 0] < core[0].stop)
        & (centres[:, 1] >= core[1].start)
        & (centres[:, 1] < core[1].stop)
    )
    kept = index[inside]
    if kept.size == 0:
        return
    first = max(confidence, default=0) + 1
    renumber = np.zeros(count + 1, np.int32)
    renumber[kept] = np.arange(first, first + kept.size, dtype=np.int32)
    target = output[window]
    new = renumber[cells]
    free = (target == 0) & (new > 0)
    target[free] = new[free]
    for cell, score in zip(renumber[kept].tolist(), scores[kept - 1].tolist(), strict=True):
        confidence[cell] = round(float(score), 4)


def drop_missing(output: np.ndarray, confidence: dict[int, float]) -> dict[int, float]:
    """The scores of the cells that kept pixels (a cell may lose all of them to a
    neighbouring tile's cell)."""
    present = np.flatnonzero(np.bincount(output.ravel(), minlength=1)[1:]) + 1
    return {int(cell): confidence[int(cell)] for cell in present}


def size_fit(cells: np.ndarray, diameter: float) -> np.ndarray:
    """For cells 1..n, how well each one's area fits a disc of the expected diameter: 1 when
    equal, 1/2 when twice or half as large. Fragments of a cell and clumps of several are
    the proposals most often wrong, and they are the ones whose size is off.

    Parameters
    ----------
    cells : ndarray of int
        Cells numbered 1..n (0 is background).
    diameter : float
        The expected cell diameter in pixels.

    Returns
    -------
    ndarray of float64, length n
    """
    count = int(cells.max())
    areas = np.bincount(cells.ravel(), minlength=count + 1)[1:].astype(np.float64)
    expected = np.pi * diameter**2 / 4
    return np.exp(-np.abs(np.log(np.maximum(areas, 1) / expected)))


def run_tiled(
    image: np.ndarray,
    diameter: float,
    segment_window: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    progress: Callable[[float], None] | None = None,
    size: int = TILE,
) -> tuple[np.ndarray, dict[int, float]]:
    """Segment a frame window by window and stitch the cells of each core.

    No cell is cut where tiles meet: each window reaches a margin past its core, so a cell
    whose centre is in the core is whole in the window, and it is kept by that tile alone
    (tests/test_segmentation.py checks that tiles give the cells one window would).

    Parameters
    ----------
    image : ndarray
        The (scaled) frame.
    diameter : float
    segment_window : callable
        Takes a window of `image`; returns its cells (int, from 1) and each cell's score
        (an array of length n).
    progress : callable, optional
        Called with the fraction of tiles done.
    size : int, optional
        The side of a tile's core, in pixels.

    Returns
    -------
    labels : ndarray of int32
    confidence : dict of int to float
    """
    output = np.zeros(image.shape, np.int32)
    confidence: dict[int, float] = {}
    all_tiles = list(tiles(image.shape, margin_for(diameter), size))
    for done, (core, window) in enumerate(all_tiles):
        cells, scores = segment_window(image[window])
        place_core_cells(output, cells, scores, core, window, confidence)
        if progress is not None:
            progress((done + 1) / len(all_tiles))
    return output, drop_missing(output, confidence)
