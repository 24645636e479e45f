"""Project zips written by older versions of DeepCell Label: cells.json keyed by feature and
cell, lineage.json instead of divisions.json, images stored CZYX (frames as Z). Each zip is
written here by hand, as the old exporter wrote it."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tifffile
from deepcell_label.errors import InputFormatError
from deepcell_label.formats import read_images
from deepcell_label.formats.cells import lineage_to_divisions, parse_cells
from helpers import create
from hypothesis import given, settings
from hypothesis import strategies as st
from test_formats import round_trip


def ome(array: np.ndarray, names: list[str] | None = None) -> bytes:
    """An OME-TIFF (C, Z, Y, X) as the old exporter wrote it: channels as C, frames as Z."""
    buffer = io.BytesIO()
    metadata: dict = {"axes": "CZYX"}
    if names:
        metadata["Channel"] = {"Name": names}
    tifffile.imwrite(
        buffer, array, ome=True, photometric="minisblack", compression="zlib", metadata=metadata
    )
    return buffer.getvalue()


def division_movie() -> tuple[np.ndarray, np.ndarray]:
    """Two frames: cells 23 and 31 in frame 0; 23, and 31's daughters 134 and 135 in frame 1."""
    raw = np.arange(2 * 12 * 10, dtype=np.uint8).reshape(1, 2, 12, 10)
    labels = np.zeros((1, 2, 12, 10), np.int32)
    labels[0, :, 0:3, 0:3] = 23
    labels[0, 0, 6:10, 2:8] = 31
    labels[0, 1, 6:10, 2:5] = 134
    labels[0, 1, 6:10, 5:8] = 135
    return raw, labels


def old_zip(tmp_path: Path, side_files: dict[str, object], name: str = "old.zip") -> Path:
    raw, labels = division_movie()
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("X.ome.tiff", ome(raw, ["nuclear"]))
        archive.writestr("y.ome.tiff", ome(labels))
        for member, content in side_files.items():
            archive.writestr(member, json.dumps(content))
    return path


PER_FEATURE_CELLS = {
    "0": {
        "23": {"label": 23, "frames": [0, 1]},
        "31": {
            "label": 31,
            "frames": [0],
            "frame_div": 1,
            "daughters": [134, 135],
            "capped": True,
            "parent": None,
        },
        "134": {
            "label": 134,
            "frames": [1],
            "frame_div": None,
            "daughters": [],
            "capped": False,
            "parent": 31,
        },
        # Labels written as text, as some versions did.
        "135": {"label": "135", "frames": [1], "daughters": [], "parent": 31},
    }
}
TRK_LINEAGE = {
    "23": {"label": 23, "frames": [0, 1], "divisionFrame": None, "daughters": [], "parent": None},
    "31": {"label": 31, "frames": [0], "divisionFrame": 1, "daughters": [134, 135], "capped": True},
    "134": {"label": 134, "frames": [1], "divisionFrame": None, "daughters": [], "parent": 31},
    "135": {"label": 135, "frames": [1], "divisionFrame": None, "daughters": [], "parent": 31},
}
DIVISION = [{"parent": 31, "daughters": [134, 135], "t": 1}]
CELLS = {(23, 0), (23, 1), (31, 0), (134, 1), (135, 1)}


def test_per_feature_cells_json_is_read(tmp_path):
    data = read_images(old_zip(tmp_path, {"cells.json": PER_FEATURE_CELLS}))
    assert data.raw.shape == (2, 12, 10, 1) and data.channel_names == ["nuclear"]
    assert {(c["cell"], c["t"]) for c in data.cells} == CELLS
    assert all(c["value"] == c["cell"] and c["c"] == 0 for c in data.cells)
    # Its tracks carry the lineage: converted too, as there is no divisions.json.
    assert data.divisions == DIVISION
    assert data.notes == [
        "cells.json lineage: 1 division converted",
        "cells.json in the old per-feature layout: 4 cells converted",
    ]


def test_per_feature_cells_with_divisions_json(tmp_path):
    side = {"cells.json": PER_FEATURE_CELLS, "divisions.json": DIVISION}
    data = read_images(old_zip(tmp_path, side))
    assert data.divisions == DIVISION
    assert data.notes == ["cells.json in the old per-feature layout: 4 cells converted"]


def test_trk_style_lineage_json_instead_of_divisions(tmp_path):
    side = {"cells.json": {"0": {}}, "lineage.json": TRK_LINEAGE}
    data = read_images(old_zip(tmp_path, side))
    assert data.divisions == DIVISION
    # {"0": {}}: no cells listed, so every value is its own cell.
    assert data.cells is None
    assert data.notes == ["lineage.json: 1 division converted"]
    assert set(np.unique(data.labels)) == {0, 23, 31, 134, 135}


def test_lineage_from_the_division_frame_when_daughters_have_no_frames():
    lineage = {"5": {"frames": [0, 1], "divisionFrame": 2, "daughters": ["6", "7"]}}
    assert lineage_to_divisions(lineage) == [{"parent": 5, "daughters": [6, 7], "t": 2}]
    nested = {"0": {"5": {"frames": [3], "daughters": [6]}}}  # per feature
    assert lineage_to_divisions(nested) == [{"parent": 5, "daughters": [6], "t": 4}]


def test_converted_old_zip_exports_in_the_current_layout_and_round_trips(tmp_path):
    data = read_images(old_zip(tmp_path, {"cells.json": PER_FEATURE_CELLS}))
    again = round_trip(tmp_path, data)  # write -> read -> write: the same JSON and arrays
    assert again.notes == []  # nothing left to convert
    assert again.divisions == DIVISION
    assert sorted(again.cells, key=str) == sorted(data.cells, key=str)
    np.testing.assert_array_equal(again.labels, data.labels)


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"3": {"1": {"label": 1, "frames": [0]}}}, "feature 3 but the labels have 1 feature"),
        ({"0": {"1": {"label": 1, "frames": [5]}}}, "frame 5 but the labels have 2 frames"),
        ({"0": {"1": {"label": 1, "frames": 0}}}, '"frames" must be a list'),
        ({"0": {"1": {"label": "one", "frames": [0]}}}, "label of cell 1 in cells.json is 'one'"),
        ({"0": {"1": {"label": 1}}, "1": 3}, "use that layout throughout"),
    ],
)
def test_bad_per_feature_cells(tmp_path, cells, message):
    with pytest.raises(InputFormatError, match=message):
        read_images(old_zip(tmp_path, {"cells.json": cells}))


def test_old_zip_through_the_api_shows_its_notes(client, tmp_path):
    project = create(
        client, old_zip(tmp_path, {"cells.json": {"0": {}}, "lineage.json": TRK_LINEAGE})
    )
    assert project["notes"] == "lineage.json: 1 division converted"
    assert project["divisions"] == DIVISION
    assert client.get(f"/api/projects/{project['id']}").get_json()["notes"] == project["notes"]


@settings(max_examples=60, deadline=None)
@given(
    tracks=st.dictionaries(
        st.integers(1, 500),
        st.lists(st.integers(0, 4), max_size=5, unique=True),
        max_size=12,
    ),
    features=st.integers(1, 3),
    as_text=st.booleans(),
)
def test_any_per_feature_layout_lists_each_cell_in_its_frames(tracks, features, as_text):
    """Each track becomes one entry per frame in every feature it is listed under."""
    content = {
        str(feature): {
            str(cell): {"label": str(cell) if as_text else cell, "frames": frames}
            for cell, frames in tracks.items()
        }
        for feature in range(features)
    }
    notes: list[str] = []
    cells = parse_cells(content, 5, features, notes) or []
    expected = {
        (cell, t, c) for c in range(features) for cell, frames in tracks.items() for t in frames
    }
    assert {(e["cell"], e["t"], e["c"]) for e in cells} == expected
    assert all(e["value"] == e["cell"] for e in cells)
    assert notes == ([] if not tracks else [notes[0]])
    if tracks:
        count = len(tracks) * features
        assert notes[0].startswith(f"cells.json in the old per-feature layout: {count} cell")
