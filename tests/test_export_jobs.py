"""Exports and submits as jobs on real workers: every format, the download (streamed or from a
pre-signed S3 address), large projects refused in the request, progress, cancelling, expiry."""

from __future__ import annotations

import io
import tarfile
import time
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import requests
import tifffile
from accounts import person
from conftest import build_app, start_worker
from helpers import create, follow, upload

FORMATS = ("zip", "npz", "ctc", "trk", "ome-zarr")


def _tiff(array: np.ndarray, axes: str) -> bytes:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array, metadata={"axes": axes}, photometric="minisblack")
    return buffer.getvalue()


def _project(client, name: str = "Cells of day 3 – µ.tif") -> dict:
    rng = np.random.default_rng(11)
    raw = rng.integers(0, 4000, (3, 40, 52), dtype=np.uint16)
    labels = np.zeros((3, 40, 52), np.int32)
    labels[:, 5:15, 4:20] = 2
    labels[1:, 20:35, 30:50] = 7
    return create(
        client,
        data=_tiff(raw, "TYX"),
        name=name,
        axes="TYX",
        labels=_tiff(labels, "TYX"),
        labels_axes="TYX",
    )


def fetch_download(client, job: dict) -> tuple[bytes, str]:
    """The file of a finished export job, as a browser gets it: (bytes, Content-Disposition)."""
    answer = client.get(job["result"]["download"])
    if answer.status_code == 302:  # S3: a pre-signed address, fetched like a link
        assert answer.headers["Location"].startswith("http"), answer.headers["Location"]
        fetched = requests.get(answer.headers["Location"], timeout=30)
        assert fetched.status_code == 200, fetched.text[:300]
        # S3 answers with the Content-Disposition the address asks for; moto leaves it out.
        asked = parse_qs(urlsplit(answer.headers["Location"]).query)
        disposition = fetched.headers.get("Content-Disposition")
        return fetched.content, disposition or asked["response-content-disposition"][0]
    assert answer.status_code == 200, answer.get_json()
    return answer.data, answer.headers["Content-Disposition"]


def contents(data: bytes) -> dict[str, object]:
    """An archive's members, TIFF members as their pixels (their OME-XML carries a new UUID on
    every write), the others as bytes."""
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
    else:
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            members = {
                item.name: archive.extractfile(item).read() for item in archive if item.isfile()
            }
    return {
        name: tifffile.imread(io.BytesIO(body)) if name.endswith((".tif", ".tiff")) else body
        for name, body in members.items()
    }


def same_contents(first: bytes, second: bytes) -> None:
    one, two = contents(first), contents(second)
    assert sorted(one) == sorted(two)
    for name, value in one.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, two[name], err_msg=name)
        elif name.endswith(".npy") or name.endswith(".npz"):
            np.testing.assert_array_equal(
                np.load(io.BytesIO(value)), np.load(io.BytesIO(two[name])), err_msg=name
            )
        else:
            assert value == two[name], name


def storage_keys(app, prefix: str = "exports/") -> list[str]:
    return app.extensions["deepcell_storage"].keys(prefix)


def tmp_files(app) -> list[Path]:
    return list((Path(app.config["DATA_DIR"]) / "tmp").iterdir())


@pytest.fixture(scope="module")
def project(client_module) -> dict:
    return _project(client_module)


@pytest.fixture(scope="module")
def client_module(app):
    return app.test_client()


@pytest.mark.parametrize("kind", FORMATS)
def test_an_export_job_writes_the_same_file_as_the_request(app, client, project, kind):
    pid = project["id"]
    answer = client.post(
        f"/api/projects/{pid}/exports", json={"format": kind}, headers=person(app, "ana")
    )
    assert answer.status_code == 202, answer.get_json()
    job = answer.get_json()
    assert job["kind"] == "export" and job["project"] == pid and job["author"] == "ana"
    final = follow(client, job["id"])[-1]
    assert final["state"] == "done", final
    result = final["result"]
    ending = {"ctc": "ctc.zip", "ome-zarr": "ome.zarr.zip"}.get(kind, kind)
    assert result["file"] == f"{pid}.{ending}"
    assert result["name"] == f"Cells of day 3 – µ.tif.{ending}"
    assert result["download"] == f"/api/jobs/{job['id']}/download"
    assert result["format"] == kind and result["version"] == project["version"]
    expires = np.datetime64(result["expires"].rstrip("Z"))
    finished = np.datetime64(final["finished"].rstrip("Z"))
    assert abs((expires - finished) / np.timedelta64(1, "s") - 24 * 3600) < 60
    data, disposition = fetch_download(client, final)
    assert len(data) == result["bytes"]
    assert disposition.startswith('attachment; filename="Cells of day 3 _ _.tif.')
    assert "filename*=UTF-8''Cells%20of%20day%203%20%E2%80%93%20%C2%B5.tif." in disposition
    same_contents(data, client.get(f"/api/projects/{pid}/export?format={kind}").data)
    assert storage_keys(app, f"exports/{job['id']}/") == [f"exports/{job['id']}/{result['file']}"]
    assert not tmp_files(app)


def test_the_server_streams_the_file_where_browsers_cannot_reach_s3(app, client, project):
    """EXPORT_PRESIGNED_URLS=false: the download is the file itself, from any storage."""
    job = client.post(f"/api/projects/{project['id']}/exports", json={"format": "zip"})
    final = follow(client, job.get_json()["id"])[-1]
    linked, _ = fetch_download(client, final)
    app.config["EXPORT_PRESIGNED_URLS"] = False
    try:
        answer = client.get(final["result"]["download"])
    finally:
        app.config["EXPORT_PRESIGNED_URLS"] = True
    assert answer.status_code == 200
    assert answer.headers["Content-Length"] == str(final["result"]["bytes"])
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="Cells of')
    assert answer.headers["Cache-Control"] == "private, no-store"
    assert answer.data == linked


def test_a_large_project_is_exported_and_submitted_only_by_jobs(app, client, project):
    pid = project["id"]
    app.config["EXPORT_INLINE_PIXELS"] = 1000  # the project has 3 × 40 × 52 pixels
    try:
        for path in (f"/api/projects/{pid}/export?format=zip", f"/api/project/{pid}"):
            refused = client.get(path)
            assert refused.status_code == 413, path
            error = refused.get_json()["error"]
            assert "too large to export in one request (6,240 pixels" in error
            assert f"POST /api/projects/{pid}/exports" in error
            assert "GET /api/jobs/<job id>/download" in error
        answer = client.post(f"/api/projects/{pid}/submit", json={"format": "npz"})
        assert answer.status_code == 202, answer.get_json()
        job = answer.get_json()
        assert job["kind"] == "submit"
        final = follow(client, job["id"])[-1]
        assert final["state"] == "done", final
        assert final["result"]["key"] == f"{pid}/{pid}.npz"
        assert final["result"]["version"] == project["version"]
        assert client.get(f"/api/jobs/{job['id']}/download").status_code == 404
    finally:
        app.config["EXPORT_INLINE_PIXELS"] = app.config["CREATE_INLINE_PIXELS"]
    output = _output(app)
    with np.load(io.BytesIO(output.get(final["result"]["key"]))) as arrays:
        assert arrays["X"].shape == (3, 40, 52, 1)
        assert final["result"]["bytes"] == len(output.get(final["result"]["key"]))
    # A small project is still submitted in the request, or as a job when asked to.
    assert client.post(f"/api/projects/{pid}/submit", json={"format": "npz"}).status_code == 200
    asked = client.post(
        f"/api/projects/{pid}/submit", json={"format": "npz"}, headers={"Prefer": "respond-async"}
    )
    assert asked.status_code == 202 and asked.get_json()["kind"] == "submit"
    assert follow(client, asked.get_json()["id"])[-1]["state"] == "done"


def _output(app):
    from deepcell_label.store.storage import output_storage_from_config

    return output_storage_from_config(app.config)[0]


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"format": "tar.gz"}, 400, "Unknown export format 'tar.gz'"),
        ({"format": 5}, 400, "Unknown export format"),
    ],
)
def test_a_bad_export_request_is_refused(client, project, body, status, message):
    answer = client.post(f"/api/projects/{project['id']}/exports", json=body)
    assert answer.status_code == status and message in answer.get_json()["error"]


def test_downloads_that_cannot_be(app, client, project):
    from deepcell_label.services import jobs

    assert client.get("/api/jobs/nope/download").status_code == 404
    build = project["job"]["id"]
    answer = client.get(f"/api/jobs/{build}/download")
    assert answer.status_code == 404 and "is a build job" in answer.get_json()["error"]
    missing = client.post("/api/projects/nothere00000/exports", json={"format": "zip"})
    assert missing.status_code == 404
    idle = build_app(Path(app.config["DATA_DIR"]).parent / "idle-exports", {})
    with idle.app_context():
        queued = jobs.submit("export", project["id"], {"format": "zip"}).id
    answer = idle.test_client().get(f"/api/jobs/{queued}/download")
    assert answer.status_code == 409 and "not finished yet (0%)" in answer.get_json()["error"]


# ---------------------------------------------------------------- in this process


@pytest.fixture
def local_app(tmp_path):
    return build_app(tmp_path, {})


def _run_here(app, job_id: str, kinds=None) -> dict:
    from deepcell_label.jobs.tasks import job_kinds
    from deepcell_label.services import jobs

    with app.app_context():
        jobs.run(job_id, kinds or job_kinds(app.config))
        return jobs.status(job_id)


def test_progress_is_reported_as_the_file_is_written(local_app, monkeypatch):
    from deepcell_label.services import jobs

    client = local_app.test_client()
    local_app.config["CREATE_WAIT_SECONDS"] = 0
    pid = _built_here(local_app, client)
    reports: list[tuple[float, str]] = []
    original = jobs.JobContext.progress

    def recorded(self, fraction, message="", force=False):
        reports.append((fraction, message))
        return original(self, fraction, message, True)

    monkeypatch.setattr(jobs.JobContext, "progress", recorded)
    for kind in ("zip", "ome-zarr", "npz"):
        reports.clear()
        with local_app.app_context():
            job_id = jobs.submit("export", pid, {"format": kind}).id
        final = _run_here(local_app, job_id)
        assert final["state"] == "done", final
        fractions = [fraction for fraction, _ in reports]
        assert fractions == sorted(fractions), (kind, reports)
        assert len(reports) >= 4 and fractions[-1] == 0.9, (kind, reports)
        assert reports[-1][1] == "Storing the file"
        assert any(0 < f < 0.9 for f in fractions), (kind, reports)
        # Each format says which plane it is at.
        assert any(" of 2" in message for _, message in reports[1:-1]), (kind, reports)


def _built_here(app, client) -> str:
    """A project built by running its build job in this process (no worker listens)."""
    rng = np.random.default_rng(3)
    raw = rng.integers(0, 255, (2, 30, 30), dtype=np.uint8)
    labels = np.zeros((2, 30, 30), np.int32)
    labels[:, 3:9, 3:9] = 4
    answer = upload(
        client, data=_tiff(raw, "TYX"), name="here.tif", axes="TYX", labels=_tiff(labels, "TYX")
    )
    assert answer.status_code == 202, answer.get_json()
    meta = answer.get_json()
    assert _run_here(app, meta["job"]["id"])["state"] == "done"
    return meta["id"]


def test_cancelling_an_export_removes_its_partial_file(local_app, monkeypatch):
    """A cancel seen while the file is written: the job ends cancelled, and neither its
    temporary file nor anything in storage is left."""
    from deepcell_label.services import jobs

    client = local_app.test_client()
    local_app.config["CREATE_WAIT_SECONDS"] = 0
    pid = _built_here(local_app, client)
    original = jobs.JobContext.progress
    seen_files: list[list[Path]] = []

    def cancel_halfway(self, fraction, message="", force=False):
        if 0.3 < fraction < 0.9:
            seen_files.append(list(Path(self.folder()).iterdir()))
            client.post(f"/api/jobs/{self.id}/cancel")
        return original(self, fraction, message, True)

    monkeypatch.setattr(jobs.JobContext, "progress", cancel_halfway)
    with local_app.app_context():
        job_id = jobs.submit("export", pid, {"format": "zip"}).id
        # What an earlier attempt, whose process died, stored before it stopped.
        local_app.extensions["deepcell_storage"].put(f"exports/{job_id}/{pid}.zip", b"PK part")
    final = _run_here(local_app, job_id)
    assert final["state"] == "cancelled", final
    assert seen_files and seen_files[0], "the file was being written when the cancel came"
    assert storage_keys(local_app) == []
    assert not tmp_files(local_app)


def test_an_attempt_after_a_crash_replaces_the_part_the_first_one_stored(local_app):
    from deepcell_label.services import jobs

    client = local_app.test_client()
    local_app.config["CREATE_WAIT_SECONDS"] = 0
    pid = _built_here(local_app, client)
    store = local_app.extensions["deepcell_storage"]
    with local_app.app_context():
        job_id = jobs.submit("export", pid, {"format": "zip"}).id
    store.put(f"exports/{job_id}/left-over.part", b"half")
    assert _run_here(local_app, job_id)["state"] == "done"
    assert storage_keys(local_app) == [f"exports/{job_id}/{pid}.zip"]


def test_an_expired_export_is_gone(local_app):
    from deepcell_label.services import export_jobs, jobs

    client = local_app.test_client()
    local_app.config["CREATE_WAIT_SECONDS"] = 0
    pid = _built_here(local_app, client)
    with local_app.app_context():
        kept = jobs.submit("export", pid, {"format": "zip"}).id
        old = jobs.submit("export", pid, {"format": "npz"}).id
    for job_id in (kept, old):
        assert _run_here(local_app, job_id)["state"] == "done"
    from deepcell_label.store.models import Job, db, utcnow
    from sqlalchemy import update

    with local_app.app_context():
        db.session.execute(
            update(Job).where(Job.id == old).values(finished=utcnow() - np.timedelta64(25, "h"))
        )
        db.session.commit()
    answer = client.get(f"/api/jobs/{old}/download")
    assert answer.status_code == 410
    assert answer.get_json()["error"] == (
        "The export's file expired (files are kept 24 hours). Export the project again."
    )
    with local_app.app_context():
        assert export_jobs.remove_expired() == [old]
    assert storage_keys(local_app) == [f"exports/{kept}/{pid}.zip"]
    assert client.get(f"/api/jobs/{kept}/download").status_code == 200


def test_the_workers_remove_expired_exports(tmp_path, request):
    """A worker looks for expired exports now and then (a quarter of EXPORT_MAX_AGE_HOURS, here
    0.5 s) and removes their files."""
    app = build_app(tmp_path, {"EXPORT_MAX_AGE_HOURS": 2 / 3600})
    start_worker(app, request, name="expiry")
    client = app.test_client()
    pid = _project(client)["id"]
    job = client.post(f"/api/projects/{pid}/exports", json={"format": "zip"}).get_json()
    final = follow(client, job["id"])[-1]
    assert final["state"] == "done"
    assert storage_keys(app) == [f"exports/{job['id']}/{pid}.zip"]
    deadline = time.monotonic() + 20
    while storage_keys(app) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert storage_keys(app) == []
    assert client.get(f"/api/jobs/{job['id']}/download").status_code == 410


def _editing_during_writes(monkeypatch, client, pid: str, edits: int) -> list[int]:
    """Make the npz writer commit a brush stroke (through the API) while it writes, the
    first `edits` times it is called; returns the versions the strokes made."""
    from deepcell_label.services import exporting

    writer, content_type, ending = exporting.EXPORT_FORMATS["npz"]
    made: list[int] = []

    def writer_meanwhile_edited(project, fileobj, progress=None):
        if len(made) < edits:
            stroke = {"points": [[2 + 3 * len(made), 20]], "brush_size": 1, "cell": 9}
            answer = client.post(
                f"/api/projects/{pid}/edits",
                json={"action": "brush", "args": stroke, "frame": 0, "write_mode": "overwrite"},
            )
            assert answer.status_code == 200, answer.get_json()
            made.append(answer.get_json()["version"])
        writer(project, fileobj, progress)

    monkeypatch.setitem(
        exporting.EXPORT_FORMATS, "npz", (writer_meanwhile_edited, content_type, ending)
    )
    return made


def test_an_export_of_a_project_edited_meanwhile_is_written_again(local_app, monkeypatch):
    """On SQLite the export's reads see an edit committed halfway: it is written again, and
    the file holds one version, the one its result names."""
    from deepcell_label.services import jobs

    client = local_app.test_client()
    local_app.config["CREATE_WAIT_SECONDS"] = 0
    pid = _built_here(local_app, client)
    made = _editing_during_writes(monkeypatch, client, pid, edits=1)
    with local_app.app_context():
        job_id = jobs.submit("export", pid, {"format": "npz"}).id
    final = _run_here(local_app, job_id)
    assert final["state"] == "done", final
    assert final["result"]["version"] == made[0] == 1
    data = client.get(final["result"]["download"]).data
    with np.load(io.BytesIO(data)) as arrays:
        assert arrays["y"][0, 20, 2, 0] == 9  # the stroke made while the first attempt wrote


def test_an_export_of_a_project_edited_all_the_time_stops_with_the_reason(local_app, monkeypatch):
    from deepcell_label.services import jobs

    client = local_app.test_client()
    local_app.config["CREATE_WAIT_SECONDS"] = 0
    pid = _built_here(local_app, client)
    _editing_during_writes(monkeypatch, client, pid, edits=3)
    with local_app.app_context():
        job_id = jobs.submit("export", pid, {"format": "npz"}).id
    final = _run_here(local_app, job_id)
    assert final["state"] == "failed"
    assert final["error"] == (
        "The project was edited while it was exported, 3 times in a row. Export it again when "
        "fewer edits are being made."
    )
    assert storage_keys(local_app) == [] and not tmp_files(local_app)
