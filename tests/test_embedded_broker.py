"""The embedded job queue (a SQLite file, as `make run` uses it) right after a fresh start:
the first creations, sent together the moment the server answers, all queue their builds."""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import requests
from accounts import ADMIN_TOKEN, bearer
from servers import TIMEOUT, Server, migrate, tiff_bytes

STARTS = 2
CREATIONS = 8


def first_creations(server: Server, files: dict) -> list[requests.Response]:
    """CREATIONS creations sent at once while the job worker starts (as `make run` starts it,
    beside the web server)."""
    together = threading.Barrier(CREATIONS)

    def create(number: int) -> requests.Response:
        together.wait()
        return requests.post(
            f"{server.url}/api/projects",
            files=files,
            data={"name": f"first {number}"},
            headers=bearer(ADMIN_TOKEN),
            timeout=(5, 300),
        )

    with ThreadPoolExecutor(CREATIONS) as pool:
        answers = [pool.submit(create, number) for number in range(CREATIONS)]
        server.start_worker()
        return [answer.result() for answer in answers]


def test_creations_sent_the_moment_a_fresh_server_answers_are_all_built(tmp_path):
    """Four web processes and the job worker open a broker file that does not exist yet, at
    once; none of the creations is refused and every project is built."""
    raw = np.zeros((32, 32), np.uint8)
    labels = np.zeros((32, 32), np.int32)
    labels[4:12, 4:12] = 1
    files = {
        "images": ("raw.tif", tiff_bytes(raw), "image/tiff"),
        "labels": ("raw_labels.tif", tiff_bytes(labels), "image/tiff"),
    }
    for start in range(STARTS):
        data_dir = tmp_path / f"start{start}" / "data"
        data_dir.mkdir(parents=True)
        migrate(data_dir, None)
        broker = data_dir / "jobs-broker.sqlite"
        jobs = {
            "CELERY_BROKER_URL": f"sqla+sqlite:///{broker}",
            "CELERY_QUEUE": f"test-{secrets.token_hex(6)}",
            "CREATE_WAIT_SECONDS": 120,
        }
        # One request at a time per web process, so that the creations reach several at once.
        server = Server(data_dir, workers=4, threads=1, log_name=f"start{start}.log", jobs=jobs)
        try:
            server.start(worker=False)
            assert not broker.exists()
            answers = first_creations(server, files)
            assert [answer.status_code for answer in answers] == [201] * CREATIONS, [
                answer.text[:200] for answer in answers if answer.status_code != 201
            ]
            for answer in answers:
                project_id = answer.json()["id"]
                shown = requests.get(
                    f"{server.url}/api/projects/{project_id}",
                    headers=bearer(ADMIN_TOKEN),
                    timeout=TIMEOUT,
                )
                assert shown.status_code == 200
                assert shown.json()["status"] == "ready"
            assert server.errors() == []
        finally:
            server.stop()
