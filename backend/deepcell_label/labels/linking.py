"""Following cells through a stack or a timelapse: how much the cells of two frames overlap, the
one-to-one matching of two frames, and the linking of a whole movie with gaps closed and
divisions proposed.

Frames are measured band by band (a few rows of tiles at a time), so a frame of any size is
never held whole: :class:`FrameMeasure` sums each label value's pixels and position,
:class:`OverlapMeasure` counts the pixels each pair of values of two frames shares. Values are
turned into cells through each frame's value -> cells map, so overlapping cells (a value
encoding several cells) are measured as the cells they are.

Matching two frames is an optimal assignment (``scipy.optimize.linear_sum_assignment``) that
maximises the summed IoU of the matched pairs, among pairs whose IoU reaches a threshold.
Linking a movie (:func:`link`) matches each frame to the next that way, proposes a division
where a cell is followed by two cells that share its footprint and its area, then closes gaps
of up to ``max_gap`` missing frames by centroid distance (again an optimal assignment).

Why by hand and not with ``laptrack``: laptrack's overlap tracking (``OverLapTrack``) takes
the whole label movie in memory and computes each candidate pair's cost with a Python call,
which for 100 frames of 500 cells is millions of calls; its distance tracking knows centroids
only, not overlaps. The sparse overlap counts here come from one pass over the tiles, and the
assignments are scipy's, solved per group of cells that compete for one another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

DEFAULT_THRESHOLD = 0.1
MAX_GAP = 2  # missing frames a track may jump over
# A daughter lies at least this much inside its parent's footprint of the frame before.
DAUGHTER_INSIDE = 0.2
# Two daughters together have about their parent's area, and about the same area each.
DAUGHTERS_AREA = (0.5, 1.6)
SISTERS_AREA = 0.35
# Gap closing: a track end and a track start are linked when their centroids are closer than
# this many typical frame-to-frame steps per frame elapsed, and their areas differ by at most
# this factor.
GAP_STEPS = 1.5
GAP_AREA = 2.0
_LOOKUP_LIMIT = 1 << 20  # values below this are indexed through a lookup table


# --------------------------------------------------------------------------- measuring frames


def _indexer(values: np.ndarray):
    """A function giving the position of each pixel's value in the sorted ``values``."""
    values = np.asarray(values, np.int64)
    top = int(values[-1]) if values.size else 0
    if top < _LOOKUP_LIMIT:
        table = np.full(top + 1, -1, np.int64)  # -1: a value the frame's list does not have
        table[values] = np.arange(values.size)
        return lambda pixels: table[np.minimum(pixels, top)]

    def search(pixels: np.ndarray) -> np.ndarray:
        found = np.minimum(np.searchsorted(values, pixels), values.size - 1)
        return np.where(values[found] == pixels, found, -1)

    return search


class FrameMeasure:
    """Pixel count and summed position of every label value of one frame, fed band by band.

    Parameters
    ----------
    values : numpy.ndarray
        The frame's nonzero values, ascending (e.g. from its index). A pixel whose value is not
        listed is taken as background.
    """

    def __init__(self, values: np.ndarray) -> None:
        self.values = np.asarray(values, np.int64)
        self._index = _indexer(self.values)
        n = self.values.size
        self.area = np.zeros(n)
        self.sum_y = np.zeros(n)
        self.sum_x = np.zeros(n)

    def add(self, band: np.ndarray, y0: int = 0, x0: int = 0) -> None:
        """Count a band of the frame whose first pixel is at row ``y0``, column ``x0``."""
        rows, columns = np.nonzero(band)
        if not rows.size or not self.values.size:
            return
        index = self._index(band[rows, columns])
        known = index >= 0
        index, rows, columns = index[known], rows[known], columns[known]
        n = self.values.size
        self.area += np.bincount(index, minlength=n)
        self.sum_y += np.bincount(index, weights=rows + y0, minlength=n)
        self.sum_x += np.bincount(index, weights=columns + x0, minlength=n)


class OverlapMeasure:
    """How many pixels each value of frame ``a`` shares with each value of frame ``b``.

    Fed with the same band of both frames; :attr:`matrix` is then a sparse matrix
    (values of ``a`` × values of ``b``, in the order of ``values_a`` and ``values_b``).
    """

    def __init__(self, values_a: np.ndarray, values_b: np.ndarray) -> None:
        self.values_a = np.asarray(values_a, np.int64)
        self.values_b = np.asarray(values_b, np.int64)
        self._index_a = _indexer(self.values_a)
        self._index_b = _indexer(self.values_b)
        self.matrix = sparse.csr_matrix((self.values_a.size, self.values_b.size), dtype=np.int64)

    def add(self, band_a: np.ndarray, band_b: np.ndarray) -> None:
        both = (band_a != 0) & (band_b != 0)
        if not both.any() or not self.values_a.size or not self.values_b.size:
            return
        ia = self._index_a(band_a[both])
        ib = self._index_b(band_b[both])
        known = (ia >= 0) & (ib >= 0)
        ia, ib = ia[known], ib[known]
        counts = sparse.coo_matrix(
            (np.ones(ia.size, np.int64), (ia, ib)), shape=self.matrix.shape
        ).tocsr()
        self.matrix = self.matrix + counts


# --------------------------------------------------------------------------- values to cells


@dataclass
class Cells:
    """The cells of one frame: ids (ascending), pixel counts and centroids (row, column)."""

    ids: np.ndarray
    area: np.ndarray
    y: np.ndarray
    x: np.ndarray

    @property
    def radius(self) -> np.ndarray:
        """The radius of a disc of each cell's area."""
        return np.sqrt(self.area / np.pi)


def membership(values: np.ndarray, cells_of: Mapping[int, frozenset[int]]):
    """The cells of a frame (ascending) and the sparse values × cells matrix of which value
    encodes which cell (a value of no known cells is taken as its own cell)."""
    lists = [cells_of.get(v, (v,)) for v in np.asarray(values).tolist()]
    counts = np.fromiter((len(cells) for cells in lists), np.int64, len(lists))
    flat = np.fromiter((c for cells in lists for c in cells), np.int64, int(counts.sum()))
    ids, columns = np.unique(flat, return_inverse=True)
    rows = np.repeat(np.arange(len(lists)), counts)
    matrix = sparse.csr_matrix((np.ones(flat.size), (rows, columns)), shape=(len(lists), ids.size))
    return ids, matrix


def frame_cells(measure: FrameMeasure, cells_of: Mapping[int, frozenset[int]]) -> Cells:
    """The cells of a measured frame, with the area and centroid of each."""
    ids, matrix = membership(measure.values, cells_of)
    area = matrix.T @ measure.area
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.where(area > 0, (matrix.T @ measure.sum_y) / area, np.nan)
        x = np.where(area > 0, (matrix.T @ measure.sum_x) / area, np.nan)
    return Cells(ids, area, y, x)


def cell_overlaps(
    overlap: OverlapMeasure,
    cells_of_a: Mapping[int, frozenset[int]],
    cells_of_b: Mapping[int, frozenset[int]],
) -> sparse.csr_matrix:
    """The pixels each cell of frame ``a`` shares with each cell of frame ``b`` (sparse, in
    the order of the frames' cell ids as :func:`membership` gives them)."""
    _, members_a = membership(overlap.values_a, cells_of_a)
    _, members_b = membership(overlap.values_b, cells_of_b)
    return (members_a.T @ overlap.matrix.astype(float) @ members_b).tocsr()


def iou(overlaps: sparse.csr_matrix, area_a: np.ndarray, area_b: np.ndarray) -> sparse.csr_matrix:
    """Intersection over union of every overlapping pair of cells (sparse)."""
    pairs = overlaps.tocoo()
    union = area_a[pairs.row] + area_b[pairs.col] - pairs.data
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(union > 0, pairs.data / union, 0.0)
    return sparse.csr_matrix((values, (pairs.row, pairs.col)), shape=overlaps.shape)


# --------------------------------------------------------------------------- assignment


def assign(
    rows: np.ndarray, columns: np.ndarray, scores: np.ndarray, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The one-to-one choice of candidate pairs with the largest summed score.

    Parameters
    ----------
    rows, columns : numpy.ndarray
        Candidate pairs (each pair at most once), with ``scores`` all positive.
    shape : tuple of int
        Numbers of rows and columns.

    Returns
    -------
    rows, columns : numpy.ndarray
        The chosen pairs. Pairs that compete with no other pair are taken as they are; each
        group of pairs that do compete (a connected part of the bipartite graph) is solved by
        ``scipy.optimize.linear_sum_assignment``.
    """
    rows = np.asarray(rows, np.int64)
    columns = np.asarray(columns, np.int64)
    scores = np.asarray(scores, float)
    if not rows.size:
        return rows, columns
    n_rows, n_columns = shape
    row_degree = np.bincount(rows, minlength=n_rows)
    column_degree = np.bincount(columns, minlength=n_columns)
    alone = (row_degree[rows] == 1) & (column_degree[columns] == 1)
    chosen_rows, chosen_columns = [rows[alone]], [columns[alone]]
    rows, columns, scores = rows[~alone], columns[~alone], scores[~alone]
    if rows.size:
        graph = sparse.coo_matrix(
            (np.ones(rows.size), (rows, n_rows + columns)),
            shape=(n_rows + n_columns, n_rows + n_columns),
        )
        _, part = connected_components(graph, directed=False)
        group = part[rows]
        order = np.argsort(group, kind="stable")
        rows, columns, scores, group = rows[order], columns[order], scores[order], group[order]
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        ends = np.r_[starts[1:], group.size]
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            r, c, s = rows[start:end], columns[start:end], scores[start:end]
            row_ids, r_local = np.unique(r, return_inverse=True)
            column_ids, c_local = np.unique(c, return_inverse=True)
            matrix = np.zeros((row_ids.size, column_ids.size))
            matrix[r_local, c_local] = s
            picked_rows, picked_columns = linear_sum_assignment(matrix, maximize=True)
            kept = matrix[picked_rows, picked_columns] > 0
            chosen_rows.append(row_ids[picked_rows[kept]])
            chosen_columns.append(column_ids[picked_columns[kept]])
    return np.concatenate(chosen_rows), np.concatenate(chosen_columns)


def match(
    overlaps: sparse.csr_matrix,
    area_a: np.ndarray,
    area_b: np.ndarray,
    threshold: float = DEFAULT_THRESHOLD,
) -> tuple[np.ndarray, np.ndarray]:
    """Match the cells of two frames one to one by their overlap.

    Parameters
    ----------
    overlaps : scipy.sparse matrix
        Pixels shared by each cell of frame ``a`` (rows) and of frame ``b`` (columns).
    area_a, area_b : numpy.ndarray
        Pixel counts of the cells.
    threshold : float
        The smallest IoU of a matched pair.

    Returns
    -------
    rows, columns : numpy.ndarray
        Matched pairs (positions in ``a`` and ``b``): of all one-to-one matchings of pairs
        with an IoU of at least ``threshold``, the one with the largest summed IoU. A cell
        with no such partner stays unmatched, so a cell that vanishes is never matched to a
        stranger it does not overlap.
    """
    scores = iou(overlaps, np.asarray(area_a, float), np.asarray(area_b, float)).tocoo()
    keep = (scores.data >= threshold) & (scores.data > 0)
    return assign(scores.row[keep], scores.col[keep], scores.data[keep], overlaps.shape)


# --------------------------------------------------------------------------- a whole movie


@dataclass
class Linked:
    """What :func:`link` found.

    Attributes
    ----------
    ids : list of numpy.ndarray
        For each frame, the new id of each of its cells (in the order of ``Cells.ids``).
    divisions : list of dict
        Proposed divisions ``{"parent", "daughters", "t"}`` in the new ids, ``t`` the first
        frame of the daughters.
    next_id : int
        The first id not handed out.
    links, gaps_closed, tracks : int
        Frame-to-frame links, links across missing frames, and tracks made.
    """

    ids: list[np.ndarray]
    divisions: list[dict] = field(default_factory=list)
    next_id: int = 1
    links: int = 0
    gaps_closed: int = 0
    tracks: int = 0


def _divisions(
    overlaps: sparse.csr_matrix,
    before: Cells,
    after: Cells,
    successor: np.ndarray,
    predecessor: np.ndarray,
) -> list[tuple[int, list[int]]]:
    """Cells of ``before`` followed by two cells of ``after`` (a parent and its daughters, as
    positions), from the frame-to-frame matching of the two (``successor`` of each cell of
    ``before``, ``predecessor`` of each cell of ``after``, -1 for none)."""
    if not overlaps.nnz:
        return []
    inside = sparse.csr_matrix(overlaps.multiply(1.0 / np.maximum(after.area, 1)[np.newaxis, :]))
    # Each cell of `after` counts as a possible daughter of the cell it lies in most.
    best = np.asarray(inside.argmax(axis=0)).ravel()
    share = np.asarray(inside.max(axis=0).todense()).ravel()
    candidate = (share >= DAUGHTER_INSIDE) & ((predecessor < 0) | (predecessor == best))
    found = []
    daughters_of: dict[int, list[int]] = {}
    for daughter in np.flatnonzero(candidate).tolist():
        daughters_of.setdefault(int(best[daughter]), []).append(daughter)
    for parent, daughters in daughters_of.items():
        if len(daughters) < 2:
            continue
        daughters = sorted(daughters, key=lambda d: -share[d])[:2]
        if all(predecessor[d] >= 0 for d in daughters):
            continue  # both already follow something: nothing new appeared
        if successor[parent] >= 0 and successor[parent] not in daughters:
            continue  # the parent goes on as a third cell
        areas = after.area[daughters]
        together = areas.sum() / max(before.area[parent], 1)
        if not DAUGHTERS_AREA[0] <= together <= DAUGHTERS_AREA[1]:
            continue
        if areas.min() / max(areas.max(), 1) < SISTERS_AREA:
            continue
        found.append((parent, daughters))
    return found


def _step_length(frames: Sequence[Cells], links: Sequence[tuple[np.ndarray, np.ndarray]]) -> float:
    """A typical frame-to-frame move of a cell: the 95th percentile over every link."""
    steps = [
        np.hypot(frames[t + 1].y[b] - frames[t].y[a], frames[t + 1].x[b] - frames[t].x[a])
        for t, (a, b) in enumerate(links)
        if a.size
    ]
    moved = np.concatenate(steps) if steps else np.zeros(0)
    moved = moved[np.isfinite(moved)]
    return max(float(np.percentile(moved, 95)) if moved.size else 0.0, 1.0)


def link(
    frames: Sequence[Cells],
    overlaps: Sequence[sparse.csr_matrix],
    next_id: int,
    threshold: float = DEFAULT_THRESHOLD,
    max_gap: int = MAX_GAP,
    divisions: bool = True,
) -> Linked:
    """Link the cells of every frame into tracks and give each track one id.

    Parameters
    ----------
    frames : sequence of Cells
        Every frame's cells.
    overlaps : sequence of scipy.sparse matrix
        ``overlaps[t]``: pixels shared by the cells of frame ``t`` and of frame ``t + 1``.
    next_id : int
        The first id never used (fresh ids count up from here).
    threshold : float
        The smallest IoU of a frame-to-frame link.
    max_gap : int
        A track may miss at most this many frames in a row; the cell before and the cell
        after such a gap are linked by centroid distance.
    divisions : bool
        Whether to look for divisions.

    Returns
    -------
    Linked
        The new ids and the proposed divisions.

    Notes
    -----
    1. Each frame is matched to the next by :func:`match` (largest summed IoU).
    2. A division is proposed where a cell of frame ``t`` is followed in ``t + 1`` by two
       cells that each lie at least ``DAUGHTER_INSIDE`` in its footprint, that together have
       about its area (``DAUGHTERS_AREA``) and about the same area each (``SISTERS_AREA``),
       at least one of which matched nothing. The parent's track then ends, and each
       daughter begins a track of its own.
    3. Tracks that end (other than parents) and tracks that begin (other than daughters) up
       to ``max_gap`` frames apart are joined by an optimal assignment on centroid distance,
       within ``GAP_STEPS`` typical steps per frame elapsed and areas within ``GAP_AREA``.
    4. Ids: a track keeps the id of its first cell unless an earlier track (in order of
       first frame, then id) has it; then it gets a fresh id. So tracks that start in the
       first frame keep their ids, and an already tracked movie keeps its ids.
    """
    count = len(frames)
    successor = [np.full(cells.ids.size, -1, np.int64) for cells in frames]
    predecessor = [np.full(cells.ids.size, -1, np.int64) for cells in frames]
    links = []
    for t in range(count - 1):
        a, b = match(overlaps[t], frames[t].area, frames[t + 1].area, threshold)
        successor[t][a] = b
        predecessor[t + 1][b] = a
        links.append((a, b))
    parents: set[tuple[int, int]] = set()
    daughters: set[tuple[int, int]] = set()
    proposed: list[tuple[int, int, list[int]]] = []
    if divisions:
        for t in range(count - 1):
            for parent, kids in _divisions(
                overlaps[t], frames[t], frames[t + 1], successor[t], predecessor[t + 1]
            ):
                follower = successor[t][parent]
                if follower >= 0:
                    predecessor[t + 1][follower] = -1
                    successor[t][parent] = -1
                parents.add((t, parent))
                daughters.update((t + 1, kid) for kid in kids)
                proposed.append((t, parent, kids))
    # Links across missing frames: (frame, cell) -> (later frame, cell)
    jump = _close_gaps(
        frames, successor, predecessor, parents, daughters, _step_length(frames, links), max_gap
    )
    # Follow the tracks from their first cell, in order of first frame then id.
    ids = [np.zeros(cells.ids.size, np.int64) for cells in frames]
    reached = set(jump.values())
    starts = sorted(
        (t, int(frames[t].ids[i]), i)
        for t in range(count)
        for i in np.flatnonzero(predecessor[t] < 0).tolist()
        if (t, i) not in reached
    )
    claimed: set[int] = set()
    tracks = 0
    for t, first, i in starts:
        if first in claimed:
            new = next_id
            next_id += 1
        else:
            new = first
        claimed.add(new)
        tracks += 1
        frame, cell = t, i
        while True:
            ids[frame][cell] = new
            following = successor[frame][cell] if frame + 1 < count else -1
            if following >= 0:
                frame, cell = frame + 1, int(following)
            elif (frame, cell) in jump:
                frame, cell = jump[frame, cell]
            else:
                break
    next_id = max(next_id, max((int(i.max()) + 1 for i in ids if i.size), default=1))
    found = []
    for t, parent, kids in proposed:
        found.append(
            {
                "parent": int(ids[t][parent]),
                "daughters": sorted(int(ids[t + 1][kid]) for kid in kids),
                "t": t + 1,
            }
        )
    return Linked(
        ids=ids,
        divisions=found,
        next_id=next_id,
        links=int(sum(int((s >= 0).sum()) for s in successor)),
        gaps_closed=len(jump),
        tracks=tracks,
    )


def _close_gaps(
    frames: Sequence[Cells],
    successor: list[np.ndarray],
    predecessor: list[np.ndarray],
    parents: set[tuple[int, int]],
    daughters: set[tuple[int, int]],
    step: float,
    max_gap: int,
) -> dict[tuple[int, int], tuple[int, int]]:
    """Join track ends to track starts that follow within ``max_gap`` missing frames (or in
    the next frame, where the cell moved too far to overlap), by centroid distance."""
    count = len(frames)
    ends = [
        (t, i)
        for t in range(count - 1)
        for i in np.flatnonzero(successor[t] < 0).tolist()
        if (t, i) not in parents and np.isfinite(frames[t].y[i])
    ]
    starts_by_frame: dict[int, np.ndarray] = {}
    for t in range(1, count):
        found = [
            i
            for i in np.flatnonzero(predecessor[t] < 0).tolist()
            if (t, i) not in daughters and np.isfinite(frames[t].y[i])
        ]
        starts_by_frame[t] = np.array(found, np.int64)
    trees = {
        t: cKDTree(np.column_stack([frames[t].y[found], frames[t].x[found]]))
        for t, found in starts_by_frame.items()
        if found.size
    }
    end_keys: list[tuple[int, int]] = []
    start_keys: list[tuple[int, int]] = []
    start_position: dict[tuple[int, int], int] = {}
    rows, columns, scores = [], [], []
    for t, i in ends:
        for gap in range(max_gap + 1):
            later = t + 1 + gap
            if later not in trees:
                continue
            limit = GAP_STEPS * step * (gap + 1)
            point = (frames[t].y[i], frames[t].x[i])
            for k in trees[later].query_ball_point(point, limit):
                j = int(starts_by_frame[later][k])
                ratio = frames[later].area[j] / max(frames[t].area[i], 1)
                if not 1 / GAP_AREA <= ratio <= GAP_AREA:
                    continue
                distance = np.hypot(frames[later].y[j] - point[0], frames[later].x[j] - point[1])
                if not end_keys or end_keys[-1] != (t, i):
                    end_keys.append((t, i))
                key = (later, j)
                if key not in start_position:
                    start_position[key] = len(start_keys)
                    start_keys.append(key)
                rows.append(len(end_keys) - 1)
                columns.append(start_position[key])
                # Nearer and sooner is better; every candidate scores above zero.
                scores.append(1.0 + (1.0 - distance / limit) - 0.1 * gap)
    if not rows:
        return {}
    chosen_rows, chosen_columns = assign(
        np.array(rows), np.array(columns), np.array(scores), (len(end_keys), len(start_keys))
    )
    return {
        end_keys[r]: start_keys[c]
        for r, c in zip(chosen_rows.tolist(), chosen_columns.tolist(), strict=True)
    }
