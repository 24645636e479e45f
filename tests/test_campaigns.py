"""Campaigns through the API (services/campaigns/): bad input, the walk of tasks through
submit, review, reject and accept, agreement and the dashboard, concurrent `next`, comments,
crowd links; builds run on a real worker, once on SQLite and once on MariaDB."""

from __future__ import annotations

import io
import json
import threading
import zipfile

import numpy as np
import pytest
import tifffile
from accounts import bearer, make_user
from helpers import brush, follow, label_frame
from test_export_jobs import fetch_download

SIZE = 48


_tokens: dict[tuple[int, str], str] = {}
_current: list = []


@pytest.fixture(autouse=True)
def _accounts_of(app):
    """`_as(name)` signs requests as the account `name` (made once per app, not an admin)."""
    _current[:] = [app]


def _as(name: str) -> dict:
    app = _current[0]
    key = (id(app), name)
    if key not in _tokens:
        _tokens[key] = make_user(app, name)
    return bearer(_tokens[key])


def _tiff(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    tifffile.imwrite(out, array, photometric="minisblack")
    return out.getvalue()


def _image(seed: int) -> bytes:
    return _tiff(np.random.default_rng(seed).integers(0, 255, (SIZE, SIZE), dtype=np.uint8))


def _predictions() -> np.ndarray:
    labels = np.zeros((SIZE, SIZE), np.int32)
    labels[4:16, 4:16] = 1
    labels[24:40, 24:40] = 2
    return labels


def _campaign(client, manager: str = "mia", **settings) -> str:
    response = client.post(
        "/api/campaigns", json={"name": "Nuclei of day 3", **settings}, headers=_as(manager)
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _add(client, campaign: str, files: dict, manager: str = "mia") -> dict:
    data = {
        field: [(io.BytesIO(content), name) for name, content in items]
        for field, items in files.items()
    }
    response = client.post(
        f"/api/campaigns/{campaign}/images",
        data=data,
        headers=_as(manager),
        content_type="multipart/form-data",
    )
    return response


def _added(client, campaign: str, files: dict, manager: str = "mia") -> list[dict]:
    """Images added and every task's project built."""
    response = _add(client, campaign, files, manager)
    assert response.status_code == 202, response.get_json()
    job = follow(client, response.get_json()["job"]["id"])[-1]
    assert job["state"] == "done", job
    for image in job["result"]["images"]:
        for task in image["tasks"]:
            described = client.get(f"/api/tasks/{task}", headers=_as(manager)).get_json()
            _wait_built(client, described["project"])
    return job["result"]["images"]


def _wait_built(client, project: str) -> None:
    for _ in range(600):
        state = client.get(f"/api/projects/{project}").get_json().get("status")
        if state in ("ready", "failed"):
            break
        threading.Event().wait(0.1)
    assert state == "ready"


def _member(client, campaign: str, username: str, role: str) -> None:
    response = client.post(
        f"/api/campaigns/{campaign}/members",
        json={"username": username, "role": role},
        headers=_as("mia"),
    )
    assert response.status_code == 201, response.get_json()


def test_refused_settings_and_images_make_nothing(client):
    for replicas in (0, 6, 2.5):
        response = client.post(
            "/api/campaigns", json={"name": "x", "replicas": replicas}, headers=_as("mia")
        )
        assert response.status_code == 400
        assert "'replicas' must be a whole number from 1 to 5" in response.get_json()["error"]
    campaign = _campaign(client)
    unmatched = _add(
        client,
        campaign,
        {
            "images": [("day3.tif", _image(1))],
            "labels": [("day3.tif", _tiff(_predictions())), ("day4_mask.tif", b"xx")],
        },
    )
    assert unmatched.status_code == 400
    assert "day4_mask.tif" in unmatched.get_json()["error"]
    assert "day3.tif" not in unmatched.get_json()["error"].split(":")[1].split(".")[0]
    wrong = _add(
        client,
        campaign,
        {
            "images": [("day3.tif", _image(1)), ("day5.tif", _image(2))],
            "labels": [("day5.tif", _tiff(np.zeros((20, 30), np.int32)))],
        },
    )
    assert wrong.status_code == 400, wrong.get_json()
    message = wrong.get_json()["error"]
    assert "day5.tif" in message and "(20, 30)" in message
    assert f"height {SIZE}, width {SIZE}" in message
    images = client.get(f"/api/campaigns/{campaign}/images", headers=_as("mia")).get_json()
    assert images["images"] == []
    counts = client.get(f"/api/campaigns/{campaign}", headers=_as("mia")).get_json()["counts"]
    assert sum(counts.values()) == 0


def test_a_broken_image_does_not_stop_the_others(client):
    campaign = _campaign(client)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("a.tif", _image(3))
        zipped.writestr("b.tif", _image(4))
    added = _added(
        client,
        campaign,
        {"images": [("batch.zip", archive.getvalue()), ("broken.tif", b"not a tiff at all")]},
    )
    by_name = {image["image"]: image for image in added}
    assert set(by_name) == {"a.tif", "b.tif", "broken.tif"}
    assert by_name["broken.tif"]["tasks"] == [] and by_name["broken.tif"]["error"]
    assert len(by_name["a.tif"]["tasks"]) == 1
    listed = client.get(f"/api/campaigns/{campaign}/images", headers=_as("mia")).get_json()
    assert [i["error"] is not None for i in listed["images"]] == [False, False, True]


def test_a_task_walks_through_review_reject_and_accept(client):
    campaign = _campaign(client, replicas=2, review_share=0.0, agreement_threshold=0.8)
    for name, role in (("ann", "annotator"), ("bo", "annotator"), ("rev", "reviewer")):
        _member(client, campaign, name, role)
    labels = _tiff(_predictions())
    added = _added(
        client,
        campaign,
        {
            "images": [("one.tif", _image(5)), ("two.tif", _image(6))],
            "labels": [("one.tif", labels), ("two.tif", labels)],
        },
    )
    (one_a, one_b), (two_a, two_b) = (image["tasks"] for image in added)

    assert client.post(f"/api/campaigns/{campaign}/next", headers=_as("eve")).status_code == 404
    first = client.post(f"/api/campaigns/{campaign}/next", headers=_as("ann")).get_json()
    assert first["task"]["id"] == one_a and first["task"]["state"] == "in_progress"
    assert "gold" not in first["task"]
    again = client.post(f"/api/campaigns/{campaign}/next", headers=_as("ann")).get_json()
    assert again["task"]["id"] == one_a  # the task they hold
    # Bo never gets a second replica of an image Ann holds? He may: another person. But not
    # the task Ann holds.
    assert (
        client.post(f"/api/campaigns/{campaign}/next", headers=_as("bo")).get_json()["task"]["id"]
        == one_b
    )
    refused = client.post(f"/api/tasks/{one_a}/submit", headers=_as("bo"))
    assert refused.status_code == 409 and "do not hold" in refused.get_json()["error"]

    # Image one: both replicas keep the predictions, agree fully, no review: accepted.
    for name, task in (("ann", one_a), ("bo", one_b)):
        assert client.post(f"/api/tasks/{task}/submit", headers=_as(name)).status_code == 200
    for task in (one_a, one_b):
        assert client.get(f"/api/tasks/{task}", headers=_as("mia")).get_json()["state"] == (
            "accepted"
        )
    # Image two: Ann draws two cells the others do not have; agreement falls under 0.8.
    assert (
        client.post(f"/api/campaigns/{campaign}/next", headers=_as("ann")).get_json()["task"]["id"]
        == two_a
    )
    project = client.get(f"/api/tasks/{two_a}", headers=_as("ann")).get_json()["project"]
    annotator = client.application.test_client(token=_tokens[(id(client.application), "ann")])
    brush(annotator, project, [44, 4], 7)
    brush(annotator, project, [4, 44], 8)
    assert (
        client.post(f"/api/campaigns/{campaign}/next", headers=_as("bo")).get_json()["task"]["id"]
        == two_b
    )
    for name, task in (("ann", two_a), ("bo", two_b)):
        assert client.post(f"/api/tasks/{task}/submit", headers=_as(name)).status_code == 200
    queue = client.get(
        f"/api/campaigns/{campaign}/tasks?state=submitted", headers=_as("rev")
    ).get_json()["tasks"]
    assert {t["id"] for t in queue} == {two_a, two_b}
    assert all(t["agreement"] < 0.8 for t in queue)

    no_decision = client.post(f"/api/tasks/{two_a}/review", json={}, headers=_as("rev"))
    assert no_decision.status_code == 400 and "decision" in no_decision.get_json()["error"]
    bare = client.post(
        f"/api/tasks/{two_a}/review", json={"decision": "reject"}, headers=_as("rev")
    )
    assert bare.status_code == 400 and "comment" in bare.get_json()["error"]
    by_annotator = client.post(
        f"/api/tasks/{two_a}/review", json={"decision": "accept"}, headers=_as("ann")
    )
    assert by_annotator.status_code == 403
    rejected = client.post(
        f"/api/tasks/{two_a}/review",
        json={"decision": "reject", "comment": "Two cells in the corners are dust."},
        headers=_as("rev"),
    )
    assert rejected.status_code == 200 and rejected.get_json()["state"] == "rejected"
    back = client.post(f"/api/campaigns/{campaign}/next", headers=_as("ann")).get_json()
    assert back["task"]["id"] == two_a and back["task"]["state"] == "in_progress"
    assert client.post(f"/api/tasks/{two_a}/submit", headers=_as("ann")).status_code == 200
    for task in (two_a, two_b):
        accepted = client.post(
            f"/api/tasks/{task}/review", json={"decision": "accept"}, headers=_as("rev")
        )
        assert accepted.get_json()["state"] == "accepted"
    walk = client.get(f"/api/tasks/{two_a}", headers=_as("mia")).get_json()["events"]
    assert [(e["from"], e["to"], e["by"]) for e in walk] == [
        ("new", "in_progress", "ann"),
        ("in_progress", "submitted", "ann"),
        ("submitted", "in_review", "rev"),
        ("in_review", "rejected", "rev"),
        ("rejected", "in_progress", "ann"),
        ("in_progress", "submitted", "ann"),
        ("submitted", "in_review", "rev"),
        ("in_review", "accepted", "rev"),
    ]
    assert walk[3]["comment"] == "Two cells in the corners are dust."
    # Nothing is left for either annotator.
    for name in ("ann", "bo"):
        assert client.post(f"/api/campaigns/{campaign}/next", headers=_as(name)).status_code == 204

    found = client.get(f"/api/campaigns/{campaign}/agreement", headers=_as("mia")).get_json()
    scores = {image["image"]: image for image in found["images"]}
    assert scores["one.tif"]["f1"] == 1.0
    assert scores["two.tif"]["f1"] == pytest.approx(2 * 2 / (2 + 4))
    assert scores["two.tif"]["extra"] + scores["two.tif"]["missed"] == 2
    assert [a["username"] for a in found["annotators"]] == ["ann", "bo"]
    stats = client.get(f"/api/campaigns/{campaign}/stats", headers=_as("mia")).get_json()
    assert stats["counts"]["accepted"] == 4
    ann = stats["annotators"][0]
    assert (ann["username"], ann["tasks"], ann["accepted"], ann["cells"]) == ("ann", 2, 2, 6)
    csv = client.get(f"/api/campaigns/{campaign}/stats?format=csv", headers=_as("mia"))
    assert csv.mimetype == "text/csv"
    assert csv.get_data(as_text=True).splitlines()[0].startswith("username,tasks,submitted")

    # A consensus of image two: the cells both replicas have, reviewed like a task.
    image_two = added[1]["id"]
    made = client.post(
        f"/api/campaigns/{campaign}/images/{image_two}/consensus", headers=_as("mia")
    )
    assert made.status_code == 201, made.get_json()
    consensus = made.get_json()
    assert (consensus["replica"], consensus["state"]) == (0, "submitted")
    _wait_built(client, consensus["project"])
    assert np.array_equal(label_frame(client, consensus["project"]) > 0, _predictions() > 0)
    client.post(
        f"/api/tasks/{consensus['id']}/review", json={"decision": "accept"}, headers=_as("rev")
    )

    # The training set: both images, split by the seed, with a manifest.
    started = client.post(
        f"/api/campaigns/{campaign}/exports",
        json={"format": "npz", "split": [1, 0, 1], "seed": 3},
        headers=_as("mia"),
    )
    assert started.status_code == 202, started.get_json()
    job = follow(client, started.get_json()["job"]["id"])[-1]
    assert job["state"] == "done", job
    archive = zipfile.ZipFile(io.BytesIO(fetch_download(client, job)[0]))
    manifest = archive.read("manifest.json")
    rows = {row["image"]: row for row in json.loads(manifest)}
    assert set(rows) == {"one.tif", "two.tif"}
    assert rows["one.tif"]["annotators"] == "ann bo" and rows["two.tif"]["reviewer"] == "rev"
    assert {row["split"] for row in rows.values()} == {"train", "test"}
    for part in ("train", "test"):
        arrays = np.load(io.BytesIO(archive.read(f"{part}.npz")))
        assert arrays["X"].shape == (1, SIZE, SIZE, 1) and arrays["y"].shape == (1, SIZE, SIZE, 1)
        assert set(np.unique(arrays["y"]).tolist()) == {0, 1, 2}
    zarr = client.post(
        f"/api/campaigns/{campaign}/exports", json={"format": "zarr"}, headers=_as("mia")
    )
    job = follow(client, zarr.get_json()["job"]["id"])[-1]
    names = zipfile.ZipFile(io.BytesIO(fetch_download(client, job)[0])).namelist()
    assert sum(name.endswith(".ome.zarr.zip") for name in names) == 2
    refused = client.post(
        f"/api/campaigns/{campaign}/exports", json={"format": "tiff"}, headers=_as("mia")
    )
    assert refused.status_code == 400 and "npz or zarr" in refused.get_json()["error"]


def test_many_people_asking_at_once_never_get_the_same_task(app):
    client = app.test_client()
    campaign = _campaign(client)
    people = [f"worker{i}" for i in range(10)]
    for name in people:
        _member(client, campaign, name, "annotator")
    _added(client, campaign, {"images": [(f"i{k}.tif", _image(k)) for k in range(5)]})
    got: dict[str, int] = {}
    barrier = threading.Barrier(len(people))

    def ask(name: str) -> None:
        own = app.test_client()
        barrier.wait()
        response = own.post(f"/api/campaigns/{campaign}/next", headers=_as(name))
        got[name] = (
            response.status_code
            if response.status_code != 200
            else (response.get_json()["task"]["id"])
        )

    threads = [threading.Thread(target=ask, args=(name,)) for name in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    given = [value for value in got.values() if value != 204]
    assert len(got) == len(people)
    assert len(given) == 5 and len(set(given)) == 5, got
    assert sorted(got.values()).count(204) == 5


def test_one_person_asking_twice_at_once_is_given_one_task(app):
    """Two tabs (or a double click) asking at the same moment take turns: both are given the
    same task, and the person holds one task, not one per request."""
    client = app.test_client()
    campaign = _campaign(client, gold_rate=0.0)
    _member(client, campaign, "tabs", "annotator")
    _added(client, campaign, {"images": [(f"t{k}.tif", _image(30 + k)) for k in range(2)]})
    headers = _as("tabs")
    barrier = threading.Barrier(4)
    got: list[int] = []

    def ask() -> None:
        own = app.test_client()
        barrier.wait()
        response = own.post(f"/api/campaigns/{campaign}/next", headers=headers)
        got.append(response.get_json()["task"]["id"])

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(got) == 4 and len(set(got)) == 1, got
    held = client.get(
        f"/api/campaigns/{campaign}/tasks?annotator=tabs", headers=_as("mia")
    ).get_json()["tasks"]
    assert [(t["id"], t["state"]) for t in held] == [(got[0], "in_progress")]


@pytest.mark.parametrize("app", ["sqlite-local"], indirect=True)
def test_next_says_when_tasks_are_still_being_prepared(app, tmp_path, request):
    """A task whose project is not built yet is not given, and not hidden either: 202 with
    Retry-After until it is ready, then 200; 204 once nothing is left."""
    from conftest import build_app, start_worker
    from deepcell_label.jobs.tasks import job_kinds
    from deepcell_label.services import jobs

    waiting = build_app(tmp_path, {"CREATE_WAIT_SECONDS": 0})  # no worker yet
    _current[:] = [waiting]
    client = waiting.test_client()
    campaign = _campaign(client, gold_rate=0.0)
    _member(client, campaign, "ann", "annotator")
    added = _add(client, campaign, {"images": [("a.tif", _image(3))]})
    assert added.status_code == 202
    with waiting.app_context():  # the adding job here; the builds it starts stay queued
        jobs.run(added.get_json()["job"]["id"], job_kinds(waiting.config))
    early = client.post(f"/api/campaigns/{campaign}/next", headers=_as("ann"))
    assert early.status_code == 202, early.get_data(as_text=True)
    assert early.headers["Retry-After"] == "5"
    assert early.get_json()["preparing"] == 1
    assert "still being prepared" in early.get_json()["message"]

    start_worker(waiting, request)
    project = client.get(f"/api/campaigns/{campaign}/tasks", headers=_as("mia")).get_json()
    _wait_built(client, project["tasks"][0]["project"])
    ready = client.post(f"/api/campaigns/{campaign}/next", headers=_as("ann"))
    assert ready.status_code == 200
    task = ready.get_json()["task"]["id"]
    assert client.post(f"/api/tasks/{task}/submit", headers=_as("ann")).status_code == 200
    assert client.post(f"/api/campaigns/{campaign}/next", headers=_as("ann")).status_code == 204


def test_a_removed_member_gives_back_their_tasks_and_leases_run_out(client):
    campaign = _campaign(client, lease_minutes=0.01)
    _member(client, campaign, "ann", "annotator")
    _added(client, campaign, {"images": [("a.tif", _image(8))]})
    task = client.post(f"/api/campaigns/{campaign}/next", headers=_as("ann")).get_json()["task"]
    threading.Event().wait(1.0)  # the lease (0.6 s) runs out without an edit
    _member(client, campaign, "bo", "annotator")
    taken = client.post(f"/api/campaigns/{campaign}/next", headers=_as("bo")).get_json()
    assert taken["task"]["id"] == task["id"]
    assert (
        client.patch(
            f"/api/campaigns/{campaign}", json={"lease_minutes": 60}, headers=_as("mia")
        ).status_code
        == 200
    )
    removed = client.delete(f"/api/campaigns/{campaign}/members/bo", headers=_as("mia"))
    assert removed.get_json()["tasks_returned"] == [task["id"]]
    described = client.get(f"/api/tasks/{task['id']}", headers=_as("mia")).get_json()
    assert described["state"] == "new" and described["annotator"] is None
    assert [e["by"] for e in described["events"]][1] == "lease"


def test_comments_and_crowd_links(client):
    campaign = _campaign(client, gold_rate=0.0)
    (image,) = _added(client, campaign, {"images": [("a.tif", _image(9))]})
    # A task's project goes with the campaign's image, not on its own (even for a site admin).
    task = client.get(f"/api/tasks/{image['tasks'][0]}", headers=_as("mia")).get_json()
    kept = client.delete(f"/api/projects/{task['project']}")
    assert kept.status_code == 409 and "a task of the campaign" in kept.get_json()["error"]
    link = client.post(
        f"/api/campaigns/{campaign}/links",
        json={"expires_in_hours": 1, "max_uses": 1},
        headers=_as("mia"),
    ).get_json()
    token = link["url"].rsplit("/", 1)[1]
    guest = client.post(f"/api/crowd/{token}?worker=A1B2C3", headers=_as("gus")).get_json()
    assert guest == {
        "username": "gus",
        "campaign": campaign,
        "role": "annotator",
        "worker": "A1B2C3",
        "guest": False,
    }
    again = client.post(f"/api/crowd/{token}?worker=Z9", headers=_as("zoe"))
    assert again.status_code == 410  # one use only
    forged = client.post(f"/api/crowd/{token}x?worker=Z9", headers=_as("zoe"))
    assert forged.status_code == 404
    task = client.post(
        f"/api/campaigns/{campaign}/next", headers=_as(guest["username"])
    ).get_json()["task"]
    done = client.post(f"/api/tasks/{task['id']}/submit", headers=_as(guest["username"]))
    code = done.get_json()["completion_code"]
    check = client.get(f"/api/campaigns/{campaign}/completion/{code}", headers=_as("mia"))
    assert check.get_json() == {"valid": True, "task": task["id"], "worker": "A1B2C3"}

    project = task["project"]
    _member(client, campaign, "rev", "reviewer")
    bad = client.post(
        f"/api/projects/{project}/comments",
        json={"frame": 0, "x": 500, "y": 3, "text": "x"},
        headers=_as("mia"),
    )
    assert bad.status_code == 400 and "'x'" in bad.get_json()["error"]
    made = client.post(
        f"/api/projects/{project}/comments",
        json={"frame": 0, "x": 10.5, "y": 3, "text": "Is this one cell or two?"},
        headers=_as("rev"),
    ).get_json()
    assert made["resolved"] is False and made["resolved_at"] is None
    resolved = client.patch(
        f"/api/projects/{project}/comments/{made['id']}", json={}, headers=_as("gus")
    ).get_json()
    assert resolved["resolved"] and resolved["resolved_by"] == "gus"
    assert resolved["resolved_at"] >= made["created"]
    listed = client.get(f"/api/projects/{project}/comments", headers=_as("mia")).get_json()
    listed = listed["comments"]
    assert [(c["text"], c["author"], c["resolved"]) for c in listed] == [
        ("Is this one cell or two?", "rev", True)
    ]


def test_who_may_resolve_a_comment(client):
    """The task's annotator, the campaign's reviewers and managers resolve a comment and open
    it again, each recorded with when; a member holding another task, or a stranger, is told
    there is no such project; bad bodies are refused and change nothing."""
    campaign = _campaign(client, gold_rate=0.0, replicas=2)
    for name, role in (("ann", "annotator"), ("bo", "annotator"), ("rev", "reviewer")):
        _member(client, campaign, name, role)
    _added(client, campaign, {"images": [("a.tif", _image(21))]})
    held = {}
    for name in ("ann", "bo"):
        task = client.post(f"/api/campaigns/{campaign}/next", headers=_as(name)).get_json()
        held[name] = task["task"]["project"]
    project = held["ann"]
    made = client.post(
        f"/api/projects/{project}/comments",
        json={"frame": 0, "x": 12, "y": 30, "text": "This one is two cells."},
        headers=_as("rev"),
    )
    assert made.status_code == 201, made.get_json()
    url = f"/api/projects/{project}/comments/{made.get_json()['id']}"

    for name in ("bo", "eve"):
        refused = client.patch(url, json={"resolved": True}, headers=_as(name))
        assert refused.status_code == 404, refused.get_json()
        assert "There is no project" in refused.get_json()["error"]
    for body, words in (({"resolved": "yes"}, "true or false"), ({"done": True}, "'resolved'")):
        bad = client.patch(url, json=body, headers=_as("ann"))
        assert bad.status_code == 400 and words in bad.get_json()["error"]
    missing = client.patch(f"/api/projects/{project}/comments/999999", json={}, headers=_as("ann"))
    assert missing.status_code == 404 and "no comment" in missing.get_json()["error"]
    # A comment of one project is not reached through another's address.
    elsewhere = client.patch(url.replace(project, held["bo"]), json={}, headers=_as("bo"))
    assert elsewhere.status_code == 404
    listed = client.get(f"/api/projects/{project}/comments", headers=_as("ann")).get_json()
    assert [c["resolved"] for c in listed["comments"]] == [False]

    for name in ("ann", "rev", "mia"):
        done = client.patch(url, json={"resolved": True}, headers=_as(name)).get_json()
        assert (done["resolved"], done["resolved_by"]) == (True, name)
        assert done["resolved_at"].endswith("Z")
        opened = client.patch(url, json={"resolved": False}, headers=_as(name)).get_json()
        assert (opened["resolved"], opened["resolved_by"], opened["resolved_at"]) == (
            False,
            None,
            None,
        )
    client.patch(url, json={"resolved": True}, headers=_as("ann"))
    (kept,) = client.get(f"/api/projects/{project}/comments", headers=_as("rev")).get_json()[
        "comments"
    ]
    assert (kept["resolved"], kept["resolved_by"]) == (True, "ann")


def test_a_crowd_link_makes_a_guest_of_that_campaign_only(app, client):
    """Opening a crowd link without an account signs a new guest in, who may label the tasks
    of that campaign and nothing else; the link's uses and expiry hold; submitting shows a
    completion code the manager can check."""
    campaign = _campaign(client, gold_rate=0.0)
    other = _campaign(client, gold_rate=0.0)
    _added(client, campaign, {"images": [("a.tif", _image(11))]})
    elsewhere = _added(client, other, {"images": [("b.tif", _image(12))]})[0]["tasks"][0]
    other_project = client.get(f"/api/tasks/{elsewhere}", headers=_as("mia")).get_json()
    link = client.post(
        f"/api/campaigns/{campaign}/links",
        json={"expires_in_hours": 1, "max_uses": 1},
        headers=_as("mia"),
    ).get_json()
    browser = app.test_client(token=None)
    assert browser.post(link["url"].replace("/crowd/", "/api/crowd/")).status_code == 400
    opened = browser.post(f"/api/crowd/{link['token']}?worker=W-77")
    assert opened.status_code == 201, opened.get_json()
    guest = opened.get_json()
    assert guest["guest"] and guest["campaign"] == campaign and guest["worker"] == "W-77"
    csrf = {"X-CSRF-Token": guest["csrf_token"]}
    assert browser.get("/api/auth/me").get_json()["username"] == guest["username"]
    again = browser.post(f"/api/crowd/{link['token']}?worker=W-77", headers=csrf)
    assert again.status_code == 200 and again.get_json()["username"] == guest["username"]
    stranger = app.test_client(token=None).post(f"/api/crowd/{link['token']}?worker=W-78")
    assert stranger.status_code == 410 and "used" in stranger.get_json()["error"]

    # What the guest may not see or do.
    assert browser.get(f"/api/campaigns/{other}").status_code == 404
    assert browser.post(f"/api/campaigns/{other}/next", headers=csrf).status_code == 404
    assert browser.get(f"/api/projects/{other_project['project']}").status_code == 404
    assert browser.get(f"/api/tasks/{elsewhere}").status_code == 404
    made = browser.post("/api/campaigns", json={"name": "mine"}, headers=csrf)
    assert made.status_code == 403 and "guest" in made.get_json()["error"]
    assert browser.post("/api/auth/tokens", json={"name": "t"}, headers=csrf).status_code == 403
    assert browser.get(f"/api/campaigns/{campaign}/tasks").status_code == 403

    # What it may: its campaign's next task, its project, submitting with a completion code.
    assert [c["id"] for c in browser.get("/api/campaigns").get_json()["campaigns"]] == [campaign]
    taken = browser.post(f"/api/campaigns/{campaign}/next", headers=csrf)
    assert taken.status_code == 200, taken.get_json()
    task = taken.get_json()["task"]
    assert browser.get(f"/api/projects/{task['project']}").status_code == 200
    done = browser.post(f"/api/tasks/{task['id']}/submit", headers=csrf).get_json()
    check = client.get(
        f"/api/campaigns/{campaign}/completion/{done['completion_code']}", headers=_as("mia")
    )
    assert check.get_json() == {"valid": True, "task": task["id"], "worker": "W-77"}

    expiring = client.post(
        f"/api/campaigns/{campaign}/links",
        json={"expires_in_hours": 0.0003, "max_uses": 5},
        headers=_as("mia"),
    ).get_json()
    threading.Event().wait(1.5)
    late = app.test_client(token=None).post(f"/api/crowd/{expiring['token']}?worker=W-79")
    assert late.status_code == 410 and "expired" in late.get_json()["error"]


def test_gold_images_score_annotators_and_start_empty(client):
    campaign = _campaign(client, gold_rate=1.0, review_share=0.0)
    _member(client, campaign, "ann", "annotator")
    response = client.post(
        f"/api/campaigns/{campaign}/images",
        data={
            "images": [(io.BytesIO(_image(12)), "gold.tif")],
            "labels": [(io.BytesIO(_tiff(_predictions())), "gold.tif")],
            "gold": "true",
        },
        headers=_as("mia"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    job = follow(client, response.get_json()["job"]["id"])[-1]
    (gold,) = job["result"]["images"]
    task_id = gold["tasks"][0]
    _wait_built(
        client, client.get(f"/api/tasks/{task_id}", headers=_as("mia")).get_json()["project"]
    )
    given = client.post(f"/api/campaigns/{campaign}/next", headers=_as("ann")).get_json()
    assert given["task"]["id"] == task_id and "gold" not in given["task"]
    # The reference is never shown: the gold task starts with no labels.
    assert not label_frame(client, given["project"]).any()
    annotator = client.application.test_client(token=_tokens[(id(client.application), "ann")])
    brush(annotator, given["project"], [10, 10], 1, size=6)
    done = client.post(f"/api/tasks/{task_id}/submit", headers=_as("ann")).get_json()
    assert done["state"] == "submitted"  # a gold score under the threshold goes to review
    scored = client.get(f"/api/tasks/{task_id}", headers=_as("mia")).get_json()
    assert 0.0 < scored["gold_f1"] < 0.8
    found = client.get(f"/api/campaigns/{campaign}/agreement", headers=_as("mia")).get_json()
    (ann,) = found["annotators"]
    assert (ann["username"], ann["tasks"], ann["agreement_f1"]) == ("ann", 1, None)
    assert ann["gold_f1"] == pytest.approx(2 / 3, abs=1e-5)


def test_a_reviewer_sees_the_cells_where_replicas_disagree(client):
    campaign = _campaign(client, replicas=2)
    for name, role in (("ann", "annotator"), ("bo", "annotator"), ("rev", "reviewer")):
        _member(client, campaign, name, role)
    labels = _tiff(_predictions())
    _added(client, campaign, {"images": [("one.tif", _image(5))], "labels": [("one.tif", labels)]})
    projects = {}
    # Ann adds a cell in one corner, Bo another in the opposite corner.
    for name, cell, point in (("ann", 7, [44, 4]), ("bo", 8, [4, 44])):
        task = client.post(f"/api/campaigns/{campaign}/next", headers=_as(name)).get_json()["task"]
        projects[name] = client.get(f"/api/tasks/{task['id']}", headers=_as(name)).get_json()[
            "project"
        ]
        person = client.application.test_client(token=_tokens[(id(client.application), name)])
        brush(person, projects[name], point, cell)

    found = client.get(f"/api/projects/{projects['ann']}/disagreement", headers=_as("rev"))
    assert found.status_code == 200, found.get_json()
    body = found.get_json()
    assert body["image"]["name"] == "one.tif" and body["cells"] == [7]
    (against,) = body["against"]
    assert against["project"] == projects["bo"]
    assert (against["unmatched"], against["merges"]) == ([7], [])
    other = client.get(
        f"/api/projects/{projects['bo']}/disagreement?with={projects['ann']}", headers=_as("mia")
    ).get_json()
    assert other["cells"] == [8] and other["against"][0]["replica"] == body["replica"]

    stray = client.get(
        f"/api/projects/{projects['ann']}/disagreement?with=nothing", headers=_as("rev")
    )
    assert stray.status_code == 400 and "no other replica" in stray.get_json()["error"]
    for name in ("eve", "ann"):
        hidden = client.get(f"/api/projects/{projects['ann']}/disagreement", headers=_as(name))
        assert hidden.status_code == (404 if name == "eve" else 403), hidden.get_json()
        assert hidden.get_json()["error"]


def test_disagreement_of_the_frame_and_feature_asked_for(client):
    """Replicas of a movie are compared on the frame (and feature) the reviewer looks at; a frame
    or feature the image does not have is refused, naming the ones it has."""
    campaign = _campaign(client, replicas=2, gold_rate=0.0)
    for name, role in (("ann", "annotator"), ("bo", "annotator"), ("rev", "reviewer")):
        _member(client, campaign, name, role)
    movie = np.random.default_rng(31).integers(0, 255, (3, SIZE, SIZE), dtype=np.uint8)
    _added(client, campaign, {"images": [("movie.tif", _tiff(movie))]})
    projects = {}
    for name in ("ann", "bo"):
        task = client.post(f"/api/campaigns/{campaign}/next", headers=_as(name)).get_json()["task"]
        projects[name] = task["project"]
    described = client.get(f"/api/projects/{projects['ann']}", headers=_as("ann")).get_json()
    assert (described["frames"], described["features"]) == (3, 1)
    # Both draw cell 4 on the first frame; on the last Ann draws cell 7, which Bo has not.
    person = {
        name: client.application.test_client(token=_tokens[(id(client.application), name)])
        for name in ("ann", "bo")
    }
    for name in ("ann", "bo"):
        brush(person[name], projects[name], [20, 20], 4)
    answer = person["ann"].post(
        f"/api/projects/{projects['ann']}/edits",
        json={
            "action": "brush",
            "args": {"points": [[40, 8]], "brush_size": 6, "cell": 7},
            "frame": 2,
        },
    )
    assert answer.status_code == 200, answer.get_json()

    url = f"/api/projects/{projects['ann']}/disagreement?with={projects['bo']}"
    first = client.get(url, headers=_as("rev")).get_json()
    assert (first["frame"], first["feature"], first["cells"]) == (0, 0, [])
    last = client.get(f"{url}&frame=2&feature=0", headers=_as("rev"))
    assert last.status_code == 200, last.get_json()
    assert (last.get_json()["frame"], last.get_json()["cells"]) == (2, [7])
    assert last.get_json()["against"][0]["unmatched"] == [7]
    middle = client.get(f"{url}&frame=1", headers=_as("rev")).get_json()
    assert middle["cells"] == []

    for query, words in (
        ("frame=3", "'frame' must be a whole number from 0 to 2 (the image has 3 frames)"),
        ("frame=-1", "'frame' must be a whole number from 0 to 2"),
        ("frame=last", "not 'last'"),
        ("feature=1", "'feature' must be a whole number from 0 to 0 (the image has 1 feature)"),
    ):
        refused = client.get(f"{url}&{query}", headers=_as("rev"))
        assert refused.status_code == 400, (query, refused.get_json())
        assert words in refused.get_json()["error"], refused.get_json()
    # A stranger learns nothing of the frames either.
    hidden = client.get(f"{url}&frame=9", headers=_as("eve"))
    assert hidden.status_code == 404
