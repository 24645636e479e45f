"""Frames with thousands of stored label tiles are read and exported whole on every database."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import tifffile
from helpers import create, label_frame

TILE = 256


def test_frame_with_more_tiles_than_a_query_may_name(app, tmp_path):
    client = app.test_client()
    tiles = 1100  # one query naming each tile would be deeper than SQLite allows (1000)
    height, width = tiles * TILE, 2
    raw = np.arange(height * width, dtype=np.uint16).reshape(height, width)
    labels = np.zeros((height, width), np.int32)
    labels[TILE // 2 :: TILE, 0] = np.arange(1, tiles + 1)  # one labelled pixel per tile
    tifffile.imwrite(tmp_path / "raw.tif", raw)
    tifffile.imwrite(tmp_path / "labels.tif", labels)
    project = create(client, tmp_path / "raw.tif", labels=tmp_path / "labels.tif")

    np.testing.assert_array_equal(label_frame(client, project["id"]), labels)
    response = client.get(f"/api/projects/{project['id']}/export?format=npz")
    assert response.status_code == 200, response.get_json()
    with np.load(io.BytesIO(response.data)) as saved:
        np.testing.assert_array_equal(saved["y"].reshape(height, width), labels)
    response = client.get(f"/api/projects/{project['id']}/export")
    assert response.status_code == 200, response.get_json()
    assert zipfile.ZipFile(io.BytesIO(response.data)).testzip() is None
