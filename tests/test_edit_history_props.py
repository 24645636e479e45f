"""Property tests of the edit history through the HTTP API: random edit sequences on a small
non-square two-frame project (with two overlapping cells), checked against undo, redo, a replay
of the recorded patches, and an export → import → export round trip.

Set HYPOTHESIS_PROFILE=ci for more examples.
"""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np
import pytest
import tifffile
from conftest import build_app, start_worker
from helpers import label_frame
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

settings.register_profile(
    "default-history",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "ci-history",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = "ci-history" if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else "default-history"
EXAMPLES = settings.get_profile(PROFILE)

FRAMES, HEIGHT, WIDTH, FEATURES = 2, 24, 37, 2
OVERLAP_VALUE = 7  # in frame 0 of feature 0, this value encodes cells 1 and 2 together
CELL_IDS = st.integers(1, 8)  # 1..6 exist at the start; 7 and 8 may appear through `new`
FRAME = st.integers(0, FRAMES - 1)
FEATURE = st.integers(0, FEATURES - 1)
X = st.integers(0, WIDTH - 1)
Y = st.integers(0, HEIGHT - 1)
SCOPE = st.sampled_from(["frame", "past", "future", "all"])
WRITE_MODE = st.sampled_from(["exclude", "overwrite", "overlap"])
EXCLUDE = st.just("exclude")


# ---------------------------------------------------------------- the project


def _ome_tiff(array: np.ndarray) -> bytes:
    """(frames, height, width, channels) as an OME-TIFF with axes TCYX."""
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array.transpose(0, 3, 1, 2), ome=True, metadata={"axes": "TCYX"})
    return buffer.getvalue()


def initial_labels() -> tuple[np.ndarray, list[dict]]:
    """Labels (frames, height, width, features) and their cells.json entries.

    Feature 0: frame 0 has cells 1 and 2 overlapping (value 7), cell 3 which divides into
    4 and 5 in frame 1, and cell 6; frame 1 has 1, 2 (apart), 4, 5. Feature 1 has its own cells.
    """
    labels = np.zeros((FRAMES, HEIGHT, WIDTH, FEATURES), np.int32)
    f0 = labels[0, :, :, 0]
    f0[2:11, 3:16] = 1
    f0[6:15, 10:23] = 2
    f0[6:11, 10:16] = OVERLAP_VALUE
    f0[15:22, 25:35] = 3
    f0[18:23, 2:9] = 6
    f1 = labels[1, :, :, 0]
    f1[1:9, 2:12] = 1
    f1[8:16, 14:24] = 2
    f1[14:20, 25:30] = 4
    f1[14:20, 31:36] = 5
    labels[0, 3:12, 20:33, 1] = 1
    labels[0, 14:22, 4:14, 1] = 2
    labels[1, 4:13, 21:34, 1] = 1
    labels[1, 0:5, 0:6, 1] = 3
    cells = []
    for feature in range(FEATURES):
        for frame in range(FRAMES):
            for value in np.unique(labels[frame, :, :, feature]).tolist():
                if value == 0:
                    continue
                members = [1, 2] if (feature, frame, value) == (0, 0, OVERLAP_VALUE) else [value]
                cells += [{"value": value, "cell": c, "t": frame, "c": feature} for c in members]
    return labels, cells


def project_zip(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 4096, (FRAMES, HEIGHT, WIDTH, 1), dtype=np.uint16)
    labels, cells = initial_labels()
    # Brighter where the cells are, so thresholding finds something.
    raw[..., 0] += (labels[..., 0] > 0).astype(np.uint16) * 20000
    divisions = [{"parent": 3, "daughters": [4, 5], "t": 1}]
    cell_types = [{"id": 1, "name": "round", "color": "#ff0000", "cells": [1, 6], "feature": 0}]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("X.ome.tiff", _ome_tiff(raw))
        archive.writestr("y.ome.tiff", _ome_tiff(labels))
        archive.writestr("cells.json", json.dumps(cells))
        archive.writestr("divisions.json", json.dumps(divisions))
        archive.writestr("cellTypes.json", json.dumps(cell_types))
        archive.writestr("channels.json", json.dumps(["DNA"]))
    return buffer.getvalue()


def create_project(client, content: bytes, name: str = "history.zip") -> dict:
    response = client.post(
        "/api/projects",
        data={"images": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# ---------------------------------------------------------------- the state as the API shows it


@dataclass
class State:
    labels: dict[tuple[int, int], np.ndarray]  # (feature, frame) -> int32 frame
    meta: dict  # cells, divisions, cellTypes, findings

    def difference(self, other: State) -> str | None:
        """A description of how two states differ, or None when they are the same."""
        for key, array in self.labels.items():
            if not np.array_equal(array, other.labels[key]):
                count = int((array != other.labels[key]).sum())
                return f"labels of (feature, frame) {key} differ in {count} pixels"
        for name, value in self.meta.items():
            if value != other.meta[name]:
                return f"metadata {name!r} differs: {value!r} != {other.meta[name]!r}"
        return None


def read_state(client, project_id: str) -> State:
    response = client.get(f"/api/projects/{project_id}")
    assert response.status_code == 200, response.get_json()
    meta = response.get_json()
    labels = {
        (feature, frame): label_frame(client, project_id, feature, frame).copy()
        for feature in range(FEATURES)
        for frame in range(FRAMES)
    }
    names = ("cells", "divisions", "cellTypes", "findings")
    return State(labels, {name: meta[name] for name in names})


def assert_same(actual: State, expected: State, what: str) -> None:
    difference = actual.difference(expected)
    assert difference is None, f"{what}: {difference}"


# ---------------------------------------------------------------- random edits


def _stroke() -> st.SearchStrategy:
    return st.lists(st.tuples(X, Y).map(list), min_size=1, max_size=4)


def _edit(action: str, args: st.SearchStrategy, write_mode=EXCLUDE) -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {
            "action": st.just(action),
            "args": args,
            "frame": FRAME,
            "feature": FEATURE,
            "write_mode": write_mode,
        }
    )


def _box() -> st.SearchStrategy:
    # Usually ordered; sometimes not, which the server must refuse with a 4xx.
    def arrange(corners):
        (x1, y1), (x2, y2), ordered = corners
        if ordered:
            x1, x2 = sorted((x1, x2))
            y1, y2 = sorted((y1, y2))
        return {"x1": x1, "y1": y1, "x2": x2, "y2": y2}

    ordered = st.integers(0, 9).map(lambda n: n > 0)
    return st.tuples(st.tuples(X, Y), st.tuples(X, Y), ordered).map(arrange)


def _threshold_args() -> st.SearchStrategy:
    return st.tuples(_box(), CELL_IDS).map(lambda pair: {**pair[0], "cell": pair[1]})


def _cell_action(action: str, other: bool) -> st.SearchStrategy:
    fields = {"cell": CELL_IDS, "scope": SCOPE}
    if other:
        fields["other_cell"] = CELL_IDS
    return _edit(action, st.fixed_dictionaries(fields))


def _color() -> st.SearchStrategy:
    return st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


EDITS = st.one_of(
    _edit(
        "brush",
        st.fixed_dictionaries(
            {"points": _stroke(), "brush_size": st.integers(1, 5), "cell": CELL_IDS}
        ),
        WRITE_MODE,
    ),
    _edit(
        "erase",
        st.fixed_dictionaries(
            {"points": _stroke(), "brush_size": st.integers(1, 5), "cell": CELL_IDS}
        ),
    ),
    _edit("flood", st.fixed_dictionaries({"x": X, "y": Y, "cell": CELL_IDS}), WRITE_MODE),
    _edit("trim", st.fixed_dictionaries({"x": X, "y": Y, "cell": CELL_IDS})),
    _edit("grow", st.fixed_dictionaries({"cell": CELL_IDS}), WRITE_MODE),
    _edit("shrink", st.fixed_dictionaries({"cell": CELL_IDS})),
    _edit("threshold", _threshold_args(), WRITE_MODE),
    _cell_action("delete", other=False),
    _cell_action("replace", other=True),
    _cell_action("swap", other=True),
    _cell_action("new", other=False),
    _edit("propagate", st.fixed_dictionaries({"from_frame": FRAME, "to_frame": FRAME})),
    _edit("add_daughter", st.fixed_dictionaries({"parent": CELL_IDS, "daughter": CELL_IDS})),
    _edit("remove_daughter", st.fixed_dictionaries({"parent": CELL_IDS, "daughter": CELL_IDS})),
    _edit(
        "create_cell_type",
        st.fixed_dictionaries(
            {
                "name": st.sampled_from(["round", "long", "T cell"]),
                "color": _color(),
                "feature": FEATURE,
            }
        ),
    ),
    _edit("add_to_cell_type", st.fixed_dictionaries({"id": st.integers(1, 3), "cell": CELL_IDS})),
)

STEPS = st.lists(
    st.one_of(EDITS, EDITS, EDITS, st.just("undo"), st.just("redo")), min_size=1, max_size=12
)


def post_edit(client, project_id: str, edit: dict):
    """The response to an edit; a 4xx refusal is allowed, a 5xx never."""
    response = client.post(f"/api/projects/{project_id}/edits", json=edit)
    event(f"{edit['action']}: {response.status_code}")
    assert response.status_code < 500, (edit, response.status_code, response.get_json())
    if response.status_code != 200:
        assert response.status_code in (400, 404, 409, 422), (edit, response.get_json())
        assert "error" in response.get_json()
    return response


def step(client, project_id: str, direction: str, expected_status: int):
    response = client.post(f"/api/projects/{project_id}/{direction}", json={})
    assert response.status_code == expected_status, (direction, response.get_json())
    return response.get_json()


# ---------------------------------------------------------------- the app


@pytest.fixture(scope="module")
def history_app(tmp_path_factory, request):
    app = build_app(tmp_path_factory.mktemp("history"), {})
    start_worker(app, request)
    return app


# ---------------------------------------------------------------- (a) and (b): undo and redo


@settings(EXAMPLES)
@given(seed=st.integers(0, 2**16), steps=STEPS)
def test_undo_and_redo_restore_exact_states(history_app, seed, steps):
    """Every accepted edit is undone to the exact state before it and redone to the state after;
    undo and redo in any order walk the same stack of states; refused edits change nothing."""
    client = history_app.test_client()
    project_id = create_project(client, project_zip(seed))["id"]
    current = read_state(client, project_id)
    version = 0
    done: list[State] = []  # the state before each edit that can be undone, oldest first
    undone: list[State] = []  # the state after each undone edit, most recently undone last
    for item in steps:
        if item in ("undo", "redo"):
            source, target = (done, undone) if item == "undo" else (undone, done)
            if not source:
                step(client, project_id, item, 409)
                assert_same(read_state(client, project_id), current, f"refused {item}")
                continue
            answer = step(client, project_id, item, 200)
            version += 1
            assert answer["version"] == version
            target.append(current)
            current = source.pop()
            assert_same(read_state(client, project_id), current, f"{item} in a sequence")
            assert (answer["can_undo"], answer["can_redo"]) == (bool(done), bool(undone))
            continue
        response = post_edit(client, project_id, item)
        after = read_state(client, project_id)
        if response.status_code != 200:
            assert_same(after, current, f"refused edit {item}")
            continue
        version += 1
        assert response.get_json()["version"] == version
        # (a) undo right after the edit gives back the state before it, exactly.
        undo_answer = step(client, project_id, "undo", 200)
        assert_same(read_state(client, project_id), current, f"undo of {item}")
        # (b) redo gives back the state after it, exactly.
        redo_answer = step(client, project_id, "redo", 200)
        assert_same(read_state(client, project_id), after, f"redo of {item}")
        assert (undo_answer["version"], redo_answer["version"]) == (version + 1, version + 2)
        version += 2
        assert redo_answer["can_undo"] and not redo_answer["can_redo"]
        done.append(current)
        undone.clear()
        current = after


# ---------------------------------------------------------------- (c): replay of the history


def decode_patch(patch: dict) -> np.ndarray:
    data = zlib.decompress(base64.b64decode(patch["data"]))
    values = np.frombuffer(data, np.dtype("<i4"))
    assert values.size == patch["height"] * patch["width"], patch
    return values.reshape(patch["height"], patch["width"])


def replay(initial: State, edits: list[dict]) -> tuple[dict, dict, list, list]:
    """Apply the patches and cell changes of `edits` in order to the initial state."""
    labels = {key: array.copy() for key, array in initial.labels.items()}
    cells: dict[tuple[int, int, int], list[int]] = {}
    for entry in initial.meta["cells"]:
        cells.setdefault((entry["c"], entry["t"], entry["value"]), []).append(entry["cell"])
    divisions, cell_types = initial.meta["divisions"], initial.meta["cellTypes"]
    for edit in edits:
        for patch in edit["patches"]:
            x, y = patch["x"], patch["y"]
            target = labels[(patch["feature"], patch["frame"])]
            target[y : y + patch["height"], x : x + patch["width"]] = decode_patch(patch)
        for entry in edit["cells"]:
            key = (entry["c"], entry["t"], entry["value"])
            if entry["cells"]:
                cells[key] = sorted(entry["cells"])
            else:
                cells.pop(key, None)
        for relabel in edit["relabels"]:  # after the entries: value i now encodes cell i
            for value, cell in zip(relabel["values"], relabel["cells"], strict=True):
                cells[(relabel["c"], relabel["t"], value)] = [cell]
        if edit["divisions"] is not None:
            divisions = edit["divisions"]
        if edit["cellTypes"] is not None:
            cell_types = edit["cellTypes"]
    return labels, cells, divisions, cell_types


def cells_by_value(meta_cells: list[dict]) -> dict[tuple[int, int, int], list[int]]:
    mapping: dict[tuple[int, int, int], list[int]] = {}
    for entry in meta_cells:
        mapping.setdefault((entry["c"], entry["t"], entry["value"]), []).append(entry["cell"])
    return {key: sorted(found) for key, found in mapping.items()}


@settings(EXAMPLES)
@given(seed=st.integers(0, 2**16), steps=STEPS)
def test_replaying_the_history_gives_the_stored_state(history_app, seed, steps):
    """The patches of GET /edits?since=0 applied in order to the initial arrays give the stored
    arrays; the `cells` changes give the stored cells; the last lists sent are the stored ones."""
    client = history_app.test_client()
    project_id = create_project(client, project_zip(seed))["id"]
    initial = read_state(client, project_id)
    accepted = 0
    for item in steps:
        if item in ("undo", "redo"):
            response = client.post(f"/api/projects/{project_id}/{item}", json={})
            assert response.status_code in (200, 409), response.get_json()
            accepted += response.status_code == 200
        else:
            accepted += post_edit(client, project_id, item).status_code == 200
    history = client.get(f"/api/projects/{project_id}/edits?since=0").get_json()
    assert history["version"] == accepted
    assert [edit["version"] for edit in history["edits"]] == list(range(1, accepted + 1))
    labels, cells, divisions, cell_types = replay(initial, history["edits"])
    stored = read_state(client, project_id)
    for key, array in stored.labels.items():
        assert np.array_equal(labels[key], array), f"replayed labels of {key} differ"
    assert cells == cells_by_value(stored.meta["cells"])
    assert divisions == stored.meta["divisions"]
    assert cell_types == stored.meta["cellTypes"]
    # Every value in the arrays has cells, and every value with cells is in the arrays.
    for (feature, frame), array in stored.labels.items():
        present = set(np.unique(array).tolist()) - {0}
        listed = {value for (c, t, value) in cells if (c, t) == (feature, frame)}
        assert present == listed, ((feature, frame), present ^ listed)


# ---------------------------------------------------------------- (d): export round trip


PROJECT_FILES = ("X.ome.tiff", "y.ome.tiff", "cells.json", "divisions.json", "cellTypes.json")
EXPORT_READERS = {".tiff": lambda data: tifffile.imread(io.BytesIO(data)), ".json": json.loads}


def read_export(content: bytes) -> dict:
    """Member name -> decoded content (arrays for TIFFs, objects for JSON, else bytes)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name: EXPORT_READERS.get(os.path.splitext(name)[1], bytes)(archive.read(name))
            for name in archive.namelist()
        }


def export_zip(client, project_id: str) -> bytes:
    response = client.get(f"/api/projects/{project_id}/export?format=zip")
    assert response.status_code == 200, response.data[:300]
    return response.data


def cells_of_pixels(labels: np.ndarray, cells: list[dict]) -> set[tuple]:
    """Every (feature, frame, y, x) pixel with the set of cells it holds, as a set of tuples."""
    by_value = cells_by_value(cells)
    found = set()
    for feature in range(labels.shape[-1]):
        for frame in range(labels.shape[0]):
            plane = labels[frame, :, :, feature]
            for y, x in zip(*np.nonzero(plane), strict=True):
                value = int(plane[y, x])
                found.add(
                    (feature, frame, int(y), int(x), tuple(by_value[(feature, frame, value)]))
                )
    return found


@settings(EXAMPLES)
@given(seed=st.integers(0, 2**16), steps=STEPS)
def test_export_reimport_export_is_identical(history_app, seed, steps):
    """After random edits, the export re-imports to a project whose export is the same; and the
    export keeps which cells every pixel holds."""
    client = history_app.test_client()
    project_id = create_project(client, project_zip(seed))["id"]
    for item in steps:
        if item in ("undo", "redo"):
            response = client.post(f"/api/projects/{project_id}/{item}", json={})
            assert response.status_code in (200, 409), response.get_json()
        else:
            post_edit(client, project_id, item)
    state = read_state(client, project_id)
    first = read_export(export_zip(client, project_id))
    again_id = create_project(client, export_zip(client, project_id), "export.zip")["id"]
    second = read_export(export_zip(client, again_id))
    assert sorted(first) == sorted(second)
    assert set(PROJECT_FILES) <= set(first), sorted(first)
    for name in first:
        if isinstance(first[name], np.ndarray):
            assert first[name].dtype == second[name].dtype, name
            assert np.array_equal(first[name], second[name]), name
        else:
            assert first[name] == second[name], name
    # The export (TCYX) holds the same cells in every pixel as the project did.
    exported = np.moveaxis(first["y.ome.tiff"].reshape(FRAMES, FEATURES, HEIGHT, WIDTH), 1, 3)
    stored = np.stack(
        [np.stack([state.labels[(f, t)] for f in range(FEATURES)], -1) for t in range(FRAMES)]
    )
    assert cells_of_pixels(exported, first["cells.json"]) == cells_of_pixels(
        stored, state.meta["cells"]
    )
    assert first["divisions.json"] == state.meta["divisions"]
    assert first["cellTypes.json"] == state.meta["cellTypes"]
