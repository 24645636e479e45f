"""`scripts/serve.sh` (what `make run` serves with) stopped by SIGTERM while a job runs: web
server and job worker end within the graceful timeout, nothing of theirs is left running, and
the job is queued to run again."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import time

import requests
from conftest import build_app, free_port
from servers import REPOSITORY

GRACE = 30  # gunicorn's --graceful-timeout in serve.sh


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_during_a_job_stops_everything_and_queues_the_job_again(tmp_path):
    from deepcell_label.services import jobs

    data_dir = tmp_path / "data"
    settings = {
        "CELERY_BROKER_URL": f"sqla+sqlite:///{data_dir / 'jobs-broker.sqlite'}",
        "CELERY_QUEUE": f"test-{secrets.token_hex(6)}",
        "WORKER_STOP_SECONDS": "2",
    }
    app = build_app(data_dir, settings)
    port = free_port()
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("REQUIRE_")},
        **settings,
        "DATA_DIR": str(data_dir),
        "PORT": str(port),
        "WORKERS": "1",
        "WORKER_CONCURRENCY": "1",
        "PYTHONPATH": str(REPOSITORY / "tests"),
        "JOB_EXTRA_KINDS": "job_kinds:KINDS",
        "PYTHON": str(REPOSITORY / ".venv" / "bin" / "python"),
    }
    environment.pop("SQLALCHEMY_DATABASE_URI", None)
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        ["bash", "scripts/serve.sh"],
        cwd=REPOSITORY,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok:
                    break
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            time.sleep(0.3)
        with app.app_context():
            job_id = jobs.submit("count", None, {"steps": 600, "pause": 0.1}, author="tester").id
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with app.app_context():
                if jobs.get_job(job_id).state == "running":
                    break
            time.sleep(0.3)
        else:
            raise AssertionError((tmp_path / "serve.log").read_text()[-3000:])

        stopped = time.monotonic()
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=GRACE + 15)
        while group_alive(serve.pid) and time.monotonic() - stopped < GRACE:
            time.sleep(0.2)
        took = time.monotonic() - stopped
        assert not group_alive(serve.pid), "processes of serve.sh outlived it"
        assert took < GRACE, f"stopping took {took:.0f} s"
        with app.app_context():
            job = jobs.get_job(job_id)
            assert job.state == "queued", (job.state, job.message)
            assert "its worker was stopped" in job.message
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(serve.pid, signal.SIGKILL)
        serve.wait(timeout=30)
        log.close()
