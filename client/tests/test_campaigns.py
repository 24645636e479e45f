"""Campaigns and segmentation through the Python client against a real server: a campaign of
arrays with predictions, a task walked through by a second account and the admin, the accepted
labels back as arrays; `segment('auto')` on a real nuclei image; refusals as typed exceptions."""

from __future__ import annotations

import time
import zipfile

import httpx
import numpy as np
import pytest
import tifffile
from deepcell_label_client import BadRequestError, Client, NotFoundError

from .conftest import REPOSITORY

PASSWORD = "correct horse battery staple"
NUCLEI = REPOSITORY.parent / "shared" / "testdata" / "stardist" / "img2d.tif"


def make_account(server, admin_token: str, username: str) -> str:
    """A new account (made by the admin) that signs in by password and makes itself a token."""
    made = httpx.post(
        f"{server.url}/api/users",
        json={"username": username, "password": PASSWORD},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert made.status_code in (201, 409), made.text
    with httpx.Client(base_url=server.url) as browser:
        signed_in = browser.post(
            "/api/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        answer = browser.post(
            "/api/auth/tokens",
            json={"name": "tests"},
            headers={"X-CSRF-Token": signed_in.json()["csrf_token"]},
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["token"]


def wait_built(client: Client, project_id: str) -> None:
    for _ in range(600):
        if client.project(project_id).metadata()["status"] == "ready":
            return
        time.sleep(0.1)
    raise AssertionError(f"project {project_id} was not built")


def blobs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """An image of three bright squares and the predicted labels 1, 2, 3 on them."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 40, (40, 56), dtype=np.uint8)
    labels = np.zeros((40, 56), np.int32)
    for value, (y, x) in enumerate([(4, 4), (20, 10), (10, 36)], start=1):
        image[y : y + 10, x : x + 12] += 150
        labels[y : y + 10, x : x + 12] = value
    return image, labels


def test_a_campaign_from_arrays_gives_back_the_accepted_labels(
    client, server, admin_token, tmp_path
):
    (image_a, labels_a), (image_b, labels_b) = blobs(1), blobs(2)
    campaign = client.create_campaign(
        "nuclei from a model", [image_a, image_b], [labels_a, labels_b], instructions="Fix them."
    )
    status = client.campaign(campaign.id).status()
    assert status["name"] == "nuclei from a model" and status["replicas"] == 1
    assert status["counts"]["new"] == 2
    tasks = campaign.tasks()
    assert len(tasks) == 2 and {t["state"] for t in tasks} == {"new"}

    token = make_account(server, admin_token, "annotator1")
    assert campaign.add_member("annotator1", "annotator")["role"] == "annotator"
    with Client(server.url, token, progress=False) as annotator:
        given = annotator.http.post(f"/api/campaigns/{campaign.id}/next").json()
        task, project_id = given["task"], given["project"]
        assert given["instructions"] == "Fix them."
        wait_built(annotator, project_id)
        predicted = annotator.project(project_id).labels()[0]
        drawn = predicted.copy()
        drawn[predicted == 2] = 0  # the annotator deletes the second cell
        edit = annotator.http.post(
            f"/api/projects/{project_id}/edits",
            json={"action": "delete", "args": {"cell": 2}, "frame": 0, "feature": 0},
        )
        assert edit.status_code == 200, edit.text
        submitted = annotator.http.post(f"/api/tasks/{task['id']}/submit")
        assert submitted.status_code == 200, submitted.text
    assert [t["id"] for t in campaign.tasks(annotator="annotator1")] == [task["id"]]
    reviewed = client.http.post(f"/api/tasks/{task['id']}/review", json={"decision": "accept"})
    assert reviewed.json()["state"] == "accepted", reviewed.text
    assert campaign.status()["counts"]["accepted"] == 1
    assert [t["id"] for t in campaign.tasks(state="accepted")] == [task["id"]]
    report = campaign.agreement()
    assert [a["username"] for a in report["annotators"]] == ["annotator1"]
    assert report["annotators"][0]["tasks"] == 1

    path = campaign.export_dataset(tmp_path)
    with zipfile.ZipFile(path) as archive:
        assert "manifest.csv" in archive.namelist()
    splits = campaign.dataset(split=(1, 0, 0))
    assert list(splits) == ["train"]
    X, y = splits["train"]
    original = image_a if np.array_equal(predicted, labels_a) else image_b
    np.testing.assert_array_equal(X, original[None, :, :, None])
    np.testing.assert_array_equal(y, drawn[None, :, :, None])
    assert y.dtype == np.int32

    with pytest.raises(BadRequestError, match="role"):
        campaign.add_member("annotator1", "boss")
    np.save(tmp_path / "other.npy", labels_a)
    with pytest.raises(BadRequestError, match="labels match no image"):
        campaign.add_images([image_a], [tmp_path / "other.npy"])
    with pytest.raises(ValueError, match="one per image"):
        campaign.add_images([image_a], [labels_a, labels_b])
    with pytest.raises(NotFoundError, match="no campaign"):
        client.campaign("no-such-campaign")


def test_segment_auto_adds_cells_to_a_real_nuclei_image(client):
    image = tifffile.imread(NUCLEI)[:128, :128]
    project = client.create_project(image, name="nuclei to segment")
    assert not project.labels().any()
    result = project.segment("auto")
    cells = {entry["cell"] for entry in result["cells"]}
    assert len(cells) >= 5
    assert all(0 <= entry["confidence"] <= 1 for entry in result["cells"])
    labels = project.labels()[0]
    assert labels.any()
    assert {c["cell"] for c in project.cells()} == cells
    apart = project.segment("auto", new_feature=True)
    assert apart["new_feature"] and apart["feature"] == 1
    np.testing.assert_array_equal(project.labels()[0], labels)  # the first layer as it was
    assert project.labels(1)[0].any()

    with pytest.raises(BadRequestError, match="takes no box"):
        project.segment("auto", box=(0, 0, 10, 10))
    with pytest.raises(BadRequestError, match="'frames' must be"):
        project.segment(frames="some")
    with pytest.raises(BadRequestError, match="no segmentation method 'magic'"):
        project.segment("magic")
    with pytest.raises(BadRequestError, match="learns from your cells"):
        project.segment("learned")
