"""Jobs on the queue: how long a job waits for a worker, and what the queue adds to a build.

1. Enqueue-to-start latency: `jobs.submit` of a job that does nothing (the tests' `count` kind
   with no steps), one at a time, to a real Celery worker; the latency is the job's `started`
   less its `created` (both written by the database's clients on this machine). On Redis
   (127.0.0.1:6379) when it answers, and on the embedded SQLite broker that `make run` uses.
2. A build of a 4 × 2048² uint16 TIFF (4 channels; BENCH_QUICK: 1024²) through the queue —
   POST /api/projects (in this process) until GET /api/projects/<id> says "ready", the build run
   by the worker — beside the same build called directly in this process: `building.start` (the
   inputs kept, the project row) and `jobs.run` of its build job (`run_build` with its context),
   with nothing on a queue. Runs alternate. Goal: queue ≤ 1.2 × direct.

Run by `python -m bench jobs`.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .common import (
    CHANNEL_KINDS,
    QUICK,
    Goal,
    cell_layout,
    goals_table,
    make_app_with_worker,
    prepare_upload,
    render_raw,
    summary,
    table,
    write_results,
)

LATENCY_JOBS = 10 if QUICK else 40
SIZE = 1024 if QUICK else 2048
CHANNELS = 4
BUILDS = 1 if QUICK else 3
GOAL = 1.2
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_reachable() -> bool:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from workers import redis_reachable

    return redis_reachable()


def _latencies(app, count: int) -> list[float]:
    """Seconds from `created` to `started` of `count` do-nothing jobs sent one at a time."""
    from deepcell_label.services import jobs

    seconds = []
    with app.app_context():
        for number in range(count + 1):
            job = jobs.wait(jobs.submit("count", None, {"steps": 0}).id, 30)
            if job.state != "done":
                raise RuntimeError(f"the do-nothing job ended {job.state}: {job.error}")
            if number:  # the first one meets a cold worker
                seconds.append((job.started - job.created).total_seconds())
    return seconds


class _Nowhere:
    """A dispatcher that queues nothing: the build job is run in this process instead."""

    def send(self, job_id: str) -> None:
        pass


def _build_directly(app, image: Path) -> float:
    from deepcell_label.jobs.tasks import job_kinds
    from deepcell_label.services import building, jobs
    from deepcell_label.services.sources import InputRequest

    app.extensions["deepcell_jobs"] = _Nowhere()
    with app.app_context():
        began = time.perf_counter()
        with image.open("rb") as stream:
            project, job = building.start(
                InputRequest("images", stream, image.name), axes="CYX", name="direct"
            )
        jobs.run(job.id, job_kinds(app.config))
        seconds = time.perf_counter() - began
        if jobs.get_job(job.id).state != "done":
            raise RuntimeError(f"the direct build failed: {jobs.get_job(job.id).error}")
    return seconds


def _build_through_queue(app, upload) -> float:
    client = app.test_client()
    began = time.perf_counter()
    project = upload.post(client)
    while project["status"] == "building":
        time.sleep(0.01)
        project = client.get(f"/api/projects/{project['id']}").get_json()
    seconds = time.perf_counter() - began
    if project["status"] != "ready":
        raise RuntimeError(f"the build through the queue failed: {project['status_message']}")
    return seconds


def run() -> str:
    logging.getLogger("deepcell_label").setLevel(logging.WARNING)
    report, figures, goals = [], {}, []
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as temporary:
        folder = Path(temporary)
        brokers = {"embedded SQLite": f"sqla+sqlite:///{folder / 'broker.sqlite'}"}
        if _redis_reachable():
            brokers = {"Redis": REDIS_URL, **brokers}
        rows = []
        apps = {}
        for name, url in brokers.items():
            app, worker = make_app_with_worker(folder / name.split()[-1].lower(), url)
            apps[name] = (app, worker)
            stats = summary(_latencies(app, LATENCY_JOBS))
            figures[f"latency {name}"] = stats
            rows.append((name, stats["n"], stats["median_ms"], stats["p95_ms"], stats["max_ms"]))
        report.append(
            table(
                "Enqueue-to-start latency of a job (submit → started; one at a time, after 1 "
                "warm-up)",
                ("broker", "jobs", "median ms", "p95 ms", "max ms"),
                rows,
            )
        )

        broker = next(iter(brokers))
        app, _ = apps[broker]
        rng = np.random.default_rng(1)
        raw = render_raw(cell_layout(SIZE, SIZE), SIZE, SIZE, CHANNEL_KINDS[:CHANNELS], rng)
        import tifffile

        image = folder / "build.tif"
        tifffile.imwrite(image, raw, metadata={"axes": "CYX"})
        upload = prepare_upload(folder, "build", image, None, "CYX")
        queued, direct = [], []
        dispatcher = app.extensions["deepcell_jobs"]
        for _ in range(BUILDS + 1):  # the first pair warms up
            app.extensions["deepcell_jobs"] = dispatcher
            queued.append(_build_through_queue(app, upload))
            direct.append(_build_directly(app, image))
        app.extensions["deepcell_jobs"] = dispatcher
        queued, direct = queued[1:], direct[1:]
        for _, worker in apps.values():
            worker.stop()
    queue_s, direct_s = float(np.median(queued)), float(np.median(direct))
    ratio = queue_s / direct_s
    figures["build"] = {
        "image": f"{CHANNELS} x {SIZE}x{SIZE} uint16",
        "broker": broker,
        "queue_s": queued,
        "direct_s": direct,
        "median_queue_s": queue_s,
        "median_direct_s": direct_s,
        "ratio": ratio,
    }
    report.append(
        table(
            f"Build of a {CHANNELS} × {SIZE}² uint16 TIFF ({raw.nbytes / 2**20:.0f} MiB), median "
            f"of {BUILDS} alternating runs after a warm-up pair",
            ("how", "median s", "runs s", "× direct"),
            [
                (
                    f"through the queue ({broker}): POST → ready",
                    round(queue_s, 2),
                    ", ".join(f"{s:.2f}" for s in queued),
                    round(ratio, 2),
                ),
                (
                    "directly in this process: building.start + jobs.run",
                    round(direct_s, 2),
                    ", ".join(f"{s:.2f}" for s in direct),
                    1.0,
                ),
            ],
        )
    )
    goals.append(
        Goal(f"build through the queue ≤ {GOAL}× the direct build", f"{ratio:.2f}×", ratio <= GOAL)
    )
    report.append(goals_table("Job goals", goals))
    figures["goals"] = [goal.as_dict() for goal in goals]
    write_results("jobs", figures)
    return "\n".join(report)
