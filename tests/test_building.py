"""Creating large projects in the background: progress, 409 while building, failures, flood limits."""

from __future__ import annotations

import io
import threading
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import tifffile
from conftest import build_app, make_bucket, mysql_database
from deepcell_label.store.models import (
    CellValue,
    FrameCheckpoint,
    LabelOverview,
    LabelTile,
    Project,
    db,
    utcnow,
)
from helpers import pixels, upload
from sqlalchemy import func, select, update

INLINE_PIXELS = 10_000  # so that a 120×700 image (84,000 pixels) is built in the background
HEIGHT, WIDTH = 120, 700  # two levels: 700 wide is more than one view tile
WAIT = 60.0


class Stages:
    """A build hook that stops the build at chosen stages until the test lets it go on."""

    def __init__(self, stop_at: set[str] = frozenset(), fail_at: dict | None = None) -> None:
        self.stop_at = set(stop_at)
        self.fail_at = dict(fail_at or {})
        self.arrived = {stage: threading.Event() for stage in ("start", "labels", "finish")}
        self.go_on = {stage: threading.Event() for stage in ("start", "labels", "finish")}

    def __call__(self, stage: str, project_id: str) -> None:
        self.arrived[stage].set()
        if stage in self.fail_at:
            raise self.fail_at[stage]
        if stage in self.stop_at:
            assert self.go_on[stage].wait(WAIT), f"the test never let the build pass {stage}"

    def reach(self, stage: str) -> None:
        assert self.arrived[stage].wait(WAIT), f"the build never reached {stage}"

    def release(self, stage: str) -> None:
        self.go_on[stage].set()


@pytest.fixture(scope="module", params=["sqlite-local", "mysql-s3"])
def background_app(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"background-{request.param}")
    overrides = {"CREATE_INLINE_PIXELS": INLINE_PIXELS}
    if request.param == "sqlite-local":
        yield build_app(tmp, overrides)
        return
    endpoint = request.getfixturevalue("moto_endpoint")
    with mysql_database() as url:
        yield build_app(
            tmp,
            {
                **overrides,
                "SQLALCHEMY_DATABASE_URI": url,
                "STORAGE": "s3",
                "STORAGE_BUCKET": make_bucket(endpoint),
                "AWS_ENDPOINT_URL": endpoint,
            },
        )


@pytest.fixture
def client(background_app):
    yield background_app.test_client()
    background_app.config.pop("BUILD_HOOK", None)
    background_app.config["FLOOD_MAX_PIXELS"] = 4096 * 4096


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
    stages = Stages(stop_at={"start", "labels", "finish"})
    background_app.config["BUILD_HOOK"] = stages
    meta = _start(client)
    pid = meta["id"]
    assert meta["status"] == "building" and meta["levels"] == 2 and meta["view_tile_size"] == 512
    assert (meta["frames"], meta["height"], meta["width"]) == (2, HEIGHT, WIDTH)
    seen = []
    for stage in ("start", "labels", "finish"):
        stages.reach(stage)
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
        stages.release(stage)
    assert seen[0] < seen[1] < seen[2] < 1, seen
    meta = _wait_until_done(client, pid)
    assert meta["status"] == "ready" and meta["progress"] == 1.0 and meta["status_message"] == ""
    # The build's copies of the uploaded files are gone; the originals are in storage.
    assert not list((Path(background_app.config["DATA_DIR"]) / "tmp").glob("build-*"))
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
    background_app.config["BUILD_HOOK"] = Stages(fail_at={"finish": RuntimeError("disk gone")})
    pid = _start(client)["id"]
    meta = _wait_until_done(client, pid)
    assert meta["status"] == "failed"
    assert "could not finish building the project" in meta["status_message"]
    assert "disk gone" not in meta["status_message"]  # server internals stay on the server
    assert _rows_and_objects(background_app, pid) == (0, [])
    response = client.get(f"/api/projects/{pid}/raw/0/0/tiles/0/0")
    assert response.status_code == 409
    assert meta["status_message"] in response.get_json()["error"]


def test_a_build_without_signs_of_life_reads_as_failed(background_app, client):
    stages = Stages(stop_at={"start"})
    background_app.config["BUILD_HOOK"] = stages
    pid = _start(client)["id"]
    stages.reach("start")
    with background_app.app_context():
        old = utcnow() - timedelta(seconds=background_app.config["BUILD_STALE_SECONDS"] + 1)
        db.session.execute(update(Project).where(Project.id == pid).values(heartbeat=old))
        db.session.commit()
    meta = _describe(client, pid)
    assert meta["status"] == "failed"
    assert meta["status_message"] == "Creation was interrupted; create the project again."
    stages.release("start")
    # It was only slow after all: its next sign of life shows it building, then ready.
    assert _wait_until_done(client, pid, done=("ready",))["status"] == "ready"


def test_a_build_taken_for_dead_is_cleaned_up_by_the_next_one(background_app, client):
    stages = Stages(stop_at={"start"})
    background_app.config["BUILD_HOOK"] = stages
    pid = _start(client)["id"]
    stages.reach("start")
    folder = Path(background_app.config["DATA_DIR"]) / "tmp"
    assert list(folder.glob(f"build-{pid}-*")), "the build keeps its own copy of the input"
    with background_app.app_context():
        old = utcnow() - timedelta(seconds=background_app.config["BUILD_STALE_SECONDS"] + 1)
        db.session.execute(update(Project).where(Project.id == pid).values(heartbeat=old))
        db.session.commit()
    background_app.config.pop("BUILD_HOOK")
    other = _start(client)["id"]  # a new build clears away the dead one first
    meta = _describe(client, pid)
    assert meta["status"] == "failed"
    assert meta["status_message"] == "Creation was interrupted; create the project again."
    assert not list(folder.glob(f"build-{pid}-*"))
    # The first build was only slow: when it goes on, it finds itself cleared away and stops,
    # removing what it wrote.
    stages.release("start")
    for thread in threading.enumerate():
        if thread.name == f"build-{pid}":
            thread.join(WAIT)
    assert _describe(client, pid)["status"] == "failed"
    assert _rows_and_objects(background_app, pid) == (0, [])
    assert _wait_until_done(client, other)["status"] == "ready"


def test_large_labels_are_checked_as_the_build_reads_them(background_app, client):
    raw, labels = _images()
    labels[1, 5, 5] = -4
    pid = _start(client, raw, labels)["id"]  # read plane by plane: the request saw only headers
    meta = _wait_until_done(client, pid)
    assert meta["status"] == "failed"
    assert "negative values (down to -4)" in meta["status_message"]
    assert _rows_and_objects(background_app, pid) == (0, [])


def test_bad_large_input_is_refused_in_the_request_and_leaves_nothing(background_app, client):
    raw, _ = _images()
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
    background_app.config["CREATE_INLINE_PIXELS"] = 10**9
    try:
        response = upload(client, data=_tiff(np.zeros((40, 60), np.uint8), "YX"), name="s.tif")
    finally:
        background_app.config["CREATE_INLINE_PIXELS"] = INLINE_PIXELS
    assert response.status_code == 201
    answer = _flood(client, response.get_json()["id"], 400, x=30, y=30, cell=1, region=region)
    assert message in answer["error"]
