"""Every file of the shared test data opens with the axes, shape and dtype its README says.

The README (``../shared/testdata/README.md``) describes each file as the tools of the field see
it: tifffile's axes and shape for TIFFs (``format: TIFF[imagej] axes=ZYX ...`` and ``dtype/shape:
float32 (2, 512, 512)``), Pillow's mode for PNGs, and the same for each TIFF in a project zip.
From those, the documented rules (T, Z, Q, I are frames, C and S channels) give the
(frames, height, width, channels) the reader must return, and the pixels must be the file's
own, rearranged. A file read with other axes fails here.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import numpy as np
import pytest
import tifffile
from conftest import skip_or_fail
from deepcell_label.formats import axes as axes_rules
from deepcell_label.formats import read_images
from PIL import Image
from testdata import TESTDATA

README = TESTDATA / "README.md"
# Pillow's modes: grey is one channel, colour components (S) are channels.
PNG_MODE_AXES = {mode: "YX" for mode in ("1", "L", "I", "I;16")} | {
    mode: "YXS" for mode in ("LA", "RGB", "RGBA")
}


@dataclass
class Described:
    """What the README says of one array: its axes, shape and dtype."""

    axes: str
    shape: tuple[int, ...]
    dtype: str

    @property
    def standard(self) -> tuple[int, int, int, int]:
        return axes_rules.standard_shape(self.shape, self.axes)


def _entries() -> dict[str, dict[str, str]]:
    """README sections by file: {"format": ..., "dtype/shape": ...}."""
    if not README.exists():
        return {}
    entries: dict[str, dict[str, str]] = {}
    current = None
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            current = entries.setdefault(line[4:].strip(), {})
        elif current is not None and (match := re.match(r"- ([\w/ ]+): (.*)", line)):
            current[match.group(1).strip()] = match.group(2).strip()
    return entries


ENTRIES = _entries()


def _described(kind: str, shape_text: str) -> Described:
    """An array's description from the README's format text and its 'dtype (shape)' text."""
    match = re.search(r"(\w+) \(([\d, ]+)\)", shape_text)
    assert match, f"no 'dtype (shape)' in {shape_text!r}"
    dtype, shape = match.group(1), tuple(int(n) for n in match.group(2).split(",") if n.strip())
    if kind.startswith("TIFF"):
        axes = re.search(r"axes=([A-Z]+)", kind)
        assert axes, f"no axes in {kind!r}"
        return Described(axes.group(1), shape, dtype)
    if kind.startswith("PNG"):
        mode = re.search(r"mode=(\S+)", kind)
        assert mode and mode.group(1) in PNG_MODE_AXES, f"unknown PNG mode in {kind!r}"
        return Described(PNG_MODE_AXES[mode.group(1)], shape, dtype)
    raise AssertionError(f"the README describes a format the test does not know: {kind!r}")


def _zip_members(shape_text: str) -> dict[str, Described]:
    """The TIFF members a project zip's 'dtype/shape' lists ('name: TIFF[...] ... dtype (shape)')."""
    found = {}
    for part in shape_text.split(" ; "):
        name, _, rest = part.partition(": ")
        if rest.startswith("TIFF"):
            found[name.strip()] = _described(rest, rest)
    return found


def _in_standard_order(array: np.ndarray, described: Described) -> np.ndarray:
    return axes_rules.to_standard(array.reshape(described.shape), described.axes)


def test_every_file_has_a_readme_entry():
    if not TESTDATA.exists():
        skip_or_fail("REQUIRE_TESTDATA", f"shared test data not found at {TESTDATA}")
    files = {
        str(path.relative_to(TESTDATA))
        for path in TESTDATA.rglob("*")
        if path.is_file() and path.name != "README.md"
    }
    assert files, "the shared test data folder is empty"
    assert files <= set(ENTRIES), f"files without a README entry: {sorted(files - set(ENTRIES))}"
    assert set(ENTRIES) <= files, f"README entries without a file: {sorted(set(ENTRIES) - files)}"


@pytest.mark.parametrize("rel", sorted(ENTRIES) or ["(no README)"])
def test_file_opens_with_the_axes_its_readme_says(rel):
    if rel not in ENTRIES:
        skip_or_fail("REQUIRE_TESTDATA", f"shared test data README not found at {README}")
    entry, path = ENTRIES[rel], TESTDATA / rel
    if not path.exists():
        skip_or_fail("REQUIRE_TESTDATA", f"shared test file not found at {path}")
    data = read_images(path)
    if entry["format"].startswith("DeepCell Label project zip"):
        described = _zip_members(entry["dtype/shape"])
        with zipfile.ZipFile(path) as archive:
            stored = {name: tifffile.imread(io.BytesIO(archive.read(name))) for name in described}
        image, labels = described["X.ome.tiff"], described["y.ome.tiff"]
        assert data.raw.shape == image.standard and data.raw.dtype == np.dtype(image.dtype)
        np.testing.assert_array_equal(data.raw, _in_standard_order(stored["X.ome.tiff"], image))
        assert data.labels.shape == labels.standard and labels.dtype == "int32"
        np.testing.assert_array_equal(data.labels, _in_standard_order(stored["y.ome.tiff"], labels))
        return
    described = _described(entry["format"], entry["dtype/shape"])
    assert data.raw.shape == described.standard, f"{rel} read as {data.raw.shape}"
    assert data.raw.dtype == np.dtype(described.dtype)
    if entry["format"].startswith("PNG"):
        with Image.open(path) as bitmap:
            stored = np.asarray(bitmap)
    else:
        stored = tifffile.imread(path)
    np.testing.assert_array_equal(data.raw, _in_standard_order(stored, described))
