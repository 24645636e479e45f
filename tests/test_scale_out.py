"""Scale-out: two web servers (gunicorn) and two job workers on one MariaDB database, one S3
bucket (moto's server) and one queue (Redis), driven from several client threads at once.

8 builds and 8 exports run at once while annotators brush on the exported projects through both
servers; then the worker running a large build is SIGKILLed. Afterwards every job has ended done
or failed with a reason; every project is whole (its pixels and cells are what was sent) or failed
with a reason; every acknowledged edit is in the history, whose replay gives the stored labels; each
export holds the labels of the version it names; and no temporary folder is left.
"""

from __future__ import annotations

import io
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import requests
from conftest import make_bucket
from servers import (
    TIMEOUT,
    Server,
    create_project,
    fetch_history,
    fetch_labels,
    fetch_pixels,
    listed_values,
    migrate,
    mysql_database,
    present_values,
    replay,
    signed_in_session,
)
from workers import job_settings

pytestmark = [pytest.mark.mysql, pytest.mark.slow]

PROJECTS = 8
SIDE = 192
EDITED = 4  # the first projects to export also get edits meanwhile
BIG = (6, 1024, 1024)  # frames, height, width of the build whose worker is killed
FINISHED = ("done", "failed", "cancelled")


def images(seed: int, shape=(2, SIDE, SIDE)) -> tuple[np.ndarray, np.ndarray]:
    """A uint16 image and labels with a few square cells per frame."""
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 60000, shape, dtype=np.uint16)
    labels = np.zeros(shape, np.int32)
    for frame in range(shape[0]):
        for cell in range(1, 6):
            y, x = (cell * 29 + frame * 7) % (shape[1] - 20), (cell * 37) % (shape[2] - 20)
            labels[frame, y : y + 15, x : x + 15] = cell + 10 * seed
    return raw, labels


def follow(session: requests.Session, urls: list[str], job_id: str, seconds: float = 300) -> dict:
    """The job once it ended, asked of the servers in turn."""
    deadline = time.monotonic() + seconds
    turn = 0
    while time.monotonic() < deadline:
        response = session.get(f"{urls[turn % len(urls)]}/api/jobs/{job_id}", timeout=TIMEOUT)
        assert response.status_code == 200, response.text[:300]
        job = response.json()
        if job["state"] in FINISHED:
            return job
        turn += 1
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end in {seconds} s: {job}")


def check_whole(session: requests.Session, url: str, meta: dict, raw, labels) -> None:
    """The project holds what was sent: raw and label pixels of every frame, and its cells."""
    pid = meta["id"]
    for frame in range(raw.shape[0]):
        sent_raw = fetch_pixels(session, f"{url}/api/projects/{pid}/raw/{frame}/0")
        np.testing.assert_array_equal(sent_raw, raw[frame], err_msg=f"{pid} raw {frame}")
        stored = fetch_labels(session, url, pid, frame=frame)
        np.testing.assert_array_equal(stored, labels[frame], err_msg=f"{pid} labels {frame}")
        assert listed_values(meta, frame=frame) == present_values(labels[frame]), pid


class Editor:
    """Brushes on a project through both servers, keeping the edits that were acknowledged."""

    def __init__(self, urls: list[str], project_id: str, seed: int) -> None:
        self.urls = urls
        self.project_id = project_id
        self.rng = random.Random(seed)
        self.acknowledged = 0
        self.seen = 0
        self.errors: list[str] = []

    def run(self, stop: threading.Event) -> None:
        with signed_in_session() as session:
            turn = 0
            while not stop.is_set():
                url = self.urls[turn % 2]
                turn += 1
                body = {
                    "action": "brush",
                    "args": {
                        "points": [[self.rng.randrange(SIDE), self.rng.randrange(SIDE)]],
                        "brush_size": self.rng.randint(2, 6),
                        "cell": self.rng.randint(1, 90),
                    },
                    "frame": 0,
                    "write_mode": "overwrite",
                    "base_version": self.seen,
                }
                try:
                    response = session.post(
                        f"{url}/api/projects/{self.project_id}/edits", json=body, timeout=TIMEOUT
                    )
                except requests.RequestException as error:
                    self.errors.append(f"{type(error).__name__}: {error}")
                    continue
                if response.status_code != 200:
                    self.errors.append(f"{response.status_code} {response.text[:200]}")
                    continue
                self.acknowledged += 1
                self.seen = max(self.seen, response.json()["version"])
                time.sleep(0.05)


def exported_labels(session: requests.Session, url: str, job: dict) -> np.ndarray:
    """The labels (frames, height, width) of an npz export job's file, fetched as a browser
    would: the download route redirects to a pre-signed S3 address."""
    response = session.get(f"{url}{job['result']['download']}", timeout=TIMEOUT)
    assert response.status_code == 200, response.text[:300]
    assert len(response.content) == job["result"]["bytes"]
    with np.load(io.BytesIO(response.content)) as arrays:
        return arrays["y"][..., 0]


def test_two_servers_and_two_workers_share_one_database_bucket_and_queue(tmp_path, request):
    endpoint = request.getfixturevalue("moto_endpoint")
    with mysql_database() as database_url:
        migrate(tmp_path / "migrate", database_url)
        shared = {
            "STORAGE": "s3",
            "STORAGE_BUCKET": make_bucket(endpoint),
            "OUTPUT_BUCKET": make_bucket(endpoint),
            "AWS_ENDPOINT_URL": endpoint,
            "CREATE_WAIT_SECONDS": 0,  # creations answer 202 at once; the clients follow
            "CREATE_INLINE_PIXELS": 1024 * 1024,  # the big build goes frame by frame
            "JOB_STALE_SECONDS": 3,
            "JOB_HEARTBEAT_SECONDS": 0.5,
        }
        queue = job_settings(tmp_path)
        servers = [
            Server(
                tmp_path / f"machine-{name}",
                database_url,
                workers=2,
                threads=2,
                log_name=f"gunicorn-{name}.log",
                settings=shared,
                jobs=queue,
            )
            for name in ("a", "b")
        ]
        try:
            for server in servers:
                server.start()
            run(servers)
        finally:
            for server in servers:
                server.stop()
        for server in servers:
            assert not server.errors(), "\n".join(server.errors()[:80])


def run(servers: list[Server]) -> None:
    urls = [server.url for server in servers]
    session = signed_in_session()

    # The projects to export (and edit), built before the rush.
    sources = [images(seed) for seed in range(PROJECTS)]
    exported = []
    for number, (raw, labels) in enumerate(sources):
        meta = create_project(session, urls[number % 2], raw, labels, f"s{number}", (202,))
        exported.append(meta["id"])
        assert follow(session, urls, meta["job"]["id"])["state"] == "done"

    # 8 builds and 8 exports at once from 8 client threads, edits meanwhile on 4 projects.
    built_sources = [images(100 + seed) for seed in range(PROJECTS)]
    editors = [Editor(urls, exported[n], n) for n in range(EDITED)]
    stop = threading.Event()
    editing = [threading.Thread(target=e.run, args=(stop,), daemon=True) for e in editors]
    for thread in editing:
        thread.start()

    def client(number: int) -> tuple[dict, dict, dict]:
        with signed_in_session() as own:
            url, other = urls[number % 2], urls[(number + 1) % 2]
            raw, labels = built_sources[number]
            build = create_project(own, url, raw, labels, f"b{number}", (202,))
            answer = own.post(
                f"{other}/api/projects/{exported[number]}/exports",
                json={"format": "npz"},
                timeout=TIMEOUT,
            )
            assert answer.status_code == 202, answer.text[:300]
            export = follow(own, urls, answer.json()["id"])
            return build, follow(own, urls, build["job"]["id"]), export

    with ThreadPoolExecutor(PROJECTS) as pool:
        outcomes = list(pool.map(client, range(PROJECTS)))
    time.sleep(1)  # edits after the exports
    stop.set()
    for thread in editing:
        thread.join(30)

    for number, (build, build_job, export) in enumerate(outcomes):
        assert build_job["state"] == "done", build_job
        meta = session.get(f"{urls[number % 2]}/api/projects/{build['id']}", timeout=TIMEOUT).json()
        assert meta["status"] == "ready", meta["status_message"]
        check_whole(session, urls[(number + 1) % 2], meta, *built_sources[number])
        assert export["state"] == "done", export
        version = export["result"]["version"]
        history = fetch_history(session, urls[0], exported[number])
        sent = sources[number][1]
        expected = replay(sent[0], [e for e in history["edits"] if e["version"] <= version])
        labels = exported_labels(session, urls[number % 2], export)
        np.testing.assert_array_equal(labels[0], expected, err_msg=f"export of version {version}")
        np.testing.assert_array_equal(labels[1], sent[1])

    for editor in editors:
        assert not editor.errors, editor.errors[:5]
        assert editor.acknowledged > 0
        history = fetch_history(session, urls[1], editor.project_id)
        versions = [edit["version"] for edit in history["edits"]]
        assert versions == list(range(1, editor.acknowledged + 1)), editor.project_id
        stored = fetch_labels(session, urls[0], editor.project_id)
        expected = replay(sources[exported.index(editor.project_id)][1][0], history["edits"])
        assert int((stored != expected).sum()) == 0, editor.project_id

    print(
        f"\n{PROJECTS} builds and {PROJECTS} exports at once: all done; "
        f"{sum(e.acknowledged for e in editors)} edits acknowledged meanwhile, none lost"
    )
    killed_build(servers, session)
    session.close()


def killed_build(servers: list[Server], session: requests.Session) -> None:
    """SIGKILL the worker (main and pool processes) running a large build: the other worker
    notices its silence, builds the project again from the start, and the killed machine's
    worker, started again, removes what the killed attempt left in its temporary folder."""
    urls = [server.url for server in servers]
    raw, labels = images(7, BIG)
    meta = create_project(session, urls[0], raw, labels, "big", (202,))
    job_id = meta["job"]["id"]
    deadline = time.monotonic() + 120
    while True:
        job = session.get(f"{urls[1]}/api/jobs/{job_id}", timeout=TIMEOUT).json()
        if job["state"] == "running" and job["progress"] > 0.05:
            break
        assert job["state"] not in FINISHED and time.monotonic() < deadline, job
        time.sleep(0.05)
    running_pid = int(_running_worker(job_id, servers))
    victim = next(s for s in servers if running_pid in s.worker.children())
    victim.worker.kill()
    victim.worker = None
    final = follow(session, urls, job_id, seconds=300)
    assert final["state"] in ("done", "failed"), final
    project = session.get(f"{urls[0]}/api/projects/{meta['id']}", timeout=TIMEOUT).json()
    if final["state"] == "done":
        assert final["attempts"] == 2, final
        assert project["status"] == "ready"
        check_whole(session, urls[1], project, raw, labels)
    else:
        assert final["error"] and project["status"] == "failed", (final, project)
        assert project["status_message"] == final["error"]
    print(
        f"\nkilled build: {final['state']} after {final['attempts']} attempts "
        f"({final['error'] or 'whole'})"
    )
    assert _tmp(victim), "the killed attempt left its folder"
    victim.start_worker()  # the machine's worker comes back and tidies its temporary folder
    deadline = time.monotonic() + 30
    while any(_tmp(server) for server in servers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [_tmp(server) for server in servers] == [[], []]


def _running_worker(job_id: str, servers: list[Server]) -> str:
    """The process id of the pool process running the job (its `worker` is host:pid:token)."""
    from deepcell_label.store.models import Job
    from sqlalchemy import create_engine, select

    engine = create_engine(servers[0].database_url)
    try:
        with engine.connect() as connection:
            worker = connection.execute(select(Job.worker).where(Job.id == job_id)).scalar_one()
    finally:
        engine.dispose()
    return worker.split(":")[1]


def _tmp(server: Server) -> list[Path]:
    folder = server.data_dir / "tmp"
    return sorted(folder.iterdir()) if folder.exists() else []
