"""Per-cell expression against a direct per-cell computation, on real files and made-up ones."""

from __future__ import annotations

import numpy as np
import pytest
from deepcell_label.formats import read_images
from deepcell_label.labels.expression import cell_expression, frames_expression
from testdata import testdata_path as data_path


def direct(labels: np.ndarray, raw: np.ndarray, cells: dict[int, list[int]] | None = None):
    """Area, mean and total per cell, one cell at a time."""
    raw = raw if raw.ndim == 3 else raw[..., np.newaxis]
    encoded: dict[int, set[int]] = {}
    for value in np.unique(labels):
        if value:
            for cell in (cells or {}).get(int(value), [int(value)]):
                encoded.setdefault(cell, set()).add(int(value))
    result = {}
    for cell, values in sorted(encoded.items()):
        mask = np.isin(labels, list(values))
        pixels = raw[mask].astype(np.float64)
        result[cell] = (int(mask.sum()), pixels.mean(axis=0), pixels.sum(axis=0))
    return result


def assert_matches(got: dict, expected: dict) -> None:
    assert got["cells"].tolist() == list(expected)
    assert got["area"].tolist() == [area for area, _, _ in expected.values()]
    np.testing.assert_allclose(got["mean"], np.array([m for _, m, _ in expected.values()]))
    np.testing.assert_allclose(got["total"], np.array([t for _, _, t in expected.values()]))
    assert got["mean"].shape == got["total"].shape == (len(expected), got["total"].shape[1])


@pytest.mark.parametrize(
    ("image", "labels"),
    [
        ("stardist/img2d.tif", "stardist/mask2d.tif"),
        ("intro-to-deepcell/img_000000000_FITC_001.png", "intro-to-deepcell/watershedseg.tif"),
    ],
)
def test_real_image_and_mask(image, labels):
    raw = read_images(data_path(image)).raw[0]
    mask = read_images(data_path(labels)).raw[0, :, :, 0].astype(np.int32)
    got = cell_expression(mask, raw)
    assert_matches(got, direct(mask, raw))
    cell = int(got["cells"][3])
    np.testing.assert_allclose(got["mean"][3], raw[mask == cell].mean(axis=0))


def test_two_real_channels_and_overlapping_values():
    fitc = read_images(data_path("intro-to-deepcell/img_000000000_FITC_001.png")).raw[0]
    phase = read_images(data_path("intro-to-deepcell/img_000000000_Phase_000.png")).raw[0]
    raw = np.concatenate([fitc, phase], axis=2)
    mask = read_images(data_path("intro-to-deepcell/watershedseg.tif")).raw[0, :, :, 0]
    mask = mask.astype(np.int32)
    # Where cells 5 and 9 would overlap: value 500 encodes both, value 9 is now cell 7 too.
    mask[:40, :40] = 500
    cells = {500: [5, 9], 9: [9, 7]}
    got = cell_expression(mask, raw, cells)
    assert_matches(got, direct(mask, raw, cells))
    both = mask == 500
    five = got["cells"].tolist().index(5)
    assert got["area"][five] == (mask == 5).sum() + both.sum()


def test_small_overlap_by_hand():
    labels = np.array([[1, 1, 3], [2, 3, 0]], np.int32)
    raw = np.array([[[1.0, 10], [3, 30], [5, 50]], [[7, 70], [9, 90], [100, 100]]], np.float32)
    got = cell_expression(labels, raw, {3: [1, 2]})
    assert got["cells"].tolist() == [1, 2]
    assert got["area"].tolist() == [4, 3]
    np.testing.assert_allclose(got["total"], [[18, 180], [21, 210]])
    np.testing.assert_allclose(got["mean"], [[4.5, 45], [7, 70]])


def test_huge_values_and_2d_raw():
    rng = np.random.default_rng(3)
    labels = rng.choice(np.array([0, 7, 2_000_000_000, 2_147_483_647], np.int32), (60, 70))
    raw = rng.random((60, 70), dtype=np.float32)
    got = cell_expression(labels, raw)
    assert_matches(got, direct(labels, raw))


def test_many_values_use_one_bincount_per_channel():
    rng = np.random.default_rng(4)
    labels = np.arange(300 * 300, dtype=np.int32).reshape(300, 300)
    raw = rng.integers(0, 2**16, (300, 300, 3), dtype=np.uint16)
    got = cell_expression(labels, raw)
    assert got["cells"].size == 300 * 300 - 1
    np.testing.assert_array_equal(got["total"], raw.reshape(-1, 3)[1:].astype(np.float64))


def test_empty_labels():
    got = cell_expression(np.zeros((4, 5), np.int32), np.ones((4, 5, 2), np.uint8))
    assert got["cells"].size == 0 and got["mean"].shape == (0, 2)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="same height and width"):
        cell_expression(np.zeros((4, 5), np.int32), np.zeros((5, 4, 1)))
    with pytest.raises(ValueError, match="integers"):
        cell_expression(np.zeros((4, 5), np.float32), np.zeros((4, 5, 1)))


def test_frames_per_frame_and_together():
    data = read_images(data_path("stardist/img3d.tif"))
    mask = read_images(data_path("stardist/mask3d.tif")).raw[..., 0].astype(np.int32)
    raw = data.raw
    cells = [None] * mask.shape[0]
    cells[2] = {int(v): [int(v), 1000] for v in np.unique(mask[2]) if v}
    per_frame = frames_expression(mask, raw, cells, per_frame=True)
    assert len(per_frame) == mask.shape[0]
    assert_matches(per_frame[2], direct(mask[2], raw[2], cells[2]))
    together = frames_expression(mask, raw)
    assert_matches(
        together, direct(mask.reshape(-1, mask.shape[2]), raw.reshape(-1, *raw.shape[2:]))
    )
