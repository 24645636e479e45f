"""The first strokes after a start: are they as quick as the rest?

A real server (gunicorn, WORKERS processes × THREADS threads, --preload, with a job worker) on
MariaDB when it answers (else SQLite) serves PROJECTS projects of 2048² frames with about 10,000
cells each; ANNOTATORS annotators send one stroke a second each, as in `tests/test_load.py`.

1. After a restart: the projects exist and were edited before; the server is stopped and started
   again, and the annotators go on. The p99 latency of the first FIRST edits after the start is
   set beside the p99 of the edits after them (warm): goal ≤ 1.5×. The same is measured with the
   warm-up at start turned off (WARM_FRAMES=0), as the baseline of what warming up brings.
2. The load test's case: the projects are created after the server started, so no process knows
   them; the p99 over the whole run (first contact included) and after its first 5 s.

Run by `python -m bench coldstart`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .common import QUICK, Goal, goals_table, table, write_results

TESTS = Path(__file__).resolve().parents[1] / "tests"
WORKERS, THREADS = 4, 2
PROJECTS, ANNOTATORS = (2, 6) if QUICK else (5, 20)
FIRST = 60 if QUICK else 200  # edits counted as the first after a start
SECONDS = 20.0 if QUICK else 40.0  # annotating time per measurement
LOAD_SECONDS = 15.0 if QUICK else 60.0
WARM_UP_SECONDS = 5.0  # the load test's first seconds, reported apart


@contextlib.contextmanager
def _database() -> Iterator[tuple[str | None, str]]:
    """A fresh MariaDB database, dropped afterwards; SQLite when MariaDB does not answer."""
    try:
        import pymysql

        connection = pymysql.connect(host="127.0.0.1", user="root", password="", connect_timeout=3)
    except Exception:
        yield None, "SQLite"
        return
    name = f"dcl_bench_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    try:
        yield f"mysql+pymysql://root@127.0.0.1:3306/{name}", "MariaDB"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.close()


def _annotate(load, server, project_ids: list[str], cells: int, seconds: float):
    """Every annotator's (began, latency) pairs over `seconds`, and the errors seen."""
    annotators = [
        load.Annotator(n, server.url, project_ids[n % len(project_ids)], cells)
        for n in range(ANNOTATORS)
    ]
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=a.run, args=(until,), daemon=True) for a in annotators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    timed = sorted(
        (began, latency)
        for a in annotators
        for began, latency in zip(a.sent_at, a.latencies, strict=True)
    )
    return timed, [error for a in annotators for error in a.errors]


def _figures(load, latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    return {
        "edits": len(ordered),
        "p50_ms": round(1000 * load.percentile(ordered, 0.50), 1),
        "p99_ms": round(1000 * load.percentile(ordered, 0.99), 1),
        "max_ms": round(1000 * ordered[-1], 1) if ordered else None,
    }


def _create(load, server, count: int) -> tuple[list[str], int]:
    from servers import create_project, signed_in_session

    arrays = [load.disc_project(seed) for seed in range(count)]

    def create(number: int) -> str:
        raw, labels = arrays[number]
        with signed_in_session() as session:
            return create_project(session, server.url, raw, labels, f"cold-{number}")["id"]

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(create, range(count))), int(arrays[0][1].max())


def _after_restart(load, folder: Path, database_url: str | None, warm_frames: int) -> dict:
    from servers import Server, migrate

    data_dir = folder / f"restart-{warm_frames}"
    migrate(data_dir, database_url)
    server = Server(data_dir, database_url, workers=WORKERS, threads=THREADS)
    server.settings["WARM_FRAMES"] = str(warm_frames)
    try:
        server.start()
        project_ids, cells = _create(load, server, PROJECTS)
        _annotate(load, server, project_ids, cells, 5.0)  # the projects are recently edited
        server.stop()
        server.start()
        timed, errors = _annotate(load, server, project_ids, cells, SECONDS)
    finally:
        server.stop()
    latencies = [latency for _, latency in timed]
    first, rest = latencies[:FIRST], latencies[FIRST:]
    return {
        "warm_frames": warm_frames,
        "first": _figures(load, first),
        "rest": _figures(load, rest),
        "errors": len(errors) + len(server.errors()),
    }


def _load_case(load, folder: Path, database_url: str | None) -> dict:
    from servers import Server, migrate

    data_dir = folder / "load"
    migrate(data_dir, database_url)
    server = Server(data_dir, database_url, workers=WORKERS, threads=THREADS)
    try:
        server.start()
        project_ids, cells = _create(load, server, PROJECTS)
        timed, errors = _annotate(load, server, project_ids, cells, LOAD_SECONDS)
    finally:
        server.stop()
    start = timed[0][0] if timed else 0.0
    return {
        "whole_run": _figures(load, [latency for _, latency in timed]),
        "after_warm_up": _figures(
            load, [latency for began, latency in timed if began >= start + WARM_UP_SECONDS]
        ),
        "errors": len(errors) + len(server.errors()),
    }


def run() -> str:
    sys.path.insert(0, str(TESTS))
    os.environ.setdefault("LOAD_PACE", "1")
    import test_load as load

    with (
        tempfile.TemporaryDirectory(prefix="bench-coldstart-") as temporary,
        _database() as (
            database_url,
            database,
        ),
    ):
        folder = Path(temporary)
        warmed = _after_restart(load, folder, database_url, 64)
        baseline = _after_restart(load, folder, database_url, 0)
        loaded = _load_case(load, folder, database_url)
    ratio = warmed["first"]["p99_ms"] / max(warmed["rest"]["p99_ms"], 1e-9)
    base_ratio = baseline["first"]["p99_ms"] / max(baseline["rest"]["p99_ms"], 1e-9)
    rows = []
    for label, case in (("warm-up at start", warmed), ("no warm-up (baseline)", baseline)):
        for part in ("first", "rest"):
            figures = case[part]
            rows.append(
                (
                    label,
                    f"first {FIRST}" if part == "first" else "after them",
                    figures["edits"],
                    figures["p50_ms"],
                    figures["p99_ms"],
                    figures["max_ms"],
                    case["errors"],
                )
            )
    report = [
        table(
            f"Edits after a restart: {ANNOTATORS} annotators, one stroke a second each, on "
            f"{PROJECTS} projects of 2048² with ~10,000 cells ({database}, gunicorn "
            f"{WORKERS}×{THREADS}, --preload)",
            ("server", "edits", "n", "p50 ms", "p99 ms", "max ms", "errors"),
            rows,
        ),
        table(
            f"The load test's case: projects created after the start, {LOAD_SECONDS:.0f} s",
            ("part", "n", "p50 ms", "p99 ms", "max ms"),
            [
                (name, f["edits"], f["p50_ms"], f["p99_ms"], f["max_ms"])
                for name, f in (
                    ("whole run", loaded["whole_run"]),
                    (f"after the first {WARM_UP_SECONDS:.0f} s", loaded["after_warm_up"]),
                )
            ],
        ),
    ]
    goals = [
        Goal(
            f"p99 of the first {FIRST} edits after a start ≤ 1.5× the warm p99",
            f"{ratio:.2f}× ({warmed['first']['p99_ms']} / {warmed['rest']['p99_ms']} ms); "
            f"without warm-up {base_ratio:.2f}×",
            ratio <= 1.5,
        ),
        Goal(
            "load test: whole-run p99 ≤ 100 ms",
            f"{loaded['whole_run']['p99_ms']} ms",
            loaded["whole_run"]["p99_ms"] <= 100,
        ),
    ]
    report.append(goals_table("Cold-start goals", goals))
    write_results(
        "coldstart",
        {
            "after_restart": warmed,
            "after_restart_without_warm_up": baseline,
            "load": loaded,
            "database": database,
            "goals": [goal.as_dict() for goal in goals],
        },
    )
    return "\n".join(report)
