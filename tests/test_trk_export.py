"""Export to the legacy .trk file, read back by our own reader."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
from deepcell_label.formats import ProjectData, read_images, write_trk
from testdata import testdata_path as data_path


def export(data: ProjectData) -> bytes:
    buffer = io.BytesIO()
    write_trk(data, buffer)
    return buffer.getvalue()


def untar(content: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(content)) as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers()}


def save(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "project.trk"
    path.write_bytes(content)
    return path


def test_one_division_round_trip(tmp_path):
    data = read_images(data_path("deepcell-label-zips/oneDivision.zip"))
    content = export(data)
    members = untar(content)
    assert sorted(members) == ["lineage.json", "raw.npy", "tracked.npy"]
    raw = np.load(io.BytesIO(members["raw.npy"]), allow_pickle=False)
    tracked = np.load(io.BytesIO(members["tracked.npy"]), allow_pickle=False)
    assert raw.shape == (2, 52, 29, 1) and raw.dtype == data.raw.dtype
    assert tracked.shape == (2, 52, 29, 1) and tracked.dtype == np.int32
    lineage = json.loads(members["lineage.json"])
    assert lineage == {
        "23": {
            "label": 23,
            "frames": [0, 1],
            "daughters": [],
            "parent": None,
            "frame_div": None,
            "capped": False,
        },
        "31": {
            "label": 31,
            "frames": [0],
            "daughters": [134, 135],
            "parent": None,
            "frame_div": 1,
            "capped": True,
        },
        "134": {
            "label": 134,
            "frames": [1],
            "daughters": [],
            "parent": 31,
            "frame_div": None,
            "capped": False,
        },
        "135": {
            "label": 135,
            "frames": [1],
            "daughters": [],
            "parent": 31,
            "frame_div": None,
            "capped": False,
        },
    }
    back = read_images(save(tmp_path, content))
    np.testing.assert_array_equal(back.raw, data.raw)
    assert back.raw.dtype == data.raw.dtype
    np.testing.assert_array_equal(back.labels, data.labels)
    assert back.divisions == data.divisions == [{"parent": 31, "daughters": [134, 135], "t": 1}]
    assert export(back) == content


def test_channels_float_pixels_and_overlaps(tmp_path):
    raw = np.random.default_rng(2).random((3, 8, 9, 2), dtype=np.float32)
    labels = np.zeros((3, 8, 9, 1), np.int32)
    labels[:, :3, :3] = 5
    labels[1:, 4:, 4:] = 12  # encodes cells 6 and 8 in frames 1 and 2
    labels[2, 4:, :3] = 8
    cells = [{"value": 12, "cell": c, "t": t, "c": 0} for t in (1, 2) for c in (8, 6)]
    divisions = [{"parent": 5, "daughters": [6], "t": 1}, {"parent": 5, "daughters": [8], "t": 2}]
    data = ProjectData(raw=raw, labels=labels, cells=cells, divisions=divisions)
    back = read_images(save(tmp_path, export(data)))
    np.testing.assert_array_equal(back.raw, raw)
    expected = labels.copy()
    expected[expected == 12] = 6
    np.testing.assert_array_equal(back.labels, expected)
    # One division per parent in this layout: the daughters together, the earliest frame.
    assert back.divisions == [{"parent": 5, "daughters": [6, 8], "t": 1}]


def test_project_without_labels(tmp_path):
    data = ProjectData(raw=np.ones((2, 4, 4, 3), np.uint8))
    content = export(data)
    assert json.loads(untar(content)["lineage.json"]) == {}
    back = read_images(save(tmp_path, content))
    assert back.labels.shape == (2, 4, 4, 1) and not back.labels.any()
    np.testing.assert_array_equal(back.raw, data.raw)


def test_only_the_divisions_of_the_written_feature_go_into_the_lineage():
    data = read_images(data_path("deepcell-label-zips/oneDivision.zip"))
    data.divisions = [*data.divisions, {"parent": 23, "daughters": [31], "t": 1, "feature": 1}]
    lineage = json.loads(untar(export(data))["lineage.json"])
    assert lineage["31"]["daughters"] == [134, 135] and lineage["31"]["frame_div"] == 1
    assert lineage["23"]["daughters"] == [] and lineage["31"]["parent"] is None
