"""Pyramid levels: raw view tiles are 2×2 means, label view tiles stride samples, kept exact by edits."""

from __future__ import annotations

import io

import numpy as np
import pytest
import tifffile
from deepcell_label.store import pyramid
from helpers import create, pixels

VIEW = 512


def reference_level(plane: np.ndarray, level: int) -> np.ndarray:
    """Level `level` as docs/API.md defines it, computed the plain way (in float64)."""
    current = plane
    for _ in range(level):
        height, width = current.shape
        padded = np.pad(current, ((0, height % 2), (0, width % 2)), mode="edge").astype(np.float64)
        mean = (
            padded[0::2, 0::2] + padded[0::2, 1::2] + padded[1::2, 0::2] + padded[1::2, 1::2]
        ) / 4
        if np.issubdtype(plane.dtype, np.integer):
            mean = np.floor(mean + 0.5)  # halves round up
        current = mean.astype(plane.dtype)
    return current


def test_level_count_and_shapes_follow_repeated_ceil_halving():
    assert pyramid.level_count(512, 512) == 1
    assert pyramid.level_count(513, 10) == 2
    assert pyramid.level_count(16384, 16384) == 6
    assert pyramid.level_count(3000, 700) == 4  # 3000 -> 1500 -> 750 -> 375
    assert pyramid.level_shape(3001, 1025, 2) == (751, 257)


@pytest.mark.parametrize(
    "dtype", ["uint8", "int8", "uint16", "int16", "int32", "uint32", "float32"]
)
@pytest.mark.parametrize("shape", [(7, 5), (1, 9), (8, 1), (301, 299)])
def test_downsample_equals_the_reference_mean(dtype, shape):
    rng = np.random.default_rng(7)
    info = np.finfo(dtype) if dtype.startswith("float") else np.iinfo(dtype)
    low, high = (-1e6, 1e6) if dtype.startswith("float") else (info.min, info.max)
    plane = rng.uniform(low, high, shape).astype(dtype)
    plane.flat[:4] = [info.max, info.max, info.max, info.max]  # sums that would overflow the dtype
    current = plane
    for level in range(1, 4):
        current = pyramid.downsample(current)
        expected = reference_level(plane, level)
        if dtype.startswith("float"):
            np.testing.assert_allclose(current, expected, rtol=1e-6)
        else:
            np.testing.assert_array_equal(current, expected)
        assert current.dtype == plane.dtype


def _tiff(array: np.ndarray, axes: str) -> bytes:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array, metadata={"axes": axes})
    return buffer.getvalue()


def _create_labelled(client, raw: np.ndarray, labels: np.ndarray, axes: str) -> dict:
    return create(
        client,
        data=_tiff(raw, axes),
        name="labelled.tif",
        axes=axes,
        labels=_tiff(labels, axes),
        labels_axes=axes,
    )


def _level_tile(client, path: str) -> np.ndarray:
    return pixels(client.get(path))


def _whole_level(client, base: str, level: int, height: int, width: int) -> np.ndarray:
    """A level put together from its view tiles."""
    level_height, level_width = pyramid.level_shape(height, width, level)
    out = None
    for tile_y in range(-(-level_height // VIEW)):
        for tile_x in range(-(-level_width // VIEW)):
            tile = _level_tile(client, f"{base}/levels/{level}/tiles/{tile_y}/{tile_x}")
            if out is None:
                out = np.zeros((level_height, level_width), tile.dtype)
            y0, x0 = tile_y * VIEW, tile_x * VIEW
            assert tile.shape == (
                min(VIEW, level_height - y0),
                min(VIEW, level_width - x0),
            )
            out[y0 : y0 + tile.shape[0], x0 : x0 + tile.shape[1]] = tile
    return out


@pytest.mark.parametrize("dtype", ["uint16", "float32"])
def test_raw_level_tiles_equal_the_reference(client, dtype):
    rng = np.random.default_rng(3)
    raw = (rng.random((2, 1100, 1300, 2)) * 60000).astype(dtype)
    meta = create(client, data=_tiff(raw, "TYXC"), name="odd.tif", axes="TYXC")
    assert meta["levels"] == 3 and meta["view_tile_size"] == VIEW
    assert meta["status"] == "ready" and meta["progress"] == 1.0 and meta["status_message"] == ""
    for frame in range(2):
        for channel in range(2):
            base = f"/api/projects/{meta['id']}/raw/{frame}/{channel}"
            for level in range(3):
                found = _whole_level(client, base, level, 1100, 1300)
                expected = reference_level(raw[frame, :, :, channel], level)
                np.testing.assert_array_equal(found, expected)
    response = client.get(f"/api/projects/{meta['id']}/raw/0/0/levels/1/tiles/0/0")
    assert response.headers["X-Dtype"] == dtype
    assert "immutable" in response.headers["Cache-Control"]


def _edit(client, project_id: str, route: str, **fields) -> dict:
    response = client.post(f"/api/projects/{project_id}/{route}", json=fields)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _frame(client, project_id: str) -> np.ndarray:
    return pixels(client.get(f"/api/projects/{project_id}/labels/0/0"))


def _check_overviews(client, project_id: str, height: int, width: int, levels: int) -> None:
    frame = _frame(client, project_id)
    base = f"/api/projects/{project_id}/labels/0/0"
    for level in range(levels):
        found = _whole_level(client, base, level, height, width)
        np.testing.assert_array_equal(found, frame[:: 1 << level, :: 1 << level], f"level {level}")


def test_label_view_tiles_follow_brush_flood_erase_undo_and_redo(client):
    height, width = 1500, 2100  # levels 0..3; edge tiles of odd sizes
    raw = np.zeros((height, width), np.uint8)
    labels = np.zeros((height, width), np.int32)
    labels[100:900, 200:1300] = 5
    labels[1000:1490, 1600:2099] = 9
    labels[300:320, 300:320] = 0  # a hole in cell 5
    meta = _create_labelled(client, raw, labels, "YX")
    pid, levels = meta["id"], meta["levels"]
    assert levels == 4
    _check_overviews(client, pid, height, width, levels)

    stroke = {"points": [[x, 50 + x // 4] for x in range(0, 2000, 40)], "brush_size": 8, "cell": 7}
    _edit(client, pid, "edits", action="brush", args=stroke)
    _check_overviews(client, pid, height, width, levels)
    # A flood of the background, bounded by a region, and a flood of a cell's hole.
    region = {"x": 0, "y": 950, "width": 1500, "height": 550}
    _edit(
        client,
        pid,
        "edits",
        action="flood",
        args={"x": 10, "y": 1400, "cell": 11, "region": region},
    )
    _edit(client, pid, "edits", action="flood", args={"x": 310, "y": 310, "cell": 5})
    _check_overviews(client, pid, height, width, levels)
    # Erasing a whole cell leaves overview tiles all background (they are deleted, read as zeros).
    _edit(client, pid, "edits", action="erase", args={**stroke, "cell": 7})
    _edit(client, pid, "edits", action="delete", args={"cell": 9})
    _check_overviews(client, pid, height, width, levels)
    for _ in range(3):
        _edit(client, pid, "undo")
        _check_overviews(client, pid, height, width, levels)
    _edit(client, pid, "redo")
    _check_overviews(client, pid, height, width, levels)


def test_label_view_tile_versions_answer_not_modified_until_a_pixel_changes(client):
    labels = np.zeros((1200, 1200), np.int32)
    labels[0:700, 0:700] = 3
    meta = _create_labelled(client, np.zeros((1200, 1200), np.uint8), labels, "YX")
    pid = meta["id"]
    paths = [f"/api/projects/{pid}/labels/0/0/levels/{level}/tiles/0/0" for level in range(3)]
    tags = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
        assert response.headers["X-Version"] == response.headers["ETag"].strip('"')
        tags[path] = response.headers["ETag"]
        assert client.get(path, headers={"If-None-Match": tags[path]}).status_code == 304
    # Erasing all of cell 3 empties each tile: every version changes.
    _edit(client, pid, "edits", action="delete", args={"cell": 3})
    for path in paths:
        response = client.get(path, headers={"If-None-Match": tags[path]})
        assert response.status_code == 200, path
        assert not pixels(response).any()


@pytest.mark.parametrize(
    "path",
    [
        "raw/0/0/levels/3/tiles/0/0",
        "raw/0/0/levels/1/tiles/1/0",
        "raw/0/0/levels/0/tiles/0/3",
        "labels/0/0/levels/3/tiles/0/0",
        "labels/0/0/levels/2/tiles/0/1",
        "labels/1/0/levels/0/tiles/0/0",
        "raw/0/1/levels/0/tiles/0/0",
    ],
)
def test_levels_and_tiles_outside_the_pyramid_are_not_found(client, path):
    meta = create(
        client, data=_tiff(np.zeros((900, 1100), np.uint16), "YX"), name="n.tif", axes="YX"
    )
    assert meta["levels"] == 3  # 900x1100 -> 450x550 -> 225x275
    response = client.get(f"/api/projects/{meta['id']}/{path}")
    assert response.status_code == 404
    assert "error" in response.get_json()


def test_projects_made_before_pyramids_get_them_from_the_command(app, client):
    from deepcell_label.store.models import LabelOverview, db
    from sqlalchemy import delete

    rng = np.random.default_rng(4)
    raw = rng.integers(0, 255, (2, 700, 900), dtype=np.uint8)
    labels = np.zeros((2, 700, 900), np.int32)
    labels[:, 100:600, 50:800] = 4
    meta = _create_labelled(client, raw, labels, "TYX")
    pid = meta["id"]
    _edit(client, pid, "edits", action="delete", args={"cell": 4}, frame=1)
    # As a project created before pyramids: level 0 only.
    store = app.extensions["deepcell_storage"]
    with app.app_context():
        db.session.execute(delete(LabelOverview).where(LabelOverview.project_id == pid))
        db.session.commit()
    for frame in range(2):
        store.delete_prefix(f"projects/{pid}/raw/{frame}/0/L1/")
    result = app.test_cli_runner().invoke(args=["add-pyramids"])
    assert result.exit_code == 0, result.output
    assert f"{pid}: 2 levels written" in result.output
    for frame in range(2):
        base = f"/api/projects/{pid}/raw/{frame}/0"
        np.testing.assert_array_equal(
            _whole_level(client, base, 1, 700, 900), reference_level(raw[frame], 1)
        )
        base = f"/api/projects/{pid}/labels/0/{frame}"
        expected = labels[0] if frame == 0 else np.zeros_like(labels[0])
        np.testing.assert_array_equal(_whole_level(client, base, 1, 700, 900), expected[::2, ::2])
    # Run again, it finds nothing to do.
    assert pid not in app.test_cli_runner().invoke(args=["add-pyramids"]).output
