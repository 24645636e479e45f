"""Exports written band by band: the npz, CTC and .trk files hold exactly what the whole-array
writers wrote (numpy.load, tifffile and our readers read the same values back), whatever the
band height; and writing one holds a band, not the project (tracemalloc)."""

from __future__ import annotations

import io
import json
import tarfile
import tracemalloc
import zipfile

import numpy as np
import pytest
import tifffile
from deepcell_label.formats import (
    ProjectBands,
    ProjectData,
    bands_of,
    normalize_labels,
    read_images,
    write_ctc_bands,
    write_npz_bands,
    write_trk_bands,
)
from deepcell_label.formats.streams import npy_header, npy_size
from deepcell_label.store.cellindex import index_bands, index_frame
from deepcell_label.store.overviews import OverviewStrips, overview_rows


def project(frames: int = 3, height: int = 70, width: int = 50) -> ProjectData:
    """Two features, an overlap (value 9 encodes cells 4 and 5), cell 1 dividing into 2 and 3,
    uint16 raw."""
    rng = np.random.default_rng(3)
    raw = rng.integers(0, 60000, (frames, height, width, 2), dtype=np.uint16)
    labels = np.zeros((frames, height, width, 2), np.int32)
    labels[0, 5:20, 5:20, 0] = 1
    labels[1:, 30:45, 10:30, 0] = 2
    labels[1:, 50:65, 30:45, 0] = 3
    labels[:, 22:28, 30:40, 0] = 9
    labels[:, 40:60, 0:20, 1] = 7
    cells = [
        {"value": v, "cell": c, "t": t, "c": 0}
        for t in range(frames)
        for v, c in ((1, 1), (2, 2), (3, 3), (9, 4), (9, 5))
        if v in labels[t, :, :, 0]
    ]
    cells += [{"value": 7, "cell": 7, "t": t, "c": 1} for t in range(frames)]
    divisions = [{"parent": 1, "daughters": [2, 3], "t": 1}]
    return ProjectData(raw=raw, labels=labels, cells=cells, divisions=divisions)


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


@pytest.mark.parametrize("rows", [7, 16, 1024])
def test_npz_members_are_byte_for_byte_what_numpy_saves(rows):
    data = project()
    buffer = io.BytesIO()
    write_npz_bands(bands_of(data, rows), buffer)
    labels, _ = normalize_labels(data.labels, data.cells)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        assert archive.read("X.npy") == npy_bytes(data.raw)
        assert archive.read("y.npy") == npy_bytes(labels)
    loaded = np.load(io.BytesIO(buffer.getvalue()))
    np.testing.assert_array_equal(loaded["X"], data.raw)
    np.testing.assert_array_equal(loaded["y"], labels)
    again = read_images(_saved(buffer))
    np.testing.assert_array_equal(again.raw, data.raw)
    np.testing.assert_array_equal(again.labels, labels)


def _saved(buffer: io.BytesIO, name: str = "project.npz"):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / name
    path.write_bytes(buffer.getvalue())
    return path


def test_npy_header_and_size_match_numpy():
    for shape, dtype in (((2, 3, 4, 1), np.uint8), ((1, 1000, 1000, 3), np.float32)):
        saved = npy_bytes(np.zeros(shape, dtype))
        assert saved.startswith(npy_header(shape, np.dtype(dtype)))
        assert npy_size(shape, np.dtype(dtype)) == len(saved)


@pytest.mark.parametrize("rows", [8, 1024])
def test_trk_members_are_byte_for_byte_what_numpy_saves(rows):
    data = project()
    buffer = io.BytesIO()
    write_trk_bands(bands_of(data, rows), buffer)
    # The cell of each pixel: value 9 (cells 4 and 5) goes to cell 4.
    tracked = np.where(data.labels[..., :1] == 9, 4, data.labels[..., :1])
    with tarfile.open(fileobj=io.BytesIO(buffer.getvalue())) as archive:
        assert archive.extractfile("raw.npy").read() == npy_bytes(data.raw)
        assert archive.extractfile("tracked.npy").read() == npy_bytes(tracked)
        lineage = json.loads(archive.extractfile("lineage.json").read())
    assert lineage["1"]["daughters"] == [2, 3]


@pytest.mark.parametrize("rows", [9, 1024])
def test_ctc_tiffs_hold_the_frames_whatever_the_strips(rows):
    data = project()
    buffer = io.BytesIO()
    write_ctc_bands(bands_of(data, rows), buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        for t in range(3):
            raw = tifffile.imread(io.BytesIO(archive.read(f"t{t:03d}.tif")))
            np.testing.assert_array_equal(raw, np.moveaxis(data.raw[t], 2, 0))
            mask = tifffile.imread(io.BytesIO(archive.read(f"feature_0/man_track{t:03d}.tif")))
            cells = np.where(data.labels[t, :, :, 0] == 9, 4, data.labels[t, :, :, 0])
            assert mask.dtype == np.uint16
            np.testing.assert_array_equal(mask, cells)
            other = tifffile.imread(io.BytesIO(archive.read(f"feature_1/man_track{t:03d}.tif")))
            np.testing.assert_array_equal(other, data.labels[t, :, :, 1])
        with tifffile.TiffFile(io.BytesIO(archive.read("feature_0/man_track000.tif"))) as tif:
            assert tif.pages[0].rowsperstrip == min(rows, 70)
        tracks = archive.read("feature_0/man_track.txt").decode()
    assert "2 1 2 1\n" in tracks and "3 1 2 1\n" in tracks


def synthetic(frames: int, size: int, rows: int = 256) -> ProjectBands:
    """A project made band by band, never whole: squares of cells 1..100 per frame."""

    def label_band(frame: int, feature: int, y0: int, y1: int) -> np.ndarray:
        ys, xs = np.arange(y0, y1)[:, None], np.arange(size)[None, :]
        ids = (ys // (size // 10)) * 10 + xs // (size // 10) + 1
        return np.where((ys % (size // 10) < 20) & (xs % (size // 10) < 20), ids, 0).astype(
            np.int32
        )

    def raw_band(frame: int, channel: int, y0: int, y1: int) -> np.ndarray:
        return (label_band(frame, 0, y0, y1) * 100).astype(np.uint16)

    values = {(t, 0): np.arange(101, dtype=np.int32) for t in range(frames)}
    shape = (frames, size, size, 1, 1, np.dtype(np.uint16))
    return ProjectBands(*shape, raw_band, label_band, values, None, [], band_rows=rows)


@pytest.mark.parametrize("writer", [write_npz_bands, write_ctc_bands, write_trk_bands])
def test_writing_holds_a_band_not_the_project(writer, tmp_path):
    """4 frames of 2000²: 32 MB of raw and 64 MB of labels; a band of 256 rows is 2 MB (and a
    few times that in temporaries); holding a whole array would pass a quarter of the project."""
    frames, size = 4, 2000
    project_bytes = frames * size * size * (2 + 4)
    tracemalloc.start()
    try:
        with (tmp_path / "out").open("wb") as fileobj:
            writer(synthetic(frames, size), fileobj)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < project_bytes / 4, f"{peak:,} bytes at the peak"


def test_index_and_overviews_from_bands_are_those_of_the_whole_frame():
    rng = np.random.default_rng(1)
    frame = np.zeros((700, 530), np.int32)
    for value in range(1, 40):
        y, x = rng.integers(0, 650), rng.integers(0, 500)
        frame[y : y + rng.integers(1, 50), x : x + rng.integers(1, 30)] = value
    bands = [(y0, frame[y0 : y0 + 64]) for y0 in range(0, 700, 64)]
    assert index_bands(bands, {5: [5, 6]}) == index_frame(frame, {5: [5, 6]})
    strips = OverviewStrips("p", 0, 2, 4)
    banded = [row for y0, band in bands for row in strips.add(y0, band)]
    banded += list(strips.finish())
    assert sorted(banded, key=_order) == sorted(overview_rows("p", 0, 2, frame, 4), key=_order)


def _order(row: dict) -> tuple:
    return row["level"], row["tile_y"], row["tile_x"]
