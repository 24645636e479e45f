"""Cell Tracking Challenge zips: import (lineage to divisions, refusals) and export."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import tifffile
from deepcell_label.errors import DeepCellLabelError, InputFormatError, TooLargeError
from deepcell_label.formats import ProjectData, read_images, read_labels, write_ctc
from deepcell_label.formats.ctc import parse_tracks, tracks_to_divisions
from test_formats import save, zip_bytes
from test_formats import tiff_bytes as tiff
from testdata import testdata_path as data_path


def boxes(frames: int, placements: dict[int, list[int]], size: int = 12) -> np.ndarray:
    """Masks (frames, size, size) with a 2x2 square of label L in each frame listed for L."""
    masks = np.zeros((frames, size, size), np.uint16)
    for label, present in placements.items():
        row, col = divmod(label - 1, size // 3)
        for t in present:
            masks[t, row * 3 : row * 3 + 2, col * 3 : col * 3 + 2] = label
    return masks


# Track 1 divides into 2 and 3 (frame 2); 3 has a single daughter 5 (frame 4); 4 has no lineage.
TRACKS = "1 0 1 0\n2 2 4 1\n3 2 3 1\n4 0 4 0\n5 4 4 3\n"
PRESENT = {1: [0, 1], 2: [2, 3, 4], 3: [2, 3], 4: [0, 1, 2, 3, 4], 5: [4]}
EXPECTED_DIVISIONS = [
    {"parent": 1, "daughters": [2, 3], "t": 2},
    {"parent": 3, "daughters": [5], "t": 4},
]


def ctc_zip(
    tracks: str = TRACKS,
    masks: np.ndarray | None = None,
    raw: np.ndarray | None = None,
    mask_folder: str = "01_GT/TRA/",
    raw_folder: str = "01/",
    track_name: str = "man_track",
    mask_prefix: str = "man_track",
) -> bytes:
    masks = boxes(5, PRESENT) if masks is None else masks
    members = {f"{mask_folder}{track_name}.txt": tracks.encode()}
    for t, mask in enumerate(masks):
        members[f"{mask_folder}{mask_prefix}{t:03d}.tif"] = tiff(mask)
    if raw is not None:
        for t, frame in enumerate(raw):
            members[f"{raw_folder}t{t:03d}.tif"] = tiff(frame)
    return zip_bytes(members)


# --- import -----------------------------------------------------------------------------------


def test_hand_written_lineage_gives_the_expected_divisions(tmp_path):
    raw = np.random.default_rng(0).integers(0, 4000, (5, 12, 12), dtype=np.uint16)
    data = read_images(save(tmp_path, ctc_zip(raw=raw)))
    assert data.raw.shape == (5, 12, 12, 1) and data.raw.dtype == np.uint16
    np.testing.assert_array_equal(data.raw[..., 0], raw)
    assert data.labels.shape == (5, 12, 12, 1) and data.labels.dtype == np.int32
    np.testing.assert_array_equal(data.labels[..., 0], boxes(5, PRESENT))
    assert data.cells is None
    assert data.divisions == EXPECTED_DIVISIONS


def test_parse_tracks_and_group_daughters():
    tracks = parse_tracks("7 3 9 0\n\n8 10 12 7\n9 10 11 7\n10 12 12 9\n")
    assert [(t.label, t.begin, t.end, t.parent) for t in tracks] == [
        (7, 3, 9, 0),
        (8, 10, 12, 7),
        (9, 10, 11, 7),
        (10, 12, 12, 9),
    ]
    assert tracks_to_divisions(tracks, first=3) == [
        {"parent": 7, "daughters": [8, 9], "t": 7},
        {"parent": 9, "daughters": [10], "t": 9},
    ]


def test_results_layout_flat_and_without_raw(tmp_path):
    content = ctc_zip(mask_folder="", track_name="res_track", mask_prefix="mask")
    path = save(tmp_path, content)
    with pytest.raises(InputFormatError, match="raw frames tNNN.tif"):
        read_images(path)
    labels = read_labels(path, (5, 12, 12))
    np.testing.assert_array_equal(labels[..., 0], boxes(5, PRESENT))


def test_labels_only_zip_accompanies_separate_images(tmp_path):
    image = save(tmp_path, tiff(np.zeros((5, 12, 12), np.uint8)), "image.tif")
    data = read_images(image)
    labels = read_labels(save(tmp_path, ctc_zip()), data.raw.shape[:3])
    assert labels.shape == (5, 12, 12, 1)
    with pytest.raises(InputFormatError, match="does not fit"):
        read_labels(save(tmp_path, ctc_zip()), (5, 13, 12))


def test_raw_frames_beside_the_masks_and_multichannel(tmp_path):
    raw = np.arange(5 * 2 * 12 * 12, dtype=np.float32).reshape(5, 2, 12, 12)
    members = {"man_track.txt": TRACKS.encode()}
    for t in range(5):
        members[f"man_track{t:03d}.tif"] = tiff(boxes(5, PRESENT)[t])
        buffer = io.BytesIO()
        tifffile.imwrite(buffer, raw[t], photometric="minisblack", metadata={"axes": "CYX"})
        members[f"t{t:03d}.tif"] = buffer.getvalue()
    data = read_images(save(tmp_path, zip_bytes(members)))
    np.testing.assert_array_equal(data.raw, np.moveaxis(raw, 1, 3))


def bad(case: str) -> bytes:
    masks = boxes(5, PRESENT)
    if case == "columns":
        return ctc_zip("1 0 1\n")
    if case == "not integers":
        return ctc_zip("1 0 1.5 0\n")
    if case == "absent":
        return ctc_zip(TRACKS.replace("4 0 4 0", "4 0 4 0\n6 1 2 0"))
    if case == "out of range":
        return ctc_zip(TRACKS.replace("2 2 4 1", "2 2 5 1"))
    if case == "outside its frames":
        return ctc_zip(TRACKS.replace("4 0 4 0", "4 1 4 0"))
    if case == "unknown parent":
        return ctc_zip(TRACKS.replace("5 4 4 3", "5 4 4 9"))
    if case == "parent overlaps":
        return ctc_zip(TRACKS.replace("5 4 4 3", "5 4 4 2"))
    if case == "repeated":
        return ctc_zip(TRACKS + "4 0 4 0\n")
    if case == "ends before":
        return ctc_zip(TRACKS.replace("4 0 4 0", "4 4 0 0"))
    if case == "missing frame":
        members = {"man_track.txt": TRACKS.encode()}
        members.update({f"man_track{t:03d}.tif": tiff(masks[t]) for t in (0, 1, 3, 4)})
        return zip_bytes(members)
    if case == "3-D":
        members = {"man_track.txt": b"1 0 0 0\n"}
        buffer = io.BytesIO()
        tifffile.imwrite(buffer, np.ones((3, 8, 8), np.uint16), photometric="minisblack")
        members["man_track000.tif"] = buffer.getvalue()
        return zip_bytes(members)
    if case == "several":
        return zip_bytes(
            {
                "01_GT/TRA/man_track.txt": TRACKS.encode(),
                "01_RES/res_track.txt": TRACKS.encode(),
                "01_GT/TRA/man_track000.tif": tiff(masks[0]),
            }
        )
    if case == "no masks":
        return zip_bytes({"man_track.txt": TRACKS.encode(), "t000.tif": tiff(masks[0])})
    raise AssertionError(case)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("columns", "Line 1 of man_track.txt has 3 columns"),
        ("not integers", "must be whole numbers"),
        ("absent", "frame 1 has no pixel of label 6"),
        ("out of range", "outside the masks' frames 0 to 4"),
        ("outside its frames", "Label 4 is in frame 0"),
        ("unknown parent", "parent 9 of track 5 has no line"),
        ("parent overlaps", "parent must end before its daughters begin"),
        ("repeated", "repeats track 4"),
        ("ends before", "ends \\(frame 0\\) before it begins"),
        ("missing frame", "skip frame 2"),
        ("3-D", "3-D sequences are not supported"),
        ("several", "several Cell Tracking Challenge track files"),
        ("no masks", "no masks next to it"),
    ],
)
def test_malformed_ctc_zips_are_refused_clearly(tmp_path, case, message):
    path = save(tmp_path, bad(case))
    with pytest.raises(InputFormatError, match=message):
        read_labels(path, (5, 12, 12))


# --- export -----------------------------------------------------------------------------------


def export(data: ProjectData) -> bytes:
    buffer = io.BytesIO()
    write_ctc(data, buffer)
    return buffer.getvalue()


def members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def tracked_project() -> ProjectData:
    rng = np.random.default_rng(1)
    raw = rng.integers(0, 60000, (5, 12, 12, 3), dtype=np.uint16)
    labels = boxes(5, PRESENT).astype(np.int32)[..., np.newaxis]
    return ProjectData(raw=raw, labels=labels, divisions=[dict(d) for d in EXPECTED_DIVISIONS])


def test_project_to_ctc_and_back(tmp_path):
    data = tracked_project()
    content = export(data)
    files = members(content)
    assert files["man_track.txt"].decode() == TRACKS
    assert sorted(files) == sorted(
        ["man_track.txt"]
        + [f"man_track{t:03d}.tif" for t in range(5)]
        + [f"t{t:03d}.tif" for t in range(5)]
    )
    mask = tifffile.imread(io.BytesIO(files["man_track002.tif"]))
    assert mask.dtype == np.uint16 and mask.shape == (12, 12)
    assert tifffile.imread(io.BytesIO(files["t002.tif"])).shape == (3, 12, 12)
    back = read_images(save(tmp_path, content))
    np.testing.assert_array_equal(back.raw, data.raw)
    np.testing.assert_array_equal(back.labels, data.labels)
    assert back.divisions == data.divisions
    assert export(back) == content


def test_one_division_zip_to_ctc_and_back(tmp_path):
    data = read_images(data_path("deepcell-label-zips/oneDivision.zip"))
    back = read_images(save(tmp_path, export(data)))
    np.testing.assert_array_equal(back.labels, data.labels)
    np.testing.assert_array_equal(back.raw, data.raw)
    assert back.divisions == data.divisions == [{"parent": 31, "daughters": [134, 135], "t": 1}]


def test_gap_in_time_becomes_a_new_track_whose_parent_is_the_earlier_one(tmp_path):
    present = {1: [0, 1, 3, 4], 2: [0, 1, 2, 3, 4]}
    data = ProjectData(
        raw=np.zeros((5, 12, 12, 1), np.uint8),
        labels=boxes(5, present).astype(np.int32)[..., np.newaxis],
    )
    content = export(data)
    assert members(content)["man_track.txt"].decode() == "1 0 1 0\n2 0 4 0\n3 3 4 1\n"
    back = read_images(save(tmp_path, content))
    expected = data.labels.copy()
    expected[3:][expected[3:] == 1] = 3
    np.testing.assert_array_equal(back.labels, expected)
    assert back.divisions == [{"parent": 1, "daughters": [3], "t": 3}]


def test_overlapping_value_goes_to_the_smallest_cell():
    labels = np.zeros((1, 6, 6, 1), np.int32)
    labels[0, :2, :2] = 4
    labels[0, 2:4, 2:4] = 9  # encodes cells 4 and 7
    labels[0, 4:, 4:] = 7
    cells = [
        {"value": 4, "cell": 4, "t": 0, "c": 0},
        {"value": 7, "cell": 7, "t": 0, "c": 0},
        {"value": 9, "cell": 7, "t": 0, "c": 0},
        {"value": 9, "cell": 4, "t": 0, "c": 0},
    ]
    data = ProjectData(raw=np.zeros((1, 6, 6, 1), np.uint8), labels=labels, cells=cells)
    files = members(export(data))
    mask = tifffile.imread(io.BytesIO(files["man_track000.tif"]))
    assert mask[2, 2] == 4 and mask[0, 0] == 4 and mask[5, 5] == 7
    assert files["man_track.txt"] == b"4 0 0 0\n7 0 0 0\n"


def test_large_ids_are_renumbered_to_fit_16_bits(tmp_path):
    labels = np.zeros((3, 6, 6, 1), np.int32)
    labels[:, :2, :2] = 70000
    labels[1:, 3:, 3:] = 100001
    labels[1:, :2, 3:] = 100002
    divisions = [{"parent": 70000, "daughters": [100001], "t": 1}]
    data = ProjectData(raw=np.zeros((3, 6, 6, 1), np.uint8), labels=labels, divisions=divisions)
    content = export(data)
    assert members(content)["man_track.txt"] == b"1 0 2 0\n2 1 2 0\n3 1 2 0\n"
    back = read_images(save(tmp_path, content))
    renumber = {0: 0, 70000: 1, 100001: 2, 100002: 3}
    np.testing.assert_array_equal(back.labels, np.vectorize(renumber.get)(labels))
    # The parent is present when its daughter begins: CTC cannot say it, the division is dropped.
    assert back.divisions == []


def test_divisions_become_parents_after_renumbering(tmp_path):
    labels = np.zeros((2, 6, 6, 1), np.int32)
    labels[0, :2, :2] = 80000
    labels[1, 3:, 3:] = 80001
    labels[1, :2, 3:] = 80002
    divisions = [{"parent": 80000, "daughters": [80001, 80002], "t": 1}]
    data = ProjectData(raw=np.zeros((2, 6, 6, 1), np.uint8), labels=labels, divisions=divisions)
    back = read_images(save(tmp_path, export(data)))
    assert back.divisions == [{"parent": 1, "daughters": [2, 3], "t": 1}]


def test_more_than_65535_tracks_is_refused():
    labels = np.arange(1, 256 * 257 + 1, dtype=np.int32).reshape(1, 256, 257, 1)
    data = ProjectData(raw=np.zeros((1, 256, 257, 1), np.uint8), labels=labels)
    with pytest.raises(DeepCellLabelError, match="65,792 tracks.*at most 65,535"):
        export(data)


def test_more_than_1000_frames_use_four_digits(tmp_path):
    labels = np.zeros((1001, 2, 2, 1), np.int32)
    labels[:, 0, 0] = 1
    data = ProjectData(raw=np.zeros((1001, 2, 2, 1), np.uint8), labels=labels)
    content = export(data)
    names = set(members(content))
    assert {"man_track0000.tif", "man_track1000.tif", "t1000.tif"} <= names
    assert "man_track000.tif" not in names
    back = read_images(save(tmp_path, content))
    np.testing.assert_array_equal(back.labels, labels)


def test_project_without_labels_exports_empty_masks(tmp_path):
    data = ProjectData(raw=np.ones((2, 4, 4, 1), np.uint8))
    content = export(data)
    assert members(content)["man_track.txt"] == b""
    back = read_images(save(tmp_path, content))
    assert not back.labels.any() and back.divisions == []


def test_sequence_over_the_pixel_limit_is_refused(tmp_path):
    path = save(tmp_path, ctc_zip())
    with pytest.raises(TooLargeError, match="The sequence has 5 x 12 x 12"):
        read_labels(path, (5, 12, 12), max_pixels=5 * 12 * 12 - 1)
    assert read_labels(path, (5, 12, 12), max_pixels=5 * 12 * 12).shape == (5, 12, 12, 1)


def test_every_feature_is_written_with_its_own_divisions(tmp_path):
    data = tracked_project()
    second = data.labels[..., 0].copy()
    second[second > 0] += 100  # the same boxes, other ids
    data.labels = np.stack([data.labels[..., 0], second], axis=-1)
    data.divisions = [dict(d) for d in EXPECTED_DIVISIONS] + [
        {
            **d,
            "parent": d["parent"] + 100,
            "daughters": [c + 100 for c in d["daughters"]],
            "feature": 1,
        }
        for d in EXPECTED_DIVISIONS
    ]
    files = members(export(data))
    assert sorted(name for name in files if name.endswith(".txt")) == [
        "feature_0/man_track.txt",
        "feature_1/man_track.txt",
    ]
    assert files["feature_0/man_track.txt"].decode() == TRACKS
    # Feature 1's tracks are feature 0's with their ids moved by 100, parents included.
    moved = [
        " ".join(
            str(int(n) + 100 if i in (0, 3) and int(n) else n) for i, n in enumerate(line.split())
        )
        for line in TRACKS.splitlines()
    ]
    assert files["feature_1/man_track.txt"].decode().splitlines() == moved
    assert "t000.tif" in files and "feature_1/man_track004.tif" in files
    # One feature's folder is a CTC sequence of its own.
    alone = {
        name.removeprefix("feature_1/"): content
        for name, content in files.items()
        if name.startswith("feature_1/") or name.startswith("t")
    }
    path = tmp_path / "one.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in alone.items():
            archive.writestr(name, content)
    back = read_images(path)
    np.testing.assert_array_equal(back.labels[..., 0], second)
    assert back.divisions == [
        {k: v for k, v in d.items() if k != "feature"}
        for d in data.divisions[len(EXPECTED_DIVISIONS) :]
    ]
