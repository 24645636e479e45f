"""Building projects on the job queue: progress, 409 while building, failures, a worker killed
mid-build, and flood limits on large frames."""

from __future__ import annotations

import io
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import tifffile
from conftest import app_with_worker, build_app, start_worker
from deepcell_label.store.models import (
    CellValue,
    FrameCheckpoint,
    Job,
    LabelOverview,
    LabelTile,
    Project,
    db,
)
from helpers import pixels, upload
from sqlalchemy import func, select

INLINE_PIXELS = 10_000  # so that a 120×700 image (84,000 pixels) is built in the background
HEIGHT, WIDTH = 120, 700  # two levels: 700 wide is more than one view tile
WAIT = 60.0


class Stages:
    """Stops, releases or fails the builds of the worker at chosen stages, through the files that
    `build_hooks.hook` looks for (the build runs in the worker's process)."""

    def __init__(self, app, stop_at=(), fail_at: dict[str, str] | None = None) -> None:
        self.folder = Path(app.config["DATA_DIR"]) / "hooks"
        self.folder.mkdir(exist_ok=True)
        for path in self.folder.iterdir():
            path.unlink()
        for stage in stop_at:
            (self.folder / f"stop-{stage}").touch()
        for stage, message in (fail_at or {}).items():
            (self.folder / f"fail-{stage}").write_text(message)

    def reach(self, project_id: str, stage: str) -> None:
        deadline = time.monotonic() + WAIT
        while not (self.folder / f"arrived-{project_id}-{stage}").exists():
            assert time.monotonic() < deadline, f"the build never reached {stage}"
            time.sleep(0.02)

    def release(self, project_id: str, stage: str) -> None:
        (self.folder / f"go-{project_id}-{stage}").touch()

    def clear(self) -> None:
        for path in self.folder.iterdir():
            path.unlink()


@pytest.fixture(scope="module", params=["sqlite-local", "mysql-s3"])
def background_app(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"background-{request.param}")
    overrides = {
        "CREATE_INLINE_PIXELS": INLINE_PIXELS,
        "CREATE_WAIT_SECONDS": 0,  # answer at once: the tests follow the builds
        "BUILD_HOOK": "build_hooks:hook",
        "JOB_STALE_SECONDS": 3,
        "JOB_HEARTBEAT_SECONDS": 0.5,
    }
    with app_with_worker(request, tmp, request.param, overrides) as app:
        yield app


@pytest.fixture
def client(background_app):
    yield background_app.test_client()
    Stages(background_app).clear()
    background_app.config["FLOOD_MAX_PIXELS"] = 4096 * 4096
    background_app.config["CREATE_WAIT_SECONDS"] = 0


def _images() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    raw = rng.integers(0, 60000, (2, HEIGHT, WIDTH), dtype=np.uint16)
    labels = np.zeros((2, HEIGHT, WIDTH), np.int32)
    labels[:, 10:50, 20:90] = 3
    labels[1, 60:110, 600:690] = 8
    return raw, labels


def _tiff(array: np.ndarray, axes: str) -> bytes:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array, metadata={"axes": axes})
    return buffer.getvalue()


def _start(client, raw=None, labels=None) -> dict:
    if raw is None:
        raw, labels = _images()
    response = upload(
        client,
        data=_tiff(raw, "TYX"),
        name="big.tif",
        axes="TYX",
        labels=None if labels is None else _tiff(labels, "TYX"),
        labels_axes="TYX",
    )
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def _describe(client, project_id: str) -> dict:
    response = client.get(f"/api/projects/{project_id}")
    assert response.status_code == 200
    return response.get_json()


def _wait_until_done(client, project_id: str, done=("ready", "failed")) -> dict:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        meta = _describe(client, project_id)
        if meta["status"] in done:
            return meta
        time.sleep(0.02)
    raise AssertionError("the build did not finish")


def _wait_for_job(client, job_id: str) -> dict:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").get_json()
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.02)
    raise AssertionError("the build's job did not finish")


def _rows_and_objects(app, project_id: str) -> tuple[int, list[str]]:
    with app.app_context():
        rows = sum(
            db.session.execute(
                select(func.count()).select_from(model).where(model.project_id == project_id)
            ).scalar_one()
            for model in (LabelTile, CellValue, FrameCheckpoint, LabelOverview)
        )
        keys = app.extensions["deepcell_storage"].keys(f"projects/{project_id}/")
    return rows, keys


def _data_requests(project_id: str) -> list[tuple[str, str, dict | None]]:
    base = f"/api/projects/{project_id}"
    brush = {"action": "brush", "args": {"points": [[5, 5]], "brush_size": 2, "cell": 1}}
    return [
        ("get", f"{base}/raw/0/0", None),
        ("get", f"{base}/raw/0/0/tiles/0/0", None),
        ("get", f"{base}/raw/0/0/levels/1/tiles/0/0", None),
        ("get", f"{base}/labels/0/0", None),
        ("get", f"{base}/labels/0/0/tiles/0/0", None),
        ("get", f"{base}/labels/0/0/levels/0/tiles/0/0", None),
        ("get", f"{base}/export", None),
        ("post", f"{base}/edits", brush),
        ("post", f"{base}/undo", {}),
    ]


def test_a_large_project_is_built_in_the_background_with_growing_progress(background_app, client):
    stages = Stages(background_app, stop_at={"read", "start", "labels", "finish"})
    meta = _start(client)
    pid, job_id = meta["id"], meta["job"]["id"]
    assert meta["status"] == "building" and meta["job"]["kind"] == "build"
    assert meta["job"]["state"] in ("queued", "running")
    seen = []
    for stage in ("read", "start", "labels", "finish"):
        stages.reach(pid, stage)
        now = _describe(client, pid)
        assert now["status"] == "building", stage
        seen.append(now["progress"])
        # Nothing of the project can be read or edited until it is ready.
        for method, path, body in _data_requests(pid):
            response = getattr(client, method)(path, json=body)
            assert response.status_code == 409, (path, response.status_code)
            assert response.get_json()["error"] == (
                f"The project is still being prepared ({int(now['progress'] * 100)}%). "
                "Try again when its status is 'ready'."
            )
        job = client.get(f"/api/jobs/{job_id}").get_json()
        assert job["state"] == "running" and job["project"] == pid
        if stage != "read":  # the files were read: the project has its shape
            assert now["levels"] == 2 and now["view_tile_size"] == 512
            assert (now["frames"], now["height"], now["width"]) == (2, HEIGHT, WIDTH)
        stages.release(pid, stage)
    assert seen[0] <= seen[1] < seen[2] < seen[3] < 1, seen
    meta = _wait_until_done(client, pid)
    assert meta["status"] == "ready" and meta["progress"] == 1.0 and meta["status_message"] == ""
    # The build's copies of the uploaded files are gone once the job's outcome is written (the
    # project is ready a moment before); the originals are in storage.
    assert _wait_for_job(client, job_id)["state"] == "done"
    assert not list((Path(background_app.config["DATA_DIR"]) / "tmp").iterdir())
    assert background_app.extensions["deepcell_storage"].exists(f"projects/{pid}/original/labels")
    assert {(c["value"], c["t"]) for c in meta["cells"]} == {(3, 0), (3, 1), (8, 1)}
    raw, labels = _images()
    np.testing.assert_array_equal(pixels(client.get(f"/api/projects/{pid}/raw/1/0")), raw[1])
    np.testing.assert_array_equal(pixels(client.get(f"/api/projects/{pid}/labels/0/1")), labels[1])
    overview = pixels(client.get(f"/api/projects/{pid}/labels/0/1/levels/1/tiles/0/0"))
    np.testing.assert_array_equal(overview, labels[1, ::2, ::2])
    # New cells get ids above every cell the labels had.
    answer = client.post(
        f"/api/projects/{pid}/edits",
        json={"action": "new", "args": {"cell": 3}, "frame": 0},
    ).get_json()
    assert [9] in [c["cells"] for c in answer["edits"][0]["cells"]]


def test_a_failed_build_says_why_and_leaves_no_data(background_app, client):
    Stages(background_app, fail_at={"finish": "disk gone"})
    meta = _start(client)
    pid = meta["id"]
    meta = _wait_until_done(client, pid)
    assert meta["status"] == "failed"
    assert "could not finish the job" in meta["status_message"]
    assert "disk gone" not in meta["status_message"]  # server internals stay on the server
    assert _rows_and_objects(background_app, pid) == (0, [])
    response = client.get(f"/api/projects/{pid}/raw/0/0/tiles/0/0")
    assert response.status_code == 409
    assert meta["status_message"] in response.get_json()["error"]
    job = _follow_job(client, _build_job(background_app, pid))
    assert job["state"] == "failed" and job["error"] == meta["status_message"]


def test_a_build_whose_worker_is_killed_is_built_again_by_another(tmp_path, request):
    """SIGKILL of the worker in the middle of a build: another worker notices the silent job,
    removes what the first attempt wrote, builds the project whole, and no file is left."""
    app = build_app(
        tmp_path,
        {
            "CREATE_INLINE_PIXELS": INLINE_PIXELS,
            "CREATE_WAIT_SECONDS": 0,
            "BUILD_HOOK": "build_hooks:hook",
            "JOB_STALE_SECONDS": 3,
            "JOB_HEARTBEAT_SECONDS": 0.5,
        },
    )
    client = app.test_client()
    first = start_worker(app, request, name="first")
    stages = Stages(app, stop_at={"labels"})
    pid = _start(client)["id"]
    stages.reach(pid, "labels")  # the raw tiles are written
    os.killpg(first.process.pid, signal.SIGKILL)
    first.process.wait(30)
    (stages.folder / f"arrived-{pid}-labels").unlink()
    start_worker(app, request, name="second")
    stages.reach(pid, "labels")  # the second attempt, from the start
    stages.release(pid, "labels")
    meta = _wait_until_done(client, pid)
    assert meta["status"] == "ready"
    job = _follow_job(client, _build_job(app, pid))
    assert job["state"] == "done" and job["attempts"] == 2
    raw, labels = _images()
    np.testing.assert_array_equal(pixels(client.get(f"/api/projects/{pid}/raw/1/0")), raw[1])
    np.testing.assert_array_equal(pixels(client.get(f"/api/projects/{pid}/labels/0/1")), labels[1])
    assert not list((Path(app.config["DATA_DIR"]) / "tmp").iterdir())


def _build_job(app, project_id: str) -> str:
    with app.app_context():
        return db.session.execute(
            select(Job.id).where(Job.project_id == project_id, Job.kind == "build")
        ).scalar_one()


def _follow_job(client, job_id: str) -> dict:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").get_json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def test_large_labels_are_checked_as_the_build_reads_them(background_app, client):
    raw, labels = _images()
    labels[1, 5, 5] = -4
    pid = _start(client, raw, labels)["id"]  # read plane by plane: the request saw only headers
    meta = _wait_until_done(client, pid)
    assert meta["status"] == "failed"
    assert "negative values (down to -4)" in meta["status_message"]
    assert _rows_and_objects(background_app, pid) == (0, [])


def test_bad_input_is_refused_to_a_waiting_request_and_leaves_nothing(background_app, client):
    raw, _ = _images()
    background_app.config["CREATE_WAIT_SECONDS"] = 60
    store = background_app.extensions["deepcell_storage"]
    with background_app.app_context():
        before = db.session.execute(select(func.count()).select_from(Project)).scalar_one()
    objects = store.keys("projects/")
    response = upload(
        client,
        data=_tiff(raw, "TYX"),
        name="big.tif",
        axes="TYX",
        labels=_tiff(np.zeros((2, 50, 50), np.int32), "TYX"),
        labels_axes="TYX",
    )
    assert response.status_code == 400 and "does not fit the image" in response.get_json()["error"]
    with background_app.app_context():
        after = db.session.execute(select(func.count()).select_from(Project)).scalar_one()
    assert after == before and store.keys("projects/") == objects
    assert not list((Path(background_app.config["DATA_DIR"]) / "tmp").iterdir())


def _flood(client, pid: str, status: int, **args) -> dict:
    response = client.post(
        f"/api/projects/{pid}/edits",
        json={"action": "flood", "args": args, "frame": 0, "write_mode": "overwrite"},
    )
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_a_background_flood_of_a_large_frame_needs_a_region(background_app, client):
    pid = _start(client)["id"]
    assert _wait_until_done(client, pid)["status"] == "ready"
    background_app.config["FLOOD_MAX_PIXELS"] = 30_000  # the 120×700 frame counts as large
    before = pixels(client.get(f"/api/projects/{pid}/labels/0/0")).copy()

    refused = _flood(client, pid, 400, x=300, y=60, cell=5)
    assert "Zoom in and flood within the visible region" in refused["error"]
    # A view of the whole frame is no bound either.
    whole = {"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT}
    refused = _flood(client, pid, 400, x=300, y=60, cell=5, region=whole)
    assert "Zoom in further and flood again" in refused["error"]
    assert np.array_equal(pixels(client.get(f"/api/projects/{pid}/labels/0/0")), before)

    # Within the region the background is flooded up to the region's edges, and no further.
    region = {"x": 0, "y": 0, "width": 200, "height": 100}
    _flood(client, pid, 200, x=150, y=60, cell=5, region=region)
    after = pixels(client.get(f"/api/projects/{pid}/labels/0/0"))
    expected = before.copy()
    inside = expected[0:100, 0:200]
    inside[inside == 0] = 5  # cell 3's box does not split the region's background
    np.testing.assert_array_equal(after, expected)

    # A cell's own flood is bounded by the cell and needs no region.
    _flood(client, pid, 200, x=30, y=20, cell=6)
    assert (pixels(client.get(f"/api/projects/{pid}/labels/0/0")) == 6).sum() == (before == 3).sum()


@pytest.mark.parametrize(
    "region, message",
    [
        ({"x": 0, "y": 0, "width": 10}, "exactly x, y, width and height"),
        ({"x": 0, "y": 0, "width": 0, "height": 5}, "at least 1 pixel"),
        ({"x": 5000, "y": 0, "width": 10, "height": 10}, "outside the image"),
        ({"x": "a", "y": 0, "width": 10, "height": 10}, "whole number"),
        ({"x": 0, "y": 0, "width": 10, "height": 10}, "outside the region"),
        ([0, 0, 10, 10], "exactly x, y, width and height"),
    ],
)
def test_bad_flood_regions_are_refused(background_app, client, region, message):
    background_app.config["CREATE_WAIT_SECONDS"] = 60
    response = upload(client, data=_tiff(np.zeros((40, 60), np.uint8), "YX"), name="s.tif")
    assert response.status_code == 201
    answer = _flood(client, response.get_json()["id"], 400, x=30, y=30, cell=1, region=region)
    assert message in answer["error"]
