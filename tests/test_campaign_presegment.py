"""A campaign's pre-segmentation through the API, with real accounts and a real worker: the
learned segmenter trains on the accepted image and proposes the cells of the image nobody has
started, when a manager asks and, with the campaign's `presegment` setting on, by itself."""

from __future__ import annotations

import io
import threading
import time

import numpy as np
import pytest
import tifffile
from accounts import bearer, make_user
from deepcell_label.labels.matching import match_cells
from helpers import brush, follow, label_frame
from servers import tiff_bytes as _tiff
from testdata import testdata_path as shared_file

HALF = 256  # StarDist's 512² nuclei cut in two: the top half labelled, the bottom not


@pytest.fixture(scope="module")
def halves():
    image = tifffile.imread(shared_file("stardist/img2d.tif"))
    truth = tifffile.imread(shared_file("stardist/mask2d.tif")).astype(np.int32)
    return image[:HALF], truth[:HALF], image[HALF:], truth[HALF:]


def _people(app, client, campaign_settings: dict) -> tuple[str, dict, dict]:
    """A campaign made by a manager, with an annotator; (campaign, manager, annotator)."""
    suffix = str(time.monotonic_ns())[-9:]
    manager = bearer(make_user(app, f"mgr{suffix}"))
    annotator_name = f"ann{suffix}"
    annotator = bearer(make_user(app, annotator_name))
    made = client.post(
        "/api/campaigns", json={"name": "Nuclei", **campaign_settings}, headers=manager
    )
    assert made.status_code == 201, made.get_json()
    campaign = made.get_json()["id"]
    added = client.post(
        f"/api/campaigns/{campaign}/members",
        json={"username": annotator_name, "role": "annotator"},
        headers=manager,
    )
    assert added.status_code == 201, added.get_json()
    return campaign, manager, annotator


def _send_images(client, campaign: str, manager: dict, images: dict, labels: dict) -> dict:
    """Add images (name: array), with labels matched by name, once built; each one's task."""
    response = client.post(
        f"/api/campaigns/{campaign}/images",
        data={
            "images": [(io.BytesIO(_tiff(array)), name) for name, array in images.items()],
            "labels": [(io.BytesIO(_tiff(array)), name) for name, array in labels.items()],
        },
        headers=manager,
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    job = follow(client, response.get_json()["job"]["id"], seconds=120)[-1]
    assert job["state"] == "done", job
    tasks = {}
    for image in job["result"]["images"]:
        (task,) = image["tasks"]
        tasks[image["image"]] = client.get(f"/api/tasks/{task}", headers=manager).get_json()
        _wait_ready(client, tasks[image["image"]]["project"])
    return tasks


def _add_images(client, campaign: str, manager: dict, halves) -> tuple[dict, dict]:
    """The labelled top half and the unlabelled bottom half; each one's task."""
    top, top_truth, bottom, _ = halves
    images = {"top.tif": top, "bottom.tif": bottom}
    tasks = _send_images(client, campaign, manager, images, {"top.tif": top_truth})
    return tasks["top.tif"], tasks["bottom.tif"]


def _wait_ready(client, project: str) -> None:
    deadline = time.monotonic() + 120
    while client.get(f"/api/projects/{project}").get_json().get("status") != "ready":
        assert time.monotonic() < deadline
        time.sleep(0.1)


def _accept_the_top(client, campaign: str, manager: dict, annotator: dict, top: dict) -> None:
    """The annotator hands the top half in as it came (every cell drawn); it is accepted."""
    given = client.post(f"/api/campaigns/{campaign}/next", headers=annotator).get_json()
    assert given["task"]["id"] == top["id"]
    assert client.post(f"/api/tasks/{top['id']}/submit", headers=annotator).status_code == 200
    state = client.get(f"/api/tasks/{top['id']}", headers=manager).get_json()["state"]
    if state != "accepted":
        reviewed = client.post(
            f"/api/tasks/{top['id']}/review", json={"decision": "accept"}, headers=manager
        )
        assert reviewed.status_code == 200, reviewed.get_json()
    assert client.get(f"/api/tasks/{top['id']}", headers=manager).get_json()["state"] == "accepted"


def _version(client, project: str) -> int:
    return client.get(f"/api/projects/{project}/edits?since=0").get_json()["version"]


def test_a_manager_pre_segments_the_images_not_started_from_the_accepted_ones(app, client, halves):
    campaign, manager, annotator = _people(app, client, {"review_share": 0.0})
    top, bottom = _add_images(client, campaign, manager, halves)

    early = client.post(f"/api/campaigns/{campaign}/presegment", headers=manager)
    assert (
        early.status_code == 400
        and "No image of this campaign is accepted" in (early.get_json()["error"])
    )
    _accept_the_top(client, campaign, manager, annotator, top)
    refused = client.post(f"/api/campaigns/{campaign}/presegment", headers=annotator)
    assert refused.status_code == 403, refused.get_json()
    assert _version(client, bottom["project"]) == 0

    started = client.post(f"/api/campaigns/{campaign}/presegment", headers=manager)
    assert started.status_code == 202, started.get_json()
    job = follow(client, started.get_json()["job"]["id"], seconds=300)[-1]
    assert job["state"] == "done", job
    assert job["result"]["trained_on"] == [top["image"]]
    (done,) = job["result"]["images"]
    assert (done["task"], done["project"]) == (bottom["id"], bottom["project"])

    # The bottom half now holds proposals most of which are the nuclei there.
    proposed = label_frame(client, bottom["project"])
    assert done["cells"] == len(np.unique(proposed)) - 1
    assert match_cells(halves[3], proposed).f1 >= 0.85
    # The task is still new; its annotator gets it with the cells in place, to correct.
    assert client.get(f"/api/tasks/{bottom['id']}", headers=manager).get_json()["state"] == "new"
    given = client.post(f"/api/campaigns/{campaign}/next", headers=annotator).get_json()
    assert given["task"]["id"] == bottom["id"]
    (edit,) = client.get(f"/api/projects/{bottom['project']}/edits?since=0").get_json()["edits"]
    assert edit["action"] == "segment"
    # The accepted image is left as it was, and nothing is left to pre-segment.
    assert _version(client, top["project"]) == 0
    again = client.post(f"/api/campaigns/{campaign}/presegment", headers=manager)
    job = follow(client, again.get_json()["job"]["id"], seconds=300)[-1]
    assert job["state"] == "done" and job["result"]["images"] == [], job


def test_with_the_setting_on_the_workers_pre_segment_by_themselves(app, client, halves):
    campaign, manager, annotator = _people(app, client, {"review_share": 0.0, "presegment": True})
    described = client.get(f"/api/campaigns/{campaign}", headers=manager).get_json()
    assert described["presegment"] is True
    bad = client.patch(f"/api/campaigns/{campaign}", json={"presegment": "on"}, headers=manager)
    assert (
        bad.status_code == 400 and "'presegment' must be true or false" in bad.get_json()["error"]
    )
    top, bottom = _add_images(client, campaign, manager, halves)
    time.sleep(1)
    assert _version(client, bottom["project"]) == 0  # nothing accepted yet: nothing learnt
    _accept_the_top(client, campaign, manager, annotator, top)
    # The workers look every JOB_STALE_SECONDS / 2 (15 s here), then train and segment.
    deadline = time.monotonic() + 120
    while _version(client, bottom["project"]) == 0:
        assert time.monotonic() < deadline, "the bottom half was never pre-segmented"
        time.sleep(0.5)
    assert match_cells(halves[3], label_frame(client, bottom["project"])).f1 >= 0.85


def _jobs_of(app, campaign: str) -> list:
    """The campaign's pre-segmentation jobs, as the database holds them."""
    from deepcell_label.services.campaigns.presegment import KIND
    from deepcell_label.store.models import Job, db
    from sqlalchemy import select

    with app.app_context():
        found = db.session.scalars(select(Job).where(Job.kind == KIND)).all()
        mine = [job.id for job in found if (job.params or {}).get("campaign") == campaign]
        db.session.remove()
    return mine


def test_a_campaign_has_one_pre_segmentation_on_its_way_at_a_time(app, client, halves):
    campaign, manager, annotator = _people(app, client, {"review_share": 0.0})
    top, bottom = _add_images(client, campaign, manager, halves)
    _accept_the_top(client, campaign, manager, annotator, top)

    # A manager who asks twice is given the job already on its way.
    first = client.post(f"/api/campaigns/{campaign}/presegment", headers=manager)
    second = client.post(f"/api/campaigns/{campaign}/presegment", headers=manager)
    assert first.status_code == second.status_code == 202, second.get_json()
    assert second.get_json()["job"]["id"] == first.get_json()["job"]["id"]
    job = follow(client, first.get_json()["job"]["id"], seconds=300)[-1]
    assert job["state"] == "done", job
    assert _jobs_of(app, campaign) == [job["id"]]

    # Two workers looking at the same moment queue one job between them.
    from deepcell_label.services.campaigns import presegment
    from deepcell_label.store.models import db

    patched = client.patch(f"/api/campaigns/{campaign}", json={"presegment": True}, headers=manager)
    assert patched.status_code == 200, patched.get_json()
    _send_images(client, campaign, manager, {"third.tif": halves[2][:128]}, {})
    barrier = threading.Barrier(2)
    queued: list[list] = []

    def look() -> None:
        with app.app_context():
            barrier.wait()
            queued.append(presegment.sweep())
            db.session.remove()

    threads = [threading.Thread(target=look) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # The first job, and one more for the new image (queued by one of them, or by the
    # workers' own look just before).
    (later,) = set(_jobs_of(app, campaign)) - {job["id"]}
    assert sum(len(found) for found in queued) <= 1, queued
    assert follow(client, later, seconds=300)[-1]["state"] == "done"


def _edits(client, project: str) -> list[dict]:
    return client.get(f"/api/projects/{project}/edits?since=0").get_json()["edits"]


def test_more_accepted_images_propose_again_the_images_still_not_started(app, client, halves):
    """Quarters of the StarDist image: two labelled, accepted one after the other; the bottom
    half and a third quarter unlabelled, the quarter then edited by a person."""
    image = np.concatenate([halves[0], halves[2]])
    truth = np.concatenate([halves[1], halves[3]])
    campaign, manager, annotator = _people(app, client, {"review_share": 0.0})
    names = ["q0.tif", "q1.tif", "bottom.tif", "side.tif"]
    parts = [image[:128], image[128:256], image[256:], image[256:384]]
    labels = {"q0.tif": truth[:128], "q1.tif": truth[128:256]}
    tasks = _send_images(client, campaign, manager, dict(zip(names, parts, strict=True)), labels)
    q0, q1, bottom, side = (tasks[name] for name in names)

    def presegment() -> dict:
        started = client.post(f"/api/campaigns/{campaign}/presegment", headers=manager)
        assert started.status_code == 202, started.get_json()
        done = follow(client, started.get_json()["job"]["id"], seconds=300)[-1]
        assert done["state"] == "done", done
        return done["result"]

    _accept_the_top(client, campaign, manager, annotator, q0)
    first = presegment()
    # The second labelled quarter, every cell drawn, has no room for a proposal.
    proposals = {item["project"]: item["cells"] for item in first["images"] if item["cells"]}
    assert set(proposals) == {bottom["project"], side["project"]}, first
    assert not any(item["replaced"] for item in first["images"])
    proposed = label_frame(client, bottom["project"])
    assert proposed.any()

    # A person corrects the side quarter: from then on it is theirs.
    side_cell = int(label_frame(client, side["project"]).max()) + 1000
    brush(client, side["project"], [5, 5], side_cell)
    side_labels = label_frame(client, side["project"])

    _accept_the_top(client, campaign, manager, annotator, q1)
    second = presegment()
    assert second["trained_on"] == [q1["image"], q0["image"]]
    (again,) = second["images"]
    assert again["project"] == bottom["project"] and again["replaced"] is True
    # The machine's earlier cells are gone, the new ones are the nuclei there.
    reproposed = label_frame(client, bottom["project"])
    earlier = set(np.unique(proposed).tolist()) - {0}
    assert not earlier & set(np.unique(reproposed).tolist())
    assert again["cells"] == len(np.unique(reproposed)) - 1
    assert match_cells(halves[3], reproposed).f1 >= 0.85
    assert [e["action"] for e in _edits(client, bottom["project"])] == ["segment", "segment"]
    # The task is still new, for its annotator to correct.
    assert client.get(f"/api/tasks/{bottom['id']}", headers=manager).get_json()["state"] == "new"
    # The person's quarter is left as they left it.
    assert np.array_equal(label_frame(client, side["project"]), side_labels)
    assert len(_edits(client, side["project"])) == 2
    # Nothing more was accepted: nothing is proposed again.
    assert presegment()["images"] == []
    # Undone, the new proposal gives the earlier one back.
    undone = client.post(f"/api/projects/{bottom['project']}/undo", json={}, headers=manager)
    assert undone.status_code == 200, undone.get_json()
    assert np.array_equal(label_frame(client, bottom["project"]), proposed)
