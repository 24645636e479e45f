"""Edits across frames (services/editing/stacks.py, labels/stacks.py): propagate, copy_cell,
interpolate, through the HTTP API and as pure functions."""

from __future__ import annotations

import io

import numpy as np
import pytest
import tifffile
from accounts import person
from deepcell_label.labels.stacks import interpolate_masks, signed_distance
from deepcell_label.store.history import ChangeSet
from helpers import create, label_frame
from hypothesis import given, settings
from hypothesis import strategies as st


def _project(client, labels: np.ndarray) -> dict:
    """A project whose labels are `labels` (frames, height, width)."""
    raw, mask = io.BytesIO(), io.BytesIO()
    tifffile.imwrite(raw, np.zeros(labels.shape, np.uint8), photometric="minisblack")
    tifffile.imwrite(mask, labels.astype(np.int32), photometric="minisblack")
    return create(client, data=raw.getvalue(), name="movie.tif", labels=mask.getvalue(), axes="TYX")


def _edit(client, project_id: str, action: str, args: dict, status: int = 200, **fields) -> dict:
    response = client.post(
        f"/api/projects/{project_id}/edits", json={"action": action, "args": args, **fields}
    )
    assert response.status_code == status, response.get_json()
    return response.get_json()


def _cells(client, project_id: str) -> dict[tuple[int, int], set[int]]:
    """(frame, value) -> cells, as the project says."""
    found: dict[tuple[int, int], set[int]] = {}
    for entry in client.get(f"/api/projects/{project_id}").get_json()["cells"]:
        found.setdefault((entry["t"], entry["value"]), set()).add(entry["cell"])
    return found


def _changed(edit: dict) -> list[tuple[int, list[int]]]:
    """(value, cells) of each value an edit record gives a new meaning: its `cells` entries and
    its relabellings' value and cell arrays."""
    found = [(c["value"], c["cells"]) for c in edit["cells"]]
    for relabel in edit["relabels"]:
        found += [(v, [c]) for v, c in zip(relabel["values"], relabel["cells"], strict=True)]
    return found


def _discs(frames: int = 2, size: int = 48) -> np.ndarray:
    """Three discs drawn in every frame, the second frame's ids a permutation of the first."""
    rows, columns = np.ogrid[:size, :size]
    labels = np.zeros((frames, size, size), np.int32)
    centres = [(10, 10), (10, 35), (34, 22)]
    ids = [[1, 2, 3], [7, 1, 2]] + [[5, 6, 9]] * (frames - 2)
    for t in range(frames):
        for (y, x), cell in zip(centres, ids[t], strict=True):
            labels[t][(rows - y - t) ** 2 + (columns - x) ** 2 <= 36] = cell
    return labels


def test_propagate_gives_the_next_frame_the_ids_it_overlaps_and_is_undone_at_once(client):
    labels = _discs()
    meta = _project(client, labels)
    pid = meta["id"]
    answer = _edit(client, pid, "propagate", {"from_frame": 0, "to_frame": 1}, frame=1)
    (edit,) = answer["edits"]
    assert edit["patches"] == []  # only what the values mean changes
    after = label_frame(client, pid, frame=1)
    np.testing.assert_array_equal(after, labels[1])  # the pixels stay
    cells = _cells(client, pid)
    assert cells[1, 7] == {1} and cells[1, 1] == {2} and cells[1, 2] == {3}
    assert edit["cells"] == []  # one relabelling: two arrays
    assert sorted(_changed(edit)) == [
        (1, [2]),
        (2, [3]),
        (7, [1]),
    ]
    undo = client.post(f"/api/projects/{pid}/undo", json={}).get_json()
    assert undo["version"] == 2
    assert _cells(client, pid)[1, 7] == {7}
    assert _cells(client, pid)[1, 1] == {1}


def test_an_undone_propagate_is_refused_where_someone_else_changed_those_cells(client):
    """Alice matches frame 1 to frame 0; Bob then gives one of its cells a new id. Alice's undo
    would take back what Bob's cell means: refused, naming Bob, and nothing changes."""
    pid = _project(client, _discs())["id"]
    alice, bob = person(client.application, "alice"), person(client.application, "bob")
    propagated = client.post(
        f"/api/projects/{pid}/edits",
        json={"action": "propagate", "args": {"from_frame": 0, "to_frame": 1}, "frame": 1},
        headers=alice,
    )
    assert propagated.status_code == 200, propagated.get_json()
    renamed = client.post(
        f"/api/projects/{pid}/edits",
        json={"action": "new", "args": {"cell": 1}, "frame": 1},
        headers=bob,
    )
    assert renamed.status_code == 200, renamed.get_json()
    cells = _cells(client, pid)
    refused = client.post(f"/api/projects/{pid}/undo", json={}, headers=alice)
    assert refused.status_code == 409
    assert "bob" in refused.get_json()["error"] and "label value" in refused.get_json()["error"]
    assert _cells(client, pid) == cells
    # Once Bob takes his back, Alice's undo goes through.
    assert client.post(f"/api/projects/{pid}/undo", json={}, headers=bob).status_code == 200
    assert client.post(f"/api/projects/{pid}/undo", json={}, headers=alice).status_code == 200
    assert _cells(client, pid)[1, 7] == {7}


def test_propagate_gives_cells_without_a_match_fresh_ids(client):
    labels = _discs()
    labels[1][labels[1] == 2] = 0  # the third disc is gone from frame 1
    rows, columns = np.ogrid[:48, :48]
    labels[1][(rows - 40) ** 2 + (columns - 42) ** 2 <= 9] = 3  # a stranger takes id 3
    meta = _project(client, labels)
    answer = _edit(client, meta["id"], "propagate", {"from_frame": 0, "to_frame": 1})
    cells = _cells(client, meta["id"])
    assert cells[1, 7] == {1} and cells[1, 1] == {2}
    # The stranger is no one's successor: a fresh id, above every id of the project.
    (stranger,) = cells[1, 3]
    assert stranger > 7 and stranger not in {1, 2, 3}
    assert {value for value, _ in _changed(answer["edits"][0])} == {7, 1, 3}


def test_propagate_backwards_and_with_a_threshold(client):
    labels = _discs(3)
    meta = _project(client, labels)
    pid = meta["id"]
    _edit(client, pid, "propagate", {"from_frame": 2, "to_frame": 1, "threshold": 0.5})
    cells = _cells(client, pid)
    assert cells[1, 7] == {5} and cells[1, 1] == {6} and cells[1, 2] == {9}
    # A threshold no pair reaches gives every cell a fresh id.
    _edit(client, pid, "propagate", {"from_frame": 0, "to_frame": 2, "threshold": 1.0})
    fresh = {next(iter(c)) for (t, _), c in _cells(client, pid).items() if t == 2}
    assert len(fresh) == 3 and not fresh & {1, 2, 3, 5, 6, 7, 9}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"from_frame": 0, "to_frame": 0}, "two different frames"),
        ({"from_frame": 0, "to_frame": 5}, "not a frame of this project (frames 0 to 2)"),
        ({"from_frame": -1, "to_frame": 1}, "not a frame of this project"),
        ({"from_frame": 0}, "needs 'to_frame'"),
        ({"from_frame": "0", "to_frame": 1}, "whole number"),
        ({"from_frame": 0, "to_frame": 1, "threshold": 0}, "smallest IoU"),
        ({"from_frame": 0, "to_frame": 1, "threshold": 1.5}, "smallest IoU"),
        ({"from_frame": 0, "to_frame": 1, "cell": 3}, "does not take 'cell'"),
        ({"from_frame": 0, "to_frame": 2}, "Frame 3 has no cells in feature 0"),
        ({"from_frame": 2, "to_frame": 0}, "Frame 3 has no cells in feature 0"),
    ],
)
def test_propagate_refuses_bad_requests_with_a_reason(client, args, message):
    labels = _discs(3)
    labels[2] = 0  # an empty frame
    meta = _project(client, labels)
    answer = _edit(client, meta["id"], "propagate", args, status=400)
    assert message in answer["error"]
    assert client.get(f"/api/projects/{meta['id']}").get_json()["version"] == 0


def test_copy_cell_honours_the_write_mode(client):
    labels = np.zeros((2, 30, 30), np.int32)
    labels[0, 5:15, 5:15] = 4
    labels[1, 10:20, 10:20] = 8
    meta = _project(client, labels)
    pid = meta["id"]
    _edit(client, pid, "copy_cell", {"cell": 4, "from_frame": 0, "to_frame": 1})
    after = label_frame(client, pid, frame=1)
    assert (after == 4).sum() == 100 - 25 and (after == 8).sum() == 100  # exclude: 8 kept
    client.post(f"/api/projects/{pid}/undo", json={})
    _edit(
        client,
        pid,
        "copy_cell",
        {"cell": 4, "from_frame": 0, "to_frame": 1},
        write_mode="overwrite",
    )
    after = label_frame(client, pid, frame=1)
    assert (after == 4).sum() == 100 and (after == 8).sum() == 75
    answer = _edit(client, pid, "copy_cell", {"cell": 9, "from_frame": 0, "to_frame": 1}, 400)
    assert "Cell 9 is not in frame 1" in answer["error"]


def test_interpolate_fills_the_frames_between_and_is_one_undo(client):
    labels = np.zeros((5, 40, 60), np.int32)
    rows, columns = np.ogrid[:40, :60]
    labels[0][(rows - 20) ** 2 + (columns - 10) ** 2 <= 25] = 3
    labels[4][(rows - 20) ** 2 + (columns - 50) ** 2 <= 81] = 3
    meta = _project(client, labels)
    pid = meta["id"]
    answer = _edit(client, pid, "interpolate", {"cell": 3, "from_frame": 4, "to_frame": 0})
    assert {p["frame"] for p in answer["edits"][0]["patches"]} == {1, 2, 3}
    areas, centres = [], []
    for t in range(5):
        frame = label_frame(client, pid, frame=t)
        ys, xs = np.nonzero(frame == 3)
        areas.append(ys.size)
        centres.append(xs.mean())
    # The cell moves along its way and grows from the first shape's size to the last's.
    assert centres == sorted(centres) and 15 < centres[2] < 45
    assert areas[0] < areas[1] < areas[2] < areas[3] < areas[4]
    client.post(f"/api/projects/{pid}/undo", json={})
    for t in (1, 2, 3):
        assert not label_frame(client, pid, frame=t).any()
    answer = _edit(client, pid, "interpolate", {"cell": 3, "from_frame": 0, "to_frame": 1}, 400)
    assert "no frame between them" in answer["error"]


# --------------------------------------------------------------------------- pure functions


@st.composite
def _masks(draw):
    height = draw(st.integers(8, 24))
    width = draw(st.integers(8, 24))
    mask = np.zeros((height, width), bool)
    y0 = draw(st.integers(1, height - 3))
    x0 = draw(st.integers(1, width - 3))
    mask[y0 : draw(st.integers(y0 + 1, height - 1)), x0 : draw(st.integers(x0 + 1, width - 1))] = 1
    return mask


@settings(max_examples=60, deadline=None)
@given(_masks(), st.integers(1, 4))
def test_interpolating_a_shape_to_itself_gives_the_shape(mask, count):
    for between in interpolate_masks(mask, mask, count):
        np.testing.assert_array_equal(between, mask)


@settings(max_examples=60, deadline=None)
@given(_masks())
def test_signed_distance_is_positive_exactly_inside(mask):
    assert np.array_equal(signed_distance(mask) > 0, mask)


def test_divisions_of_a_second_feature_are_its_own(client):
    labels = np.zeros((2, 20, 20, 2), np.int32)
    labels[0, 2:8, 2:8, 1] = 1
    labels[1, 2:5, 2:8, 1] = 2
    labels[1, 5:8, 2:8, 1] = 3
    labels[:, 10:15, 10:15, 0] = 9
    raw, mask = io.BytesIO(), io.BytesIO()
    tifffile.imwrite(raw, np.zeros((2, 20, 20), np.uint8), photometric="minisblack")
    tifffile.imwrite(mask, labels, photometric="minisblack", metadata={"axes": "TYXC"})
    meta = create(
        client,
        data=raw.getvalue(),
        name="two.tif",
        labels=mask.getvalue(),
        axes="TYX",
        labels_axes="TYXC",
    )
    assert meta["features"] == 2
    pid = meta["id"]
    answer = _edit(client, pid, "add_daughter", {"parent": 1, "daughter": 2}, feature=1)
    assert answer["edits"][0]["divisions"] == [
        {"parent": 1, "daughters": [2], "t": 1, "feature": 1}
    ]
    # Checked against feature 1's cells: one daughter only, and no such cells in feature 0.
    assert [(f["kind"], f["feature"]) for f in answer["findings"]] == [("single_daughter", 1)]
    answer = _edit(client, pid, "add_daughter", {"parent": 1, "daughter": 2}, status=400)
    assert "cell 1 is in no frame" in answer["error"]
    # A cell action of feature 1 keeps its divisions consistent; feature 0's are untouched.
    answer = _edit(client, pid, "delete", {"cell": 2, "scope": "all"}, feature=1)
    assert answer["edits"][0]["divisions"] == []


def test_an_edit_that_relabels_many_values_of_a_frame_writes_its_checkpoint_when_it_lags(
    app, client, monkeypatch
):
    """A large relabelling (and its undo) writes the frame's checkpoint only once it lags a
    few versions behind; a later process starts from the checkpoint, replays the few
    relabellings since, and answers the same."""
    from deepcell_label.store import framestate
    from deepcell_label.store.models import FrameCheckpoint, db
    from sqlalchemy import select

    monkeypatch.setattr(framestate, "BIG_CHANGE", 3)  # the three discs count as many
    pid = _project(client, _discs())["id"]

    def checkpoints() -> dict[int, int]:
        with app.app_context():
            rows = db.session.execute(
                select(FrameCheckpoint.frame, FrameCheckpoint.version).where(
                    FrameCheckpoint.project_id == pid
                )
            )
            return {frame: version for frame, version in rows}

    before = checkpoints()
    assert before.get(1, 0) == 0
    propagate = {"from_frame": 0, "to_frame": 1}
    versions = []
    for _ in range(framestate.RELABELS_BEHIND // 2):
        versions.append(_edit(client, pid, "propagate", propagate, frame=1)["version"])
        versions.append(client.post(f"/api/projects/{pid}/undo", json={}).get_json()["version"])
        if versions[-1] < framestate.RELABELS_BEHIND:
            assert checkpoints().get(1, 0) == before.get(1, 0)  # not yet: replayed on load
    assert checkpoints()[1] == versions[-1] == framestate.RELABELS_BEHIND
    assert checkpoints().get(0, 0) == before.get(0, 0)  # frame 0 was read, not changed
    framestate.frame_cache.clear()  # as in a freshly started process
    assert _cells(client, pid)[1, 7] == {7}
    _edit(client, pid, "propagate", propagate, frame=1)
    assert checkpoints()[1] == framestate.RELABELS_BEHIND  # one version behind: kept
    framestate.frame_cache.clear()
    assert _cells(client, pid)[1, 7] == {1} and _cells(client, pid)[1, 1] == {2}


def test_a_relabelling_is_recorded_as_one_block_and_read_back_whole():
    """Propagate and linking record which cell each value went from and to as arrays per frame;
    the stored record gives them back, reversed by undo, and the browser gets them as arrays."""
    changes = ChangeSet()
    changes.add_relabel(0, 3, [5, 6, 7], [1, 2, 3], [2, 1, 9])
    changes.add_relabel(0, 3, [7, 8], [9, 4], [3, 4])  # 7 back to its cell; 8 unchanged
    changes.set_list("next_cell", [10], [11])
    (relabel,) = changes.relabels.values()
    assert sorted(relabel.triples()) == [(5, 1, 2), (6, 2, 1)]
    stored = ChangeSet.decode(changes.encode())
    assert {k: sorted(r.triples()) for k, r in stored.relabels.items()} == {
        (0, 3): [(5, 1, 2), (6, 2, 1)]
    }
    assert stored.touched == [[0, 3]] and stored.lists == {"next_cell": ([10], [11])}
    back = stored.inverse()
    assert sorted(back.relabels[0, 3].triples()) == [(5, 2, 1), (6, 1, 2)]
    assert back.describe()["cells"] == []
    assert back.describe()["relabels"] == [{"c": 0, "t": 3, "values": [5, 6], "cells": [1, 2]}]
