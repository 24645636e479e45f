"""Linking a movie held in memory (with the code the link job runs) and the Cell Tracking
Challenge's tracking measures of a linking against the truth: TRA and LNK
(from the AOGM, the weighted count of graph operations that turn the result into the truth) and
the division figures (precision, recall, F1 = the CTC's BC(0), mitotic branching correctness).

Written here rather than taken from ``traccuracy``: that package brings pandas, pyarrow,
matplotlib and skan and pins click below the version this project runs, and what the linking
needs of it is small. Linking never changes pixels, so each detection of the result is the very
detection of the truth with the same label value: the detection terms of the AOGM (false
negatives, false positives, splits) are zero and TRA is decided by its edge terms, as the CTC
defines them (Matula et al. 2015, PLoS ONE 10(12): e0144959; LNK as in the CTC's 2023 measures;
division figures as in Ulicna et al. 2021, Front. Comput. Sci. 3: 734559, with no frame
tolerance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from deepcell_label.labels import linking

from .movies import Movie

# The CTC's AOGM weights: node split, false negative, false positive, edge deleted, added,
# changed in meaning (a link of one track, or of a mother to a daughter).
W_NS, W_FN, W_FP, W_ED, W_EA, W_EC = 5.0, 10.0, 1.0, 1.0, 1.5, 1.0


@dataclass
class TrackingMeasures:
    tra: float
    lnk: float
    edges_deleted: int
    edges_added: int
    edges_changed: int
    division_precision: float
    division_recall: float
    division_f1: float
    branching_correctness: float  # the mitotic branching correctness, MBC


def _graph(
    frames: list[dict[int, int]], divisions: list[dict]
) -> dict[tuple[tuple[int, int], tuple[int, int]], str]:
    """The edges of a lineage graph whose nodes are (frame, label value): "track" from each
    appearance of an id to its next (across missing frames too), "parent" from a mother's last
    appearance before her daughters' frame to each daughter's first."""
    appearances: dict[int, list[tuple[int, int]]] = {}  # id -> its nodes, in frame order
    for t, ids in enumerate(frames):
        for value, cell in ids.items():
            appearances.setdefault(cell, []).append((t, value))
    edges: dict[tuple[tuple[int, int], tuple[int, int]], str] = {}
    for nodes in appearances.values():
        for node, following in zip(nodes, nodes[1:], strict=False):
            edges[node, following] = "track"
    for division in divisions:
        before = [
            node for node in appearances.get(division["parent"], ()) if node[0] < division["t"]
        ]
        for daughter in division["daughters"]:
            if before and daughter in appearances:
                edges[before[-1], appearances[daughter][0]] = "parent"
    return edges


def measure(
    truth: list[dict[int, int]],
    cells_after: list[dict[int, int]],
    true_divisions: list[dict],
    proposed: list[dict],
) -> TrackingMeasures:
    """The CTC measures of a linking (``cells_after``: per frame, label value -> the id the
    linking gave it; ``proposed``: its divisions, all taken as accepted) against ``truth`` (per
    frame, label value -> true cell) and its divisions."""
    true_edges = _graph(truth, true_divisions)
    found_edges = _graph(cells_after, proposed)
    deleted = changed = 0
    for edge, kind in found_edges.items():
        if edge not in true_edges:
            deleted += 1
        elif true_edges[edge] != kind:
            changed += 1
    added = sum(edge not in found_edges for edge in true_edges)
    nodes = sum(len(frame) for frame in truth)
    aogm = W_ED * deleted + W_EA * added + W_EC * changed
    from_scratch = W_FN * nodes + W_EA * len(true_edges)
    links_from_scratch = W_EA * len(true_edges)
    tra = 1 - min(aogm, from_scratch) / from_scratch if from_scratch else 1.0
    lnk = 1 - min(aogm, links_from_scratch) / links_from_scratch if links_from_scratch else 1.0

    # Divisions, in nodes: (mother's node, frozenset of the daughters' first nodes).
    def divisions_of(edges) -> dict:
        found: dict[tuple[int, int], set] = {}
        for (mother, daughter), kind in edges.items():
            if kind == "parent":
                found.setdefault(mother, set()).add(daughter)
        return {mother: frozenset(kids) for mother, kids in found.items()}

    true_divisions_ = divisions_of(true_edges)
    found_divisions = divisions_of(found_edges)
    right = sum(found_divisions.get(m) == kids for m, kids in true_divisions_.items())
    wrong_children = sum(
        m in found_divisions and found_divisions[m] != kids for m, kids in true_divisions_.items()
    )
    missed = len(true_divisions_) - right - wrong_children
    false = sum(m not in true_divisions_ for m in found_divisions)
    precision = right / max(right + false + wrong_children, 1)
    recall = right / max(right + missed + wrong_children, 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    if not true_divisions_ and not found_divisions:
        precision = recall = f1 = 1.0
    branching = right / max(right + missed + false + wrong_children, 1)
    if not true_divisions_ and not found_divisions:
        branching = 1.0
    return TrackingMeasures(tra, lnk, deleted, added, changed, precision, recall, f1, branching)


def measured(labels: np.ndarray):
    """Every frame's cells and each frame's overlaps with the next, measured in memory as the
    link job measures them from the tiles (a label value is one cell)."""
    frames, overlaps, previous = [], [], None
    for frame in labels:
        values = np.unique(frame)
        values = values[values > 0]
        measure = linking.FrameMeasure(values)
        measure.add(frame)
        frames.append(linking.frame_cells(measure, {}))
        if previous is not None:
            pair = linking.OverlapMeasure(previous[0], values)
            pair.add(previous[1], frame)
            overlaps.append(linking.cell_overlaps(pair, {}, {}))
        previous = (values, frame)
    return frames, overlaps


def link_in_memory(movie: Movie, **options) -> tuple[linking.Linked, list[dict[int, int]]]:
    """Link a movie held in memory: what :func:`linking.link` found, and per frame the id each
    label value got (the ``cells_after`` of :func:`score`)."""
    frames, overlaps = measured(movie.labels)
    next_id = int(movie.labels.max()) + 1
    linked = linking.link(frames, overlaps, next_id, **options)
    cells_after = [
        dict(zip(cells.ids.tolist(), ids.tolist(), strict=True))
        for cells, ids in zip(frames, linked.ids, strict=True)
    ]
    return linked, cells_after
