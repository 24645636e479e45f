"""What TIFF metadata says decides the axes, the channel names and the physical pixel size:
ImageJ hyperstacks (written here with tifffile's ImageJ writer, as Fiji writes them), OME-TIFF
and the shared real files."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tifffile
from deepcell_label.formats import ProjectData, physical, read_images, write_project_zip
from deepcell_label.formats.planes import open_planes
from helpers import create
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from testdata import testdata_path as data_path


def imagej_file(tmp_path: Path, array: np.ndarray, name: str = "stack.tif", **options) -> Path:
    path = tmp_path / name
    tifffile.imwrite(path, array, imagej=True, **options)
    return path


def described_file(tmp_path: Path, array: np.ndarray, description: str) -> Path:
    """A multi-page TIFF whose first page carries ``description`` (ImageJ metadata by hand)."""
    path = tmp_path / "described.tif"
    with tifffile.TiffWriter(path) as tif:
        for index, page in enumerate(array):
            tif.write(page, description=description if index == 0 else None, metadata=None)
    return path


def six_slices() -> np.ndarray:
    return np.stack([np.full((20, 30), 10 * z, np.uint8) for z in range(6)])


# --- the file of the issue ------------------------------------------------------------------


def test_calibrated_z_stack_with_numbered_slice_labels_is_frames(tmp_path):
    """A calibrated 8-bit stack of 6 slices with a z spacing, whose slice labels are numbers,
    was read as 6 channels: slices are frames, whatever their labels."""
    path = imagej_file(
        tmp_path,
        six_slices(),
        resolution=(2.0, 2.0),  # 2 pixels per micron
        metadata={
            "axes": "ZYX",
            "spacing": 1.5,
            "unit": "micron",
            "Labels": [f"{1.5 * z:.1f}" for z in range(6)],
        },
    )
    data = read_images(path)
    assert data.raw.shape == (6, 20, 30, 1)
    assert [int(data.raw[z, 0, 0, 0]) for z in range(6)] == [0, 10, 20, 30, 40, 50]
    assert data.channel_names == ["channel 0"]
    assert data.physical_size == {"x": 0.5, "y": 0.5, "z": 1.5, "unit": "µm"}
    assert data.notes == []


@pytest.mark.parametrize(
    ("metadata", "frames", "channels", "names"),
    [
        # Time points, labelled: frames.
        ({"axes": "TYX", "finterval": 2.0, "Labels": list("abcdef")}, 6, 1, None),
        # Channels, labelled one label each: named channels.
        ({"axes": "CYX", "Labels": [f"c{i}.tif" for i in range(6)]}, 1, 6, "c"),
        # Slices without labels: frames.
        ({"axes": "ZYX"}, 6, 1, None),
    ],
)
def test_imagej_dimension_decides(tmp_path, metadata, frames, channels, names):
    data = read_images(imagej_file(tmp_path, six_slices(), metadata=metadata))
    assert data.raw.shape == (frames, 20, 30, channels)
    expected = [f"c{i}" for i in range(6)] if names else [f"channel {i}" for i in range(channels)]
    assert data.channel_names == expected


def test_hyperstack_labels_name_channels_when_they_repeat_per_channel(tmp_path):
    array = np.zeros((3, 2, 8, 9), np.uint16)  # Z, C
    array[:, 1] = 5
    repeating = ["DAPI", "GFP"] * 3
    data = read_images(imagej_file(tmp_path, array, metadata={"axes": "ZCYX", "Labels": repeating}))
    assert data.raw.shape == (3, 8, 9, 2) and data.channel_names == ["DAPI", "GFP"]
    assert (data.raw[..., 1] == 5).all() and (data.raw[..., 0] == 0).all()
    per_plane = [f"z{z} c{c}" for z in range(3) for c in range(2)]
    path = imagej_file(tmp_path, array, "other.tif", metadata={"axes": "ZCYX", "Labels": per_plane})
    assert read_images(path).channel_names == ["channel 0", "channel 1"]


def test_imagej_stack_without_dimensions_is_a_sequence_of_frames(tmp_path):
    """Only ``images=6``: tifffile calls the dimension I (a sequence of images)."""
    path = described_file(tmp_path, six_slices(), "ImageJ=1.53c\nimages=6\n")
    with tifffile.TiffFile(path) as tif:
        assert tif.is_imagej and tif.series[0].axes == "IYX"
    assert read_images(path).raw.shape == (6, 20, 30, 1)


def test_large_imagej_stacks_read_plane_by_plane_say_the_same(tmp_path):
    """The build reads large TIFFs plane by plane (formats/planes.py): same axes, channel names
    and physical size as reading the file whole."""
    array = np.zeros((3, 2, 8, 9), np.uint16)
    path = imagej_file(
        tmp_path,
        array,
        resolution=(4.0, 4.0),
        metadata={"axes": "ZCYX", "unit": "um", "spacing": 2.0, "Labels": ["DAPI", "GFP"] * 3},
    )
    planes = open_planes(path, None, None)
    whole = read_images(path)
    assert planes.shape == whole.raw.shape == (3, 8, 9, 2)
    assert planes.channel_names == whole.channel_names == ["DAPI", "GFP"]
    assert (
        planes.physical_size
        == whole.physical_size
        == {
            "x": 0.25,
            "y": 0.25,
            "z": 2.0,
            "unit": "µm",
        }
    )


def test_slice_labels_name_channels_when_the_user_makes_slices_channels(tmp_path):
    labels = ["DNA.tif", "Membrane.tif"]
    path = imagej_file(tmp_path, six_slices()[:2], metadata={"axes": "ZYX", "Labels": labels})
    assert read_images(path).raw.shape == (2, 20, 30, 1)
    data = read_images(path, "CYX")
    assert data.raw.shape == (1, 20, 30, 2) and data.channel_names == ["DNA", "Membrane"]


# --- physical size --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "resolution_unit", "resolution", "expected"),
    [
        ("micron", None, 4.0, ("µm", 0.25)),
        ("\\u00B5m", None, 4.0, ("µm", 0.25)),  # escaped as ImageJ writes it
        ("um", None, 4.0, ("µm", 0.25)),
        ("nm", None, 0.01, ("nm", 100.0)),
        # SCIFIO writes pixels per cm in the tags and its unit in the description.
        ("micrometer", "CENTIMETER", 40000.0, ("µm", 0.25)),
        ("inch", "INCH", 300.0, ("in", 1 / 300)),
    ],
)
def test_imagej_resolution_and_unit(tmp_path, unit, resolution_unit, resolution, expected):
    path = imagej_file(
        tmp_path,
        six_slices(),
        resolution=(resolution, resolution),
        resolutionunit=resolution_unit,
        metadata={"axes": "ZYX", "unit": unit, "spacing": 3.0},
    )
    size = read_images(path).physical_size
    assert size["unit"] == expected[0]
    assert size["x"] == pytest.approx(expected[1]) and size["y"] == pytest.approx(expected[1])
    assert size["z"] == pytest.approx(3.0)


def test_uncalibrated_files_have_no_physical_size(tmp_path):
    # ImageJ without a unit, and a plain TIFF with a printer's 300 dots per inch.
    path = imagej_file(tmp_path, six_slices(), resolution=(1.0, 1.0), metadata={"axes": "ZYX"})
    assert read_images(path).physical_size is None
    plain = tmp_path / "plain.tif"
    tifffile.imwrite(plain, six_slices()[0], resolution=(300, 300), resolutionunit="INCH")
    assert read_images(plain).physical_size is None


def test_ome_physical_size_in_one_unit(tmp_path):
    path = tmp_path / "image.ome.tif"
    metadata = {
        "axes": "ZYX",
        "PhysicalSizeX": 0.65,
        "PhysicalSizeXUnit": "µm",
        "PhysicalSizeY": 650.0,
        "PhysicalSizeYUnit": "nm",
        "PhysicalSizeZ": 2.0,  # no unit: OME says µm
    }
    tifffile.imwrite(path, six_slices(), ome=True, metadata=metadata)
    size = read_images(path).physical_size
    assert size == {"x": 0.65, "y": pytest.approx(0.65), "z": 2.0, "unit": "µm"}


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        (
            "galaxy-image-analysis/zcyx_confocal_hyperstack.tiff",
            {"x": 1 / 2.295473, "y": 1 / 2.295473, "z": 0.05445500181716341, "unit": "µm"},
        ),
        (
            "galaxy-image-analysis/sample_ovule_zyx.tiff",
            {"x": 0.15, "y": 0.15, "z": 0.23499999940395355, "unit": "µm"},
        ),
        (
            "ome-tiff/170918_tn_neutrophil_migration_wave.ome.tif",
            {"x": 1.0, "y": 1.0, "z": 1.0, "unit": "µm"},
        ),
        ("ome-tiff/multi-channel-time-series.ome.tif", None),
        ("intro-to-deepcell/example_input_combined.tif", None),
        ("stardist/img3d.tif", None),
    ],
)
def test_physical_size_of_shared_files(rel, expected):
    size = read_images(data_path(rel)).physical_size
    if expected is None:
        assert size is None
    else:
        assert size["unit"] == expected["unit"]
        for axis in "xyz":
            assert size[axis] == pytest.approx(expected[axis], rel=1e-6)


def test_physical_size_survives_the_project_zip(tmp_path):
    size = {"x": 0.325, "y": 0.325, "z": 1.5, "unit": "µm"}
    data = ProjectData(raw=np.ones((3, 10, 12, 2), np.uint16), physical_size=size)
    buffer = io.BytesIO()
    write_project_zip(data, buffer)
    path = tmp_path / "project.zip"
    path.write_bytes(buffer.getvalue())
    assert read_images(path).physical_size == size


def test_units_and_conversions():
    assert physical.length_unit("\\u00B5m") == "µm"
    assert physical.length_unit("pixel") is None and physical.length_unit(None) is None
    assert physical.convert(1.0, "mm", "µm") == pytest.approx(1000.0)
    # Sizes that are no positive number are left out; nothing left is no size at all.
    assert physical.physical_size({"x": (0, "µm"), "y": ("a", "µm")}) is None
    assert physical.check({"x": 1, "y": 2, "z": None, "unit": "nm"}) == {
        "x": 1.0,
        "y": 2.0,
        "z": None,
        "unit": "nm",
    }
    assert physical.check({"x": 1, "unit": "parsec"}) is None


# --- property: any ImageJ hyperstack -------------------------------------------------------


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    frames=st.integers(1, 3),
    slices=st.integers(1, 3),
    channels=st.integers(1, 3),
    labelled=st.booleans(),
    dtype=st.sampled_from(["uint8", "uint16", "float32"]),
)
def test_any_imagej_hyperstack_is_frames_times_slices_and_its_channels(
    tmp_path, frames, slices, channels, labelled, dtype
):
    """T outermost, Z inside, C as channels, pixel for pixel, whatever the slice labels say."""
    shape = (frames, slices, channels, 5, 7)
    array = np.arange(np.prod(shape)).reshape(shape).astype(dtype)
    metadata: dict = {"axes": "TZCYX"}
    if labelled:
        metadata["Labels"] = [f"{i}" for i in range(frames * slices * channels)]
    path = imagej_file(tmp_path, array, metadata=metadata)
    raw = read_images(path).raw
    assert raw.shape == (frames * slices, 5, 7, channels) and raw.dtype == np.dtype(dtype)
    expected = np.moveaxis(array, 2, -1).reshape(frames * slices, 5, 7, channels)
    np.testing.assert_array_equal(raw, expected)


# --- through the API: kept with the project, written back on export -------------------------


def test_physical_size_is_kept_shown_and_exported(client, tmp_path):
    path = imagej_file(
        tmp_path,
        six_slices(),
        resolution=(2.0, 2.0),
        metadata={"axes": "ZYX", "spacing": 1.5, "unit": "micron"},
    )
    project = create(client, path)
    expected = {"x": 0.5, "y": 0.5, "z": 1.5, "unit": "µm"}
    assert project["physical_size"] == expected and project["notes"] == ""
    assert client.get(f"/api/projects/{project['id']}").get_json()["physical_size"] == expected
    download = client.get(f"/api/projects/{project['id']}/export?format=zip")
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        image = archive.read("X.ome.tiff")
    with tifffile.TiffFile(io.BytesIO(image)) as tif:
        assert 'PhysicalSizeX="0.5" PhysicalSizeXUnit="µm"' in tif.ome_metadata
    assert create(client, data=download.data, name="again.zip")["physical_size"] == expected
    zarr = client.get(f"/api/projects/{project['id']}/export?format=ome-zarr")
    with zipfile.ZipFile(io.BytesIO(zarr.data)) as archive:
        attributes = json.loads(archive.read(f"{project['id']}.ome.zarr/.zattrs"))
    multiscale = attributes["multiscales"][0]
    assert multiscale["axes"][2] == {"name": "y", "type": "space", "unit": "micrometer"}
    assert multiscale["datasets"][0]["coordinateTransformations"][0]["scale"] == [1, 1, 0.5, 0.5]
    # (OME-Zarr has no z axis here: frames are t.) Its empty label image is read as no cells.
    again = create(client, data=zarr.data, name="again.ome.zarr.zip")
    assert again["physical_size"] == {"x": 0.5, "y": 0.5, "z": None, "unit": "µm"}
    assert again["cells"] == [] and again["features"] == 1
