"""Agreement between labellings (labels/agreement.py): exact small cases and properties."""

from __future__ import annotations

import numpy as np
import pytest
from deepcell_label.labels import agreement
from hypothesis import given, settings
from hypothesis import strategies as st


def _image(*boxes: tuple[int, int, int, int, int], shape=(12, 12)) -> np.ndarray:
    """Rectangles (value, y0, y1, x0, x1) drawn in order on a background of 0."""
    image = np.zeros(shape, np.int32)
    for value, y0, y1, x0, x1 in boxes:
        image[y0:y1, x0:x1] = value
    return image


@st.composite
def _labellings(draw):
    """A labelling of up to 9 non-touching rectangles of random size and ids."""
    count = draw(st.integers(0, 9))
    ids = draw(st.lists(st.integers(1, 50_000), min_size=count, max_size=count, unique=True))
    image = np.zeros((48, 48), np.int32)
    for k, cell in enumerate(ids):
        y, x = divmod(k, 3)
        height, width = draw(st.integers(1, 15)), draw(st.integers(1, 15))
        image[y * 16 : y * 16 + height, x * 16 : x * 16 + width] = cell
    return image


def _relabelled(image: np.ndarray, seed: int) -> np.ndarray:
    values = np.unique(image[image != 0])
    new = np.random.default_rng(seed).permutation(np.arange(1, values.size + 1) * 7)
    out = np.zeros_like(image)
    for old, value in zip(values, new, strict=True):
        out[image == old] = value
    return out


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two labellings have the same cells, whatever their ids."""
    pairs = np.unique(np.stack([a.ravel(), b.ravel()]), axis=1)
    return len(set(pairs[0].tolist())) == pairs.shape[1] == len(set(pairs[1].tolist())) and bool(
        np.all((a == 0) == (b == 0))
    )


def test_a_moved_cell_a_missed_cell_and_an_extra_cell():
    a = _image((1, 0, 4, 0, 4), (2, 6, 10, 6, 10))
    # Cell 1 shifted by one column (IoU 12/20), cell 2 missing, an extra cell in a corner.
    b = _image((5, 0, 4, 1, 5), (9, 10, 12, 0, 2))
    found = agreement.compare(a, b)
    assert found.matched == 1 and found.missed == 1 and found.extra == 1
    assert found.f1 == pytest.approx(2 * 1 / 4)
    assert found.mean_iou == pytest.approx(12 / 20)
    assert found.merges == 0 and found.splits == 0


def test_a_merge_seen_from_each_side_is_a_split():
    a = _image((1, 0, 4, 0, 2), (2, 0, 4, 2, 5))  # 8 and 12 pixels side by side
    b = _image((3, 0, 4, 0, 5))  # both as one cell of 20 pixels
    found = agreement.compare(a, b)
    assert (found.merges, found.splits) == (1, 0)
    # IoU 8/20 and 12/20: only the larger cell matches.
    assert (found.matched, found.missed, found.extra) == (1, 1, 0)
    assert found.mean_iou == pytest.approx(0.6)
    reverse = agreement.compare(b, a)
    assert (reverse.merges, reverse.splits) == (0, 1)
    assert (reverse.missed, reverse.extra) == (0, 1)


def test_the_disagreeing_cells_are_named():
    a = _image((1, 0, 4, 0, 4), (2, 6, 10, 6, 8), (4, 6, 10, 8, 10))
    # Cell 1 kept as 5; cells 2 and 4 as one cell 6; an extra cell 9 in a corner.
    b = _image((5, 0, 4, 0, 4), (6, 6, 10, 6, 10), (9, 10, 12, 0, 2))
    found = agreement.disagreeing_cells(a, b)
    # Cells 2 and 4 each have IoU 8/16 with cell 6: the solver matches one of them.
    assert len(found.missed) == 1 and found.missed[0] in (2, 4)
    assert found.extra == [9]
    assert (found.merges, found.splits) == ([6], [])
    assert agreement.disagreeing_cells(b, a).splits == [6]


def test_an_iou_just_under_the_threshold_is_no_match():
    a = _image((1, 0, 2, 0, 5))  # 10 pixels
    b = _image((1, 0, 2, 0, 4))  # 8 pixels inside: IoU 0.8
    assert agreement.compare(a, b).matched == 1
    assert agreement.compare(a, b, threshold=0.81).matched == 0


def test_two_empty_labellings_agree_fully_and_one_empty_not_at_all():
    empty = np.zeros((5, 5), np.int32)
    assert agreement.compare(empty, empty).f1 == 1.0
    found = agreement.compare(_image((1, 0, 2, 0, 2), shape=(5, 5)), empty)
    assert (found.f1, found.mean_iou, found.missed) == (0.0, 0.0, 1)


def test_labellings_of_different_shapes_are_refused():
    with pytest.raises(ValueError, match="different shapes"):
        agreement.compare(np.zeros((3, 3), int), np.zeros((3, 4), int))


def test_three_replicas_agree_by_the_mean_of_their_pairs():
    a = _image((1, 0, 4, 0, 4), (2, 6, 10, 6, 10))
    b = a.copy()
    c = _image((1, 0, 4, 0, 4))  # misses one cell
    found = agreement.image_agreement([a, b, c])
    assert found.f1 == pytest.approx((1.0 + 2 / 3 + 2 / 3) / 3)
    assert found.missed == pytest.approx(2 / 3)


def test_consensus_keeps_cells_most_replicas_have_with_their_majority_pixels():
    a = _image((1, 0, 4, 0, 4), (2, 6, 10, 6, 10))
    b = _image((4, 0, 4, 0, 5), (8, 6, 10, 6, 10), (9, 11, 12, 11, 12))
    c = _image((3, 0, 4, 1, 4))  # has only the first cell, one column narrower
    result = agreement.consensus([a, b, c])
    # First cell: columns 1-3 in all three, column 0 in a and b, column 4 in b only.
    assert np.array_equal(result[0:4, 0:4], np.ones((4, 4)))
    assert np.all(result[0:4, 4] == 0)
    # Second cell (a and b): kept, pixels of both. The single-pixel cell of b alone: dropped.
    assert np.array_equal(result[6:10, 6:10], np.full((4, 4), 2))
    assert result[11, 11] == 0
    assert set(np.unique(result).tolist()) == {0, 1, 2}


def test_consensus_of_two_replicas_is_their_matched_cells_intersection():
    a = _image((1, 0, 4, 0, 4), (2, 6, 10, 6, 10))
    b = _image((7, 0, 4, 1, 4))
    result = agreement.consensus([a, b])
    assert np.array_equal(result, _image((1, 0, 4, 1, 4)))


@settings(max_examples=60, deadline=None)
@given(_labellings(), st.integers(0, 1000))
def test_a_labelling_agrees_fully_with_itself_whatever_its_ids(image, seed):
    found = agreement.compare(image, _relabelled(image, seed))
    count = np.unique(image[image != 0]).size
    assert found.f1 == 1.0 and found.matched == count
    assert found.missed == found.extra == found.merges == found.splits == 0
    assert found.mean_iou == 1.0


@settings(max_examples=60, deadline=None)
@given(_labellings(), _labellings())
def test_comparing_the_other_way_swaps_missed_extra_merges_and_splits(a, b):
    forward, backward = agreement.compare(a, b), agreement.compare(b, a)
    assert forward.f1 == pytest.approx(backward.f1)
    assert forward.mean_iou == pytest.approx(backward.mean_iou)
    assert (forward.missed, forward.extra) == (backward.extra, backward.missed)
    assert (forward.merges, forward.splits) == (backward.splits, backward.merges)
    assert 0.0 <= forward.f1 <= 1.0
    count_a = np.unique(a[a != 0]).size
    assert forward.matched + forward.missed == count_a
    named = agreement.disagreeing_cells(a, b)
    assert (len(named.missed), len(named.extra)) == (forward.missed, forward.extra)
    assert (len(named.merges), len(named.splits)) == (forward.merges, forward.splits)


@settings(max_examples=40, deadline=None)
@given(_labellings(), _labellings(), st.integers(0, 1000))
def test_consensus_of_a_majority_of_copies_is_that_labelling(image, other, seed):
    result = agreement.consensus([image, other, _relabelled(image, seed)])
    assert _same_partition(result, image)
    assert _same_partition(agreement.consensus([image]), image)
