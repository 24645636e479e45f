"""Edits through the HTTP API: patches, cells, undo/redo across restarts, bad edits, lineage."""

from __future__ import annotations

import base64
import io
import zlib

import numpy as np
import pytest
import tifffile
from helpers import create, label_frame
from testdata import testdata_path as shared_file


def _blank_project(client, height: int = 40, width: int = 60, frames: int = 1) -> dict:
    buffer = io.BytesIO()
    rng = np.random.default_rng(1)
    tifffile.imwrite(buffer, rng.integers(0, 1000, (frames, height, width), dtype=np.uint16))
    return create(
        client, data=buffer.getvalue(), name="blank.tif", axes="TYX" if frames > 1 else "YX"
    )


def _edit(client, project_id: str, action: str, status: int = 200, **fields) -> dict:
    body = {"action": action, **fields}
    response = client.post(f"/api/projects/{project_id}/edits", json=body)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def _patch_values(patch: dict) -> np.ndarray:
    raw = zlib.decompress(base64.b64decode(patch["data"]))
    return np.frombuffer(raw, "<i4").reshape(patch["height"], patch["width"])


def test_brush_answers_a_small_patch_and_the_labels_change(client):
    meta = _blank_project(client)
    answer = _edit(
        client,
        meta["id"],
        "brush",
        args={"points": [[10, 10], [20, 12]], "brush_size": 3, "cell": 4},
        base_version=0,
    )
    assert answer["version"] == 1 and answer["can_undo"] and not answer["can_redo"]
    (edit,) = answer["edits"]
    (patch,) = edit["patches"]
    labels = label_frame(client, meta["id"])
    # The patch is exactly the changed box and its values are what the server now stores.
    box = labels[
        patch["y"] : patch["y"] + patch["height"], patch["x"] : patch["x"] + patch["width"]
    ]
    np.testing.assert_array_equal(_patch_values(patch), box)
    ys, xs = np.nonzero(labels)
    assert (ys.min(), xs.min(), ys.max() + 1, xs.max() + 1) == (
        patch["y"],
        patch["x"],
        patch["y"] + patch["height"],
        patch["x"] + patch["width"],
    )
    assert set(np.unique(labels)) == {0, 4}
    assert labels[10, 10] == 4 and labels[12, 20] == 4 and labels[10, 30] == 0
    assert edit["cells"] == [{"c": 0, "t": 0, "value": 4, "cells": [4]}]
    assert client.get(f"/api/projects/{meta['id']}").get_json()["cells"] == [
        {"value": 4, "cell": 4, "t": 0, "c": 0}
    ]


def test_undo_redo_and_history_survive_a_restart(app, client):
    meta = _blank_project(client)
    pid = meta["id"]
    _edit(client, pid, "brush", args={"points": [[5, 5]], "brush_size": 2, "cell": 1})
    first = label_frame(client, pid)
    _edit(client, pid, "grow", args={"cell": 1})
    grown = label_frame(client, pid)
    assert (grown == 1).sum() > (first == 1).sum()

    # A second app on the same database and storage stands for a restart or another machine.
    from deepcell_label.app import create_app

    other = create_app(
        {
            k: app.config[k]
            for k in (
                "DATA_DIR",
                "SQLALCHEMY_DATABASE_URI",
                "STORAGE",
                "STORAGE_BUCKET",
                "AWS_ENDPOINT_URL",
            )
        }
    ).test_client()
    undone = other.post(f"/api/projects/{pid}/undo", json={}).get_json()
    assert undone["version"] == 3 and undone["edits"][0]["kind"] == "undo" and undone["can_redo"]
    np.testing.assert_array_equal(label_frame(client, pid), first)
    redone = client.post(f"/api/projects/{pid}/redo", json={}).get_json()
    assert redone["version"] == 4 and not redone["can_redo"]
    np.testing.assert_array_equal(label_frame(other, pid), grown)
    history = client.get(f"/api/projects/{pid}/edits?since=0").get_json()
    assert [e["kind"] for e in history["edits"]] == ["edit", "edit", "undo", "redo"]
    assert client.get(f"/api/projects/{pid}/edits?since=3").get_json()["edits"][0]["version"] == 4


def test_new_edit_after_undo_discards_redo(client):
    pid = _blank_project(client)["id"]
    _edit(client, pid, "brush", args={"points": [[5, 5]], "brush_size": 2, "cell": 1})
    _edit(client, pid, "brush", args={"points": [[30, 20]], "brush_size": 2, "cell": 2})
    client.post(f"/api/projects/{pid}/undo", json={})
    answer = _edit(client, pid, "brush", args={"points": [[50, 30]], "brush_size": 2, "cell": 3})
    assert not answer["can_redo"]
    response = client.post(f"/api/projects/{pid}/redo", json={})
    assert response.status_code == 409 and "nothing to redo" in response.get_json()["error"]
    assert set(np.unique(label_frame(client, pid))) == {0, 1, 3}
    client.post(f"/api/projects/{pid}/undo", json={})
    client.post(f"/api/projects/{pid}/undo", json={})
    assert client.post(f"/api/projects/{pid}/undo", json={}).status_code == 409
    assert set(np.unique(label_frame(client, pid))) == {0}


def test_stale_base_version_is_rebased_and_catches_up(client):
    pid = _blank_project(client)["id"]
    _edit(
        client, pid, "brush", args={"points": [[5, 5]], "brush_size": 2, "cell": 1}, base_version=0
    )
    # This client still believes the project is at version 0: its edit applies, and it receives
    # the edit it missed as well as its own.
    answer = _edit(
        client,
        pid,
        "brush",
        args={"points": [[40, 20]], "brush_size": 2, "cell": 2},
        base_version=0,
    )
    assert [e["version"] for e in answer["edits"]] == [1, 2]
    assert set(np.unique(label_frame(client, pid))) == {0, 1, 2}


def test_overlap_write_mode_stores_two_cells_in_one_value(client):
    pid = _blank_project(client)["id"]
    _edit(client, pid, "brush", args={"points": [[10, 10]], "brush_size": 3, "cell": 1})
    answer = _edit(
        client,
        pid,
        "brush",
        args={"points": [[13, 10]], "brush_size": 3, "cell": 2},
        write_mode="overlap",
    )
    shared = [c for c in answer["edits"][0]["cells"] if c["cells"] == [1, 2]]
    assert len(shared) == 1
    labels = label_frame(client, pid)
    assert labels[10, 12] == shared[0]["value"]
    cells = client.get(f"/api/projects/{pid}").get_json()["cells"]
    assert {(c["value"], c["cell"]) for c in cells if c["value"] == shared[0]["value"]} == {
        (shared[0]["value"], 1),
        (shared[0]["value"], 2),
    }
    # Erasing cell 2 gives the shared pixels back to cell 1 alone.
    _edit(client, pid, "erase", args={"points": [[13, 10]], "brush_size": 3, "cell": 2})
    labels = label_frame(client, pid)
    assert set(np.unique(labels)) == {0, 1}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "bogus", "args": {}}, "Unknown action"),
        ({"action": "brush", "args": {"brush_size": 3, "cell": 1}}, "points"),
        (
            {
                "action": "brush",
                "args": {"points": [[1, 1]], "brush_size": 3, "cell": 1, "colour": 2},
            },
            "colour",
        ),
        (
            {"action": "brush", "args": {"points": [[100, 1]], "brush_size": 3, "cell": 1}},
            "outside",
        ),
        ({"action": "brush", "args": {"points": [[1, 1]], "brush_size": 3, "cell": -4}}, "cell"),
        ({"action": "trim", "args": {"x": 1, "y": 1, "cell": 77}}, "77"),
        ({"action": "grow", "args": {"cell": 5}}, "5"),
        (
            {
                "action": "threshold",
                "args": {"x1": 1, "y1": 1, "x2": 5, "y2": 5, "cell": 1, "channel": 3},
            },
            "channel",
        ),
        (
            {
                "action": "brush",
                "args": {"points": [[1, 1]], "brush_size": 3, "cell": 1},
                "frame": 9,
            },
            "frame",
        ),
        (
            {
                "action": "brush",
                "args": {"points": [[1, 1]], "brush_size": 3, "cell": 1},
                "write_mode": "x",
            },
            "write_mode",
        ),
        ({"action": "brush", "args": [1, 2]}, "args"),
        ({"args": {}}, "action"),
        ({"action": "delete", "args": {"cell": 3, "scope": "sometimes"}}, "scope"),
        (
            {
                "action": "brush",
                "args": {"points": [[1, 1]], "brush_size": 3, "cell": 1},
                "base_version": -1,
            },
            "base_version",
        ),
    ],
)
def test_bad_edits_are_refused_clearly(client, body, message):
    pid = _blank_project(client)["id"]
    response = client.post(f"/api/projects/{pid}/edits", json=body)
    assert response.status_code == 400, response.get_json()
    assert message.lower() in response.get_json()["error"].lower()
    assert client.get(f"/api/projects/{pid}").get_json()["version"] == 0


def test_edit_body_must_be_json(client):
    pid = _blank_project(client)["id"]
    response = client.post(
        f"/api/projects/{pid}/edits", data=b"\xff\xfe not json", content_type="application/json"
    )
    assert response.status_code == 400 and "JSON" in response.get_json()["error"]
    assert (
        client.post(
            "/api/projects/nope/edits", json={"action": "grow", "args": {"cell": 1}}
        ).status_code
        == 404
    )


def test_cell_actions_keep_divisions_consistent(client):
    meta = create(client, shared_file("deepcell-label-zips/oneDivision.zip"))
    pid = meta["id"]
    # Replacing daughter 135 by 134 in all frames: 134 takes 135's pixels; the division keeps one daughter.
    answer = _edit(
        client, pid, "replace", args={"cell": 134, "other_cell": 135, "scope": "all"}, frame=1
    )
    assert answer["edits"][0]["divisions"] == [{"parent": 31, "daughters": [134], "t": 1}]
    assert any(f["kind"] == "single_daughter" for f in answer["findings"])
    assert 135 not in set(np.unique(label_frame(client, pid, 0, 1)))
    # Undo restores the lineage exactly.
    undone = client.post(f"/api/projects/{pid}/undo", json={}).get_json()
    assert undone["edits"][0]["divisions"] == [{"parent": 31, "daughters": [134, 135], "t": 1}]
    assert undone["findings"] == []


def test_division_actions_and_findings(client):
    pid = create(client, shared_file("deepcell-label-zips/oneDivision.zip"))["id"]
    removed = _edit(client, pid, "remove_daughter", args={"parent": 31, "daughter": 135})
    assert removed["edits"][0]["divisions"] == [{"parent": 31, "daughters": [134], "t": 1}]
    assert [f["kind"] for f in removed["findings"]] == ["single_daughter"]
    polled = client.get(f"/api/projects/{pid}/edits?since=0").get_json()
    assert [f["kind"] for f in polled["findings"]] == ["single_daughter"]
    added = _edit(client, pid, "add_daughter", args={"parent": 31, "daughter": 135})
    assert added["edits"][0]["divisions"] == [{"parent": 31, "daughters": [134, 135], "t": 1}]
    assert added["findings"] == []
    # Deleting the parent in every frame removes the division.
    deleted = _edit(client, pid, "delete", args={"cell": 31, "scope": "all"})
    assert deleted["edits"][0]["divisions"] == []


def test_cell_type_actions(client):
    pid = create(client, shared_file("deepcell-label-zips/rgb.zip"))["id"]
    created = _edit(
        client, pid, "create_cell_type", args={"name": "T cell", "color": "#ff0000", "feature": 0}
    )
    (cell_type,) = created["edits"][0]["cellTypes"]
    assert cell_type["name"] == "T cell" and cell_type["cells"] == []
    added = _edit(client, pid, "add_to_cell_type", args={"id": cell_type["id"], "cell": 2})
    assert added["edits"][0]["cellTypes"][0]["cells"] == [2]
    deleted = _edit(client, pid, "delete", args={"cell": 2, "scope": "all"})
    assert deleted["edits"][0]["cellTypes"][0]["cells"] == []
    # Several cells at once (e.g. picked in a plot) are one undoable edit.
    several = _edit(client, pid, "add_to_cell_type", args={"id": cell_type["id"], "cells": [1, 2]})
    assert several["edits"][0]["cellTypes"][0]["cells"] == [1, 2]
    client.post(f"/api/projects/{pid}/undo", json={})
    assert client.get(f"/api/projects/{pid}").get_json()["cellTypes"][0]["cells"] == []
    assert client.get(f"/api/projects/{pid}").get_json()["cellTypes"][0]["cells"] == []


def test_swap_and_new_over_frames(client):
    meta = create(client, shared_file("deepcell-label-zips/oneDivision.zip"))
    pid = meta["id"]
    before = [label_frame(client, pid, 0, t) for t in (0, 1)]
    _edit(client, pid, "swap", args={"cell": 23, "other_cell": 31, "scope": "all"})
    after = [label_frame(client, pid, 0, t) for t in (0, 1)]
    for old, new in zip(before, after, strict=True):
        np.testing.assert_array_equal(new == 23, old == 31)
        np.testing.assert_array_equal(new == 31, old == 23)
    # After the swap, 31 is in both frames; giving it a new id from frame 1 on splits its track.
    answer = _edit(client, pid, "new", args={"cell": 31, "scope": "future"}, frame=1)
    new_id = max(c for e in answer["edits"] for item in e["cells"] for c in item["cells"])
    assert new_id > 135
    cells = {(c["cell"], c["t"]) for c in client.get(f"/api/projects/{pid}").get_json()["cells"]}
    assert (31, 0) in cells and (31, 1) not in cells and (new_id, 1) in cells


def test_pixel_actions_on_real_nuclei(client):
    meta = create(
        client, shared_file("stardist/img2d.tif"), labels=shared_file("stardist/mask2d.tif")
    )
    pid = meta["id"]
    labels = label_frame(client, pid)
    cell = int(np.bincount(labels.ravel())[1:].argmax()) + 1
    ys, xs = np.nonzero(labels == cell)
    area = len(ys)
    for action in ("shrink", "grow", "autofit"):
        answer = _edit(client, pid, action, args={"cell": cell})
        assert answer["edits"][0]["patches"], action
    now = label_frame(client, pid)
    assert (now == cell).sum() > area * 0.3
    untouched = np.ones_like(labels, bool)
    untouched[max(ys.min() - 30, 0) : ys.max() + 30, max(xs.min() - 30, 0) : xs.max() + 30] = False
    np.testing.assert_array_equal(now[untouched], labels[untouched])
    # Watershed with two seeds in the cell splits it in two.
    ys, xs = np.nonzero(now == cell)
    a, b = np.argmin(xs), np.argmax(xs)
    answer = _edit(
        client,
        pid,
        "watershed",
        args={
            "x1": int(xs[a]) + 1,
            "y1": int(ys[a]),
            "x2": int(xs[b]) - 1,
            "y2": int(ys[b]),
            "cell": cell,
        },
    )
    split = label_frame(client, pid)
    assert len(set(np.unique(split)) - set(np.unique(now))) == 1


def test_flood_fills_a_hole_and_a_clicked_cell(client):
    pid = _blank_project(client, 50, 70)["id"]
    ring = [[x, 10] for x in range(10, 31)] + [[30, y] for y in range(10, 31)]
    ring += [[x, 30] for x in range(30, 9, -1)] + [[10, y] for y in range(30, 9, -1)]
    _edit(client, pid, "brush", args={"points": ring, "brush_size": 1, "cell": 1})
    _edit(client, pid, "brush", args={"points": [[60, 40]], "brush_size": 3, "cell": 2})
    # A click inside the ring fills the hole only: the patch stays inside the ring.
    answer = _edit(client, pid, "flood", args={"x": 20, "y": 20, "cell": 1})
    (patch,) = answer["edits"][0]["patches"]
    assert (patch["x"], patch["y"], patch["width"], patch["height"]) == (11, 11, 19, 19)
    labels = label_frame(client, pid)
    assert (labels[10:31, 10:31] == 1).all() and labels[5, 5] == 0
    # A click on cell 2 gives all of its pixels to cell 3 (overwrite), and nothing else.
    _edit(client, pid, "flood", args={"x": 60, "y": 40, "cell": 3}, write_mode="overwrite")
    after = label_frame(client, pid)
    np.testing.assert_array_equal(after == 3, labels == 2)
    # A click on the open background floods all of it with cell 4.
    _edit(client, pid, "flood", args={"x": 0, "y": 0, "cell": 4})
    final = label_frame(client, pid)
    np.testing.assert_array_equal(final == 4, after == 0)


def test_rename_channel_is_an_undoable_edit(client):
    meta = create(client, shared_file("deepcell-label-zips/rgb.zip"))
    pid = meta["id"]
    assert not meta["can_undo"] and not meta["can_redo"]
    answer = _edit(client, pid, "rename_channel", args={"channel": 1, "name": " CD45 "})
    assert answer["edits"][0]["channelNames"][1] == "CD45"
    again = client.get(f"/api/projects/{pid}").get_json()
    assert again["channel_names"][1] == "CD45" and again["can_undo"]
    client.post(f"/api/projects/{pid}/undo", json={})
    assert client.get(f"/api/projects/{pid}").get_json()["channel_names"] == meta["channel_names"]
    _edit(client, pid, "rename_channel", 400, args={"channel": 7, "name": "x"})
    _edit(client, pid, "rename_channel", 400, args={"channel": 0, "name": ""})
    history = client.get(f"/api/projects/{pid}/edits?since=0").get_json()
    assert history["can_redo"] and not history["can_undo"]


def test_a_cold_process_loads_from_the_checkpoint_and_the_history(app, client, monkeypatch):
    """A process that never saw the project starts from the frame's packed checkpoint, replays
    the edits made since, and answers exactly as the process that made them."""
    from deepcell_label.store import framestate
    from deepcell_label.store.models import FrameCheckpoint, db
    from sqlalchemy import select

    meta = create(
        client, shared_file("stardist/img2d.tif"), labels=shared_file("stardist/mask2d.tif")
    )
    pid = meta["id"]
    monkeypatch.setattr(framestate, "CHECKPOINT_REFRESH", 3)
    for i in range(6):
        _edit(
            client,
            pid,
            "brush",
            args={"points": [[40 + 60 * i, 40]], "brush_size": 6, "cell": 300 + i},
            write_mode="overlap" if i % 2 else "overwrite",
        )
    framestate.frame_cache.clear()  # as in a freshly started process
    answer = _edit(client, pid, "erase", args={"points": [[100, 40]], "brush_size": 6, "cell": 301})
    labels = label_frame(client, pid)
    cells = client.get(f"/api/projects/{pid}").get_json()["cells"]
    assert {c["value"] for c in cells} == set(np.unique(labels).tolist()) - {0}
    assert answer["version"] == 7
    with app.app_context():
        version = db.session.execute(
            select(FrameCheckpoint.version).where(FrameCheckpoint.project_id == pid)
        ).scalar_one()
    assert version == 6  # replaying more than 3 edits wrote a newer checkpoint
    # The state loaded from the checkpoint keeps serving further edits and undo exactly.
    client.post(f"/api/projects/{pid}/undo", json={})
    framestate.frame_cache.clear()
    client.post(f"/api/projects/{pid}/undo", json={})
    cells = client.get(f"/api/projects/{pid}").get_json()["cells"]
    assert {c["value"] for c in cells} == set(np.unique(label_frame(client, pid)).tolist()) - {0}
