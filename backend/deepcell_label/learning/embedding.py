"""The 2-D picture of the cells: UMAP (``umap-learn``) of their normalised features, seeded so
that the same cells give the same picture.

Below ``EXACT_NEIGHBOURS`` cells the nearest neighbours are found exactly (scikit-learn) and
handed to UMAP, which then skips its approximate search: exact, and faster at these sizes.

Above ``MAX_FIT_CELLS`` cells UMAP is fitted on that many cells drawn at random (seeded), and
the other cells are placed by the fitted model (``transform``, a block at a time): the time and
memory of the layout stay those of ``MAX_FIT_CELLS`` cells plus a pass over the rest.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from deepcell_label.errors import LearningError

from .threads import one_blas_thread

MIN_CELLS = 5
NEIGHBOURS = 15
MIN_DISTANCE = 0.1
EXACT_NEIGHBOURS = 50_000
# Above LARGE cells, 120 optimisation epochs instead of UMAP's 200: on 20 000 made-up cells of 8
# types the types' separation (silhouette 0.66 against 0.64) and the neighbours kept (8.3% against
# 8.5%) were the same, in half the time.
LARGE = 10_000
LARGE_EPOCHS = 120
MAX_FIT_CELLS = 50_000
PLACE_BLOCK = 50_000  # cells placed by the fitted model at a time

Progress = Callable[[float, str], None]


def embed(
    features: np.ndarray,
    seed: int = 0,
    progress: Progress | None = None,
    max_fit: int = MAX_FIT_CELLS,
) -> np.ndarray:
    """(cells, 2) coordinates of the rows of ``features`` (normalised, finite).

    UMAP is fitted on at most ``max_fit`` cells (a seeded sample of them when there are more),
    and the others are placed by the fitted model. Raises ``LearningError`` for fewer than
    ``MIN_CELLS`` cells.
    """
    features = np.ascontiguousarray(features, dtype=np.float32)
    count = len(features)
    if count < MIN_CELLS:
        raise LearningError(
            f"An embedding needs at least {MIN_CELLS} cells; there {'is' if count == 1 else 'are'} "
            f"{count}. Choose all frames, or another feature."
        )
    tell = progress or (lambda fraction, message: None)
    if count > max(max_fit, MIN_CELLS):
        return _embed_sampled(features, seed, tell, max(max_fit, MIN_CELLS))
    neighbours = min(NEIGHBOURS, count - 1)
    from sklearn.neighbors import NearestNeighbors

    known = None
    if count <= EXACT_NEIGHBOURS:
        tell(0.1, "Finding each cell's nearest neighbours")
        search = NearestNeighbors(n_neighbors=neighbours).fit(features)
        distances, indices = one_blas_thread(search.kneighbors)(features)
        known = (indices, distances.astype(np.float32), None)
    tell(0.3, f"Laying out {count:,} cells (UMAP)")
    reducer = _reducer(count, seed, known)
    with warnings.catch_warnings():
        # "n_jobs overridden by setting random_state" and the like: the seed is the point.
        warnings.simplefilter("ignore")
        layout = reducer.fit_transform(features)
    return np.asarray(layout, dtype=np.float64)


def _reducer(count: int, seed: int, known=None):
    import umap  # slow to import (numba): only in the job that needs it

    neighbours = min(NEIGHBOURS, count - 1)
    return umap.UMAP(
        n_neighbors=neighbours,
        min_dist=MIN_DISTANCE,
        random_state=seed,
        n_jobs=1,
        n_epochs=LARGE_EPOCHS if count > LARGE else None,
        precomputed_knn=known or (None, None, None),
        init="spectral" if count > neighbours + 2 else "random",
    )


def _embed_sampled(features: np.ndarray, seed: int, tell: Progress, size: int) -> np.ndarray:
    """Fit on ``size`` cells drawn with the seed; place every other cell with the model. UMAP
    searches the neighbours itself here: the placing needs its search index."""
    count = len(features)
    chosen = np.sort(np.random.default_rng(seed).choice(count, size, replace=False))
    rest = np.setdiff1d(np.arange(count), chosen)
    tell(0.1, f"Laying out {size:,} of {count:,} cells drawn at random (UMAP)")
    reducer = _reducer(size, seed)
    layout = np.empty((count, 2), np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layout[chosen] = reducer.fit_transform(features[chosen])
        for start in range(0, len(rest), PLACE_BLOCK):
            tell(0.5 + 0.5 * start / len(rest), f"Placing the other {len(rest):,} cells")
            block = rest[start : start + PLACE_BLOCK]
            layout[block] = reducer.transform(features[block])
    return layout
