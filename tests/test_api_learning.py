"""Cell types that learn, through the API: embedding, training and prediction jobs, imported
vectors, the marker panel, applying predictions (one undoable edit), and every refusal."""

from __future__ import annotations

import io
import json
import time
import zipfile

import pytest
from accounts import bearer, make_user
from helpers import create, upload
from multiplex import TYPES, multiplexed_npz


def wait_job(client, job: dict, seconds: float = 300) -> dict:
    deadline = time.monotonic() + seconds
    while job["state"] not in ("done", "failed", "cancelled"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        job = client.get(f"/api/jobs/{job['id']}").get_json()
    return job


def post(client, project_id: str, route: str, body) -> tuple[int, dict]:
    response = client.post(f"/api/projects/{project_id}/{route}", json=body)
    return response.status_code, response.get_json()


def edit(client, project_id: str, action: str, args: dict, expect: int = 200) -> dict:
    response = client.post(
        f"/api/projects/{project_id}/edits", json={"action": action, "args": args}
    )
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def types_of(client, project_id: str) -> list[dict]:
    return client.get(f"/api/projects/{project_id}").get_json()["cellTypes"]


@pytest.fixture(scope="module")
def generated(app):
    """A multiplexed project (144 cells of three types) with a third of each type typed."""
    return typed_project(app.test_client())


def typed_project(client) -> dict:
    data, truth = multiplexed_npz()
    project = create(client, data=data, name="multiplexed.npz")
    ids = {}
    for name in TYPES:
        answer = edit(client, project["id"], "create_cell_type", {"name": name, "color": "#123456"})
        ids[name] = answer["edits"][0]["cellTypes"][-1]["id"]
    typed = {}
    for name in TYPES:
        members = sorted(c for c, kind in truth.items() if kind == name)
        chosen = members[: len(members) // 3]
        edit(client, project["id"], "add_to_cell_type", {"id": ids[name], "cells": chosen})
        typed.update({c: name for c in chosen})
    return {"id": project["id"], "truth": truth, "ids": ids, "typed": typed}


def test_training_and_predictions_are_right_and_apply_undo_redo(client, generated):
    project_id, truth, ids = generated["id"], generated["truth"], generated["ids"]
    status, job = post(
        client,
        project_id,
        "classifier",
        {"feature": 0, "frames": "all", "source": "mean", "seed": 3},
    )
    assert status == 202, job
    assert job["kind"] == "classifier"
    job = wait_job(client, job)
    assert job["state"] == "done", job
    report = job["result"]
    assert sorted(report["classes"]) == sorted(ids.values())
    assert report["train_cells"] + report["validation_cells"] == len(generated["typed"])
    assert report["validation_accuracy"] >= 0.9
    confusion = report["confusion"]
    assert len(confusion) == 3 and all(len(row) == 3 for row in confusion)
    assert sum(map(sum, confusion)) == report["validation_cells"]
    assert report["curve"]["cells"][-1] == report["train_cells"]
    assert len(report["curve"]["validation_accuracy"]) == len(report["curve"]["cells"]) >= 2

    status, job = post(client, project_id, "predictions", {"feature": 0, "frames": "all"})
    assert status == 202, job
    job = wait_job(client, job)
    assert job["state"] == "done", job
    predicted = job["result"]["predictions"]
    untyped = set(truth) - set(generated["typed"])
    assert {p["cell"] for p in predicted} == untyped
    name_of = {v: k for k, v in ids.items()}
    right = sum(name_of[p["type"]] == truth[p["cell"]] for p in predicted)
    assert right / len(predicted) >= 0.95, (right, len(predicted))
    for p in predicted:
        assert p["uncertainty"] == pytest.approx(1 - p["probability"], abs=1e-3)
        assert 1 / 3 - 1e-3 <= p["probability"] <= 1
    uncertainties = [p["uncertainty"] for p in predicted]
    assert uncertainties == sorted(uncertainties, reverse=True)  # least sure first

    before = types_of(client, project_id)
    confident = [
        {"cell": p["cell"], "type": p["type"]} for p in predicted if p["uncertainty"] < 0.5
    ]
    # A person's type is kept: a typed cell "predicted" as another type stays as it is.
    person = next(iter(generated["typed"]))
    wrong_type = next(i for n, i in ids.items() if n != generated["typed"][person])
    answer = edit(
        client,
        project_id,
        "apply_predictions",
        {"predictions": [*confident, {"cell": person, "type": wrong_type}]},
    )
    assert len(answer["edits"]) == 1 and answer["edits"][0]["action"] == "apply_predictions"
    after = {t["id"]: set(t["cells"]) for t in types_of(client, project_id)}
    for p in confident:
        assert p["cell"] in after[p["type"]]
    assert person in after[ids[generated["typed"][person]]] and person not in after[wrong_type]
    for t in before:
        assert set(t["cells"]) <= after[t["id"]]

    assert client.post(f"/api/projects/{project_id}/undo", json={}).status_code == 200
    assert types_of(client, project_id) == before
    assert client.post(f"/api/projects/{project_id}/redo", json={}).status_code == 200
    assert {t["id"]: set(t["cells"]) for t in types_of(client, project_id)} == after
    assert client.post(f"/api/projects/{project_id}/undo", json={}).status_code == 200

    # Everything already typed: nothing to apply is said, not recorded.
    refused = edit(
        client,
        project_id,
        "apply_predictions",
        {"predictions": [{"cell": person, "type": wrong_type}]},
        400,
    )
    assert "already has a type" in refused["error"]


def test_embedding_job_is_seeded_and_kept_until_the_labels_change(client, generated):
    project_id = generated["id"]
    status, job = post(
        client,
        project_id,
        "embedding",
        {"feature": 0, "frames": "frame", "frame": 0, "source": "mean"},
    )
    assert status == 202, job
    job = wait_job(client, job)
    assert job["state"] == "done", job
    cells = job["result"]["cells"]
    assert sorted(c["cell"] for c in cells) == sorted(generated["truth"])
    assert all(isinstance(c["x"], float) and isinstance(c["y"], float) for c in cells)
    # The same request again: answered at once from what was kept, with the same picture.
    status, again = post(
        client,
        project_id,
        "embedding",
        {"feature": 0, "frames": "frame", "frame": 0, "source": "mean"},
    )
    assert status == 202 and again["state"] == "done" and again["id"] != job["id"]
    assert again["result"]["cells"] == cells
    # A type edit does not change the cells' measurements: still kept.
    edit(
        client,
        project_id,
        "rename_cell_type",
        {"id": generated["ids"]["T cell"], "name": "T cells"},
    )
    edit(
        client, project_id, "rename_cell_type", {"id": generated["ids"]["T cell"], "name": "T cell"}
    )
    _, kept = post(
        client,
        project_id,
        "embedding",
        {"feature": 0, "frames": "frame", "frame": 0, "source": "mean"},
    )
    assert kept["state"] == "done"
    # A pixel edit does: computed again.
    edit(client, project_id, "erase", {"cell": 1, "points": [[7, 7]], "brush_size": 2})
    _, fresh = post(
        client,
        project_id,
        "embedding",
        {"feature": 0, "frames": "frame", "frame": 0, "source": "mean"},
    )
    assert fresh["state"] in ("queued", "running")
    assert wait_job(client, fresh)["state"] == "done"
    assert client.post(f"/api/projects/{project_id}/undo", json={}).status_code == 200


@pytest.mark.parametrize(
    ("route", "body", "words"),
    [
        ("embedding", {"source": "colour"}, "Unknown source"),
        ("embedding", {"frames": "some"}, "'frames'"),
        ("embedding", {"frames": "frame", "frame": 9}, "'frame'"),
        ("embedding", {"feature": 3}, "'feature'"),
        ("embedding", {"source": "imported"}, "no imported embeddings"),
        ("embedding", {"colour": 1}, "Unknown fields"),
        ("classifier", {"train_fraction": 1.5}, "train_fraction"),
        ("classifier", {"seed": "x"}, "'seed'"),
        ("predictions", {"source": "mean"}, "Unknown fields"),
        ("embedding", [1, 2], "JSON object"),
    ],
)
def test_bad_requests_say_what_is_wrong(client, generated, route, body, words):
    status, answer = post(client, generated["id"], route, body)
    assert status == 400, answer
    assert words in answer["error"]


def test_empty_project_and_one_type_are_refused(client):
    data, truth = multiplexed_npz(rows=2, columns=3)
    project = create(client, data=data, name="six.npz")
    status, answer = post(client, project["id"], "classifier", {})
    assert status == 400 and "type at least 10 cells" in answer["error"]
    answer = edit(client, project["id"], "create_cell_type", {"name": "only", "color": "#00ff00"})
    type_id = answer["edits"][0]["cellTypes"][0]["id"]
    edit(client, project["id"], "add_to_cell_type", {"id": type_id, "cells": sorted(truth)})
    status, answer = post(client, project["id"], "predictions", {})
    assert status == 409 and "Train one first" in answer["error"]

    raw = multiplexed_npz(rows=1, columns=1)[0]
    import numpy as np

    empty = io.BytesIO()
    with np.load(io.BytesIO(raw)) as arrays:
        np.savez(empty, X=arrays["X"], y=np.zeros_like(arrays["y"]))
    blank = create(client, data=empty.getvalue(), name="blank.npz")
    for route in ("embedding", "classifier"):
        status, answer = post(client, blank["id"], route, {})
        assert status == 400 and "has 0 cells" in answer["error"], answer


def test_one_type_is_refused(client):
    data, truth = multiplexed_npz(rows=4, columns=4)
    project = create(client, data=data, name="sixteen.npz")
    answer = edit(client, project["id"], "create_cell_type", {"name": "only", "color": "#00ff00"})
    type_id = answer["edits"][0]["cellTypes"][0]["id"]
    edit(client, project["id"], "add_to_cell_type", {"id": type_id, "cells": sorted(truth)})
    status, answer = post(client, project["id"], "classifier", {})
    assert status == 400 and "at least two cell types" in answer["error"], answer


def test_imported_vectors_checked_embedded_exported_and_read_back(client):
    data, truth = multiplexed_npz(rows=3, columns=4)
    project = create(client, data=data, name="vectors.npz")
    route = f"/api/projects/{project['id']}/embeddings"
    bad = [
        ({"1": [1, 2], "2": [1]}, "same length"),
        ({"1": [1, None]}, "finite number"),
        ({"1": [1, "NaN"]}, "finite number"),
        ({"cell": [1]}, "not a cell id"),
        ({"999": [1, 2]}, "labels do not have"),
        ([1, 2], "JSON object"),
    ]
    for content, words in bad:
        response = client.post(route, data=json.dumps(content), content_type="application/json")
        assert response.status_code == 400, response.get_json()
        assert words in response.get_json()["error"]
    response = client.post(route, data=b"{not json", content_type="application/json")
    assert response.status_code == 400 and "not valid JSON" in response.get_json()["error"]

    vectors = {str(c): [float(c % 3), float(c), float(c) / 7] for c in truth}
    response = client.post(
        route, data={"embeddings": (io.BytesIO(json.dumps(vectors).encode()), "embeddings.json")}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"feature": 0, "cells": len(truth), "dimensions": 3, "version": 1}
    assert client.get(f"/api/projects/{project['id']}").get_json()["embeddings"]["cells"] == len(
        truth
    )

    status, job = post(client, project["id"], "embedding", {"source": "imported"})
    assert status == 202, job
    job = wait_job(client, job)
    assert job["state"] == "done", job
    assert sorted(c["cell"] for c in job["result"]["cells"]) == sorted(truth)

    channels = client.get(f"/api/projects/{project['id']}").get_json()["channel_names"]
    edit(client, project["id"], "set_markers", {"type": "T cell", "channels": [channels[1]]})
    exported = client.get(f"/api/projects/{project['id']}/export?format=zip")
    assert exported.status_code == 200
    with zipfile.ZipFile(io.BytesIO(exported.data)) as archive:
        assert json.loads(archive.read("embeddings.json")) == vectors
        assert json.loads(archive.read("markers.json")) == {"T cell": [channels[1]]}
    again = create(client, data=exported.data, name="again.zip")
    assert again["embeddings"]["cells"] == len(truth)
    assert again["markers"] == {"T cell": [channels[1]]}
    with zipfile.ZipFile(
        io.BytesIO(client.get(f"/api/projects/{again['id']}/export?format=zip").data)
    ) as archive:
        assert json.loads(archive.read("embeddings.json")) == vectors

    assert client.delete(route).status_code == 204
    assert client.get(f"/api/projects/{project['id']}").get_json()["embeddings"] is None
    status, answer = post(client, project["id"], "embedding", {"source": "imported"})
    assert status == 400 and "no imported embeddings" in answer["error"]


def test_a_zip_with_vectors_of_missing_cells_is_refused(client):
    data, truth = multiplexed_npz(rows=2, columns=3)
    project = create(client, data=data, name="small.npz")
    exported = client.get(f"/api/projects/{project['id']}/export?format=zip").data
    changed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(exported)) as source, zipfile.ZipFile(changed, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("embeddings.json", json.dumps({"1": [1.0], "77": [2.0]}))
    response = upload(client, data=changed.getvalue(), name="bad.zip")
    assert response.status_code == 400, response.get_json()
    assert "labels do not have (77)" in response.get_json()["error"]


def test_markers_are_an_undoable_edit_that_follows_a_renamed_type(client, generated):
    project_id = generated["id"]
    channels = client.get(f"/api/projects/{project_id}").get_json()["channel_names"]
    answer = edit(
        client,
        project_id,
        "set_markers",
        {"type": "B cell", "channels": [channels[2], channels[0]]},
    )
    assert answer["edits"][0]["markers"] == {"B cell": [channels[2], channels[0]]}
    refused = edit(
        client, project_id, "set_markers", {"type": "B cell", "channels": ["CD999"]}, 400
    )
    assert "'CD999' is not a channel" in refused["error"]
    edit(
        client,
        project_id,
        "rename_cell_type",
        {"id": generated["ids"]["B cell"], "name": "B cells"},
    )
    assert client.get(f"/api/projects/{project_id}").get_json()["markers"] == {
        "B cells": [channels[2], channels[0]]
    }
    for _ in range(2):
        assert client.post(f"/api/projects/{project_id}/undo", json={}).status_code == 200
    assert client.get(f"/api/projects/{project_id}").get_json()["markers"] == {}


def test_unknown_project_and_job(client):
    status, answer = post(client, "nosuchproject", "embedding", {})
    assert status == 404
    assert client.get("/api/jobs/nosuchjob").status_code == 404


def test_kept_results_are_read_back_and_say_when_labels_changed(app, client):
    project = typed_project(client)
    project_id = project["id"]
    viewer = app.test_client(token=make_user(app, "learning-viewer", project_id, "viewer"))
    stranger = bearer(make_user(app, "learning-stranger"))
    route = f"/api/projects/{project_id}/learning"

    def kept(feature: str = "0") -> dict:
        response = viewer.get(f"{route}?feature={feature}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    nothing = kept()
    assert (nothing["embedding"], nothing["classifier"], nothing["predictions"]) == (None,) * 3
    assert nothing["cells"] == len(project["truth"]) and nothing["min_cells"] == 5
    assert (
        nothing["channels"] == client.get(f"/api/projects/{project_id}").get_json()["channel_names"]
    )
    assert app.test_client(token=None).get(route, headers=stranger).status_code == 404

    made = {}
    for kind, body in (
        ("embedding", {"frames": "frame", "frame": 0, "source": "mean"}),
        ("classifier", {"frames": "all", "seed": 3}),
        ("predictions", {"frames": "all"}),
    ):
        status, job = post(client, project_id, kind, body)
        assert status == 202, job
        made[kind] = wait_job(client, job)
        assert made[kind]["state"] == "done", made[kind]
    now = kept()
    for kind, job in made.items():
        assert now[kind]["job"] == job["id"]
        assert now[kind]["result"] == job["result"]
        assert now[kind]["labels_version"] == now["labels_version"]
        assert now[kind]["out_of_date"] is False, kind

    # Naming a type changes no labels; erasing pixels of a cell does.
    edit(client, project_id, "rename_cell_type", {"id": project["ids"]["T cell"], "name": "T"})
    assert not any(kept()[kind]["out_of_date"] for kind in made)
    edit(client, project_id, "erase", {"cell": 1, "points": [[7, 7]], "brush_size": 2})
    changed = kept()
    assert changed["labels_version"] > now["labels_version"]
    assert all(changed[kind]["out_of_date"] for kind in made)

    # Trained again: followed while at work, then up to date; the older predictions are not.
    _, job = post(client, project_id, "classifier", {"frames": "all", "seed": 3})
    at_work = kept()
    assert (
        at_work["running"].get("classifier", {}).get("id") == job["id"]
        or at_work["classifier"]["job"] == job["id"]
    )
    assert wait_job(client, job)["state"] == "done"
    retrained = kept()
    assert retrained["running"] == {}
    assert retrained["classifier"]["job"] == job["id"]
    assert retrained["classifier"]["out_of_date"] is False
    assert retrained["predictions"]["out_of_date"] is True

    for feature, status, words in (("x", 400, "?feature=<n>"), ("4", 404, "does not exist")):
        response = viewer.get(f"{route}?feature={feature}")
        assert response.status_code == status and words in response.get_json()["error"]


def test_a_blank_image_has_no_channels_to_learn_from(client):
    import numpy as np

    blank = io.BytesIO()
    with np.load(io.BytesIO(multiplexed_npz(rows=3, columns=3)[0])) as arrays:
        np.savez(blank, X=np.zeros_like(arrays["X"]), y=arrays["y"])
    project = create(client, data=blank.getvalue(), name="blank image.npz")
    answer = client.get(f"/api/projects/{project['id']}/learning").get_json()
    assert answer["channels"] == [] and answer["cells"] == 9
