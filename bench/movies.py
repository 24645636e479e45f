"""Synthetic timelapses with known truth, for the linking tests and benchmark.

Cells are discs, each wandering inside its own square of a grid (so no two touch), some
dividing into two daughters of half the area, some appearing late, leaving early or missing
for a frame. Every frame's label values are a fresh random permutation of ids, as a
segmentation of each frame alone would give; ``truth`` says which real cell each value is.

Needs numpy only (the browser tests run it to make their movies).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# first spread, drift per frame, largest spread, daughter radius (multiples of the cell's radius)
DAUGHTERS = {
    "shrink": (0.75, 0.05, 0.95, 1 / np.sqrt(2)),
    "apart": (1.0, 0.1, 1.6, 1.0),
    "touch": (1 / np.sqrt(2), 0.0, 1 / np.sqrt(2), 1 / np.sqrt(2)),
}


@dataclass
class Movie:
    labels: np.ndarray  # (frames, height, width) int32, ids shuffled in every frame
    truth: list[dict[int, int]]  # per frame: label value -> true cell
    divisions: list[dict]  # true divisions {parent, daughters, t} in true cells


def _disc(labels: np.ndarray, y: float, x: float, radius: float, value: int) -> None:
    height, width = labels.shape
    reach = int(np.ceil(radius)) + 1
    y0, y1 = max(int(y) - reach, 0), min(int(y) + reach + 1, height)
    x0, x1 = max(int(x) - reach, 0), min(int(x) + reach + 1, width)
    if y0 >= y1 or x0 >= x1:
        return
    rows, columns = np.ogrid[y0:y1, x0:x1]
    inside = (rows - y) ** 2 + (columns - x) ** 2 <= radius**2
    labels[y0:y1, x0:x1][inside] = value


def moving_cells(
    frames: int = 40,
    size: int = 640,
    cells: int = 170,
    divisions: int = 12,
    appearing: int = 6,
    leaving: int = 6,
    missing: int = 8,
    step: float = 1.5,
    seed: int = 0,
    radius: tuple[float, float] = (7.0, 9.5),
    daughters: str = "shrink",
) -> Movie:
    """A movie of ``cells`` wandering discs of ``size``² pixels (see the module docstring).

    ``missing`` cells are absent from one frame each (a segmentation that missed them); cell
    radii are drawn from ``radius``. How a cell divides (``daughters``):

    - ``"shrink"``: two daughters of half its area, their centres 0.75 to 0.95 of its radius
      from its centre;
    - ``"apart"``: two daughters of its own size, each about one radius from its centre at
      first, then drifting apart (a tenth of a radius per frame, up to 1.6 radii);
    - ``"touch"``: two daughters of half its area pressed against each other (their centres
      one daughter radius from its centre), staying so.
    """
    if daughters not in DAUGHTERS:
        raise ValueError(f"daughters is one of {', '.join(DAUGHTERS)}, not {daughters!r}")
    rng = np.random.default_rng(seed)
    pitch = 40
    per_side = size // pitch
    if per_side**2 < cells:
        raise ValueError(f"{cells} cells do not fit a {size}² frame ({per_side**2} places)")
    homes = rng.permutation(per_side**2)[:cells]
    home_y = (homes // per_side) * pitch + pitch / 2
    home_x = (homes % per_side) * pitch + pitch / 2
    radius = rng.uniform(*radius, cells)
    # Each cell's offset from its home, a bounded random walk.
    offset = rng.uniform(-4, 4, (cells, 2))
    velocity = rng.normal(0, step / 2, (cells, 2))
    dividing = rng.choice(cells, divisions, replace=False)
    others = np.setdiff1d(np.arange(cells), dividing)
    chosen = rng.choice(others, appearing + leaving, replace=False)
    first = np.zeros(cells, int)
    last = np.full(cells, frames - 1)
    edge = max(min(3, frames // 3), 1)  # events keep away from the first and last frames
    first[chosen[:appearing]] = rng.integers(edge, frames - edge, appearing)
    last[chosen[appearing:]] = rng.integers(edge, frames - edge, leaving)
    division_frame = dict(
        zip(dividing.tolist(), rng.integers(edge, frames - edge, divisions).tolist(), strict=True)
    )
    angle = {cell: rng.uniform(0, np.pi) for cell in division_frame}
    # How far the daughters reach from the cell's centre, over a few frames (a multiple of the
    # cell's radius): their centres (first, per frame after, at most) and their radius.
    first_spread, drift, most_spread, daughter_size = DAUGHTERS[daughters]
    reach = radius * 1.45
    for cell in division_frame:  # the daughters stay inside the cell's square of the grid
        reach[cell] = max(reach[cell], radius[cell] * (most_spread + daughter_size))
    absent = {}
    for cell in rng.choice(np.setdiff1d(others, chosen), missing, replace=False).tolist():
        absent[cell] = int(rng.integers(edge, frames - edge))
    # True ids: cells are 1..cells, daughters follow.
    daughters = {}
    next_true = cells + 1
    for cell in division_frame:
        daughters[cell] = (next_true, next_true + 1)
        next_true += 2
    true_divisions = [
        {"parent": cell + 1, "daughters": list(daughters[cell]), "t": t}
        for cell, t in division_frame.items()
    ]
    labels = np.zeros((frames, size, size), np.int32)
    truth: list[dict[int, int]] = []
    for t in range(frames):
        velocity = 0.8 * velocity + rng.normal(0, step / 2, (cells, 2))
        limit = pitch / 2 - reach[:, None] - 1
        offset = np.clip(offset + velocity, -limit, limit)
        drawn: list[tuple[int, float, float, float]] = []
        for cell in range(cells):
            if not first[cell] <= t <= last[cell] or absent.get(cell) == t:
                continue
            y, x = home_y[cell] + offset[cell, 0], home_x[cell] + offset[cell, 1]
            if cell in division_frame and t >= division_frame[cell]:
                spread = first_spread + drift * (t - division_frame[cell])
                spread = radius[cell] * min(spread, most_spread)
                dy, dx = np.sin(angle[cell]) * spread, np.cos(angle[cell]) * spread
                small = radius[cell] * daughter_size
                for daughter, sign in zip(daughters[cell], (1, -1), strict=True):
                    drawn.append((daughter, y + sign * dy, x + sign * dx, small))
            else:
                drawn.append((cell + 1, y, x, radius[cell]))
        ids = rng.choice(np.arange(1, 4 * next_true), len(drawn), replace=False)
        frame_truth = {}
        for (true_cell, y, x, r), value in zip(drawn, ids.tolist(), strict=True):
            _disc(labels[t], y, x, r * rng.uniform(0.97, 1.03), value)
            frame_truth[value] = true_cell
        truth.append(frame_truth)
    return Movie(labels, truth, true_divisions)


@dataclass
class Score:
    true_links: int
    right_links: int
    false_links: int
    divisions: int
    found_divisions: int
    false_divisions: int

    @property
    def link_accuracy(self) -> float:
        return self.right_links / max(self.true_links, 1)

    @property
    def division_recall(self) -> float:
        return self.found_divisions / max(self.divisions, 1)


def score(
    truth: list[dict[int, int]],
    cells_after: list[dict[int, int]],
    true_divisions: list[dict],
    proposed: list[dict],
) -> Score:
    """How a linking did against the truth.

    ``cells_after``: per frame, label value -> the cell id the linking gave it. A true link is
    one true cell's two consecutive appearances (across a missing frame too); it is right when
    both got the same id. A false link is two consecutive appearances of one id that are two
    true cells. A true division is found when a proposal names the ids its parent and both
    daughters got.
    """
    seen_true: dict[int, int] = {}  # true cell -> output id at its last appearance
    seen_id: dict[int, int] = {}  # output id -> true cell at its last appearance
    true_links = right = false = 0
    id_at: list[dict[int, int]] = []  # per frame: true cell -> output id
    for frame_truth, frame_ids in zip(truth, cells_after, strict=True):
        here = {}
        for value, true_cell in frame_truth.items():
            out = frame_ids[value]
            here[true_cell] = out
            if true_cell in seen_true:
                true_links += 1
                right += seen_true[true_cell] == out
            if out in seen_id and seen_id[out] != true_cell:
                false += 1
        for true_cell, out in here.items():
            seen_true[true_cell] = out
            seen_id[out] = true_cell
        id_at.append(here)
    proposals = {(p["t"], p["parent"], tuple(sorted(p["daughters"]))) for p in proposed}
    found = 0
    for division in true_divisions:
        t = division["t"]
        parent = id_at[t - 1].get(division["parent"])
        kids = tuple(sorted(id_at[t].get(d, -1) for d in division["daughters"]))
        found += (t, parent, kids) in proposals
    return Score(true_links, right, false, len(true_divisions), found, len(proposed) - found)


def division_movie(daughters: str = "apart", seed: int = 0, **options) -> Movie:
    """A small movie made for divisions: 45 discs on 320², 24 frames, 6 of them dividing (as
    ``daughters`` says), 2 appearing, 2 leaving and 2 missing for a frame; discs of radius 6
    where daughters move apart, 7 to 9.5 otherwise. ``options`` override
    :func:`moving_cells`'s other arguments."""
    settings = {
        "frames": 24,
        "size": 320,
        "cells": 45,
        "divisions": 6,
        "appearing": 2,
        "leaving": 2,
        "missing": 2,
        "radius": (6.0, 6.0) if daughters == "apart" else (7.0, 9.5),
    }
    return moving_cells(**{**settings, **options}, daughters=daughters, seed=seed)


def shuffled(labels: np.ndarray, divisions: list[dict] | None = None, seed: int = 0) -> Movie:
    """A labelled movie or stack (each value one cell, the same cell the same value in every
    frame) with its values given anew in every frame, as a segmentation of each frame alone
    would give; ``truth`` says which cell each new value is."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    mixed = np.zeros(labels.shape, np.int32)
    truth = []
    top = int(labels.max()) + 1
    for t, frame in enumerate(labels):
        ids = np.unique(frame)
        ids = ids[ids > 0]
        new = rng.choice(np.arange(1, 4 * top + 4), ids.size, replace=False)
        lookup = np.zeros(top, np.int32)
        lookup[ids] = new
        mixed[t] = lookup[frame]
        truth.append(dict(zip(new.tolist(), ids.tolist(), strict=True)))
    return Movie(mixed, truth, list(divisions or []))


def crowded_movie(
    frames: int = 20,
    size: int = 512,
    cells: int = 320,
    divisions: int = 12,
    step: float = 1.5,
    seed: int = 0,
) -> Movie:
    """A crowded movie: ``cells`` cells tiling ``size``² pixels, each touching its neighbours,
    the whole sheet drifting (``step`` pixels a frame, plus each cell's own jitter).

    Each pixel belongs to the nearest cell centre within three quarters of the cells' spacing (a
    Voronoi tessellation, so neighbours share borders; pixels further from every centre are
    background). A dividing cell's centre becomes two, a third of its radius either side of it
    at first and drifting apart by a tenth of a radius a frame (up to two thirds), so the
    daughters split the mother's region between them. Ids are shuffled in every frame.
    """
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    pitch = size / np.sqrt(cells)
    reach = 0.75 * pitch
    # Centres on a jittered grid, so that cells are of similar size and all touch.
    per_side = int(np.ceil(np.sqrt(cells)))
    grid = (np.stack(np.divmod(np.arange(per_side**2), per_side), 1) + 0.5) * (size / per_side)
    centres = grid[rng.permutation(per_side**2)[:cells]] + rng.uniform(-0.2, 0.2, (cells, 2)) * (
        size / per_side
    )
    drift = rng.normal(0, 1, 2)
    drift *= step / np.hypot(*drift)
    edge = max(min(3, frames // 3), 1)
    # Dividing cells stay well inside the frame, so that both daughters are seen.
    ends = (centres, centres + drift * (frames - 1))
    inner = np.flatnonzero(
        np.all([(at >= 2 * pitch) & (at <= size - 2 * pitch) for at in ends], axis=(0, 2))
    )
    dividing = rng.choice(inner, divisions, replace=False)
    division_frame = dict(
        zip(dividing.tolist(), rng.integers(edge, frames - edge, divisions).tolist(), strict=True)
    )
    angle = {cell: rng.uniform(0, np.pi) for cell in division_frame}
    daughters = {cell: (cells + 1 + 2 * n, cells + 2 + 2 * n) for n, cell in enumerate(dividing)}
    true_divisions = [
        {"parent": cell + 1, "daughters": list(daughters[cell]), "t": t}
        for cell, t in division_frame.items()
    ]
    radius = pitch / 2
    rows, columns = np.mgrid[:size, :size]
    pixels = np.column_stack([rows.ravel(), columns.ravel()]).astype(float)
    labels = np.zeros((frames, size, size), np.int32)
    truth: list[dict[int, int]] = []
    offset = np.zeros((cells, 2))
    for t in range(frames):
        offset = np.clip(offset + rng.normal(0, step / 4, (cells, 2)), -pitch / 6, pitch / 6)
        at = centres + offset + drift * t
        points, owners = [], []
        for cell in range(cells):
            if cell in division_frame and t >= division_frame[cell]:
                spread = radius * min(1 / 3 + 0.1 * (t - division_frame[cell]), 2 / 3)
                shift = spread * np.array([np.sin(angle[cell]), np.cos(angle[cell])])
                points += [at[cell] + shift, at[cell] - shift]
                owners += list(daughters[cell])
            else:
                points.append(at[cell])
                owners.append(cell + 1)
        distance, nearest = cKDTree(np.array(points)).query(pixels, distance_upper_bound=reach)
        inside = np.isfinite(distance)
        ids = rng.choice(np.arange(1, 8 * (cells + 2 * divisions)), len(points), replace=False)
        frame = np.zeros(size * size, np.int32)
        frame[inside] = ids[nearest[inside]]
        labels[t] = frame.reshape(size, size)
        present = np.unique(labels[t])
        kept = np.isin(ids, present)
        truth.append(dict(zip(ids[kept].tolist(), np.array(owners)[kept].tolist(), strict=True)))
    return Movie(labels, truth, true_divisions)
