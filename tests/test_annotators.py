"""Several annotators on one project through the HTTP API: who they are, undo and redo of one's own
edits only, refusals where someone else changed the same things since, and the history's authors."""

from __future__ import annotations

import io

import numpy as np
import tifffile
from accounts import person
from helpers import create, label_frame

# Accounts (site admins, made once per app): each request is made as one of them.
ALICE = "alice"
BOB = "bob"


def blank_project(client, frames: int = 1) -> str:
    buffer = io.BytesIO()
    rng = np.random.default_rng(3)
    image = rng.integers(0, 1000, (frames, 40, 60), dtype=np.uint16)
    tifffile.imwrite(buffer, image, photometric="minisblack")
    meta = create(
        client, data=buffer.getvalue(), name="blank.tif", axes="TYX" if frames > 1 else "YX"
    )
    return meta["id"]


def _post(client, pid: str, path: str, who: str, body: dict | None = None, status: int = 200):
    headers = person(client.application, who)
    response = client.post(f"/api/projects/{pid}/{path}", json=body or {}, headers=headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def _brush(client, pid, who, x, y, cell, size=3, write_mode="exclude", status=200):
    body = {
        "action": "brush",
        "args": {"points": [[x, y]], "brush_size": size, "cell": cell},
        "write_mode": write_mode,
    }
    return _post(client, pid, "edits", who, body, status)


def _edit(client, pid, who, action, args, status=200):
    return _post(client, pid, "edits", who, {"action": action, "args": args}, status)


def _version(client, pid) -> int:
    return client.get(f"/api/projects/{pid}").get_json()["version"]


def test_each_annotator_undoes_only_their_own_stroke(client):
    pid = blank_project(client)
    _brush(client, pid, ALICE, 10, 10, cell=1)
    answer = _brush(client, pid, BOB, 40, 25, cell=2)
    assert answer["edits"][-1]["author"] == "bob"
    undone = _post(client, pid, "undo", ALICE)
    assert undone["edits"][-1]["kind"] == "undo" and undone["edits"][-1]["target"] == 1
    assert undone["edits"][-1]["author"] == "alice"
    labels = label_frame(client, pid)
    assert (labels == 1).sum() == 0 and (labels == 2).sum() > 0
    # Alice has nothing left to undo; Bob still has his stroke.
    assert not undone["can_undo"] and undone["can_redo"]
    refused = _post(client, pid, "undo", ALICE, status=409)
    assert "nothing to undo" in refused["error"] and "alice" in refused["error"]
    mine = client.get(f"/api/projects/{pid}", headers=person(client.application, BOB)).get_json()
    assert mine["can_undo"] and not mine["can_redo"]
    _post(client, pid, "undo", BOB)
    assert set(np.unique(label_frame(client, pid))) == {0}


def test_undo_is_refused_when_someone_painted_over_the_stroke(client):
    pid = blank_project(client)
    _brush(client, pid, ALICE, 20, 20, cell=1, size=4)
    _brush(client, pid, BOB, 22, 20, cell=2, size=4, write_mode="overwrite")
    before = label_frame(client, pid).copy()
    version = _version(client, pid)
    refused = _post(client, pid, "undo", ALICE, status=409)
    message = refused["error"]
    assert "bob" in message and "brush" in message and "same pixels" in message
    assert "frame 0" in message and "version 2" in message
    # Nothing changed: labels, version, and Alice may still try again later.
    np.testing.assert_array_equal(label_frame(client, pid), before)
    assert _version(client, pid) == version
    assert client.get(f"/api/projects/{pid}", headers=person(client.application, ALICE)).get_json()[
        "can_undo"
    ]
    # Once Bob takes his stroke back, Alice's undo goes through.
    _post(client, pid, "undo", BOB)
    _post(client, pid, "undo", ALICE)
    assert set(np.unique(label_frame(client, pid))) == {0}


def test_strokes_whose_boxes_overlap_but_pixels_do_not_are_undone_alone(client):
    pid = blank_project(client)
    _brush(client, pid, ALICE, 20, 20, cell=1, size=4)
    # Bob's stroke crosses Alice's, but `exclude` paints only background: no pixel in common.
    _brush(client, pid, BOB, 24, 20, cell=2, size=4)
    bobs = label_frame(client, pid) == 2
    assert bobs.any()
    _post(client, pid, "undo", ALICE)
    labels = label_frame(client, pid)
    assert (labels == 1).sum() == 0
    np.testing.assert_array_equal(labels == 2, bobs)
    # The cell list agrees with the pixels.
    cells = client.get(f"/api/projects/{pid}").get_json()["cells"]
    assert [(c["value"], c["cell"]) for c in cells] == [(2, 2)]


def test_redo_is_per_annotator_and_a_new_edit_discards_only_ones_own(client):
    pid = blank_project(client)
    _brush(client, pid, ALICE, 10, 10, cell=1)
    _brush(client, pid, BOB, 40, 25, cell=2)
    _post(client, pid, "undo", ALICE)
    _post(client, pid, "undo", BOB)
    # Bob edits again: his redo is gone, Alice's is not.
    _brush(client, pid, BOB, 50, 30, cell=3, size=2)
    assert "nothing to redo" in _post(client, pid, "redo", BOB, status=409)["error"]
    redone = _post(client, pid, "redo", ALICE)
    assert redone["edits"][-1]["kind"] == "redo" and redone["edits"][-1]["target"] == 1
    assert set(np.unique(label_frame(client, pid))) == {0, 1, 3}
    _post(client, pid, "redo", ALICE, status=409)


def test_redo_is_refused_when_someone_painted_where_the_stroke_was(client):
    pid = blank_project(client)
    _brush(client, pid, ALICE, 20, 20, cell=1, size=4)
    _post(client, pid, "undo", ALICE)
    _brush(client, pid, BOB, 20, 20, cell=2, size=2)
    before = label_frame(client, pid).copy()
    message = _post(client, pid, "redo", ALICE, status=409)["error"]
    assert "Cannot redo" in message and "bob" in message
    np.testing.assert_array_equal(label_frame(client, pid), before)


def test_undo_after_a_stroke_of_the_same_cell_elsewhere_keeps_the_cell_index_right(client):
    pid = blank_project(client)
    _brush(client, pid, ALICE, 10, 10, cell=5)
    _brush(client, pid, BOB, 45, 30, cell=5)
    _post(client, pid, "undo", ALICE)
    labels = label_frame(client, pid)
    meta = client.get(f"/api/projects/{pid}").get_json()
    assert [(c["value"], c["cell"]) for c in meta["cells"]] == [(5, 5)]
    assert (labels[:, :30] == 5).sum() == 0 and (labels[:, 30:] == 5).sum() > 0
    # And Bob's undo leaves an empty frame whose index is empty.
    _post(client, pid, "undo", BOB)
    assert client.get(f"/api/projects/{pid}").get_json()["cells"] == []


def test_cell_type_changes_merge_and_conflict_by_item(client):
    pid = blank_project(client)
    _brush(client, pid, ALICE, 10, 10, cell=1)
    _edit(client, pid, ALICE, "create_cell_type", {"name": "T cell", "color": "#ff0000"})
    _edit(client, pid, BOB, "create_cell_type", {"name": "B cell", "color": "#0000ff"})
    _edit(client, pid, BOB, "add_to_cell_type", {"id": 1, "cell": 1})
    # Alice's last edit (the type) was since given a cell by Bob: refused, naming the type.
    message = _post(client, pid, "undo", ALICE, status=409)["error"]
    assert "bob" in message and "cell type 1 ('T cell')" in message
    _post(client, pid, "undo", BOB)
    # Now it goes, and Bob's own type stays.
    answer = _post(client, pid, "undo", ALICE)
    assert [t["name"] for t in answer["edits"][-1]["cellTypes"]] == ["B cell"]
    # Different fields of one type merge: Bob renames, Alice's recolour is undone alone.
    _post(client, pid, "redo", ALICE)
    _edit(client, pid, ALICE, "recolor_cell_type", {"id": 1, "color": "#00ff00"})
    _edit(client, pid, BOB, "rename_cell_type", {"id": 1, "name": "Helper T cell"})
    types = _post(client, pid, "undo", ALICE)["edits"][-1]["cellTypes"]
    assert types[0]["name"] == "Helper T cell" and types[0]["color"] == "#ff0000"


def test_division_changed_by_someone_else_refuses_the_undo(client):
    pid = blank_project(client, frames=3)
    for frame, cell in ((0, 1), (1, 2), (1, 3)):
        body = {
            "action": "brush",
            "args": {"points": [[10 + 15 * cell, 20]], "brush_size": 3, "cell": cell},
            "frame": frame,
        }
        _post(client, pid, "edits", "carol", body)
    _edit(client, pid, ALICE, "add_daughter", {"parent": 1, "daughter": 2})
    _edit(client, pid, BOB, "add_daughter", {"parent": 1, "daughter": 3})
    message = _post(client, pid, "undo", ALICE, status=409)["error"]
    assert "bob" in message and "the division of cell 1" in message
    divisions = client.get(f"/api/projects/{pid}").get_json()["divisions"]
    assert divisions == [{"parent": 1, "daughters": [2, 3], "t": 1}]


def test_history_names_authors_and_times(client):
    pid = blank_project(client)
    _brush(client, pid, ALICE, 10, 10, cell=1)
    _brush(client, pid, BOB, 40, 25, cell=2)
    _post(client, pid, "undo", ALICE)
    # The test client's own account is the admin.
    client.post(
        f"/api/projects/{pid}/edits",
        json={"action": "brush", "args": {"points": [[55, 35]], "brush_size": 2, "cell": 3}},
    )
    since = client.get(
        f"/api/projects/{pid}/edits?since=1", headers=person(client.application, BOB)
    ).get_json()
    assert [(e["version"], e["author"], e["kind"]) for e in since["edits"]] == [
        (2, "bob", "edit"),
        (3, "alice", "undo"),
        (4, "admin", "edit"),
    ]
    assert all(e["created"].endswith("Z") for e in since["edits"])
    assert since["can_undo"] and not since["can_redo"]  # Bob's own

    page = client.get(f"/api/projects/{pid}/history?limit=3").get_json()
    assert [e["version"] for e in page["edits"]] == [4, 3, 2] and page["more"]
    assert page["edits"][1]["kind"] == "undo" and page["edits"][1]["target"] == 1
    first = page["edits"][2]
    assert first["author"] == "bob" and first["state"] == "applied" and first["cell"] == 2
    (box,) = first["boxes"]
    assert box["frame"] == 0 and box["x"] <= 40 < box["x"] + box["width"]
    rest = client.get(f"/api/projects/{pid}/history?before=2&limit=3").get_json()
    assert [(e["version"], e["state"]) for e in rest["edits"]] == [(1, "undone")]
    assert not rest["more"]
    bad = client.get(f"/api/projects/{pid}/history?limit=0")
    assert bad.status_code == 400 and "limit" in bad.get_json()["error"]


def test_the_author_is_the_account_whatever_x_annotator_says(client):
    pid = blank_project(client)
    headers = {**person(client.application, ALICE), "X-Annotator": "mallory"}
    answer = client.post(
        f"/api/projects/{pid}/edits",
        json={"action": "brush", "args": {"points": [[5, 5]], "brush_size": 2, "cell": 1}},
        headers=headers,
    ).get_json()
    assert answer["edits"][-1]["author"] == "alice"
    # Bob's header naming Alice gives him no hold on her edit.
    headers = {**person(client.application, BOB), "X-Annotator": "alice"}
    refused = client.post(f"/api/projects/{pid}/undo", json={}, headers=headers)
    assert refused.status_code == 409 and _version(client, pid) == 1


def test_names_in_any_script_are_account_names(client):
    pid = blank_project(client)
    answer = _brush(client, pid, "José", 10, 10, cell=1)
    assert answer["edits"][-1]["author"] == "josé"
    answer = _brush(client, pid, "jane.doe+lab@example.org", 30, 10, cell=2)
    assert answer["edits"][-1]["author"] == "jane.doe+lab@example.org"
    assert _post(client, pid, "undo", "José")["version"] == 3
