"""Reading an upload never holds its pixels twice: .npy and .npz members are streamed into
their final array, PNGs decoded from the file into it, TIFF members of a zip read where they
lie (or from a temporary file), and several image files of a zip put into one array.

tracemalloc sees every array NumPy allocates; the peak of a read may exceed the arrays it
returns by a block or a plane, never by a second copy of the image."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from pathlib import Path

import imagecodecs
import numpy as np
import pytest
import tifffile
from deepcell_label.formats import ProjectData, read_images, write_project_zip

FRAMES, HEIGHT, WIDTH, CHANNELS = 2, 1500, 2000, 3
# Room for a block or a plane beside the arrays returned; a second copy would need 100%.
ALLOWED = 1.35


def image() -> np.ndarray:
    """(frames, channels, height, width) uint16: 36 MB, each plane 6 MB."""
    rng = np.random.default_rng(7)
    return rng.integers(0, 60000, (FRAMES, CHANNELS, HEIGHT, WIDTH), dtype=np.uint16)


def peak_ratio(path: Path, axes: str | None = None) -> float:
    """Peak memory of reading ``path`` over the bytes of the arrays it gives."""
    tracemalloc.start()
    try:
        data = read_images(path, axes)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    kept = data.raw.nbytes + (0 if data.labels is None else data.labels.nbytes)
    return peak / kept


def save_npy(path: Path, array: np.ndarray) -> Path:
    np.save(path, array)
    return path


def zipped(path: Path, members: dict[str, bytes], compression: int) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def tiff_bytes(array: np.ndarray, **options) -> bytes:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array, photometric="minisblack", **options)
    return buffer.getvalue()


CASES = {
    # dimensions to reorder: TCYX -> frames, y, x, channels
    "npy TCYX": lambda tmp: (save_npy(tmp / "a.npy", image()), "TCYX"),
    "npy Fortran order": lambda tmp: (save_npy(tmp / "a.npy", np.asfortranarray(image())), "TCYX"),
    # float64 kept as float32: converted block by block
    "npy float64": lambda tmp: (save_npy(tmp / "a.npy", image()[0].astype(np.float64)), "CYX"),
    "npz compressed, with labels": lambda tmp: (npz(tmp), None),
    "PNG 16-bit RGB": lambda tmp: (png(tmp), None),
    "OME-TIFF TCYX": lambda tmp: (ome_tiff(tmp), None),
    "project zip (TIFFs stored)": lambda tmp: (project_zip(tmp), None),
    "zip with a deflated TIFF": lambda tmp: (
        zipped(tmp / "a.zip", {"X.tif": tiff_bytes(image(), ome=True)}, zipfile.ZIP_DEFLATED),
        None,
    ),
    "zip of one TIFF per channel": lambda tmp: (
        zipped(
            tmp / "a.zip",
            {f"channel{c}.tif": tiff_bytes(image()[:, c]) for c in range(CHANNELS)},
            zipfile.ZIP_STORED,
        ),
        None,
    ),
}


def npz(tmp: Path) -> Path:
    path = tmp / "a.npz"
    raw = np.moveaxis(image(), 1, -1)
    np.savez_compressed(path, X=raw, y=(raw[..., :1] > 30000).astype(np.int32))
    return path


def png(tmp: Path) -> Path:
    path = tmp / "a.png"
    path.write_bytes(imagecodecs.png_encode(np.ascontiguousarray(np.moveaxis(image()[0], 0, -1))))
    return path


def ome_tiff(tmp: Path) -> Path:
    path = tmp / "a.ome.tif"
    path.write_bytes(tiff_bytes(image(), ome=True, metadata={"axes": "TCYX"}))
    return path


def project_zip(tmp: Path) -> Path:
    raw = np.moveaxis(image(), 1, -1)
    labels = (raw[..., :1] // 1000).astype(np.int32)
    path = tmp / "project.zip"
    with path.open("wb") as fileobj:
        write_project_zip(ProjectData(raw=raw, labels=labels), fileobj)
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_reading_holds_the_pixels_once(tmp_path, case):
    path, axes = CASES[case](tmp_path)
    assert peak_ratio(path, axes) < ALLOWED


def test_what_is_read_is_right(tmp_path):
    """The same pixels, whichever way they were stored."""
    expected = np.moveaxis(image(), 1, -1)
    for case in ("npy TCYX", "npy Fortran order", "OME-TIFF TCYX", "project zip (TIFFs stored)"):
        path, axes = CASES[case](tmp_path)
        np.testing.assert_array_equal(read_images(path, axes).raw, expected, err_msg=case)
    path, _ = CASES["zip of one TIFF per channel"](tmp_path)
    np.testing.assert_array_equal(read_images(path).raw, expected)
