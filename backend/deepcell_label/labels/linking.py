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
# Two daughters together have from half to about twice their mother's area (they shrink, or
# grow back to her size), and each at least this share of the other's.
DAUGHTERS_AREA = (0.5, 2.6)
SISTERS_AREA = 0.35
# Gap closing: a track end and a track start are linked when their centroids are closer than
# this many typical frame-to-frame steps per frame elapsed, and their areas differ by at most
# this factor.
GAP_STEPS = 1.5
GAP_AREA = 2.0
# A gap closed is this sure at most, divided by the frames it spans (a cell that moved too far
# to overlap: 0.6; missing for one frame: 0.3, so it is listed among the uncertain links).
GAP_SURENESS = 0.6
# A division (see division_quality): each daughter within SPLIT_REACH radii of the mother's
# centre (plus two steps), their midpoint within SPLIT_MIDPOINT radii (plus one step).
SPLIT_REACH = 2.0
SPLIT_MIDPOINT = 0.5
UNSURE = 0.5  # links less sure than this are listed as uncertain
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
        """Count the pixels of one band of both frames (the same rows of each).

        Counted by runs of pixels that hold the same pair of values, as they come in memory
        order: a cell's pixels lie in long runs, so the pairs to count are a few per cell and
        row instead of one per pixel, and finding the runs costs two comparisons per pixel.
        """
        if not self.values_a.size or not self.values_b.size:
            return
        a = np.ascontiguousarray(band_a).reshape(-1)
        b = np.ascontiguousarray(band_b).reshape(-1)
        if not a.size:
            return
        starts = np.flatnonzero(np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])])
        lengths = np.diff(np.r_[starts, a.size])
        first_a, first_b = a[starts], b[starts]
        both = (first_a != 0) & (first_b != 0)
        if not both.any():
            return
        ia = self._index_a(first_a[both])
        ib = self._index_b(first_b[both])
        known = (ia >= 0) & (ib >= 0)
        counts = sparse.coo_matrix(
            (lengths[both][known], (ia[known], ib[known])), shape=self.matrix.shape
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
    return overlaps_of_cells(overlap, members_a, members_b)


def overlaps_of_cells(
    overlap: OverlapMeasure, members_a: sparse.csr_matrix, members_b: sparse.csr_matrix
) -> sparse.csr_matrix:
    """:func:`cell_overlaps` with each frame's :func:`membership` matrix already made."""
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


# --------------------------------------------------------------------------- confidence


def margins(
    rows: np.ndarray,
    columns: np.ndarray,
    scores: np.ndarray,
    chosen_rows: np.ndarray,
    chosen_columns: np.ndarray,
) -> np.ndarray:
    """How sure each chosen pair of an assignment is, from 0 to 1.

    Parameters
    ----------
    rows, columns, scores : numpy.ndarray
        The candidate pairs given to :func:`assign` and their (positive) scores.
    chosen_rows, chosen_columns : numpy.ndarray
        The pairs it chose.

    Returns
    -------
    numpy.ndarray
        For each chosen pair, ``1 - runner_up / score``: ``runner_up`` is the best score of any
        other candidate of its row or its column (0 when there is none). A pair with no rival
        is 1; a pair barely ahead of a rival is near 0.
    """
    rows, columns = np.asarray(rows, np.int64), np.asarray(columns, np.int64)
    scores = np.asarray(scores, float)
    chosen_rows = np.asarray(chosen_rows, np.int64)
    chosen_columns = np.asarray(chosen_columns, np.int64)
    if not chosen_rows.size:
        return np.zeros(0)

    def top_two(keys: np.ndarray) -> tuple[dict, dict]:
        order = np.lexsort((-scores, keys))
        keys_sorted, first = keys[order], np.r_[True, keys[order][1:] != keys[order][:-1]]
        best = dict(zip(keys_sorted[first].tolist(), order[first].tolist(), strict=True))
        second_at = np.flatnonzero(first) + 1
        second_at = second_at[second_at < keys.size]
        second_at = second_at[keys_sorted[second_at] == keys_sorted[second_at - 1]]
        second = dict(zip(keys_sorted[second_at].tolist(), order[second_at].tolist(), strict=True))
        return best, second

    pair_of = {
        (r, c): k for k, (r, c) in enumerate(zip(rows.tolist(), columns.tolist(), strict=True))
    }
    best_row, second_row = top_two(rows)
    best_column, second_column = top_two(columns)
    found = np.ones(chosen_rows.size)
    for n, (r, c) in enumerate(zip(chosen_rows.tolist(), chosen_columns.tolist(), strict=True)):
        own = pair_of[r, c]
        rivals = [
            best if best != own else second.get(key)
            for key, best, second in (
                (r, best_row[r], second_row),
                (c, best_column[c], second_column),
            )
        ]
        runner_up = max((scores[k] for k in rivals if k is not None), default=0.0)
        found[n] = max(0.0, 1.0 - runner_up / scores[own])
    return found


# --------------------------------------------------------------------------- a whole movie


@dataclass
class Linked:
    """What :func:`link` found.

    Attributes
    ----------
    ids : list of numpy.ndarray
        For each frame, the new id of each of its cells (in the order of ``Cells.ids``).
    divisions : list of dict
        Proposed divisions ``{"parent", "daughters", "t", "confidence"}`` in the new ids, ``t``
        the first frame of the daughters, ``confidence`` from 0 (a guess) to 1 (sure).
    uncertain : list of dict
        Links the linking is unsure of, least sure first: ``{"cell", "t", "from_t",
        "confidence", "reason"}`` (the cell, in its new id, linked from frame ``from_t`` to
        frame ``t``; ``reason`` ``"rival"``: another candidate came close, ``"gap"``: the
        cell was missing or jumped between the two frames).
    next_id : int
        The first id not handed out.
    links, gaps_closed, tracks : int
        Frame-to-frame links, links across missing frames, and tracks made.
    """

    ids: list[np.ndarray]
    divisions: list[dict] = field(default_factory=list)
    uncertain: list[dict] = field(default_factory=list)
    next_id: int = 1
    links: int = 0
    gaps_closed: int = 0
    tracks: int = 0


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


def division_quality(mother: Cells, i: int, daughters: Cells, j: int, k: int, step: float) -> float:
    """How much cells ``j`` and ``k`` of a frame look like the daughters of cell ``i`` of the
    frame before: from 0 (barely) to 1, or -1 where they cannot be.

    Daughters each lie within ``SPLIT_REACH`` radii (plus two steps) of the mother's centre,
    their midpoint within ``SPLIT_MIDPOINT`` radii (plus a step) of it; together they have
    ``DAUGHTERS_AREA`` times her area, and each at least ``SISTERS_AREA`` of the other's. The
    quality grows as the midpoint nears her centre and the sisters' areas even out.
    """
    if j == k:
        return -1.0
    radius = float(np.sqrt(mother.area[i] / np.pi))
    centre = np.array([mother.y[i], mother.x[i]])
    at = np.array([[daughters.y[j], daughters.x[j]], [daughters.y[k], daughters.x[k]]])
    if not np.isfinite(at).all() or not np.isfinite(centre).all():
        return -1.0
    reach = SPLIT_REACH * radius + 2 * step
    if (np.hypot(*(at - centre).T) > reach).any():
        return -1.0
    areas = daughters.area[[j, k]]
    sisters = areas.min() / max(areas.max(), 1.0)
    together = areas.sum() / max(mother.area[i], 1.0)
    if sisters < SISTERS_AREA or not DAUGHTERS_AREA[0] <= together <= DAUGHTERS_AREA[1]:
        return -1.0
    gate = SPLIT_MIDPOINT * radius + step
    off_centre = float(np.hypot(*(at.mean(axis=0) - centre)))
    if off_centre > gate:
        return -1.0
    return 0.5 * (1 - off_centre / gate) + 0.5 * (sisters - SISTERS_AREA) / (1 - SISTERS_AREA)


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
        The new ids, the proposed divisions and the links the linking is unsure of.

    Notes
    -----
    The two rounds of the linear-assignment trackers (Jaqaman et al. 2008, as laptrack and
    ultrack formulate them):

    1. Each frame is matched to the next by :func:`match` (largest summed IoU).
    2. Segments are joined in one assignment whose rows are the cells that begin a track
       (other than in the first frame) and whose columns are the cells that end one (a gap
       closed: up to ``max_gap`` missing frames, or in the next frame where the cell moved too
       far to overlap; by centroid distance, within ``GAP_STEPS`` typical steps per frame
       elapsed, areas within ``GAP_AREA``) and two "daughter" places of every cell (a split;
       the second place only for a cell that no link goes on from). A cell that begins a track
       may take a daughter place of a cell of the frame before when it and that cell's other
       child (its link of round 1, or the best other candidate) pass
       :func:`division_quality`; its score there is below any fair gap closure's, so a cell
       that went missing comes back before it is taken for a daughter.
    3. A cell with two children is proposed as dividing: its track ends (the Cell Tracking
       Challenge's convention) and each daughter begins one of its own.
    4. Ids: a track keeps the id of its first cell unless an earlier track (in order of
       first frame, then id) has it; then it gets a fresh id. So tracks that start in the
       first frame keep their ids, and an already tracked movie keeps its ids.

    Each link's confidence is its margin over its best rival (:func:`margins`), lowered for a
    gap closed; a division's is its :func:`division_quality` times its margin.
    """
    count = len(frames)
    successor = [np.full(cells.ids.size, -1, np.int64) for cells in frames]
    predecessor = [np.full(cells.ids.size, -1, np.int64) for cells in frames]
    # (frame, cell) -> (confidence, reason) of its link to the frame before
    sureness: dict[tuple[int, int], tuple[float, str]] = {}
    links = []
    for t in range(count - 1):
        scores = iou(overlaps[t], frames[t].area, frames[t + 1].area).tocoo()
        keep = (scores.data >= threshold) & (scores.data > 0)
        candidates = (scores.row[keep], scores.col[keep], scores.data[keep])
        a, b = assign(*candidates, overlaps[t].shape)
        successor[t][a] = b
        predecessor[t + 1][b] = a
        links.append((a, b))
        for cell, sure in zip(b.tolist(), margins(*candidates, a, b).tolist(), strict=True):
            sureness[t + 1, cell] = (sure, "rival")
    step = _step_length(frames, links)
    jump, splits = _join_segments(frames, successor, predecessor, step, max_gap, divisions)
    proposed: list[tuple[int, int, list[int], float]] = []
    for (t, parent), (kids, sure) in splits.items():
        follower = successor[t][parent]
        if follower >= 0:
            successor[t][parent] = -1
            predecessor[t + 1][follower] = -1
        jump.pop((t, parent), None)
        for kid in kids:
            sureness.pop((t + 1, kid), None)
        proposed.append((t, parent, kids, sure))
    for later, j, sure in jump.values():
        sureness[later, j] = (sure, "gap")
    # Follow the tracks from their first cell, in order of first frame then id.
    ids = [np.zeros(cells.ids.size, np.int64) for cells in frames]
    reached = {(later, j) for later, j, _ in jump.values()}
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
                frame, cell = jump[frame, cell][:2]
            else:
                break
    next_id = max(next_id, max((int(i.max()) + 1 for i in ids if i.size), default=1))
    found = [
        {
            "parent": int(ids[t][parent]),
            "daughters": sorted(int(ids[t + 1][kid]) for kid in kids),
            "t": t + 1,
            "confidence": round(float(sure), 3),
        }
        for t, parent, kids, sure in sorted(proposed)
    ]
    from_frame = {(later, j): t for (t, _), (later, j, _) in jump.items()}
    uncertain = sorted(
        (
            {
                "cell": int(ids[t][cell]),
                "t": t,
                "from_t": from_frame.get((t, cell), t - 1),
                "confidence": round(float(sure), 3),
                "reason": reason,
            }
            for (t, cell), (sure, reason) in sureness.items()
            if sure < UNSURE
        ),
        key=lambda entry: (entry["confidence"], entry["t"], entry["cell"]),
    )
    return Linked(
        ids=ids,
        divisions=found,
        uncertain=uncertain,
        next_id=next_id,
        links=int(sum(int((s >= 0).sum()) for s in successor)),
        gaps_closed=len(jump),
        tracks=tracks,
    )


def _join_segments(
    frames: Sequence[Cells],
    successor: list[np.ndarray],
    predecessor: list[np.ndarray],
    step: float,
    max_gap: int,
    divisions: bool,
) -> tuple[dict, dict]:
    """The second round of :func:`link`: gaps closed and divisions found, in one assignment.

    Returns ``jump``: (frame, cell) -> (later frame, cell, confidence) for each gap closed, and
    ``splits``: (frame, parent) -> (daughters in the next frame, confidence).
    """
    count = len(frames)
    finite = [np.isfinite(cells.y) for cells in frames]
    starts_by_frame = {t: np.flatnonzero((predecessor[t] < 0) & finite[t]) for t in range(1, count)}
    trees = {
        t: cKDTree(np.column_stack([frames[t].y[found], frames[t].x[found]]))
        for t, found in starts_by_frame.items()
        if found.size
    }
    row_of: dict[tuple[int, int], int] = {}  # (frame, cell) beginning a track -> row
    column_keys: list[tuple] = []  # ("end", frame, cell) or ("split", frame, cell, place)
    rows, columns, scores = [], [], []

    def candidate(start: tuple[int, int], column: int, score: float) -> None:
        rows.append(row_of.setdefault(start, len(row_of)))
        columns.append(column)
        scores.append(score)

    for t in range(count - 1):
        for i in np.flatnonzero((successor[t] < 0) & finite[t]).tolist():
            point = (frames[t].y[i], frames[t].x[i])
            column = None
            for gap in range(max_gap + 1):
                later = t + 1 + gap
                if later not in trees:
                    continue
                limit = GAP_STEPS * step * (gap + 1)
                for n in trees[later].query_ball_point(point, limit):
                    j = int(starts_by_frame[later][n])
                    ratio = frames[later].area[j] / max(frames[t].area[i], 1)
                    if not 1 / GAP_AREA <= ratio <= GAP_AREA:
                        continue
                    distance = np.hypot(
                        frames[later].y[j] - point[0], frames[later].x[j] - point[1]
                    )
                    if column is None:
                        column = len(column_keys)
                        column_keys.append(("end", t, i))
                    # Nearer and sooner is better; every candidate scores above zero.
                    candidate((later, j), column, 1.0 + (1.0 - distance / limit) - 0.1 * gap)
    if divisions:
        for t in range(count - 1):
            if t + 1 not in trees:
                continue
            daughters, found = frames[t + 1], starts_by_frame[t + 1]
            mothers = np.flatnonzero(finite[t])
            reach = SPLIT_REACH * np.sqrt(frames[t].area[mothers] / np.pi) + 2 * step
            points = np.column_stack([frames[t].y[mothers], frames[t].x[mothers]])
            nearby = trees[t + 1].query_ball_point(points, reach) if mothers.size else []
            for i, close in zip(mothers.tolist(), nearby, strict=True):
                near = found[np.asarray(close, np.int64)].tolist()
                follower = int(successor[t][i])
                if not near or (follower < 0 and len(near) < 2):
                    continue
                places = []
                for k in near:
                    others = [follower] if follower >= 0 else [j for j in near if j != k]
                    quality = max(
                        division_quality(frames[t], i, daughters, j, k, step) for j in others
                    )
                    if quality < 0:
                        continue
                    if not places:
                        places = [len(column_keys) + n for n in range(1 if follower >= 0 else 2)]
                        column_keys.extend(("split", t, i, n) for n in range(len(places)))
                    for place in places:
                        # Below a fair gap closure (1 and more), above nothing (0).
                        candidate((t + 1, k), place, 0.5 + 0.5 * quality)
    if not rows:
        return {}, {}
    rows_, columns_, scores_ = np.array(rows), np.array(columns), np.array(scores)
    chosen_rows, chosen_columns = assign(rows_, columns_, scores_, (len(row_of), len(column_keys)))
    sure = margins(rows_, columns_, scores_, chosen_rows, chosen_columns)
    start_keys = list(row_of)
    jump: dict[tuple[int, int], tuple[int, int, float]] = {}
    children: dict[tuple[int, int], list[tuple[int, float]]] = {}
    for r, c, margin in zip(
        chosen_rows.tolist(), chosen_columns.tolist(), sure.tolist(), strict=True
    ):
        later, j = start_keys[r]
        key = column_keys[c]
        if key[0] == "end":
            _, t, i = key
            gap = later - t - 1
            jump[t, i] = (later, j, margin * GAP_SURENESS / (gap + 1))
        else:
            children.setdefault((key[1], key[2]), []).append((j, margin))
    splits = {}
    for (t, i), placed in children.items():
        follower = int(successor[t][i])
        if follower >= 0:
            kids = [(follower, 1.0), *placed]
        elif (t, i) in jump and jump[t, i][0] == t + 1:
            kids = [(jump[t, i][1], jump[t, i][2]), *placed]
        else:
            kids = placed
        if len(kids) != 2:
            continue  # one child: no division, and the cell placed begins a track
        (j, margin_j), (k, margin_k) = kids
        quality = division_quality(frames[t], i, frames[t + 1], j, k, step)
        if quality >= 0:
            splits[t, i] = ([j, k], quality * min(margin_j, margin_k))
    return jump, splits
