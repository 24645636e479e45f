"""Matching the cells of two label images one to one by overlap (IoU), and the detection
scores that follow from it (precision, recall, F1 at an IoU threshold).

The assignment is scipy's ``linear_sum_assignment`` on the IoU matrix of the cells that
overlap at all; the overlaps themselves are counted in one pass over the pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix

__all__ = ["Matching", "iou_matrix", "match_cells"]


def iou_matrix(
    truth: np.ndarray, proposal: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The intersection over union of every cell of `truth` with every cell of `proposal`.

    Parameters
    ----------
    truth, proposal : ndarray of int
        Label images of the same shape; 0 is background, every other value one cell.

    Returns
    -------
    truth_cells : ndarray of int
        The cell values of `truth`, sorted (the rows).
    proposal_cells : ndarray of int
        The cell values of `proposal`, sorted (the columns).
    iou : ndarray of float64, shape (len(truth_cells), len(proposal_cells))
        The IoU of each pair; 0 for pairs that do not overlap.
    """
    truth = np.asarray(truth).ravel()
    proposal = np.asarray(proposal).ravel()
    if truth.shape != proposal.shape:
        raise ValueError(f"label images differ in size: {truth.size} and {proposal.size} pixels")
    truth_cells, truth_index = np.unique(truth, return_inverse=True)
    proposal_cells, proposal_index = np.unique(proposal, return_inverse=True)
    shape = (len(truth_cells), len(proposal_cells))
    # Pixel counts of every (truth value, proposal value) pair, background included.
    counts = coo_matrix(
        (np.ones(truth.size, np.int64), (truth_index.ravel(), proposal_index.ravel())), shape=shape
    ).toarray()
    truth_area = counts.sum(axis=1)
    proposal_area = counts.sum(axis=0)
    union = truth_area[:, None] + proposal_area[None, :] - counts
    iou = np.divide(counts, union, out=np.zeros(shape), where=union > 0)
    keep_rows = truth_cells != 0
    keep_columns = proposal_cells != 0
    return (
        truth_cells[keep_rows],
        proposal_cells[keep_columns],
        iou[np.ix_(keep_rows, keep_columns)],
    )


@dataclass(frozen=True)
class Matching:
    """The one-to-one matching of two label images and its detection scores.

    Attributes
    ----------
    pairs : list of (int, int, float)
        ``(truth cell, proposed cell, IoU)`` of every matched pair at or above the threshold.
    truth_cells, proposal_cells : int
        How many cells each image has.
    threshold : float
        The smallest IoU of a match.
    """

    pairs: list[tuple[int, int, float]]
    truth_cells: int
    proposal_cells: int
    threshold: float

    @property
    def true_positives(self) -> int:
        return len(self.pairs)

    @property
    def precision(self) -> float:
        return self.true_positives / self.proposal_cells if self.proposal_cells else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.truth_cells if self.truth_cells else 0.0

    @property
    def f1(self) -> float:
        total = self.truth_cells + self.proposal_cells
        return 2 * self.true_positives / total if total else 1.0

    @property
    def mean_iou(self) -> float:
        """The mean IoU of the matched pairs (segmentation quality of what was found)."""
        return float(np.mean([iou for *_, iou in self.pairs])) if self.pairs else 0.0


def match_cells(truth: np.ndarray, proposal: np.ndarray, threshold: float = 0.5) -> Matching:
    """Match the cells of `proposal` to those of `truth`, one to one, maximising the total IoU.

    Parameters
    ----------
    truth, proposal : ndarray of int
        Label images of the same shape (0 is background).
    threshold : float
        Pairs with a lower IoU do not count as matches.

    Returns
    -------
    Matching
        The matched pairs and the counts that give precision, recall and F1.

    Examples
    --------
    >>> a = np.array([[1, 1, 0, 2, 2]])
    >>> b = np.array([[5, 5, 0, 0, 0]])
    >>> round(match_cells(a, b).f1, 3)
    0.667
    """
    truth_cells, proposal_cells, iou = iou_matrix(truth, proposal)
    rows, columns = linear_sum_assignment(iou, maximize=True)
    pairs = [
        (int(truth_cells[r]), int(proposal_cells[c]), float(iou[r, c]))
        for r, c in zip(rows, columns, strict=True)
        if iou[r, c] >= threshold and iou[r, c] > 0
    ]
    return Matching(pairs, len(truth_cells), len(proposal_cells), float(threshold))
