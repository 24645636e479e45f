"""Readers and writers of backend/deepcell_label/formats on real files and hand-made ones."""

from __future__ import annotations

import io
import json
import struct
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tifffile
from deepcell_label.errors import InputFormatError, TooLargeError
from deepcell_label.formats import (
    ProjectData,
    normalize_labels,
    read_images,
    read_labels,
    write_npz,
    write_project_zip,
)
from PIL import Image
from testdata import testdata_path as data_path

# --- helpers --------------------------------------------------------------------------------


def save(tmp_path: Path, content: bytes, name: str = "upload.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def tiff_bytes(array: np.ndarray, **options) -> bytes:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array, **options)
    return buffer.getvalue()


def npy_bytes(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def tar_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def png_bytes(array: np.ndarray, mode: str | None = None, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buffer, format=fmt)
    return buffer.getvalue()


def export(data: ProjectData) -> bytes:
    buffer = io.BytesIO()
    write_project_zip(data, buffer)
    return buffer.getvalue()


def zip_texts(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if not n.endswith(".tiff")}


def assert_same_project(first: ProjectData, second: ProjectData) -> None:
    assert first.raw.dtype == second.raw.dtype
    np.testing.assert_array_equal(first.raw, second.raw)
    np.testing.assert_array_equal(first.labels, second.labels)
    assert first.channel_names == second.channel_names
    assert first.feature_names == second.feature_names
    assert first.cells == second.cells
    assert first.divisions == second.divisions
    assert first.cell_types == second.cell_types
    assert first.spot_columns == second.spot_columns
    assert first.spots == second.spots


def round_trip(tmp_path: Path, data: ProjectData) -> ProjectData:
    """write -> read -> write; both zips must hold the same JSON and arrays."""
    first = export(data)
    again = read_images(save(tmp_path, first, "first.zip"))
    second = export(again)
    assert zip_texts(first) == zip_texts(second)
    assert_same_project(again, read_images(save(tmp_path, second, "second.zip")))
    return again


# --- every shared test file -----------------------------------------------------------------

# (file, frames, height, width, channels, dtype, channel names or None for the defaults)
IMAGES = [
    ("stardist/img2d.tif", 1, 512, 512, 1, "uint16", None),
    ("stardist/mask2d.tif", 1, 512, 512, 1, "uint16", None),
    ("stardist/img3d.tif", 31, 61, 57, 1, "uint16", None),
    ("stardist/mask3d.tif", 31, 61, 57, 1, "uint16", None),
    # ImageJ says slices=2: two frames, whatever the slice labels say.
    ("intro-to-deepcell/example_input_combined.tif", 2, 512, 512, 1, "float32", None),
    ("intro-to-deepcell/img_000000000_FITC_001.png", 1, 1080, 1280, 1, "uint16", None),
    ("intro-to-deepcell/img_000000000_Phase_000.png", 1, 1080, 1280, 1, "uint16", None),
    ("intro-to-deepcell/watershedseg.tif", 1, 1080, 1280, 1, "uint16", None),
    ("galaxy-image-analysis/zcyx_confocal_hyperstack.tiff", 25, 50, 50, 2, "uint8", None),
    ("galaxy-image-analysis/sample_ovule_zyx.tiff", 32, 128, 128, 1, "uint8", None),
    (
        "ome-tiff/170918_tn_neutrophil_migration_wave.ome.tif",
        1,
        1024,
        1024,
        1,
        "uint16",
        ["488 TIRF left"],
    ),
    ("ome-tiff/multi-channel-time-series.ome.tif", 7, 167, 439, 3, "int8", None),
    ("scikit-image/cell.png", 1, 660, 550, 1, "uint8", None),
    ("deepcell-label-zips/oneDivision.zip", 2, 52, 29, 1, "uint8", None),
    ("deepcell-label-zips/rgb.zip", 1, 10, 10, 3, "uint8", None),
    ("deepcell-label-zips/spots.zip", 1, 100, 100, 3, "uint8", None),
]


@pytest.mark.parametrize(("rel", "frames", "height", "width", "channels", "dtype", "names"), IMAGES)
def test_shared_file_shape_dtype_and_names(rel, frames, height, width, channels, dtype, names):
    data = read_images(data_path(rel))
    assert data.raw.shape == (frames, height, width, channels)
    assert data.raw.dtype == np.dtype(dtype)
    assert data.raw.flags.c_contiguous
    assert data.channel_names == (names or [f"channel {i}" for i in range(channels)])


def test_plain_tiffs_have_no_labels():
    data = read_images(data_path("stardist/img2d.tif"))
    assert data.labels is None
    assert data.feature_names == [] and data.cells is None and data.divisions == []
    assert int(data.raw.max()) == 235


def test_hyperstack_z_are_frames_and_c_channels():
    path = data_path("galaxy-image-analysis/zcyx_confocal_hyperstack.tiff")
    stored = tifffile.imread(path)  # (Z, C, Y, X)
    raw = read_images(path).raw
    np.testing.assert_array_equal(raw, np.moveaxis(stored, 1, 3))


def test_ome_time_series_keeps_signed_pixels_in_order():
    path = data_path("ome-tiff/multi-channel-time-series.ome.tif")
    stored = tifffile.imread(path)  # (T, C, Y, X)
    raw = read_images(path).raw
    assert raw.min() == -1 and raw.max() == 96
    np.testing.assert_array_equal(raw, np.moveaxis(stored, 1, 3))


def test_imagej_slice_labels_name_channels_when_the_axes_make_them_channels():
    path = data_path("intro-to-deepcell/example_input_combined.tif")
    stored = tifffile.imread(path)
    assert read_images(path).raw.shape == (2, 512, 512, 1)  # slices=2 in the metadata
    data = read_images(path, "CYX")
    np.testing.assert_array_equal(data.raw[0, :, :, 1], stored[1])
    assert data.channel_names == ["DNA", "Membrane"]


def test_unknown_3d_stack_is_frames_and_user_axes_override():
    path = data_path("stardist/img3d.tif")
    assert read_images(path, "ZYX").raw.shape == (31, 61, 57, 1)
    assert read_images(path, "CYX").raw.shape == (1, 61, 57, 31)


def test_png_values_are_kept():
    path = data_path("intro-to-deepcell/img_000000000_FITC_001.png")
    raw = read_images(path).raw
    assert (int(raw.min()), int(raw.max())) == (71, 12342)


def test_one_division_zip():
    data = read_images(data_path("deepcell-label-zips/oneDivision.zip"))
    assert data.labels.shape == (2, 52, 29, 1) and data.labels.dtype == np.int32
    assert set(np.unique(data.labels[0])) == {0, 23, 31}
    assert set(np.unique(data.labels[1])) == {0, 23, 134, 135}
    assert data.divisions == [{"parent": 31, "daughters": [134, 135], "t": 1}]
    assert {(c["cell"], c["t"]) for c in data.cells} == {
        (23, 0),
        (23, 1),
        (31, 0),
        (134, 1),
        (135, 1),
    }
    assert all(c["value"] == c["cell"] and c["c"] == 0 for c in data.cells)
    assert data.feature_names == ["feature 0"]


def test_rgb_zip():
    data = read_images(data_path("deepcell-label-zips/rgb.zip"))
    assert set(np.unique(data.labels)) == {0, 1, 2}
    assert data.cells == [
        {"value": 1, "cell": 1, "t": 0, "c": 0},
        {"value": 2, "cell": 2, "t": 0, "c": 0},
    ]
    assert data.cell_types == [] and data.divisions == []


def test_spots_zip():
    data = read_images(data_path("deepcell-label-zips/spots.zip"))
    assert data.labels.shape == (1, 100, 100, 2)
    assert set(np.unique(data.labels[..., 0])) == {0, 12}
    assert set(np.unique(data.labels[..., 1])) == {0, 6, 13}
    assert data.spot_columns == ["x", "y", "cellID"]
    assert len(data.spots) == 26
    assert data.spots[0] == [86.6475, 45.35298, 0.0]
    # Entries without "c" describe every feature.
    assert {(c["cell"], c["c"]) for c in data.cells} == {
        (6, 0),
        (6, 1),
        (12, 0),
        (12, 1),
        (13, 0),
        (13, 1),
    }


@pytest.mark.parametrize(
    ("image", "labels", "count"),
    [
        ("stardist/img2d.tif", "stardist/mask2d.tif", 126),
        ("stardist/img3d.tif", "stardist/mask3d.tif", 52),
        ("intro-to-deepcell/img_000000000_FITC_001.png", "intro-to-deepcell/watershedseg.tif", 146),
    ],
)
def test_image_and_labels_pairs(image, labels, count):
    raw = read_images(data_path(image)).raw
    result = read_labels(data_path(labels), raw.shape[:3])
    assert result.shape == (*raw.shape[:3], 1) and result.dtype == np.int32
    assert len(np.unique(result)) == count
    np.testing.assert_array_equal(
        result[..., 0], tifffile.imread(data_path(labels)).reshape(raw.shape[:3])
    )


def test_labels_that_do_not_fit_the_image():
    with pytest.raises(InputFormatError, match=r"does not fit the image \(frames 1, height 1080"):
        read_labels(data_path("stardist/mask2d.tif"), (1, 1080, 1280))


def test_labels_from_a_project_zip():
    labels = read_labels(data_path("deepcell-label-zips/spots.zip"), (1, 100, 100))
    assert labels.shape == (1, 100, 100, 2)


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rel",
    [
        "deepcell-label-zips/oneDivision.zip",
        "deepcell-label-zips/rgb.zip",
        "deepcell-label-zips/spots.zip",
        "ome-tiff/multi-channel-time-series.ome.tif",
        "intro-to-deepcell/example_input_combined.tif",
    ],
)
def test_real_files_round_trip(tmp_path, rel):
    original = read_images(data_path(rel))
    again = round_trip(tmp_path, original)
    assert again.raw.dtype == original.raw.dtype
    np.testing.assert_array_equal(again.raw, original.raw)
    assert again.channel_names == original.channel_names
    assert again.divisions == original.divisions
    assert again.spots == original.spots


def test_export_layout(tmp_path):
    content = export(read_images(data_path("deepcell-label-zips/spots.zip")))
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        assert names == [
            "X.ome.tiff",
            "y.ome.tiff",
            "cells.json",
            "divisions.json",
            "cellTypes.json",
            "channels.json",
            "spots.csv",
        ]
        with tifffile.TiffFile(io.BytesIO(archive.read("X.ome.tiff"))) as tif:
            assert tif.is_ome and tif.series[0].axes == "CYX"
        with tifffile.TiffFile(io.BytesIO(archive.read("y.ome.tiff"))) as tif:
            assert tif.series[0].dtype == np.int32
        assert archive.read("spots.csv").decode().splitlines()[0] == "x,y,cellID"


def overlapping_project() -> ProjectData:
    raw = np.arange(2 * 6 * 7 * 2, dtype=np.uint16).reshape(2, 6, 7, 2)
    labels = np.zeros((2, 6, 7, 2), np.int32)
    labels[0, 0:3, 0:3, 0] = 4  # cell 10
    labels[0, 1:2, 1:2, 0] = 8  # cells 10 and 11 overlap
    labels[0, 4:6, 4:6, 0] = 2  # cell 11
    labels[1, 0:2, 0:2, 0] = 8  # the same overlap in the next frame
    labels[1, 3:5, 3:5, 1] = 3  # nuclear feature: cell 3 (no entry: value == cell)
    cells = [
        {"value": 4, "cell": 10, "t": 0, "c": 0},
        {"value": 8, "cell": 10, "t": 0, "c": 0},
        {"value": 8, "cell": 11, "t": 0, "c": 0},
        {"value": 2, "cell": 11, "t": 0, "c": 0},
        {"value": 8, "cell": 10, "t": 1, "c": 0},
        {"value": 8, "cell": 11, "t": 1, "c": 0},
        {"value": 99, "cell": 12, "t": 1, "c": 0},  # no pixels: dropped
    ]
    return ProjectData(
        raw=raw,
        labels=labels,
        channel_names=["DNA", "membrane"],
        feature_names=["whole cell", "nuclear"],
        cells=cells,
        divisions=[{"parent": 10, "daughters": [11], "t": 1}],
        cell_types=[{"id": 1, "name": "T cell", "color": "#ff0000", "cells": [10], "feature": 0}],
        spot_columns=["x", "y", "cell", "frame"],
        spots=[[1.5, 2.25, 10.0, 0.0], [0.1, 1e-7, 0.0, 1.0]],
    )


def test_overlapping_cells_and_features_round_trip(tmp_path):
    again = round_trip(tmp_path, overlapping_project())
    assert set(np.unique(again.labels[..., 0])) == {0, 10, 11, 12}
    assert again.labels[0, 1, 1, 0] == 12  # the overlap gets an id above every cell
    assert again.labels[1, 0, 0, 0] == 12  # the same cells get the same id in every frame
    overlap = [c for c in again.cells if c["value"] == 12 and c["c"] == 0]
    assert {(c["cell"], c["t"]) for c in overlap} == {(10, 0), (11, 0), (10, 1), (11, 1)}
    assert not any(c["cell"] == 12 for c in again.cells)
    assert {"value": 3, "cell": 3, "t": 1, "c": 1} in again.cells
    assert again.spots == [[1.5, 2.25, 10.0, 0.0], [0.1, 1e-7, 0.0, 1.0]]
    assert again.feature_names == ["whole cell", "nuclear"]
    assert again.cell_types[0]["name"] == "T cell"


@pytest.mark.parametrize(
    "dtype", ["uint8", "uint16", "uint32", "int8", "int16", "int32", "float32"]
)
def test_generated_raw_dtypes_round_trip(tmp_path, dtype):
    rng = np.random.default_rng(1)
    raw = (rng.random((3, 5, 4, 2)) * 100).astype(dtype)
    labels = rng.integers(0, 4, (3, 5, 4, 1)).astype(np.int32)
    again = round_trip(tmp_path, ProjectData(raw=raw, labels=labels))
    assert again.raw.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(again.raw, raw)
    np.testing.assert_array_equal(again.labels, labels)


def test_npz_round_trip(tmp_path):
    data = read_images(data_path("deepcell-label-zips/oneDivision.zip"))
    buffer = io.BytesIO()
    write_npz(data, buffer)
    again = read_images(save(tmp_path, buffer.getvalue(), "project.npz"))
    np.testing.assert_array_equal(again.raw, data.raw)
    np.testing.assert_array_equal(again.labels, data.labels)
    second = io.BytesIO()
    write_npz(again, second)
    with (
        np.load(io.BytesIO(buffer.getvalue())) as one,
        np.load(io.BytesIO(second.getvalue())) as two,
    ):
        assert one.files == two.files == ["X", "y"]
        for name in one.files:
            np.testing.assert_array_equal(one[name], two[name])


def test_project_without_labels_exports_empty_labels(tmp_path):
    raw = np.ones((1, 4, 5, 1), np.uint8)
    again = round_trip(tmp_path, ProjectData(raw=raw))
    assert again.labels.shape == (1, 4, 5, 1) and not again.labels.any()


# --- normalize_labels -----------------------------------------------------------------------


def test_normalize_identity_when_cells_are_none():
    labels = np.zeros((1, 3, 3, 1), np.int32)
    labels[0, 0, 0, 0] = 7
    out, cells = normalize_labels(labels, None)
    np.testing.assert_array_equal(out, labels)
    assert cells == [{"value": 7, "cell": 7, "t": 0, "c": 0}]


def test_normalize_is_exact_and_idempotent():
    data = overlapping_project()
    labels, cells = normalize_labels(data.labels, data.cells)
    again_labels, again_cells = normalize_labels(labels, cells)
    np.testing.assert_array_equal(labels, again_labels)
    assert cells == again_cells
    # Every pixel still encodes exactly the cells it encoded.
    before = {(4,): {10}, (8,): {10, 11}, (2,): {11}}
    for value, expected in before.items():
        pixels = data.labels[0, ..., 0] == value[0]
        new_values = set(np.unique(labels[0, ..., 0][pixels]))
        assert len(new_values) == 1
        new = new_values.pop()
        assert {
            c["cell"] for c in cells if c["value"] == new and c["t"] == 0 and c["c"] == 0
        } == expected


def test_normalize_value_encoding_several_cells_when_ids_are_large():
    labels = np.full((1, 2, 2, 1), 5, np.int32)
    cells = [{"value": 5, "cell": 100, "t": 0, "c": 0}, {"value": 5, "cell": 3, "t": 0, "c": 0}]
    out, new_cells = normalize_labels(labels, cells)
    assert (out == 101).all()
    assert [c["cell"] for c in new_cells] == [3, 100]


# --- other formats --------------------------------------------------------------------------


def test_npy_4d_follows_deepcell_convention(tmp_path):
    array = np.arange(2 * 5 * 6 * 3, dtype=np.int64).reshape(2, 5, 6, 3)
    data = read_images(save(tmp_path, npy_bytes(array)))
    assert data.raw.shape == (2, 5, 6, 3) and data.raw.dtype == np.int32


@pytest.mark.parametrize(
    ("shape", "axes", "expected"),
    [
        ((5, 6), None, (1, 5, 6, 1)),
        ((5, 6, 3), None, (1, 5, 6, 3)),
        ((7, 5, 6), None, (7, 5, 6, 1)),
        ((2, 5, 6, 3), None, (2, 5, 6, 3)),
        ((2, 3, 5, 6, 4), None, (6, 5, 6, 4)),
        ((3, 5, 6), "CYX", (1, 5, 6, 3)),
        ((2, 3, 5, 6), "czyx", (3, 5, 6, 2)),
        ((2, 3, 4, 5, 6), "TCZYX", (8, 5, 6, 3)),
        ((5, 6, 3), "YXS", (1, 5, 6, 3)),
        ((4, 5, 6), "QYX", (4, 5, 6, 1)),
    ],
)
def test_axes_rules(tmp_path, shape, axes, expected):
    array = np.zeros(shape, np.uint8)
    assert read_images(save(tmp_path, npy_bytes(array)), axes).raw.shape == expected


def test_time_outside_depth_inside(tmp_path):
    array = np.zeros((2, 3, 4, 5), np.uint16)  # T, Z, Y, X
    for t in range(2):
        for z in range(3):
            array[t, z] = 10 * t + z
    raw = read_images(save(tmp_path, npy_bytes(array)), "TZYX").raw
    assert [int(raw[f, 0, 0, 0]) for f in range(6)] == [0, 1, 2, 10, 11, 12]


def test_npz_with_images_and_labels(tmp_path):
    buffer = io.BytesIO()
    labels = np.zeros((1, 5, 6, 1), np.uint16)
    labels[0, 1, 1, 0] = 3
    np.savez(buffer, X=np.ones((1, 5, 6, 2), np.float64), y=labels)
    data = read_images(save(tmp_path, buffer.getvalue()))
    assert data.raw.dtype == np.float32 and data.labels.dtype == np.int32
    assert data.feature_names == ["feature 0"] and data.labels[0, 1, 1, 0] == 3


def test_npz_without_x_uses_the_first_array(tmp_path):
    buffer = io.BytesIO()
    np.savez(buffer, image=np.ones((5, 6), np.bool_), other=np.zeros(3))
    data = read_images(save(tmp_path, buffer.getvalue()))
    assert data.raw.shape == (1, 5, 6, 1) and data.raw.dtype == np.uint8


@pytest.mark.parametrize("compression", [None, "zlib", "lzw", "zstd"])
def test_compressed_and_big_tiffs(tmp_path, compression):
    array = np.arange(3 * 20 * 30, dtype=np.uint16).reshape(3, 20, 30)
    for bigtiff in (False, True):
        content = tiff_bytes(
            array, compression=compression, bigtiff=bigtiff, photometric="minisblack"
        )
        raw = read_images(save(tmp_path, content)).raw
        np.testing.assert_array_equal(raw[..., 0], array)


def test_imagej_hyperstack_tzcyx(tmp_path):
    array = np.zeros((2, 3, 4, 8, 9), np.uint8)
    array[1, 2, 3] = 7
    content = tiff_bytes(array, imagej=True, metadata={"axes": "TZCYX"})
    raw = read_images(save(tmp_path, content)).raw
    assert raw.shape == (6, 8, 9, 4)
    assert (raw[1 * 3 + 2, :, :, 3] == 7).all() and raw.sum() == 7 * 72


def test_ome_tiff_channel_names(tmp_path):
    array = np.zeros((2, 3, 8, 9), np.float32)
    metadata = {"axes": "ZCYX", "Channel": {"Name": ["DAPI", "CD3", "CD8"]}}
    data = read_images(save(tmp_path, tiff_bytes(array, ome=True, metadata=metadata)))
    assert data.raw.shape == (2, 8, 9, 3) and data.channel_names == ["DAPI", "CD3", "CD8"]


@pytest.mark.parametrize(("mode", "channels"), [("L", 1), ("RGB", 3), ("RGBA", 4), ("LA", 2)])
def test_png_modes(tmp_path, mode, channels):
    image = Image.new(mode, (9, 8))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    assert read_images(save(tmp_path, buffer.getvalue())).raw.shape == (1, 8, 9, channels)


def test_palette_png_and_jpeg(tmp_path):
    palette = Image.new("P", (9, 8))
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG")
    assert read_images(save(tmp_path, buffer.getvalue())).raw.shape == (1, 8, 9, 3)
    jpeg = png_bytes(np.full((8, 9, 3), 128, np.uint8), fmt="JPEG")
    data = read_images(save(tmp_path, jpeg))
    assert data.raw.shape == (1, 8, 9, 3) and data.raw.dtype == np.uint8


def test_zip_of_tiffs_is_channels_named_after_files(tmp_path):
    members = {
        "__MACOSX/._nuclei.tif": b"junk",
        "stack/nuclei.tif": tiff_bytes(np.ones((5, 6), np.uint16)),
        "stack/membrane.tif": tiff_bytes(np.full((5, 6), 2, np.uint16)),
    }
    data = read_images(save(tmp_path, zip_bytes(members)))
    assert data.channel_names == ["membrane", "nuclei"]
    assert data.raw[0, 0, 0].tolist() == [2, 1]


def test_zip_with_x_and_y_npy(tmp_path):
    members = {
        "X.npy": npy_bytes(np.ones((1, 5, 6, 1), np.uint8)),
        "y.npy": npy_bytes(np.ones((1, 5, 6, 1), np.int64)),
        "spots.csv": b"x,y\n1,2\n",
    }
    data = read_images(save(tmp_path, zip_bytes(members)))
    assert data.labels.shape == (1, 5, 6, 1) and data.spots == [[1.0, 2.0]]


def test_batch_feature_tiff_set(tmp_path):
    members = {
        f"movie_batch_{b}_feature_{f}.tif": tiff_bytes(np.full((5, 6), 10 * b + f, np.uint16))
        for b in range(3)
        for f in range(2)
    }
    labels = read_labels(save(tmp_path, zip_bytes(members)), (3, 5, 6))
    assert labels.shape == (3, 5, 6, 2)
    assert labels[2, 0, 0].tolist() == [20, 21]


def trk_content(lineage_name: str = "lineage.json", batches: bool = False) -> bytes:
    raw = np.zeros((3, 5, 6, 1), np.uint16)
    tracked = np.zeros((3, 5, 6, 1), np.int32)
    tracked[0, 0, 0] = 1
    tracked[1:, 0, 0] = 2
    tracked[1:, 4, 4] = 3
    lineage = {
        "1": {"label": 1, "frames": [0], "daughters": [2, 3], "parent": None, "frame_div": 1},
        "2": {"label": 2, "frames": [1, 2], "daughters": [], "parent": 1, "frame_div": None},
        "3": {"label": 3, "frames": [1, 2], "daughters": [], "parent": 1, "frame_div": None},
    }
    if batches:
        raw, tracked, lineage = raw[None], tracked[None], [lineage]
    return tar_bytes(
        {
            "raw.npy": npy_bytes(raw),
            "tracked.npy": npy_bytes(tracked),
            lineage_name: json.dumps(lineage).encode(),
        }
    )


@pytest.mark.parametrize(
    ("lineage_name", "batches"), [("lineage.json", False), ("lineages.json", True)]
)
def test_trk_files(tmp_path, lineage_name, batches):
    data = read_images(save(tmp_path, trk_content(lineage_name, batches)))
    assert data.raw.shape == (3, 5, 6, 1) and data.labels.shape == (3, 5, 6, 1)
    assert data.divisions == [{"parent": 1, "daughters": [2, 3], "t": 1}]


def test_older_dict_cells_layout(tmp_path):
    content = export(overlapping_project())
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members["cells.json"] = json.dumps({"0": {"10": [10], "12": [10, 11]}}).encode()
    data = read_images(save(tmp_path, zip_bytes(members)))
    assert {"value": 12, "cell": 11, "t": 0, "c": 1} in data.cells


def test_limits_are_checked_before_decoding(tmp_path):
    path = save(tmp_path, tiff_bytes(np.zeros((10, 10), np.uint8)))
    with pytest.raises(
        TooLargeError, match="10 x 10 = 100 pixel values, more than the limit of 99"
    ):
        read_images(path, max_pixels=99)
    assert read_images(path, max_pixels=100).raw.shape == (1, 10, 10, 1)


# --- malformed input ------------------------------------------------------------------------


def tiff_claiming(width: int, height: int) -> bytes:
    """A classic little-endian TIFF whose single page claims width x height 8-bit pixels."""
    tags = [
        (256, 4, width),  # ImageWidth
        (257, 4, height),  # ImageLength
        (258, 3, 8),  # BitsPerSample
        (259, 3, 1),  # no compression
        (262, 3, 1),  # BlackIsZero
        (273, 4, 200),  # StripOffsets
        (277, 3, 1),  # SamplesPerPixel
        (278, 4, height),  # RowsPerStrip
        (279, 4, 0xFFFFFFFF),  # StripByteCounts
    ]
    ifd = struct.pack("<H", len(tags))
    for tag, kind, value in tags:
        ifd += struct.pack("<HHII", tag, kind, 1, value)
    ifd += struct.pack("<I", 0)
    return b"II*\0" + struct.pack("<I", 8) + ifd + b"\0" * 64


def pickled_npz() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, X=np.array([{"a": 1}], dtype=object))
    return buffer.getvalue()


def truncated(content: bytes, keep: float = 0.5) -> bytes:
    return content[: int(len(content) * keep)]


def corrupt_png() -> bytes:
    content = bytearray(png_bytes(np.arange(64 * 64, dtype=np.uint16).reshape(64, 64)))
    start = content.index(b"IDAT") + 8
    content[start : start + 40] = b"\xff" * 40
    return bytes(content)


def zip_with_bad_cells() -> bytes:
    with zipfile.ZipFile(io.BytesIO(export(overlapping_project()))) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members["cells.json"] = b'[{"value": 1, "cell": 1, "t": 7, "c": 0}]'
    return zip_bytes(members)


MALFORMED = {
    "empty file": (b"", None, InputFormatError, "empty"),
    "text file": (b"frame,x,y\n1,2,3\n", None, InputFormatError, "looks like text"),
    "html error page": (
        b"<!DOCTYPE html><html>Not found</html>",
        None,
        InputFormatError,
        "accepts TIFF",
    ),
    "unknown binary": (b"\x00\x01\x02\x03" * 40, None, InputFormatError, "not recognised"),
    "tiff header only": (b"II*\0\x08\0\0\0", None, InputFormatError, "TIFF"),
    "truncated tiff": (
        truncated(tiff_bytes(np.ones((64, 64), np.uint16))),
        None,
        InputFormatError,
        "incomplete",
    ),
    "huge tiff header": (tiff_claiming(100_000, 100_000), None, TooLargeError, "100000 x 100000"),
    "truncated png": (
        truncated(png_bytes(np.arange(64 * 64, dtype=np.uint16).reshape(64, 64))),
        None,
        InputFormatError,
        "PNG",
    ),
    "corrupt png": (corrupt_png(), None, InputFormatError, "PNG"),
    "truncated jpeg": (
        truncated(png_bytes(np.zeros((64, 64, 3), np.uint8), fmt="JPEG"), 0.3),
        None,
        InputFormatError,
        "JPEG",
    ),
    "zip with ../ names": (zip_bytes({"../evil.tif": b"x"}), None, InputFormatError, "outside"),
    "zip with absolute names": (zip_bytes({"/etc/x.npy": b"x"}), None, InputFormatError, "outside"),
    "truncated zip": (truncated(zip_bytes({"a.npy": b"x" * 1000})), None, InputFormatError, "zip"),
    "zip without images": (
        zip_bytes({"notes.txt": b"hello"}),
        None,
        InputFormatError,
        "not an image",
    ),
    "pickled npz": (pickled_npz(), None, InputFormatError, "never unpickled"),
    "pickled npy": (
        npy_bytes(np.array([1, "a"], dtype=object), allow_pickle=True),
        None,
        InputFormatError,
        "never unpickled",
    ),
    "truncated npy": (
        truncated(npy_bytes(np.ones((50, 50)))),
        None,
        InputFormatError,
        "incomplete",
    ),
    "complex npy": (npy_bytes(np.ones((4, 4), np.complex64)), None, InputFormatError, "complex"),
    "npy with 6 dimensions": (
        npy_bytes(np.ones((1, 1, 2, 1, 3, 4))),
        None,
        InputFormatError,
        r"\(1, 1, 2, 1, 3, 4\)",
    ),
    "empty npy": (npy_bytes(np.ones((0, 4))), None, InputFormatError, "empty"),
    "huge axes string": (npy_bytes(np.ones((4, 4))), "TZ" * 500, InputFormatError, "1000 letters"),
    "repeated axes": (npy_bytes(np.ones((3, 4, 4))), "YYX", InputFormatError, "more than once"),
    "wrong number of axes": (
        npy_bytes(np.ones((3, 5, 5, 7))),
        "YX",
        InputFormatError,
        r"has shape \(3, 5, 5, 7\) but axes 'YX' names 2 dimensions; give 4 axes",
    ),
    "invalid axes letter": (npy_bytes(np.ones((3, 4, 4))), "KYX", InputFormatError, "'K'"),
    "axes without x": (npy_bytes(np.ones((3, 4, 4))), "TYZ", InputFormatError, "both Y"),
    "tar without raw.npy": (tar_bytes({"notes.txt": b"x"}), None, InputFormatError, "raw.npy"),
    "bad cells.json frame": (zip_with_bad_cells(), None, InputFormatError, "frame 7"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_input_gives_a_helpful_error(tmp_path, case):
    content, axes, error, message = MALFORMED[case]
    with pytest.raises(error, match=message):
        read_images(save(tmp_path, content), axes)


def test_zip_bomb_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("X.npy", b"\0" * 100_000_000)
    assert len(buffer.getvalue()) < 500_000
    with pytest.raises(TooLargeError, match="expands to more than"):
        read_images(save(tmp_path, buffer.getvalue(), "bomb.zip"), max_pixels=1000)


def test_zip_member_lying_about_its_size(tmp_path):
    content = bytearray(zip_bytes({"X.ome.tiff": tiff_bytes(np.ones((32, 32), np.uint8))}))
    # Shrink the declared size in both headers: the data no longer matches it.
    index = content.index(b"PK\x01\x02")
    struct.pack_into("<I", content, index + 24, 10)
    struct.pack_into("<I", content, 22, 10)
    with pytest.raises(InputFormatError):
        read_images(save(tmp_path, bytes(content)))


def test_huge_npy_header_is_refused_before_reading(tmp_path):
    header = npy_bytes(np.zeros((1, 1), np.uint8)).replace(b"(1, 1)", b"(99999, 99999)")
    with pytest.raises(TooLargeError, match="99999 x 99999"):
        read_images(save(tmp_path, header))


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (np.full((1, 4, 5), -3, np.int16), "negative"),
        (np.full((1, 4, 5), 1.5, np.float32), "fractions"),
        (np.full((1, 4, 5), np.nan, np.float32), "NaN"),
        (np.ones((2, 4, 6), np.uint8), "does not fit"),
        (np.full((1, 4, 5), 2**40, np.int64), "at most"),
    ],
)
def test_bad_labels(tmp_path, labels, message):
    with pytest.raises(InputFormatError, match=message):
        read_labels(save(tmp_path, npy_bytes(labels)), (1, 4, 5))


def test_labels_with_user_axes_that_do_not_fit(tmp_path):
    path = save(tmp_path, npy_bytes(np.ones((3, 4, 5), np.uint8)))
    assert read_labels(path, (1, 4, 5), "CYX").shape == (1, 4, 5, 3)
    with pytest.raises(InputFormatError, match="axes tried: TYX"):
        read_labels(path, (1, 4, 5), "TYX")


def test_float_labels_with_whole_numbers_are_accepted(tmp_path):
    path = save(tmp_path, npy_bytes(np.full((4, 5), 3.0)))
    labels = read_labels(path, (1, 4, 5))
    assert labels.dtype == np.int32 and (labels == 3).all()


def test_mismatched_npz_labels(tmp_path):
    buffer = io.BytesIO()
    np.savez(buffer, X=np.ones((1, 5, 6, 1)), y=np.ones((1, 6, 5, 1)))
    with pytest.raises(InputFormatError, match="does not fit"):
        read_images(save(tmp_path, buffer.getvalue()))


def test_batch_feature_set_with_a_missing_file(tmp_path):
    members = {
        "a_batch_0_feature_0.tif": tiff_bytes(np.ones((5, 6), np.uint8)),
        "a_batch_0_feature_1.tif": tiff_bytes(np.ones((5, 6), np.uint8)),
        "a_batch_1_feature_0.tif": tiff_bytes(np.ones((5, 6), np.uint8)),
    }
    with pytest.raises(InputFormatError, match="batch 1, feature 1"):
        read_images(save(tmp_path, zip_bytes(members)))


def test_spots_with_text_values(tmp_path):
    members = {"X.npy": npy_bytes(np.ones((5, 6))), "spots.csv": b"x,y\n1,two\n"}
    with pytest.raises(InputFormatError, match="spots must be numbers"):
        read_images(save(tmp_path, zip_bytes(members)))


def test_divisions_json_keeps_the_feature_of_each_division():
    from deepcell_label.formats.cells import parse_divisions

    parsed = parse_divisions(
        [
            {"parent": 1, "daughters": [2, 3], "t": 4},
            {"parent": 5, "daughters": [6], "t": 2, "feature": 1},
            {"parent": 7, "daughters": [8], "t": 2, "feature": 0},
        ]
    )
    assert parsed == [
        {"parent": 1, "daughters": [2, 3], "t": 4},
        {"parent": 5, "daughters": [6], "t": 2, "feature": 1},
        {"parent": 7, "daughters": [8], "t": 2},
    ]
    with pytest.raises(InputFormatError, match="feature"):
        parse_divisions([{"parent": 1, "daughters": [2], "t": 1, "feature": "one"}])
