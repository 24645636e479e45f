"""Huge images: an edit costs about the same on a 16384² frame as on a 2048² one, and a large
project is accepted at once and built in the background.

1. Server time of the same brush stroke (20 points, radius 5, as in the editing benchmark) on a
   frame of SMALL² and of LARGE² pixels with cells on a 20-px pitch; the runs at both sizes are
   interleaved. The small frame is the baseline: goal, large median ≤ 2× small median.
2. Creating a CREATE_SIZE² × 3-channel uint16 project (no labels) on a real server (gunicorn, one
   web process, and one job worker) from a file sent through the chunked upload API: upload
   speed, time from the POST to its 202 answer, and to status "ready"; the web process's peak
   resident memory when the 202 came, and the peak of the job process that built the project.

Run by `python -m bench scale`.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .common import (
    QUICK,
    Goal,
    goals_table,
    make_app,
    mib,
    table,
    write_results,
)
from .editing import _open_session, time_action

SMALL, LARGE = (512, 2048) if QUICK else (2048, 16384)
CREATE_SIZE = 2048 if QUICK else 16384
CHANNELS = 3
RUNS = 10 if QUICK else 40
BUDGET = 10.0 if QUICK else 120.0  # seconds of brush runs before they are cut short
# BENCH_QUICK's project is small; a low threshold sends it down the background path too.
INLINE_PIXELS = 1 << 20 if QUICK else 32 * 1024 * 1024
# The files are sent as one multipart body, larger than the default request limit.
REQUEST_LIMIT = str(16 * 1024**3)


# ---------------------------------------------------------------- 1. brush at two sizes


def _brush_times(folder: Path) -> dict:
    os.environ["MAX_CONTENT_LENGTH"] = REQUEST_LIMIT
    app = make_app(folder / "data")
    client = app.test_client()
    results, sessions = {}, {}
    for size in (SMALL, LARGE):
        started = time.perf_counter()
        sessions[size], labels, results[size] = _open_session(client, size, folder)
        del labels
        results[size]["setup_s"] = time.perf_counter() - started
        results[size]["levels"] = client.get(
            f"/api/projects/{sessions[size].project_id}"
        ).get_json()["levels"]
    rngs = {size: random.Random(size) for size in sessions}
    for size, figures in time_action(sessions, "brush", RUNS, BUDGET, rngs).items():
        results[size]["brush"] = figures
    return results


# ---------------------------------------------------------------- 2. creation, on a server


def _write_image(path: Path, size: int, channels: int) -> None:
    import tifffile

    rng = np.random.default_rng(size)
    with tifffile.TiffWriter(path, bigtiff=True) as tiff:
        # One page per channel, written one at a time, so this process never holds the stack.
        for _ in range(channels):
            ramp = (np.arange(size, dtype=np.uint16) % 2048)[None, :]
            plane = rng.integers(0, 512, (size, size), dtype=np.uint16)
            plane += ramp
            tiff.write(plane, contiguous=True, metadata={"axes": "CYX"})
            del plane


def _memory(pid: int) -> tuple[int, int]:
    """(resident now, highest resident so far) of a process, in bytes."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) * 1024
    return values["VmRSS"], values["VmHWM"]


def _web_memory(server) -> tuple[int, int]:
    """Memory of the server's one gunicorn worker process."""
    import psutil

    (web,) = psutil.Process(server.process.pid).children()
    return _memory(web.pid)


def _job_memory(server) -> tuple[int, int]:
    """Memory of the job worker's busiest pool process (the one that ran the build)."""
    import psutil

    children = psutil.Process(server.worker.process.pid).children()
    found = [_memory(child.pid) for child in children]
    return max(found, key=lambda pair: pair[1])


def _send_in_chunks(session, url: str, path: Path) -> tuple[str, float]:
    """Upload ``path`` through the chunked upload API; (upload id, seconds)."""
    size = path.stat().st_size
    started = time.perf_counter()
    answer = session.post(f"{url}/api/uploads", json={"name": path.name, "size": size})
    answer.raise_for_status()
    upload = answer.json()
    with path.open("rb") as stream:
        for index in range(upload["chunks"]):
            response = session.put(
                f"{url}/api/uploads/{upload['id']}/chunks/{index}",
                data=stream.read(upload["chunk_size"]),
                headers={"Content-Type": "application/octet-stream"},
            )
            response.raise_for_status()
    return upload["id"], time.perf_counter() - started


def _creation(folder: Path) -> dict:
    """Create the project on a real server (gunicorn, 1 web process, 1 job worker) from a chunked
    upload."""

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from servers import Server, migrate, signed_in_session

    images = folder / "huge.tif"
    _write_image(images, CREATE_SIZE, CHANNELS)
    os.environ["CREATE_INLINE_PIXELS"] = str(INLINE_PIXELS)
    migrate(folder / "data", None)
    server = Server(folder / "data", threads=4)
    server.settings["CREATE_WAIT_SECONDS"] = "1"  # answer at once: the build follows on the worker
    server.start()
    try:
        session = signed_in_session()
        before = _job_memory(server)[0]
        upload_id, upload_seconds = _send_in_chunks(session, server.url, images)
        started = time.perf_counter()
        answer = session.post(
            f"{server.url}/api/projects",
            data={"images_upload": upload_id, "axes": "CYX", "name": "huge"},
        )
        answered = time.perf_counter() - started
        _, peak_answered = _web_memory(server)
        project = answer.json()
        while project["status"] == "building":
            time.sleep(0.1)
            project = session.get(f"{server.url}/api/projects/{project['id']}").json()
        finished = time.perf_counter() - started
        _, peak = _job_memory(server)
        if project["status"] != "ready":
            raise RuntimeError(f"creation failed: {project['status_message']}")
        assert server.errors() == [], server.errors()
    finally:
        server.stop()
        os.environ.pop("CREATE_INLINE_PIXELS", None)
    return {
        "answer_status": answer.json()["status"],
        "levels": project["levels"],
        "file_bytes": images.stat().st_size,
        "seconds_to_upload": upload_seconds,
        "seconds_to_answer": answered,
        "seconds_to_ready": finished,
        "rss_before": before,
        "peak_rss_answered": peak_answered,
        "peak_rss": peak,
        "decoded_bytes": CREATE_SIZE * CREATE_SIZE * CHANNELS * 2,
    }


# ---------------------------------------------------------------- the whole benchmark


def run() -> str:
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as temporary:
        brush = _brush_times(Path(temporary) / "brush")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as temporary:
        creation = _creation(Path(temporary))
    small, large = brush[SMALL]["brush"], brush[LARGE]["brush"]
    ratio = large["median_ms"] / small["median_ms"]
    report = [
        table(
            "Brush stroke (20 points, radius 5): server time per request (test client, "
            "interleaved runs after 1 warm-up)",
            ("frame", "levels", "cells", "setup s", "median ms", "p95 ms", "n"),
            [
                (
                    f"{size}²",
                    brush[size]["levels"],
                    brush[size]["cells"],
                    round(brush[size]["setup_s"], 1),
                    brush[size]["brush"]["median_ms"],
                    brush[size]["brush"]["p95_ms"],
                    brush[size]["brush"]["n"],
                )
                for size in (SMALL, LARGE)
            ],
        ),
        table(
            f"Creating a {CREATE_SIZE}² × {CHANNELS} uint16 project (no labels) on gunicorn "
            "(1 web process) and one job worker from a chunked upload; memory of the job process "
            "that built it, and of the web process",
            (
                "decoded MiB",
                "upload MB/s",
                "levels",
                "answer",
                "s to answer",
                "s to ready",
                "job peak RSS MiB",
                "job peak − before MiB",
                "web peak at answer MiB",
            ),
            [
                (
                    mib(creation["decoded_bytes"]),
                    round(creation["file_bytes"] / creation["seconds_to_upload"] / 1e6),
                    creation["levels"],
                    creation["answer_status"],
                    round(creation["seconds_to_answer"], 2),
                    round(creation["seconds_to_ready"], 2),
                    mib(creation["peak_rss"]),
                    mib(creation["peak_rss"] - creation["rss_before"]),
                    mib(creation["peak_rss_answered"]),
                )
            ],
        ),
    ]
    goals = [
        Goal(
            f"brush median at {LARGE}² ≤ 2× that at {SMALL}²",
            f"{ratio:.2f}× ({large['median_ms']:.1f} / {small['median_ms']:.1f} ms)",
            ratio <= 2,
        ),
        Goal(
            f"{CREATE_SIZE}² × {CHANNELS} project answered before it is built (202)",
            creation["answer_status"],
            creation["answer_status"] == "building",
        ),
    ]
    report.append(goals_table("Scale goals", goals))
    write_results(
        "scale",
        {
            "brush": {str(size): brush[size] for size in (SMALL, LARGE)},
            "brush_ratio": ratio,
            "creation": creation,
            "goals": [goal.as_dict() for goal in goals],
        },
    )
    return "\n".join(report)
