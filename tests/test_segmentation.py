"""The built-in segmenters on real nuclei (StarDist's img2d.tif, 125 drawn nuclei), the cell
matching that scores them, and the plug-in registry."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from deepcell_label.errors import SegmentationError
from deepcell_label.labels.matching import match_cells
from deepcell_label.segmentation import Request, diameter_of_cells, segmenter, segmenters
from deepcell_label.segmentation.auto import Auto
from deepcell_label.segmentation.learned import Learned
from hypothesis import given, settings
from hypothesis import strategies as st
from testdata import testdata_path as shared_file


@pytest.fixture(scope="module")
def nuclei() -> tuple[np.ndarray, np.ndarray]:
    image = tifffile.imread(shared_file("stardist/img2d.tif"))
    truth = tifffile.imread(shared_file("stardist/mask2d.tif")).astype(np.int32)
    return image, truth


@pytest.fixture(scope="module")
def top_quarter(nuclei):
    """Every cell that reaches into the top quarter drawn whole; the box is that quarter."""
    image, truth = nuclei
    rows = truth.shape[0] // 4
    drawn_ids = np.setdiff1d(np.unique(truth[:rows]), [0])
    drawn = np.where(np.isin(truth, drawn_ids), truth, 0)
    rest = np.where(drawn > 0, 0, truth)
    return drawn, rest, (0, 0, truth.shape[1], rows)


def test_auto_finds_the_nuclei(nuclei):
    image, truth = nuclei
    diameter = diameter_of_cells(truth)
    proposal = segmenter("auto").segment(image, Request(diameter=diameter))
    matching = match_cells(truth, proposal.labels)
    assert matching.f1 >= 0.85, (matching.f1, matching.proposal_cells)
    assert set(proposal.confidence) == set(np.unique(proposal.labels)) - {0}
    assert all(0 <= c <= 1 for c in proposal.confidence.values())


def test_auto_measures_the_diameter_itself(nuclei):
    image, truth = nuclei
    proposal = segmenter("auto").segment(image, Request())
    assert abs(proposal.diameter - diameter_of_cells(truth)) < 4
    assert match_cells(truth, proposal.labels).f1 >= 0.85


def test_learned_from_the_top_quarter_finds_the_rest(nuclei, top_quarter):
    image, truth = nuclei
    drawn, rest, box = top_quarter
    proposal = segmenter("learned").segment(image, Request(labels=drawn, box=box, seed=3))
    labels = proposal.labels.copy()
    # What the job keeps: proposals away from the person's cells.
    labels[np.isin(labels, np.unique(labels[drawn > 0]))] = 0
    matching = match_cells(rest, labels)
    assert matching.f1 >= 0.90, (matching.f1, matching.truth_cells, matching.proposal_cells)
    # The least sure proposals are more often wrong than the rest.
    right = {cell for _, cell, _ in matching.pairs}
    kept = [cell for cell in np.unique(labels) if cell]
    sure_right = np.mean([proposal.confidence[c] for c in kept if c in right])
    sure_wrong = np.mean([proposal.confidence[c] for c in kept if c not in right])
    assert sure_wrong < sure_right


def test_same_seed_same_proposal(nuclei, top_quarter):
    image, _ = nuclei
    drawn, _, box = top_quarter
    crop = (slice(0, 256), slice(0, 256))
    request = Request(labels=drawn[crop], box=(0, 0, 256, 128), seed=7)
    first = segmenter("learned").segment(image[crop], request)
    again = segmenter("learned").segment(image[crop], request)
    np.testing.assert_array_equal(first.labels, again.labels)
    assert first.confidence == again.confidence


@pytest.mark.parametrize("method", [Auto, Learned])
def test_tiles_cut_no_cell_where_they_meet(nuclei, top_quarter, method):
    """Cut into tiles of 100² (margins of 64 pixels for nuclei 24 across), the frame gets the
    very cells it gets in one window: none is cut or doubled along the tiles' borders."""
    image, truth = nuclei
    drawn, _, box = top_quarter
    request = Request(diameter=24, labels=drawn, box=box, seed=1)
    whole = method().segment(image, request)
    tiled = method(tile=100).segment(image, request)
    borders = np.zeros(image.shape, bool)
    borders[100::100, :] = borders[:, 100::100] = True
    crossing = np.setdiff1d(np.unique(whole.labels[borders]), [0])
    assert len(crossing) > 40  # many cells lie across a border
    same = match_cells(whole.labels, tiled.labels, 0.5)
    assert same.f1 == 1.0 and same.mean_iou > 0.99, (same.f1, same.mean_iou)
    assert match_cells(truth, tiled.labels).f1 >= 0.85


def test_a_constant_image_is_refused():
    with pytest.raises(SegmentationError, match="constant"):
        segmenter("auto").segment(np.full((64, 64), 7, np.uint16), Request())


def test_bad_boxes_are_refused(nuclei, top_quarter):
    image, _ = nuclei
    drawn, _, _ = top_quarter
    learned = segmenter("learned")
    with pytest.raises(SegmentationError, match="not inside the image"):
        learned.segment(image, Request(labels=drawn, box=(400, 0, 600, 100)))
    with pytest.raises(SegmentationError, match="no cells in the box"):
        learned.segment(image, Request(labels=drawn, box=(0, 300, 200, 500)))
    with pytest.raises(SegmentationError, match="needs a box"):
        learned.segment(image, Request(labels=drawn))


def test_unknown_method_names_the_known_ones():
    assert {"auto", "learned"} <= set(segmenters())
    with pytest.raises(SegmentationError, match="auto, learned"):
        segmenter("cellpose")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 3), min_size=12, max_size=12),
    st.lists(st.integers(0, 3), min_size=12, max_size=12),
)
def test_matching_is_one_to_one_and_symmetric(a, b):
    truth = np.array(a).reshape(3, 4)
    proposal = np.array(b).reshape(3, 4)
    forward = match_cells(truth, proposal)
    backward = match_cells(proposal, truth)
    assert forward.f1 == pytest.approx(backward.f1)
    assert len({t for t, _, _ in forward.pairs}) == len(forward.pairs)
    assert len({p for _, p, _ in forward.pairs}) == len(forward.pairs)
    assert match_cells(truth, truth).f1 == 1.0
