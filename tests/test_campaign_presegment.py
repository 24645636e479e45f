"""A campaign's pre-segmentation through the API, with real accounts and a real worker: the
learned segmenter trains on the accepted image and proposes the cells of the image nobody has
started, when a manager asks and, with the campaign's `presegment` setting on, by itself."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
import tifffile
from accounts import bearer, make_user
from deepcell_label.labels.matching import match_cells
from helpers import follow, label_frame
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


def _add_images(client, campaign: str, manager: dict, halves) -> tuple[dict, dict]:
    """The labelled top half and the unlabelled bottom half; each one's task."""
    top, top_truth, bottom, _ = halves
    response = client.post(
        f"/api/campaigns/{campaign}/images",
        data={
            "images": [
                (io.BytesIO(_tiff(top)), "top.tif"),
                (io.BytesIO(_tiff(bottom)), "bottom.tif"),
            ],
            "labels": [(io.BytesIO(_tiff(top_truth)), "top.tif")],
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
