"""Jobs on real Celery workers: progress, results, cancelling, failures, crashes, limits, and a
worker killed in the middle of a job."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from conftest import build_app, start_worker
from helpers import follow


def submit(app, kind: str, **params) -> str:
    from deepcell_label.services import jobs

    with app.app_context():
        return jobs.submit(kind, None, params, author="tester").id


def cleaned(app, job_id: str) -> str | None:
    marker = Path(app.config["DATA_DIR"]) / "cleaned" / job_id
    return marker.read_text() if marker.exists() else None


def test_a_job_reports_progress_and_its_result(app, client):
    job_id = submit(app, "count", steps=8, pause=0.1)
    seen = follow(client, job_id)
    states = [item["state"] for item in seen]
    assert states[-1] == "done", seen[-1]
    assert "running" in states
    running = [item["progress"] for item in seen if item["state"] == "running"]
    assert running == sorted(running) and max(running) > 0.3
    assert any(item["message"].startswith("Step ") for item in seen)
    final = seen[-1]
    assert final["result"] == {"counted": 8, "attempt": 1}
    assert final["progress"] == 1.0 and final["error"] is None
    assert final["kind"] == "count" and final["author"] == "tester"
    assert final["started"] and final["finished"]
    assert cleaned(app, job_id) is None  # nothing to clean after a success


def test_cancel_stops_a_running_job_at_its_next_progress_point(app, client):
    job_id = submit(app, "count", steps=200, pause=0.05)
    follow(client, job_id, until=("running",))
    answer = client.post(f"/api/jobs/{job_id}/cancel")
    assert answer.status_code == 200
    final = follow(client, job_id, seconds=10)[-1]
    assert final["state"] == "cancelled"
    assert final["progress"] < 0.5 and final["result"] is None
    assert cleaned(app, job_id) == "cancelled"
    again = client.post(f"/api/jobs/{job_id}/cancel")
    assert again.status_code == 409
    assert "already cancelled" in again.get_json()["error"]


def test_a_queued_job_is_cancelled_at_once(app, client, tmp_path):
    from deepcell_label.services import jobs

    # An app whose queue no worker listens on: its job stays queued.
    idle = build_app(tmp_path, {})
    with idle.app_context():
        job_id = jobs.submit("count", None, {"steps": 1}).id
        assert jobs.status(job_id)["state"] == "queued"
    answer = idle.test_client().post(f"/api/jobs/{job_id}/cancel").get_json()
    assert answer["state"] == "cancelled"
    assert answer["message"] == "Cancelled before it started"


def test_a_refused_input_fails_the_job_with_the_users_message(app, client):
    job_id = submit(app, "refuse")
    final = follow(client, job_id)[-1]
    assert final["state"] == "failed"
    assert final["error"] == "The file is not an image this test accepts. Send another file."
    assert cleaned(app, job_id) == final["error"]
    with app.app_context():
        from deepcell_label.services import jobs

        assert jobs.get_job(job_id).error_status == 400


def test_unknown_jobs_are_404_with_a_message(client):
    for answer in (client.get("/api/jobs/nope"), client.post("/api/jobs/nope/cancel")):
        assert answer.status_code == 404
        assert "There is no job 'nope'" in answer.get_json()["error"]


def test_a_crashing_reader_fails_its_job_and_nothing_else(app, client):
    """os.abort() in the job's process: it is run once more, then fails with the reason; the
    web app and the other jobs go on."""
    crash = submit(app, "abort")
    other = submit(app, "count", steps=10, pause=0.05)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert client.get("/health").status_code == 200
        if client.get(f"/api/jobs/{crash}").get_json()["state"] == "failed":
            break
        time.sleep(0.1)
    final = client.get(f"/api/jobs/{crash}").get_json()
    assert final["state"] == "failed", final
    assert final["attempts"] == 3  # two runs, then the worker that took it gave it up
    assert "SIGABRT" in final["error"] and "given up after 2 attempts" in final["error"]
    assert cleaned(app, crash) == final["error"]
    assert follow(client, other)[-1]["state"] == "done"


@pytest.fixture
def limited_app(tmp_path, request):
    """An app with a worker whose jobs may use 1.5 GiB and run 8 s."""
    app = build_app(tmp_path, {})
    start_worker(app, request, JOB_MEMORY_LIMIT=3 * 2**29, JOB_TIME_LIMIT=8)
    return app


def test_a_reader_that_balloons_fails_with_a_memory_message(limited_app):
    client = limited_app.test_client()
    job_id = submit(limited_app, "balloon")
    final = follow(client, job_id)[-1]
    assert final["state"] == "failed", final
    assert "ran out of memory" in final["error"] and "1.5 GiB" in final["error"]
    assert final["attempts"] == 1


def test_a_job_past_the_time_limit_is_stopped_with_the_reason(limited_app):
    client = limited_app.test_client()
    job_id = submit(limited_app, "loop")
    final = follow(client, job_id, seconds=40)[-1]
    assert final["state"] == "failed", final
    assert "ran longer than the limit of 8 s" in final["error"]
    assert cleaned(limited_app, job_id) == final["error"]
    assert client.get("/health").status_code == 200


def test_a_job_whose_worker_is_killed_runs_again_on_another(tmp_path, request):
    """SIGKILL of a whole worker (main and pool processes) in the middle of a job: its
    heartbeat stops, another worker notices and runs the job again from the start."""
    app = build_app(tmp_path, {"JOB_STALE_SECONDS": 3, "JOB_HEARTBEAT_SECONDS": 0.5})
    client = app.test_client()
    first = start_worker(app, request, name="first", WORKER_CONCURRENCY=1)
    job_id = submit(app, "count", steps=40, pause=0.1)
    follow(client, job_id, until=("running",))
    time.sleep(0.5)
    os.killpg(first.process.pid, signal.SIGKILL)
    first.process.wait(10)
    # With no worker left, whoever asks sees the job queued again once its heartbeat is stale,
    # and why (with a worker running, it would take the job within moments).
    requeued = follow(client, job_id, until=("queued",), seconds=30)[-1]
    assert requeued["message"].startswith("Starting again: its worker stopped answering"), requeued
    start_worker(app, request, name="second", WORKER_CONCURRENCY=1)
    final = follow(client, job_id, seconds=60)[-1]
    assert final["state"] == "done", final
    assert final["result"] == {"counted": 40, "attempt": 2} and final["attempts"] == 2


def test_the_embedded_broker_needs_no_server(tmp_path, request):
    """The default broker, a SQLite file beside the database, as `make run` uses it."""
    broker = tmp_path / "jobs-broker.sqlite"
    app = build_app(tmp_path, {"CELERY_BROKER_URL": f"sqla+sqlite:///{broker}"})
    start_worker(app, request, name="embedded")
    client = app.test_client()
    job_id = submit(app, "count", steps=3, pause=0.01)
    assert follow(client, job_id, seconds=30)[-1]["result"] == {"counted": 3, "attempt": 1}
    assert broker.exists()


def test_temporary_folders_of_jobs_that_are_not_running_are_removed(tmp_path):
    """What a killed worker's attempts left on its machine goes once their jobs ended or went
    on elsewhere; the folder of a job running here stays."""
    from deepcell_label.services import jobs
    from deepcell_label.store.models import Job

    app = build_app(tmp_path, {})
    base = tmp_path / "tmp"
    base.mkdir(exist_ok=True)
    with app.app_context():
        ids = {state: jobs.submit("count", None, {}).id for state in ("running", "done", "queued")}
        for state, job_id in ids.items():
            jobs._update(job_id, Job.id == job_id, state=state)
        folders = {state: base / f"job-{job_id}-ab_c12d3" for state, job_id in ids.items()}
        for folder in folders.values():
            folder.mkdir()
            (folder / "part.tif").write_bytes(b"half")
        removed = jobs.remove_leftovers_of_ended_jobs()
        assert sorted(removed) == sorted([ids["done"], ids["queued"]])
        assert [path.name for path in base.iterdir()] == [folders["running"].name]
        jobs._update(ids["running"], Job.id == ids["running"], state="failed")
        assert jobs.remove_leftovers_of_ended_jobs() == [ids["running"]]
    assert not list(base.iterdir())


def test_the_embedded_broker_is_polled_often_however_it_is_given(tmp_path, monkeypatch):
    """Celery takes CELERY_BROKER_URL from the environment over the URL it is given (as in
    the workers, whose settings come from there): kombu's own SQL transport, polled every
    second, must not be the one that URL leads to."""
    from deepcell_label.jobs.queue import SQLTransport, make_celery

    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    celery = make_celery({**build_app(tmp_path, {}).config, "CELERY_BROKER_URL": url})
    with celery.connection_for_read() as connection:
        assert isinstance(connection.transport, SQLTransport)
        assert connection.transport.polling_interval == 0.1
