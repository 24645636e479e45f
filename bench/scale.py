"""Huge images: an edit costs about the same on a 16384² frame as on a 2048² one, and a large
project is accepted at once and built in the background.

1. Server time of the same brush stroke (20 points, radius 5, as in the editing benchmark) on a
   frame of SMALL² and of LARGE² pixels with cells on a 20-px pitch; the runs at both sizes are
   interleaved. The small frame is the baseline: goal, large median ≤ 2× small median.
2. Creating a CREATE_SIZE² × 3-channel uint16 project (no labels) in a fresh subprocess: time from
   the POST to its 202 answer, and to status "ready"; peak resident memory of the process, its
   increase over the resident memory just before the request, and the peak when the 202 came
   (reading the file), so what the background build adds shows apart.

Run by `python -m bench scale`; `python -m bench.scale '<json>'` is the subprocess entry.
"""

from __future__ import annotations

import json
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
    current_rss,
    goals_table,
    make_app,
    mib,
    peak_rss,
    prepare_upload,
    table,
    wait_until_ready,
    write_results,
)
from .creation import _run_child
from .editing import _figures, _interleaved, _open_session, _requests

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
    strokes = {}
    for size, session in sessions.items():
        strokes[size] = _requests(session, "brush", RUNS + 1, random.Random(size))
        session.edit(*strokes[size][0])  # warm-up
    timed = _interleaved(
        {
            size: (lambda i, s=session, r=strokes[size]: s.edit(*r[i + 1]))
            for size, session in sessions.items()
        },
        RUNS,
        BUDGET,
    )
    for size, (seconds, sizes) in timed.items():
        results[size]["brush"] = _figures(seconds, sizes)
    return results


# ---------------------------------------------------------------- 2. creation, in a subprocess


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


def _create_in_child(spec: dict) -> dict:
    os.environ["CREATE_INLINE_PIXELS"] = str(spec["inline_pixels"])
    os.environ["MAX_CONTENT_LENGTH"] = REQUEST_LIMIT
    app = make_app(Path(spec["data_dir"]))
    client = app.test_client()
    from .common import Upload

    Upload(Path(spec["warm_up_body"]), spec["warm_up_type"]).send(client)
    upload = Upload(Path(spec["body"]), spec["content_type"])
    before = current_rss()
    started = time.perf_counter()
    accepted = upload.post(client)
    answered = time.perf_counter() - started
    peak_when_answered = peak_rss()  # reading and checking the file, before the build
    ready = wait_until_ready(client, accepted)
    finished = time.perf_counter() - started
    return {
        "answer_status": accepted["status"],
        "levels": ready["levels"],
        "seconds_to_answer": answered,
        "seconds_to_ready": finished,
        "rss_before": before,
        "peak_rss_answered": peak_when_answered,
        "peak_rss": peak_rss(),
    }


def _creation(folder: Path) -> dict:
    images = folder / "huge.tif"
    _write_image(images, CREATE_SIZE, CHANNELS)
    warm_images = folder / "warm.tif"
    _write_image(warm_images, 64, CHANNELS)
    upload = prepare_upload(folder, "huge", images, None, "CYX")
    images.unlink()
    warm = prepare_upload(folder, "warm", warm_images, None, "CYX")
    result = _run_child(
        {
            "data_dir": str(folder / "create-data"),
            "body": str(upload.body),
            "content_type": upload.content_type,
            "warm_up_body": str(warm.body),
            "warm_up_type": warm.content_type,
            "inline_pixels": INLINE_PIXELS,
        },
        module="bench.scale",
        timeout=3600,
    )
    upload.body.unlink()
    return {**result, "decoded_bytes": CREATE_SIZE * CREATE_SIZE * CHANNELS * 2}


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
            f"Creating a {CREATE_SIZE}² × {CHANNELS} uint16 project (no labels), in a fresh process",
            (
                "decoded MiB",
                "levels",
                "answer",
                "s to answer",
                "s to ready",
                "peak RSS MiB",
                "peak − before MiB",
                "peak at answer MiB",
            ),
            [
                (
                    mib(creation["decoded_bytes"]),
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


if __name__ == "__main__":
    print(json.dumps(_create_in_child(json.loads(sys.argv[1]))))
