"""OME-Zarr: export through the API, read back by ome-zarr (an independent reader) and by our
own import, import of files written by other tools, and hostile files."""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from deepcell_label.formats import ProjectData, write_project_zip
from deepcell_label.store.rawtiles import raw_key
from helpers import create, label_frame, raw_frame, upload

ome_zarr_reader = pytest.importorskip("ome_zarr.reader")
ome_zarr_io = pytest.importorskip("ome_zarr.io")


def make_project(client, raw: np.ndarray, labels: np.ndarray, channel_names: list[str]) -> dict:
    """A project from a project zip holding the arrays and the channel names."""
    buffer = io.BytesIO()
    write_project_zip(ProjectData(raw=raw, labels=labels, channel_names=channel_names), buffer)
    return create(client, data=buffer.getvalue(), name="cells.zip")


def export(client, project_id: str) -> bytes:
    response = client.get(f"/api/projects/{project_id}/export?format=ome-zarr")
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/zip"
    assert f'filename="{project_id}.ome.zarr.zip"' in response.headers["Content-Disposition"]
    return response.data


def sample(shape: tuple[int, int, int, int], dtype, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return rng.normal(100, 30, shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -1000), min(info.max, 60000), shape, dtype=dtype)


def sample_labels(frames: int, height: int, width: int, features: int) -> np.ndarray:
    labels = np.zeros((frames, height, width, features), np.int32)
    for frame in range(frames):
        for feature in range(features):
            labels[frame, 3 + frame : height // 2, 5 : width // 3, feature] = 1 + feature
            labels[frame, height // 2 :, width // 2 + feature :, feature] = 40 + frame
    return labels


def mean_2x2(plane: np.ndarray) -> np.ndarray:
    """Independent statement of the documented reduction: edge repeated, rounded half up."""
    padded = np.pad(plane, ((0, plane.shape[0] % 2), (0, plane.shape[1] % 2)), mode="edge")
    blocks = padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2)
    if plane.dtype.kind == "f":
        return blocks.astype(np.float64).mean(axis=(1, 3)).astype(plane.dtype)
    return ((blocks.astype(np.int64).sum(axis=(1, 3)) + 2) // 4).astype(plane.dtype)


def open_with_ome_zarr(content: bytes, folder: Path):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        archive.extractall(folder)
    (root,) = folder.glob("*.ome.zarr")
    nodes = list(ome_zarr_reader.Reader(ome_zarr_io.parse_url(str(root)))())
    return root, nodes


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.float32, np.int32])
def test_a_stored_tile_is_a_zarr_zlib_chunk(dtype):
    from deepcell_label.formats import tiling
    from numcodecs import Zlib

    tile = sample((1, 512, 512, 1), dtype)[0, :, :, 0].astype(np.dtype(dtype).newbyteorder(">"))
    little = tile.astype(np.dtype(dtype).newbyteorder("<"))
    assert bytes(Zlib().decode(tiling.encode(tile))) == little.tobytes()
    assert np.array_equal(tiling.decode(tiling.encode(tile), tile.shape, dtype), tile)


CASES = [
    # (frames, height, width, channels), dtype, features
    ((1, 1024, 512, 1), np.uint8, 1),  # whole tiles only
    ((2, 700, 1100, 3), np.uint16, 2),  # edge tiles, several frames, channels and features
    ((1, 523, 601, 2), np.int16, 1),  # negative values
    ((3, 97, 130, 1), np.float32, 3),  # smaller than one tile
]


@pytest.mark.parametrize(("shape", "dtype", "features"), CASES)
def test_export_reads_in_ome_zarr_and_back_in_deepcell_label(
    client, tmp_path, shape, dtype, features
):
    frames, height, width, channels = shape
    raw = sample(shape, dtype)
    labels = sample_labels(frames, height, width, features)
    names = [f"marker {c}" for c in range(channels)]
    meta = make_project(client, raw, labels, names)
    content = export(client, meta["id"])

    # Chunks are stored, not compressed again; full-size tiles keep our tile bytes.
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        infos = archive.infolist()
        assert {info.compress_type for info in infos} == {zipfile.ZIP_STORED}
        first = archive.read(f"{meta['id']}.ome.zarr/0/0/0/0/0")
    corner = raw[0, :512, :512, 0]
    if corner.shape == (512, 512):
        stored = client.application.extensions["deepcell_storage"].get(
            raw_key(meta["id"], 0, 0, 0, 0)
        )
        assert first == stored
        assert zlib.decompress(first) == corner.astype(corner.dtype.newbyteorder("<")).tobytes()
    else:  # a partial tile is padded with the fill value 0 to the full chunk
        padded = np.zeros((512, 512), raw.dtype)
        padded[: corner.shape[0], : corner.shape[1]] = corner
        assert np.array_equal(np.frombuffer(zlib.decompress(first), raw.dtype), padded.ravel())

    # An independent reader sees the image, its levels and the labels.
    root, nodes = open_with_ome_zarr(content, tmp_path / "unzipped")
    image = nodes[0]
    assert [axis["name"] for axis in image.metadata["axes"]] == ["t", "c", "y", "x"]
    assert image.metadata["channel_names"] == names
    level0 = np.asarray(image.data[0])
    assert level0.shape == (frames, channels, height, width) and level0.dtype == raw.dtype
    np.testing.assert_array_equal(level0, np.moveaxis(raw, 3, 1))
    if len(image.data) > 1:
        np.testing.assert_array_equal(np.asarray(image.data[1])[0, 0], mean_2x2(raw[0, :, :, 0]))
    attributes = json.loads((root / ".zattrs").read_text())
    window = attributes["omero"]["channels"][0]["window"]
    assert [window["start"], window["end"]] == meta["channel_ranges"][0]
    label_nodes = [node for node in nodes if "Label" in [type(s).__name__ for s in node.specs]]
    assert [node.metadata["name"] for node in label_nodes] == meta["feature_names"]
    for feature, node in enumerate(label_nodes):
        stored = np.asarray(node.data[0])
        assert stored.dtype == np.int32 and stored.shape == (frames, 1, height, width)
        np.testing.assert_array_equal(stored[:, 0], labels[..., feature])
        if len(node.data) > 1:
            np.testing.assert_array_equal(
                np.asarray(node.data[1])[:, 0], labels[:, ::2, ::2, feature]
            )
    label_attributes = json.loads((root / "labels" / "feature_0" / ".zattrs").read_text())
    assert label_attributes["image-label"]["source"] == {"image": "../../"}

    # And our own import makes the same project again.
    again = create(client, data=content, name="export.zip")
    assert (again["frames"], again["height"], again["width"], again["channels"]) == shape
    assert again["dtype"] == np.dtype(dtype).name
    assert again["channel_names"] == names
    assert again["feature_names"] == meta["feature_names"]
    for frame in range(frames):
        for channel in range(channels):
            np.testing.assert_array_equal(
                raw_frame(client, again["id"], frame, channel), raw[frame, :, :, channel]
            )
        for feature in range(features):
            np.testing.assert_array_equal(
                label_frame(client, again["id"], feature, frame), labels[frame, :, :, feature]
            )


def test_large_plane_has_a_pyramid_down_to_one_tile(client, tmp_path):
    raw = sample((1, 2100, 1500, 1), np.uint16)
    labels = sample_labels(1, 2100, 1500, 1)
    meta = make_project(client, raw, labels, ["DNA"])
    _, nodes = open_with_ome_zarr(export(client, meta["id"]), tmp_path)
    shapes = [tuple(level.shape[2:]) for level in nodes[0].data]
    assert shapes == [(2100, 1500), (1050, 750), (525, 375), (263, 188)]
    expected = raw[0, :, :, 0]
    for level in nodes[0].data[1:]:
        expected = mean_2x2(expected)
        np.testing.assert_array_equal(np.asarray(level)[0, 0], expected)
    label_levels = [node for node in nodes if node.metadata.get("name") == "feature 0"][0].data
    for index, level in enumerate(label_levels):
        step = 2**index
        np.testing.assert_array_equal(np.asarray(level)[0, 0], labels[0, ::step, ::step, 0])


def test_edited_labels_are_exported(client, tmp_path):
    raw = sample((1, 300, 300, 1), np.uint8)
    meta = make_project(client, raw, np.zeros((1, 300, 300, 1), np.int32), ["DNA"])
    edit = client.post(
        f"/api/projects/{meta['id']}/edits",
        json={
            "action": "brush",
            "feature": 0,
            "frame": 0,
            "args": {"points": [[20, 20], [20, 40]], "brush_size": 3, "cell": 9},
        },
    )
    assert edit.status_code == 200, edit.get_json()
    _, nodes = open_with_ome_zarr(export(client, meta["id"]), tmp_path)
    exported = np.asarray(nodes[-1].data[0])[0, 0]
    np.testing.assert_array_equal(exported, label_frame(client, meta["id"]))
    assert (exported == 9).sum() > 0


def test_submit_takes_ome_zarr(client, app):
    raw = sample((1, 64, 64, 1), np.uint8)
    meta = make_project(client, raw, sample_labels(1, 64, 64, 1), ["DNA"])
    response = client.post(f"/api/projects/{meta['id']}/submit", json={"format": "ome-zarr"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["key"] == f"{meta['id']}/{meta['id']}.ome.zarr.zip"
    assert response.get_json()["bytes"] > 64 * 64


# --- files written by other tools ----------------------------------------------------------


def zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder.parent).as_posix())
    return buffer.getvalue()


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_imports_files_written_by_ome_zarr(client, tmp_path, version):
    import zarr
    from ome_zarr.format import FormatV04, FormatV05
    from ome_zarr.writer import write_image, write_labels

    fmt = FormatV04() if version == "0.4" else FormatV05()
    rng = np.random.default_rng(1)
    image = rng.integers(0, 4000, (2, 2, 3, 90, 70), dtype=np.uint16)  # t, c, z, y, x
    labels = np.zeros((2, 1, 3, 90, 70), np.uint16)
    labels[:, :, :, 10:50, 20:60] = 3
    labels[1, :, 2, 60:, :30] = 8
    folder = tmp_path / "cells.ome.zarr"
    group = zarr.open_group(str(folder), mode="w", zarr_format=2 if version == "0.4" else 3)
    write_image(
        image,
        group,
        axes="tczyx",
        fmt=fmt,
        scale_factors=[2],
        metadata={"omero": {"channels": [{"label": "DNA"}, {"label": "Membrane"}]}},
    )
    write_labels(labels, group, name="nuclei", axes="tczyx", fmt=fmt, scale_factors=[2])
    meta = create(client, data=zip_folder(folder), name="cells.zip")
    # Frames are time points and, inside each, depths (as for other files with z).
    assert (meta["frames"], meta["height"], meta["width"], meta["channels"]) == (6, 90, 70, 2)
    assert meta["feature_names"] == ["nuclei"]
    for time in range(2):
        for depth in range(3):
            frame = time * 3 + depth
            np.testing.assert_array_equal(
                raw_frame(client, meta["id"], frame, 1), image[time, 1, depth]
            )
            np.testing.assert_array_equal(
                label_frame(client, meta["id"], 0, frame), labels[time, 0, depth]
            )


# --- hostile and damaged files -------------------------------------------------------------


def zarr_zip(entries: dict[str, bytes | dict]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            data = json.dumps(content).encode() if isinstance(content, dict) else content
            archive.writestr(name, data)
    return buffer.getvalue()


def image_entries(shape=(1, 1, 4, 4), chunks=(1, 1, 4, 4), compressor="zlib") -> dict:
    axes = [
        {"name": n, "type": t}
        for n, t in zip("tcyx", ["time", "channel", "space", "space"], strict=True)
    ]
    return {
        "a.ome.zarr/.zgroup": {"zarr_format": 2},
        "a.ome.zarr/.zattrs": {
            "multiscales": [{"version": "0.4", "axes": axes, "datasets": [{"path": "0"}]}]
        },
        "a.ome.zarr/0/.zarray": {
            "zarr_format": 2,
            "shape": list(shape),
            "chunks": list(chunks),
            "dtype": "<u2",
            "compressor": {"id": compressor, "level": 1} if compressor else None,
            "fill_value": 0,
            "order": "C",
            "filters": None,
            "dimension_separator": "/",
        },
    }


def refused(client, content: bytes) -> tuple[int, str]:
    response = upload(client, data=content, name="hostile.zip")
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:300])
    return response.status_code, response.get_json()["error"]


def test_a_good_minimal_file_is_read(client):
    entries = image_entries()
    entries["a.ome.zarr/0/0/0/0/0"] = zlib.compress(np.arange(16, dtype="<u2").tobytes())
    meta = create(client, data=zarr_zip(entries), name="small.zip")
    np.testing.assert_array_equal(raw_frame(client, meta["id"]), np.arange(16).reshape(4, 4))


def test_names_outside_the_archive_are_refused(client):
    entries = image_entries()
    entries["../a.ome.zarr/0/0/0/0/0"] = zlib.compress(np.zeros(16, "<u2").tobytes())
    status, error = refused(client, zarr_zip(entries))
    assert status == 400 and "outside the archive" in error


def test_a_huge_declared_shape_is_refused_before_reading(client):
    entries = image_entries(shape=(1, 1, 10**6, 10**6), chunks=(1, 1, 512, 512))
    entries["a.ome.zarr/0/0/0/0/0"] = zlib.compress(np.zeros(512 * 512, "<u2").tobytes())
    status, error = refused(client, zarr_zip(entries))
    assert status == 413 and "pixel values" in error


def test_huge_chunks_are_refused(client):
    entries = image_entries(shape=(1, 1, 64, 64), chunks=(1, 1, 10**6, 10**6))
    entries["a.ome.zarr/0/0/0/0/0"] = b"x"
    status, error = refused(client, zarr_zip(entries))
    assert "chunks of" in error


def test_tiny_chunks_on_a_large_image_are_refused(client):
    entries = image_entries(shape=(1, 1, 20_000, 20_000), chunks=(1, 1, 4, 4))
    entries["a.ome.zarr/0/0/0/0/0"] = zlib.compress(np.zeros(16, "<u2").tobytes())
    assert "25,000,000 chunks" in refused(client, zarr_zip(entries))[1]


def test_a_chunk_that_expands_beyond_its_size_is_refused(client):
    entries = image_entries()
    entries["a.ome.zarr/0/0/0/0/0"] = zlib.compress(bytes(50 * 2**20), 9)  # 50 MB of zeros
    status, error = refused(client, zarr_zip(entries))
    assert status == 413 and "expands to more than" in error


def test_an_image_without_chunks_is_refused(client):
    status, error = refused(client, zarr_zip(image_entries()))
    assert "no pixel data" in error


def test_a_missing_array_is_refused(client):
    entries = image_entries()
    del entries["a.ome.zarr/0/.zarray"]
    entries["a.ome.zarr/0/0/0/0/0"] = zlib.compress(np.zeros(16, "<u2").tobytes())
    status, error = refused(client, zarr_zip(entries))
    assert "lacks the array" in error


def test_a_damaged_chunk_is_refused(client):
    entries = image_entries()
    entries["a.ome.zarr/0/0/0/0/0"] = b"this is not deflate data"
    status, error = refused(client, zarr_zip(entries))
    assert "damaged chunk" in error


def test_unknown_axes_and_codecs_are_refused(client):
    entries = image_entries()
    entries["a.ome.zarr/0/0/0/0/0"] = zlib.compress(np.zeros(16, "<u2").tobytes())
    entries["a.ome.zarr/.zattrs"]["multiscales"][0]["axes"][0] = {"name": "angle", "type": "x"}
    assert "axis 'angle'" in refused(client, zarr_zip(entries))[1]
    entries = image_entries(compressor="bz2")
    entries["a.ome.zarr/0/0/0/0/0"] = b"BZh9"
    assert "'bz2'" in refused(client, zarr_zip(entries))[1]


def test_metadata_that_is_not_json_is_refused(client):
    entries = image_entries()
    entries["a.ome.zarr/.zattrs"] = b"{not json"
    assert "not valid JSON" in refused(client, zarr_zip(entries))[1]


def test_an_ome_zarr_may_have_more_entries_than_other_zips(client):
    entries = image_entries(shape=(1, 1, 100, 101), chunks=(1, 1, 1, 1), compressor=None)
    expected = np.arange(100 * 101, dtype="<u2").reshape(100, 101)
    for y in range(100):
        for x in range(101):
            entries[f"a.ome.zarr/0/0/0/{y}/{x}"] = expected[y, x].tobytes()
    assert len(entries) > 10_000
    meta = create(client, data=zarr_zip(entries), name="many.zip")
    np.testing.assert_array_equal(raw_frame(client, meta["id"]), expected)


@pytest.mark.parametrize(
    "change",
    [
        lambda attributes: attributes["multiscales"][0].update(axes=[1, 2, 3, 4]),
        lambda attributes: attributes["multiscales"][0].update(axes="tcyx"),
        lambda attributes: attributes["multiscales"][0].update(datasets={"path": "0"}),
        lambda attributes: attributes["multiscales"][0].update(datasets=[{"path": "../0"}]),
        lambda attributes: attributes.update(multiscales={"axes": []}),
        lambda attributes: attributes.update(omero=["DNA"], labels="nuclei"),
    ],
)
def test_malformed_metadata_is_refused_or_ignored_never_a_crash(client, change):
    entries = image_entries()
    entries["a.ome.zarr/0/0/0/0/0"] = zlib.compress(np.zeros(16, "<u2").tobytes())
    change(entries["a.ome.zarr/.zattrs"])
    response = upload(client, data=zarr_zip(entries), name="odd.zip")
    assert response.status_code in (201, 400), response.data[:300]
    assert response.status_code == 201 or response.get_json()["error"].startswith("The OME-Zarr")
