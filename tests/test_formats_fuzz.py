"""Fuzzing the format readers: random bytes and damaged valid files may only ever give our
own error types. FORMATS_FUZZ_EXAMPLES sets the examples per test (CI can raise it)."""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tifffile
from deepcell_label.errors import DeepCellLabelError
from deepcell_label.formats import ProjectData, read_images, read_labels, write_project_zip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

settings.register_profile(
    "formats-fuzz",
    max_examples=int(os.environ.get("FORMATS_FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FUZZ = settings.get_profile("formats-fuzz")
MAX_PIXELS = 1_000_000


def _seed_files() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (2, 12, 10), dtype=np.uint8)
    seeds = {}
    for name, options in {
        "tiff": {},
        "tiff-deflate": {"compression": "zlib"},
        "tiff-lzw": {"compression": "lzw"},
        "bigtiff": {"bigtiff": True},
        "ome": {"ome": True, "metadata": {"axes": "ZYX"}},
        "imagej": {"imagej": True, "metadata": {"axes": "ZYX", "Labels": ["DNA", "Membrane"]}},
    }.items():
        buffer = io.BytesIO()
        tifffile.imwrite(buffer, image, photometric="minisblack", **options)
        seeds[name] = buffer.getvalue()
    for name, fmt in (("png", "PNG"), ("jpeg", "JPEG")):
        buffer = io.BytesIO()
        Image.fromarray(image[0]).save(buffer, format=fmt)
        seeds[name] = buffer.getvalue()
    buffer = io.BytesIO()
    np.save(buffer, image)
    seeds["npy"] = buffer.getvalue()
    buffer = io.BytesIO()
    np.savez(buffer, X=image[..., None], y=(image[..., None] > 100).astype(np.int32))
    seeds["npz"] = buffer.getvalue()
    buffer = io.BytesIO()
    np.save(buffer, image[..., None])
    movie = buffer.getvalue()
    labels = (image[..., None] // 64).astype(np.int32)
    project = ProjectData(
        raw=image[..., None],
        labels=labels,
        divisions=[{"parent": 1, "daughters": [2, 3], "t": 1}],
        spot_columns=["x", "y"],
        spots=[[1.0, 2.0]],
    )
    buffer = io.BytesIO()
    write_project_zip(project, buffer)
    seeds["project-zip"] = buffer.getvalue()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for member, content in {
            "raw.npy": movie,
            "tracked.npy": movie,
            "lineage.json": json.dumps({"1": {"frames": [0], "daughters": [2]}}).encode(),
        }.items():
            info = tarfile.TarInfo(member)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    seeds["trk"] = buffer.getvalue()
    plane = io.BytesIO()
    tifffile.imwrite(plane, image[0])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for batch in range(2):
            archive.writestr(f"a_batch_{batch}_feature_0.tif", plane.getvalue())
    seeds["batch-zip"] = buffer.getvalue()
    return seeds


SEEDS = _seed_files()
FOLDER = Path(tempfile.mkdtemp(prefix="formats-fuzz-"))


def _read_both(content: bytes) -> None:
    path = FOLDER / "upload"
    path.write_bytes(content)
    for read in (
        lambda: read_images(path, max_pixels=MAX_PIXELS),
        lambda: read_labels(path, (2, 12, 10), max_pixels=MAX_PIXELS),
    ):
        try:
            read()
        except DeepCellLabelError as error:
            assert error.message  # every refusal tells the user something
        # Anything else propagates and fails the test.


def _mutate(content: bytes, data: st.DataObject) -> bytes:
    mutated = bytearray(content)
    for _ in range(data.draw(st.integers(1, 8), label="mutations")):
        kind = data.draw(st.sampled_from(["flip", "set", "cut", "insert", "delete"]), label="kind")
        position = data.draw(st.integers(0, max(len(mutated) - 1, 0)), label="position")
        if kind == "flip" and mutated:
            mutated[position] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "set" and mutated:
            mutated[position] = data.draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF]))
        elif kind == "cut":
            del mutated[position:]
        elif kind == "insert":
            mutated[position:position] = data.draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del mutated[position : position + data.draw(st.integers(1, 16))]
    return bytes(mutated)


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes(content):
    _read_both(content)


@FUZZ
@given(
    st.sampled_from(
        sorted(
            {
                "II*\0",
                "MM\0*",
                "II+\0",
                "\x89PNG\r\n\x1a\n",
                "\x93NUMPY",
                "PK\x03\x04",
                "\xff\xd8\xff",
            }
        )
    ),
    st.binary(max_size=2048),
)
def test_random_bytes_after_a_known_signature(signature, content):
    _read_both(signature.encode("latin-1") + content)


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_seed_files_are_readable(seed):
    _read_both(SEEDS[seed])
    path = FOLDER / "seed"
    path.write_bytes(SEEDS[seed])
    assert read_images(path).raw.shape[1:3] in ((12, 10),)


@FUZZ
@given(st.sampled_from(sorted(SEEDS)), st.data())
def test_mutated_valid_files(seed, data):
    _read_both(_mutate(SEEDS[seed], data))


@FUZZ
@given(st.text(max_size=40))
def test_random_axes(axes):
    path = FOLDER / "axes.npy"
    np.save(path, np.zeros((2, 3, 4), np.uint8))
    try:
        read_images(path, axes)
    except DeepCellLabelError as error:
        assert error.message
