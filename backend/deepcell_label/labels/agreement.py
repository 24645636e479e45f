"""How far two or more labellings of one image agree, cell by cell, and the consensus of several.

Cells of two labellings are matched one to one by IoU (at least ``threshold``, 0.5 by default),
the matching with the largest summed IoU (scipy's ``linear_sum_assignment`` on each group of
cells that compete, through :func:`deepcell_label.labels.linking.match`, from a sparse table of
the pixels each pair of cells shares). From the matching: F1, the mean IoU of matched cells,
cells one labelling has and the other misses, and merges and splits (one cell covering most of
two or more cells of the other labelling). Each label value is taken as one cell.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from deepcell_label.labels.linking import OverlapMeasure, match

MATCH_IOU = 0.5
# A cell "covers" a cell of the other labelling when it holds at least this share of its pixels.
COVER_FRACTION = 0.5
_COUNT_LIMIT = 1 << 24


@dataclass(frozen=True)
class Agreement:
    """What the comparison of a labelling ``b`` against a labelling ``a`` found.

    ``missed``: cells of ``a`` with no match in ``b``; ``extra``: cells of ``b`` with no match
    in ``a``; ``merges``: cells of ``b`` covering two or more cells of ``a``; ``splits``: cells
    of ``a`` covering two or more cells of ``b``. Counts are floats so that means over pairs of
    replicas stay exact.
    """

    f1: float
    mean_iou: float
    matched: float
    missed: float
    extra: float
    merges: float
    splits: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class _Overlap:
    values_a: np.ndarray
    values_b: np.ndarray
    area_a: np.ndarray
    area_b: np.ndarray
    shared: sparse.csr_matrix  # pixels shared, cells of a x cells of b


def _cells(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values of a labelling's cells (ascending) and their pixel counts."""
    pixels = image[image != 0].astype(np.int64, copy=False)
    if pixels.size and pixels.min() > 0 and pixels.max() < _COUNT_LIMIT:
        # Counting by value is several times faster than sorting millions of pixels.
        counts = np.bincount(pixels)
        values = np.flatnonzero(counts)
        return values, counts[values]
    return np.unique(pixels, return_counts=True)


def _overlap(a: np.ndarray, b: np.ndarray) -> _Overlap:
    if a.shape != b.shape:
        raise ValueError(f"labellings of different shapes: {a.shape} and {b.shape}")
    values_a, area_a = _cells(a)
    values_b, area_b = _cells(b)
    measure = OverlapMeasure(values_a, values_b)
    measure.add(a, b)
    return _Overlap(
        values_a, values_b, area_a.astype(float), area_b.astype(float), measure.matrix.tocsr()
    )


def _covering(shared: sparse.csr_matrix, area_covered: np.ndarray, fraction: float) -> int:
    """How many rows of ``shared`` hold at least ``fraction`` of the pixels of two or more
    columns."""
    return int(_covering_cells(shared, area_covered, fraction).size)


def _covering_cells(
    shared: sparse.csr_matrix, area_covered: np.ndarray, fraction: float
) -> np.ndarray:
    """The rows of ``shared`` that hold at least ``fraction`` of the pixels of two or more
    columns."""
    pairs = shared.tocoo()
    covers = pairs.data >= fraction * area_covered[pairs.col]
    return np.flatnonzero(np.bincount(pairs.row[covers], minlength=shared.shape[0]) >= 2)


def compare(
    a: np.ndarray,
    b: np.ndarray,
    threshold: float = MATCH_IOU,
    cover_fraction: float = COVER_FRACTION,
) -> Agreement:
    """Compare two labellings of one image cell by cell.

    Parameters
    ----------
    a, b : numpy.ndarray
        Integer label images of the same shape; 0 is background, every other value one cell.
    threshold : float
        The smallest IoU of two matched cells.
    cover_fraction : float
        The share of a cell's pixels another cell must hold to count as covering it (merges,
        splits).

    Returns
    -------
    Agreement
        F1 = 2·matched / (cells of a + cells of b) (1 when neither has a cell); mean IoU of
        the matched pairs (1 when neither has a cell, 0 when nothing matched).
    """
    overlap = _overlap(np.asarray(a), np.asarray(b))
    rows, columns = match(overlap.shared, overlap.area_a, overlap.area_b, threshold)
    n_a, n_b, n = overlap.values_a.size, overlap.values_b.size, rows.size
    if n_a + n_b == 0:
        return Agreement(1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    if n:
        shared = np.asarray(overlap.shared[rows, columns]).ravel()
        ious = shared / (overlap.area_a[rows] + overlap.area_b[columns] - shared)
        mean_iou = float(ious.mean())
    else:
        mean_iou = 0.0
    return Agreement(
        f1=2.0 * n / (n_a + n_b),
        mean_iou=mean_iou,
        matched=float(n),
        missed=float(n_a - n),
        extra=float(n_b - n),
        merges=float(_covering(overlap.shared.T.tocsr(), overlap.area_a, cover_fraction)),
        splits=float(_covering(overlap.shared, overlap.area_b, cover_fraction)),
    )


@dataclass(frozen=True)
class Disagreement:
    """Which cells (label values) of two labellings ``a`` and ``b`` disagree.

    The same findings :func:`compare` counts, named cell by cell: ``missed`` cells of ``a``
    and ``extra`` cells of ``b`` have no match in the other labelling; ``merges`` are cells
    of ``b`` covering two or more cells of ``a``, ``splits`` cells of ``a`` covering two or
    more cells of ``b``. Each list is ascending.
    """

    missed: list[int]
    extra: list[int]
    merges: list[int]
    splits: list[int]


def disagreeing_cells(
    a: np.ndarray,
    b: np.ndarray,
    threshold: float = MATCH_IOU,
    cover_fraction: float = COVER_FRACTION,
) -> Disagreement:
    """The cells of two labellings of one image that disagree (see :class:`Disagreement`).

    Parameters are those of :func:`compare`, whose counts are the lengths of these lists.
    """
    overlap = _overlap(np.asarray(a), np.asarray(b))
    rows, columns = match(overlap.shared, overlap.area_a, overlap.area_b, threshold)

    def listed(values: np.ndarray, chosen: np.ndarray) -> list[int]:
        return [int(v) for v in values[chosen]]

    return Disagreement(
        missed=listed(overlap.values_a, np.setdiff1d(np.arange(overlap.values_a.size), rows)),
        extra=listed(overlap.values_b, np.setdiff1d(np.arange(overlap.values_b.size), columns)),
        merges=listed(
            overlap.values_b,
            _covering_cells(overlap.shared.T.tocsr(), overlap.area_a, cover_fraction),
        ),
        splits=listed(
            overlap.values_a, _covering_cells(overlap.shared, overlap.area_b, cover_fraction)
        ),
    )


def mean_agreement(agreements: Sequence[Agreement]) -> Agreement:
    """The mean of each figure over several comparisons (e.g. every pair of replicas)."""
    if not agreements:
        raise ValueError("no comparisons to average")
    fields = Agreement.__dataclass_fields__
    return Agreement(
        **{name: float(np.mean([getattr(x, name) for x in agreements])) for name in fields}
    )


def pairwise(
    replicas: Sequence[np.ndarray], threshold: float = MATCH_IOU
) -> dict[tuple[int, int], Agreement]:
    """Every pair ``(i, j)``, ``i < j``, of replicas compared (``i`` as ``a``)."""
    return {
        (i, j): compare(replicas[i], replicas[j], threshold)
        for i, j in itertools.combinations(range(len(replicas)), 2)
    }


def image_agreement(replicas: Sequence[np.ndarray], threshold: float = MATCH_IOU) -> Agreement:
    """The agreement of an image's replicas: the mean over every pair (two or more replicas)."""
    if len(replicas) < 2:
        raise ValueError("agreement needs two replicas or more")
    return mean_agreement(list(pairwise(replicas, threshold).values()))


def consensus(replicas: Sequence[np.ndarray], threshold: float = MATCH_IOU) -> np.ndarray:
    """The consensus labelling of several replicas of one image.

    Parameters
    ----------
    replicas : sequence of numpy.ndarray
        Label images of the same shape.
    threshold : float
        The smallest IoU of two cells taken as the same cell.

    Returns
    -------
    numpy.ndarray
        A label image (values 1..n, in order of first replica then cell value): a cell is kept
        where more than half of the replicas have it (cells matched between replicas, pair by
        pair, form one cell), and its mask is the pixels where more than half of the replicas
        have that cell.
    """
    replicas = [np.asarray(r) for r in replicas]
    if not replicas:
        raise ValueError("consensus needs at least one replica")
    n = len(replicas)
    values = [_cells(r)[0] for r in replicas]
    offsets = np.cumsum([0] + [v.size for v in values])
    nodes = int(offsets[-1])
    edges_from, edges_to = [], []
    for (i, j), (rows, columns) in _matchings(replicas, threshold).items():
        edges_from.append(offsets[i] + rows)
        edges_to.append(offsets[j] + columns)
    if edges_from:
        start, end = np.concatenate(edges_from), np.concatenate(edges_to)
    else:
        start = end = np.zeros(0, np.int64)
    graph = sparse.coo_matrix((np.ones(start.size), (start, end)), shape=(nodes, nodes))
    _, group = connected_components(graph, directed=False)
    replica_of = np.repeat(np.arange(n), [v.size for v in values])
    # How many distinct replicas each group has a cell in.
    seen = np.unique(group * n + replica_of)
    support = np.bincount(seen // n, minlength=group.max() + 1 if nodes else 0)
    kept = support * 2 > n
    # Kept groups numbered 1.. in order of their first node.
    first = np.full(kept.size, nodes, np.int64)
    np.minimum.at(first, group, np.arange(nodes))
    order = np.argsort(first, kind="stable")
    number = np.zeros(kept.size, np.int64)
    kept_in_order = order[kept[order]]
    number[kept_in_order] = np.arange(1, kept_in_order.size + 1)
    votes = []
    for i, (replica, vals) in enumerate(zip(replicas, values, strict=True)):
        mapped = np.zeros(replica.shape, np.int64)
        if vals.size:
            cell_number = number[group[offsets[i] : offsets[i + 1]]]
            position = np.searchsorted(vals, replica)
            inside = (replica != 0) & (position < vals.size)
            mapped[inside] = cell_number[position[inside]]
        votes.append(mapped)
    result = np.zeros(replicas[0].shape, np.int64)
    for candidate in votes:
        count = sum((other == candidate).astype(np.int8) for other in votes)
        result = np.where((candidate != 0) & (count * 2 > n), candidate, result)
    return result


def _matchings(
    replicas: Sequence[np.ndarray], threshold: float
) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    matchings = {}
    for i, j in itertools.combinations(range(len(replicas)), 2):
        overlap = _overlap(replicas[i], replicas[j])
        matchings[(i, j)] = match(overlap.shared, overlap.area_a, overlap.area_b, threshold)
    return matchings
