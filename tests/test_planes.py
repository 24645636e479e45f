"""Large TIFFs read plane by plane give the same project as reading them whole."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from deepcell_label import formats
from deepcell_label.errors import TooLargeError
from deepcell_label.formats.planes import open_planes

RNG = np.random.default_rng(7)


def _write(path, array, **kwargs):
    tifffile.imwrite(path, array, **kwargs)
    return path


LAYOUTS = {
    "CYX tiled zlib": (
        lambda: RNG.integers(0, 60000, (3, 300, 260), dtype=np.uint16),
        dict(tile=(128, 128), compression="zlib", metadata={"axes": "CYX"}, photometric="rgb"),
    ),
    "CYX pages": (
        lambda: RNG.integers(0, 60000, (4, 90, 70), dtype=np.uint16),
        dict(metadata={"axes": "CYX"}, photometric="minisblack"),
    ),
    "TCYX": (
        lambda: RNG.integers(0, 255, (2, 3, 70, 90), dtype=np.uint8),
        dict(metadata={"axes": "TCYX"}, photometric="minisblack"),
    ),
    "ZYX ImageJ": (
        lambda: RNG.normal(size=(4, 50, 40)).astype(np.float32),
        dict(imagej=True, metadata={"axes": "ZYX"}),
    ),
    "YXS RGB": (
        lambda: RNG.integers(0, 255, (64, 80, 3), dtype=np.uint8),
        dict(photometric="rgb"),
    ),
    "OME TCZYX": (
        lambda: RNG.integers(-500, 500, (2, 2, 3, 40, 30), dtype=np.int16),
        dict(ome=True, metadata={"axes": "TCZYX", "Channel": {"Name": ["DNA", "Membrane"]}}),
    ),
    "big-endian YX": (
        lambda: RNG.integers(0, 60000, (33, 47), dtype=np.uint16).astype(">u2"),
        dict(byteorder=">"),
    ),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_planes_equal_the_whole_file(tmp_path, layout):
    make, options = LAYOUTS[layout]
    path = _write(tmp_path / "image.tif", make(), **options)
    _check_same(path, None)


@pytest.mark.parametrize(
    "shape, axes",
    [((3, 40, 30), "CYX"), ((3, 40, 30), "TYX"), ((2, 3, 40, 30), "TCYX"), ((40, 30), "YX")],
)
def test_planes_with_the_users_axes(tmp_path, shape, axes):
    array = RNG.integers(0, 60000, shape, dtype=np.uint16)
    path = _write(tmp_path / "image.tif", array, photometric="minisblack")
    _check_same(path, axes)


def _check_same(path, axes):
    whole = formats.read_images(path, axes)
    planes = open_planes(path, axes, None)
    assert planes is not None, "a plain TIFF should be readable plane by plane"
    assert planes.shape == whole.raw.shape
    assert planes.dtype == whole.raw.dtype
    assert planes.channel_names == whole.channel_names
    frames, _, _, channels = planes.shape
    for frame in range(frames):
        for channel in range(channels):
            np.testing.assert_array_equal(
                planes.plane(frame, channel), whole.raw[frame, :, :, channel]
            )


def test_files_that_need_the_whole_reader_are_left_to_it(tmp_path):
    array = RNG.integers(0, 255, (3, 20, 20), dtype=np.uint8)
    path = _write(tmp_path / "a.tif", array, photometric="minisblack")
    assert open_planes(path, "XYC", None) is None  # the pages' rows and columns renamed
    np.save(tmp_path / "a.npy", array)
    assert open_planes(tmp_path / "a.npy", None, None) is None  # not a TIFF
    wide = RNG.integers(0, 9, (2, 20, 20), dtype=np.int64)
    assert open_planes(_write(tmp_path / "b.tif", wide), None, None) is None  # converted dtype


def test_too_large_header_is_refused_before_reading(tmp_path):
    path = _write(tmp_path / "c.tif", np.zeros((2, 64, 64), np.uint16))
    with pytest.raises(TooLargeError):
        open_planes(path, None, 1000)
