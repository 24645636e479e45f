"""Properties of the readers that stream pixels into place: whatever the shape, dimension
order, byte order, memory order and pixel type, a file streamed block by block (blocks made
tiny here) gives the array that reading it whole and rearranging it gives."""

from __future__ import annotations

import io
import zipfile

import imagecodecs
import numpy as np
import pytest
import tifffile
from deepcell_label.errors import InputFormatError
from deepcell_label.formats import axes as axes_rules
from deepcell_label.formats import numpy_files, read_images, read_labels
from deepcell_label.formats.arrays import label_dtype, raw_dtype
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
DTYPES = ["uint8", "<u2", ">u2", "int16", ">i4", "uint32", "<f4", ">f8", "float16", "int64", "bool"]


@st.composite
def arrays_with_axes(draw, max_side: int = 6):
    """An array of 2 to 5 dimensions and a dimension order naming each (Y and X among them)."""
    ndim = draw(st.integers(2, 5))
    others = draw(
        st.lists(st.sampled_from("TZC"), min_size=ndim - 2, max_size=ndim - 2, unique=True)
    )
    axes = "".join(draw(st.permutations([*others, "Y", "X"])))
    shape = draw(st.tuples(*[st.integers(1, max_side) for _ in range(ndim)]))
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    elements = st.integers(0, 200) if dtype.kind != "b" else st.booleans()
    array = draw(hnp.arrays(dtype, shape, elements=elements))
    return array, axes


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks of a few bytes: every way of cutting an array into blocks is used."""
    monkeypatch.setattr(numpy_files, "BLOCK_BYTES", 24)
    monkeypatch.setattr(numpy_files, "READ_BYTES", 7)


def expected_raw(array: np.ndarray, axes: str) -> np.ndarray:
    return axes_rules.to_standard(raw_dtype(array), axes)


@SETTINGS
@given(case=arrays_with_axes(), fortran=st.booleans(), container=st.sampled_from(["npy", "npz"]))
def test_streamed_npy_equals_the_array_rearranged(tmp_path, tiny_blocks, case, fortran, container):
    array, axes = case
    stored = np.asfortranarray(array) if fortran else array
    path = tmp_path / f"image.{container}"
    if container == "npy":
        np.save(path, stored)
    else:
        np.savez_compressed(path, X=stored)
    raw = read_images(path, axes).raw
    expected = expected_raw(array, axes)
    assert raw.dtype == expected.dtype and raw.flags.c_contiguous
    np.testing.assert_array_equal(raw, expected)


@SETTINGS
@given(case=arrays_with_axes(), fortran=st.booleans())
def test_streamed_labels_equal_the_array_rearranged(tmp_path, tiny_blocks, case, fortran):
    array, axes = case
    path = tmp_path / "labels.npy"
    np.save(path, np.asfortranarray(array) if fortran else array)
    frames, height, width, _ = axes_rules.standard_shape(array.shape, axes)
    labels = read_labels(path, (frames, height, width), axes)
    np.testing.assert_array_equal(labels, axes_rules.to_standard(label_dtype(array), axes))


@SETTINGS
@given(value=st.sampled_from([-1, 2**40, 0.5, np.nan]), where=st.integers(0, 59))
def test_a_bad_label_anywhere_is_found_whatever_block_it_is_in(tmp_path, tiny_blocks, value, where):
    array = np.ones(60, np.float64 if isinstance(value, float) else np.int64)
    array[where] = value
    path = tmp_path / "labels.npy"
    np.save(path, array.reshape(3, 4, 5))
    with pytest.raises(InputFormatError, match="negative|at most|fractions|NaN"):
        read_labels(path, (3, 4, 5))


@SETTINGS
@given(
    height=st.integers(1, 40),
    width=st.integers(1, 40),
    samples=st.sampled_from([1, 2, 3, 4]),
    depth=st.sampled_from([np.uint8, np.uint16]),
    data=st.data(),
)
def test_png_values_are_kept(tmp_path, height, width, samples, depth, data):
    shape = (height, width) if samples == 1 else (height, width, samples)
    array = data.draw(hnp.arrays(depth, shape))
    path = tmp_path / "image.png"
    path.write_bytes(imagecodecs.png_encode(array))
    raw = read_images(path).raw
    assert raw.dtype == np.dtype(depth)
    np.testing.assert_array_equal(raw, array.reshape(1, height, width, samples))


@SETTINGS
@given(
    shape=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)),
    tiled=st.booleans(),
    stored_in_zip=st.sampled_from([None, zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
)
def test_ome_tiff_read_page_by_page_equals_the_whole_series(tmp_path, shape, tiled, stored_in_zip):
    frames, slices, channels = shape
    array = np.arange(frames * slices * channels * 20 * 36, dtype=np.uint16).reshape(
        frames, slices, channels, 20, 36
    )
    buffer = io.BytesIO()
    options = {"tile": (16, 16)} if tiled else {}
    tifffile.imwrite(buffer, array, ome=True, metadata={"axes": "TZCYX"}, **options)
    path = tmp_path / "image"
    if stored_in_zip is None:
        path.write_bytes(buffer.getvalue())
    else:
        with zipfile.ZipFile(path, "w", stored_in_zip) as archive:
            archive.writestr("X.ome.tiff", buffer.getvalue())
    raw = read_images(path).raw
    np.testing.assert_array_equal(raw, axes_rules.to_standard(array, "TZCYX"))
