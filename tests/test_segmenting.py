"""The segment job through the API with a real worker: proposals added as one undoable edit
that keeps every cell a person drew, the learned method from a box of drawn cells, a stack,
a plug-in segmenter, and the refusals."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
import tifffile
from accounts import make_user
from deepcell_label.labels.matching import match_cells
from deepcell_label.store.models import CellValue, db
from helpers import create, pixels
from sqlalchemy import select
from testdata import testdata_path as shared_file

ROWS = 128  # the top quarter of the 512² StarDist image, where the person drew every cell


def _tif(array: np.ndarray) -> bytes:
    data = io.BytesIO()
    tifffile.imwrite(data, array, photometric="minisblack")
    return data.getvalue()


@pytest.fixture(scope="module")
def nuclei():
    image = tifffile.imread(shared_file("stardist/img2d.tif"))
    truth = tifffile.imread(shared_file("stardist/mask2d.tif")).astype(np.int32)
    top = np.setdiff1d(np.unique(truth[:ROWS]), [0])
    drawn = np.where(np.isin(truth, top), truth, 0)
    return image, truth, drawn


@pytest.fixture
def project(client, nuclei) -> str:
    """The nuclei with only the cells of the top quarter drawn."""
    image, _, drawn = nuclei
    return create(client, data=_tif(image), name="nuclei.tif", labels=_tif(drawn))["id"]


def _labels(client, project_id: str, frame: int = 0, feature: int = 0) -> np.ndarray:
    return pixels(client.get(f"/api/projects/{project_id}/labels/{feature}/{frame}"))


def _segment(client, project_id: str, **body) -> dict:
    response = client.post(f"/api/projects/{project_id}/segment", json=body)
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert job["kind"] == "segment"
    deadline = time.monotonic() + 300
    progress = set()
    while job["state"] not in ("done", "failed", "cancelled"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
        job = client.get(f"/api/jobs/{job['id']}").get_json()
        progress.add(job["progress"])
    job["seen_progress"] = progress
    return job


def _version(client, project_id: str) -> int:
    return client.get(f"/api/projects/{project_id}/edits?since=0").get_json()["version"]


def _stored_cells(app, project_id: str) -> dict[int, tuple[int, int]]:
    """value -> (cell, pixel count) of frame 0 as the cell index's rows store them (one row
    per value here: no cells overlap)."""
    rows = {}
    with app.app_context():
        found = db.session.execute(
            select(CellValue.value, CellValue.cell, CellValue.area).where(
                CellValue.project_id == project_id,
                CellValue.feature == 0,
                CellValue.frame == 0,
            )
        ).all()
        db.session.rollback()
    for value, cell, area in found:
        assert value not in rows, f"value {value} has two rows"
        rows[value] = (cell, area)
    return rows


def _cells_of(labels: np.ndarray) -> dict[int, tuple[int, int]]:
    values, counts = np.unique(labels[labels > 0], return_counts=True)
    return {v: (v, c) for v, c in zip(values.tolist(), counts.tolist(), strict=True)}


def test_auto_adds_cells_around_the_persons_cells_as_one_undoable_edit(
    app, client, nuclei, project
):
    _, truth, drawn = nuclei
    job = _segment(client, project, method="auto", channel=0, frame=0, diameter=24)
    assert job["state"] == "done", job
    result = job["result"]
    assert result["version"] == 1 and result["method"] == "auto"
    confidences = [cell["confidence"] for cell in result["cells"]]
    assert confidences == sorted(confidences) and 0 <= confidences[0] <= confidences[-1] <= 1
    labels = _labels(client, project)
    # Every drawn cell is exactly as it was; the proposals found the others.
    np.testing.assert_array_equal(labels[drawn > 0], drawn[drawn > 0])
    assert {c["cell"] for c in result["cells"]} == set(np.unique(labels[drawn == 0])) - {0}
    assert match_cells(truth, labels).f1 >= 0.85
    (edit,) = client.get(f"/api/projects/{project}/edits?since=0").get_json()["edits"]
    assert edit["action"] == "segment"
    assert _stored_cells(app, project) == _cells_of(labels)
    client.post(f"/api/projects/{project}/undo", json={})
    np.testing.assert_array_equal(_labels(client, project), drawn)
    assert _stored_cells(app, project) == _cells_of(drawn)
    # Redone, the cells' rows are written again, once each.
    assert client.post(f"/api/projects/{project}/redo", json={}).status_code == 200
    np.testing.assert_array_equal(_labels(client, project), labels)
    assert _stored_cells(app, project) == _cells_of(labels)


def test_a_new_feature_holds_the_proposal_and_one_undo_takes_both_away(
    app, client, nuclei, project
):
    _, truth, drawn = nuclei
    name = f"segmenter-{project[:8].lower()}"
    token = make_user(app, name, project, "annotator")
    annotator = app.test_client(token=token)
    viewer = app.test_client(
        token=make_user(app, f"looker-{project[:8].lower()}", project, "viewer")
    )
    refused = viewer.post(f"/api/projects/{project}/segment", json={"new_feature": True})
    assert refused.status_code == 403
    job = _segment(annotator, project, method="auto", diameter=24, new_feature=True)
    assert job["state"] == "done", job
    assert job["result"]["feature"] == 1 and job["result"]["new_feature"] is True
    shown = annotator.get(f"/api/projects/{project}").get_json()
    assert shown["features"] == 2 and shown["feature_names"][1] == "auto proposal"
    # The person's layer is untouched; the new one holds every proposed cell, drawn or not.
    np.testing.assert_array_equal(_labels(annotator, project), drawn)
    proposed = _labels(annotator, project, feature=1)
    assert match_cells(truth, proposed).f1 >= 0.85
    assert {c["cell"] for c in job["result"]["cells"]} == set(np.unique(proposed)) - {0}
    (edit,) = annotator.get(f"/api/projects/{project}/edits?since=0").get_json()["edits"]
    assert (edit["action"], edit["author"]) == ("segment", name)
    assert edit["featureNames"][1] == "auto proposal"
    undone = annotator.post(f"/api/projects/{project}/undo", json={})
    assert undone.status_code == 200, undone.get_json()
    shown = annotator.get(f"/api/projects/{project}").get_json()
    assert shown["features"] == 1 and len(shown["feature_names"]) == 1
    np.testing.assert_array_equal(_labels(annotator, project), drawn)
    assert annotator.post(f"/api/projects/{project}/redo", json={}).status_code == 200
    assert annotator.get(f"/api/projects/{project}").get_json()["features"] == 2
    np.testing.assert_array_equal(_labels(annotator, project, feature=1), proposed)


def test_learned_from_the_top_quarter_finds_the_rest(client, nuclei, project):
    _, truth, drawn = nuclei
    job = _segment(client, project, method="learned", box=[0, 0, 512, ROWS], seed=3)
    assert job["state"] == "done", job
    assert len(job["seen_progress"]) >= 2  # the job reported its progress on the way
    labels = _labels(client, project)
    np.testing.assert_array_equal(labels[drawn > 0], drawn[drawn > 0])
    proposed = np.where(drawn > 0, 0, labels)
    assert match_cells(np.where(drawn > 0, 0, truth), proposed).f1 >= 0.90


def test_every_frame_of_a_stack(sqlite_app, request):
    from conftest import start_worker

    start_worker(sqlite_app, request)
    client = sqlite_app.test_client()
    stack = tifffile.imread(shared_file("stardist/img3d.tif"))
    truth = tifffile.imread(shared_file("stardist/mask3d.tif")).astype(np.int32)
    drawn = np.zeros_like(truth)
    drawn[15] = truth[15]  # the person drew every cell of the middle frame
    pid = create(client, data=_tif(stack), name="stack.tif", labels=_tif(drawn), axes="ZYX")["id"]
    job = _segment(client, pid, method="learned", frames="all", frame=15, box=[0, 0, 57, 61])
    assert job["state"] == "done", job
    frames = {cell["frame"] for cell in job["result"]["cells"]}
    assert len(frames) >= 20  # nuclei are proposed on most of the 31 frames, not just one
    # Small synthetic nuclei (about 10 per 61×57 frame) whose sections change from frame to
    # frame: most are found on the frames of the stack's middle third.
    found = [match_cells(truth[t], _labels(client, pid, t)).f1 for t in range(10, 21) if t != 15]
    assert np.mean(found) >= 0.5, found
    np.testing.assert_array_equal(_labels(client, pid, 15), truth[15])


def test_a_plug_in_segmenter_runs_through_the_api(client, project):
    methods = {m["name"]: m for m in client.get("/api/segmenters").get_json()["methods"]}
    assert {"auto", "learned", "threshold"} <= set(methods)
    assert methods["learned"]["learns"] and not methods["threshold"]["learns"]
    job = _segment(client, project, method="threshold")
    assert job["state"] == "done", job
    assert job["result"]["method"] == "threshold" and len(job["result"]["cells"]) > 20


def test_measuring_the_diameter_from_the_persons_cells(client, project, nuclei):
    answer = client.get(f"/api/projects/{project}/diameter?feature=0&frame=0").get_json()
    assert 20 <= answer["diameter"] <= 27


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"method": "cellpose"}, 400, "no segmentation method 'cellpose'"),
        ({"method": "learned", "box": [0, 300, 200, 500]}, 400, "no cells in the box"),
        ({"method": "learned", "box": [400, 0, 600, 100]}, 400, "not inside the image"),
        ({"method": "learned"}, 400, "send 'box'"),
        ({"method": "auto", "channel": 3}, 404, "Channel 3 does not exist"),
        ({"method": "auto", "frame": 2}, 404, "Frame 2 does not exist"),
        ({"method": "auto", "diameter": "big"}, 400, "'diameter' is the typical cell"),
        ({"method": "auto", "colour": 1}, 400, "Unknown fields 'colour'"),
        ({"method": "auto", "new_feature": "yes"}, 400, "'new_feature' is true"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(client, project, body, status, message):
    response = client.post(f"/api/projects/{project}/segment", json=body)
    assert response.status_code == status, response.get_json()
    assert message in response.get_json()["error"]
    assert _version(client, project) == 0


def test_a_constant_image_fails_the_job_with_the_reason(client):
    pid = create(client, data=_tif(np.full((64, 64), 9, np.uint16)), name="flat.tif")["id"]
    job = _segment(client, pid, method="auto")
    assert job["state"] == "failed" and "constant" in job["error"]
    assert _version(client, pid) == 0


def test_a_stacks_proposals_wait_on_disk_not_in_memory(tmp_path):
    """Segmenting every frame keeps each frame's proposal in the job's folder but the last;
    they are read back one at a time when the edit is made."""
    import tracemalloc

    from deepcell_label.segmentation import Proposal
    from deepcell_label.services.segmenting import Proposals

    frames, side = 30, 512  # 1 MiB of labels a frame
    proposals = Proposals(tmp_path)
    tracemalloc.start()
    try:
        for frame in range(frames):
            labels = np.full((side, side), frame + 1, np.int32)
            proposals.add(frame, Proposal(labels, {frame + 1: 0.5}, 20.0))
            del labels
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for frame, proposal in proposals.items():
            assert proposal.confidence == {frame + 1: 0.5}
            assert (proposal.labels == frame + 1).all()
            del proposal
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    one_frame = side * side * 4
    assert held < 2 * one_frame  # of the 30 frames, only the last stays in memory
    assert peak < 4 * one_frame  # reading them back holds about one at a time
    assert proposals.diameters == dict.fromkeys(range(frames), 20.0)
