"""Large OME-Zarr and Cell Tracking Challenge zips read plane by plane and band by band: the
planes hold what the whole-file reader reads, the same checks refuse the same files, reading
holds a band and not the sequence (tracemalloc), and a project built from them through the
server (above CREATE_INLINE_PIXELS) has the file's pixels, cells and divisions."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tifffile
from conftest import app_with_worker
from deepcell_label.errors import InputFormatError
from deepcell_label.formats import ProjectData, read_images, write_ctc, write_ctc_bands
from deepcell_label.formats.zip_planes import open_zip_planes
from helpers import create, label_frame, raw_frame
from test_omezarr import zip_folder
from test_streams import synthetic

TRACKS = "1 0 0 0\n2 1 2 1\n3 1 2 1\n4 0 2 0\n"


def sequence() -> tuple[np.ndarray, np.ndarray]:
    """3 frames of 90 x 70: raw uint16, masks where cell 1 divides into 2 and 3 in frame 1."""
    rng = np.random.default_rng(2)
    raw = rng.integers(0, 4000, (3, 90, 70), dtype=np.uint16)
    masks = np.zeros((3, 90, 70), np.uint16)
    masks[0, 10:30, 10:30] = 1
    masks[1:, 10:20, 10:30] = 2
    masks[1:, 22:30, 10:30] = 3
    masks[:, 50:80, 40:60] = 4
    return raw, masks


def ctc_zip(path: Path, raw: np.ndarray, masks: np.ndarray, tracks: str = TRACKS) -> Path:
    """TIFFs as other tools write them (one strip a frame)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("01_GT/TRA/man_track.txt", tracks)
        for t in range(len(raw)):
            for name, frames in (
                (f"01_GT/TRA/man_track{t:03d}.tif", masks),
                (f"01/t{t:03d}.tif", raw),
            ):
                buffer = io.BytesIO()
                tifffile.imwrite(buffer, frames[t])
                archive.writestr(name, buffer.getvalue())
    return path


def ome_zarr_zip(folder: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    """An OME-Zarr written by ome-zarr (t, c, z, y, x; two channels), chunks of 32 rows."""
    import zarr
    from ome_zarr.writer import write_image, write_labels

    rng = np.random.default_rng(4)
    image = rng.integers(0, 4000, (2, 2, 3, 90, 70), dtype=np.uint16)
    labels = np.zeros((2, 1, 3, 90, 70), np.uint16)
    labels[:, :, :, 10:50, 20:60] = 3
    labels[1, :, 2, 60:, :30] = 8
    root = folder / "cells.ome.zarr"
    group = zarr.open_group(str(root), mode="w", zarr_format=2)
    options = {"chunks": (1, 1, 1, 32, 70)}
    write_image(image, group, axes="tczyx", scale_factors=[], storage_options=options)
    write_labels(
        labels, group, name="nuclei", axes="tczyx", scale_factors=[], storage_options=options
    )
    path = folder / "cells.zip"
    path.write_bytes(zip_folder(root))
    return path, image, labels


def all_bands(planes, frame: int, channel: int, rows: int = 16) -> np.ndarray:
    height = planes.shape[1]
    return np.concatenate(
        [planes.band(frame, channel, y0, min(y0 + rows, height)) for y0 in range(0, height, rows)]
    )


def test_ctc_planes_hold_what_the_whole_reader_reads(tmp_path):
    raw, masks = sequence()
    path = ctc_zip(tmp_path / "seq.zip", raw, masks)
    whole = read_images(path)
    opened = open_zip_planes(path, None)
    try:
        assert opened.raw.shape == whole.raw.shape and opened.labels.shape == whole.labels.shape
        assert opened.raw.dtype == whole.raw.dtype
        for t in range(3):
            np.testing.assert_array_equal(opened.raw.plane(t, 0), whole.raw[t, :, :, 0])
            np.testing.assert_array_equal(all_bands(opened.labels, t, 0), whole.labels[t, :, :, 0])
            assert all_bands(opened.labels, t, 0).dtype == np.int32
        assert (
            opened.data.divisions == whole.divisions == [{"parent": 1, "daughters": [2, 3], "t": 1}]
        )
        assert opened.data.notes == whole.notes
    finally:
        opened.close()


def test_ctc_written_by_strips_is_read_by_strips(tmp_path):
    data = ProjectData(raw=np.arange(3 * 90 * 70, dtype=np.uint16).reshape(3, 90, 70, 1) % 999)
    data.labels = np.zeros((3, 90, 70, 1), np.int32)
    data.labels[:, 40:70, 5:25] = 6
    path = tmp_path / "ours.zip"
    with path.open("wb") as fileobj:
        from deepcell_label.formats import bands_of

        write_ctc_bands(bands_of(data, 16), fileobj)
    opened = open_zip_planes(path, None)
    try:
        for t in range(3):
            np.testing.assert_array_equal(
                all_bands(opened.labels, t, 0, 10), data.labels[t, :, :, 0]
            )
            np.testing.assert_array_equal(opened.raw.plane(t, 0), data.raw[t, :, :, 0])
    finally:
        opened.close()


def test_ctc_track_file_is_checked_against_the_masks(tmp_path):
    raw, masks = sequence()
    path = ctc_zip(tmp_path / "bad.zip", raw, masks, TRACKS.replace("4 0 2 0", "4 0 1 0"))
    with pytest.raises(InputFormatError, match="spans frames 0 to 1 only"):
        open_zip_planes(path, None)


def test_small_zips_and_other_files_are_left_to_the_whole_reader(tmp_path):
    raw, masks = sequence()
    path = ctc_zip(tmp_path / "seq.zip", raw, masks)
    assert open_zip_planes(path, None, larger_than=raw.size) is None
    other = tmp_path / "other.zip"
    write_ctc(ProjectData(raw=raw[..., None]), other.open("wb"))
    tiff = tmp_path / "cells.tif"
    tifffile.imwrite(tiff, raw)
    assert open_zip_planes(tiff, None) is None


def test_ome_zarr_planes_hold_what_the_whole_reader_reads(tmp_path):
    path, image, labels = ome_zarr_zip(tmp_path)
    whole = read_images(path)
    opened = open_zip_planes(path, None)
    try:
        assert opened.raw.shape == whole.raw.shape == (6, 90, 70, 2)
        assert opened.data.feature_names == whole.feature_names == ["nuclei"]
        for frame in range(6):
            for channel in range(2):
                np.testing.assert_array_equal(
                    opened.raw.plane(frame, channel), whole.raw[frame, :, :, channel]
                )
            np.testing.assert_array_equal(
                all_bands(opened.labels, frame, 0), whole.labels[frame, :, :, 0]
            )
        np.testing.assert_array_equal(opened.raw.plane(5, 1), image[1, 1, 2])
    finally:
        opened.close()


def test_reading_a_large_ctc_zip_holds_a_band_not_the_sequence(tmp_path):
    """8 frames of 1500²: 72 MB of int32 labels and 36 MB of raw; a frame's member, its raw
    plane and a band of its labels are a few MB each."""
    frames, size = 8, 1500
    path = tmp_path / "large.zip"
    with path.open("wb") as fileobj:
        write_ctc_bands(synthetic(frames, size), fileobj)
    tracemalloc.start()
    try:
        opened = open_zip_planes(path, None)
        for frame in range(frames):
            opened.raw.plane(frame, 0)
            for y0 in range(0, size, 1024):
                opened.labels.band(frame, 0, y0, min(y0 + 1024, size))
        opened.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < frames * size * size * (4 + 2) / 3, f"{peak:,} bytes at the peak"


@pytest.fixture(scope="module")
def large_app(request, tmp_path_factory):
    """An app that builds every project of more than 1000 pixels frame by frame."""
    tmp = tmp_path_factory.mktemp("zip-planes")
    with app_with_worker(request, tmp, "sqlite-local", {"CREATE_INLINE_PIXELS": 1000}) as app:
        yield app


@pytest.mark.parametrize("kind", ["ctc", "ome-zarr"])
def test_a_project_built_band_by_band_has_the_files_pixels(large_app, tmp_path, kind):
    client = large_app.test_client()
    if kind == "ctc":
        raw, masks = sequence()
        path = ctc_zip(tmp_path / "seq.zip", raw, masks)
        frames, channels = raw[..., None], masks[..., None]
    else:
        path, image, labels = ome_zarr_zip(tmp_path)
        frames = np.moveaxis(image, 1, -1).reshape(6, 90, 70, 2)
        channels = np.moveaxis(labels, 1, -1).reshape(6, 90, 70, 1)
    meta = create(client, path, name=path.name)
    assert (meta["frames"], meta["height"], meta["width"]) == frames.shape[:3]
    for frame in range(frames.shape[0]):
        for channel in range(frames.shape[3]):
            np.testing.assert_array_equal(
                raw_frame(client, meta["id"], frame, channel), frames[frame, :, :, channel]
            )
        np.testing.assert_array_equal(
            label_frame(client, meta["id"], 0, frame), channels[frame, :, :, 0]
        )
    if kind == "ctc":
        assert meta["divisions"] == [{"parent": 1, "daughters": [2, 3], "t": 1}]
