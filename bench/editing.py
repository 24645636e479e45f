"""Server time of each edit action at three frame sizes, beside the full-frame protocol it replaces.

One project per size (one frame, one uint16 channel, disc-shaped cells on a 20-px pitch, so one
cell per 400 px²), created once by upload and reused for every action. Each action is warmed up
once, then timed over its runs through the test client (the whole WSGI stack, in process), each
run on a different cell (or, for the brush, a different place); the runs at the three sizes
are interleaved, so that the load of the machine weighs on each size alike. Undo and redo are timed on the
brush strokes, undoing them one by one and then redoing them.

Baseline: per edit, the client deflates the whole int32 frame into a zip (ZIP_DEFLATED, default
level), the server inflates it and runs np.unique over it, then deflates the frame into a zip
again, which the client inflates.

`BENCH_PROFILE=<action>` prints a cProfile of one extra run of that action at each size.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import random
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .common import (
    CHANNEL_KINDS,
    PITCH,
    QUICK,
    Goal,
    Layout,
    cell_layout,
    goals_table,
    make_app,
    prepare_upload,
    render_labels,
    render_raw,
    summary,
    table,
    time_calls,
    write_results,
)

SIZES = (256, 512, 1024) if QUICK else (512, 2048, 8192)
RUNS = 10 if QUICK else 50
ACTION_BUDGET = 5.0 if QUICK else 60.0  # seconds per action and size before runs are cut short
BASELINE_RUNS = 3 if QUICK else 20
BASELINE_BUDGET = 2.0 if QUICK else 20.0
BRUSH_POINTS = 20
BRUSH_RADIUS = 5
ONE_CELL_ACTIONS = ("flood", "trim", "grow", "shrink", "watershed", "autofit")
ORDER = ("erase", "trim", "flood", "grow", "shrink", "watershed", "autofit", "threshold", "brush")


@dataclass
class Session:
    """One project being edited: the client, its version and the cells not yet used."""

    client: object
    project_id: str
    size: int
    layout: Layout
    version: int = 0
    next_new_cell: int = 0
    free_cells: list[tuple[int, int]] = field(default_factory=list)  # (row, col) of blocks
    rng: random.Random = field(default_factory=random.Random)
    erased: list[tuple[int, float, float]] = field(default_factory=list)  # cut in two by erase

    def take_cells(self, count: int) -> list[tuple[int, float, float]]:
        """`count` untouched cells as (id, centre x, centre y)."""
        picked, self.free_cells = self.free_cells[:count], self.free_cells[count:]
        if len(picked) < count:
            raise RuntimeError(f"the {self.size}² frame has too few cells for the runs")
        return [
            (int(self.layout.ids[r, c]), float(self.layout.cx[r, c]), float(self.layout.cy[r, c]))
            for r, c in picked
        ]

    def new_cell(self) -> int:
        self.next_new_cell += 1
        return self.next_new_cell

    def post(self, path: str, body: dict) -> int:
        """POST one request; returns the size of the answer in bytes."""
        response = self.client.post(f"/api/projects/{self.project_id}/{path}", json=body)
        data = response.get_data()
        if response.status_code != 200:
            raise RuntimeError(f"{path} {body} answered {response.status_code}: {data[:300]!r}")
        self.version = response.get_json()["version"]
        return len(data)

    def edit(self, action: str, args: dict, write_mode: str = "exclude") -> int:
        body = {
            "action": action,
            "args": args,
            "frame": 0,
            "feature": 0,
            "write_mode": write_mode,
            "base_version": self.version,
        }
        return self.post("edits", body)


# ---------------------------------------------------------------- the requests of each action


def _brush_stroke(session: Session, rng: random.Random) -> dict:
    """A random walk of 20 points starting on or beside a cell, painting that cell."""
    margin = PITCH
    x = rng.randrange(margin, session.size - margin)
    y = rng.randrange(margin, session.size - margin)
    rows, cols = session.layout.shape
    cell = int(session.layout.ids[min(y // PITCH, rows - 1), min(x // PITCH, cols - 1)])
    points = []
    for _ in range(BRUSH_POINTS):
        points.append([x, y])
        x = min(max(x + rng.randint(-3, 3), 0), session.size - 1)
        y = min(max(y + rng.randint(-3, 3), 0), session.size - 1)
    return {"points": points, "brush_size": BRUSH_RADIUS, "cell": cell}


def _requests(session: Session, action: str, count: int, rng: random.Random) -> list[tuple]:
    """`count` requests (action, args, write_mode) of one action, each on a fresh cell."""
    if action == "brush":
        return [("brush", _brush_stroke(session, rng), "exclude") for _ in range(count)]
    if action == "trim":
        # The erase runs cut their cells in two; trim keeps the upper part of each.
        return [
            ("trim", {"x": round(x), "y": round(y) - 5, "cell": cell}, "exclude")
            for cell, x, y in session.erased[:count]
        ]
    cells = session.take_cells(count)
    if action == "erase":
        session.erased = cells
    out = []
    for cell, x, y in cells:
        cx, cy = round(x), round(y)
        if action == "erase":
            # A horizontal cut through the middle, wide enough to split the disc.
            points = [[cx - 10 + i, cy] for i in range(BRUSH_POINTS)]
            out.append(("erase", {"points": points, "brush_size": 3, "cell": cell}, "exclude"))
        elif action == "flood":
            out.append(("flood", {"x": cx, "y": cy, "cell": session.new_cell()}, "overwrite"))
        elif action in ("grow", "shrink", "autofit"):
            out.append((action, {"cell": cell}, "exclude"))
        elif action == "watershed":
            args = {
                "x1": cx - 4,
                "y1": cy,
                "x2": cx + 4,
                "y2": cy,
                "cell": cell,
                "new_cell": session.new_cell(),
            }
            out.append(("watershed", args, "exclude"))
        elif action == "threshold":
            low, high = (lambda v: max(v - 12, 0)), (lambda v: min(v + 12, session.size - 1))
            # The bright nucleus in the box becomes a new cell.
            args = {
                "x1": low(cx),
                "y1": low(cy),
                "x2": high(cx),
                "y2": high(cy),
                "cell": session.new_cell(),
            }
            out.append(("threshold", args, "overwrite"))
    return out


# ---------------------------------------------------------------- one size


def _create(client, size: int, folder: Path) -> tuple[str, Layout, np.ndarray, float]:
    import tifffile

    layout = cell_layout(size, size, seed=size)
    labels = render_labels(layout, size, size)
    raw = render_raw(layout, size, size, CHANNEL_KINDS[:1], np.random.default_rng(size))[0]
    images_path, labels_path = folder / f"raw-{size}.tif", folder / f"labels-{size}.tif"
    tifffile.imwrite(images_path, raw, metadata={"axes": "YX"})
    tifffile.imwrite(labels_path, labels, metadata={"axes": "YX"})
    del raw
    upload = prepare_upload(folder, f"frame-{size}", images_path, labels_path, "YX")
    images_path.unlink()
    labels_path.unlink()
    started = time.perf_counter()
    project = upload.send(client)
    seconds = time.perf_counter() - started
    upload.body.unlink()
    return project["id"], layout, labels, seconds


def _interleaved(calls: dict[int, Callable[[int], int]], runs: int, budget: float | None = None):
    """Time `calls[size](i)` for i in range(runs) at every size, in rounds: round i runs call i
    at each size, starting at a different size each round, so that changes of load on the
    machine fall on all sizes alike. Returns {size: (seconds, answer bytes)}."""
    order = list(calls)
    out: dict[int, tuple[list[float], list[int]]] = {size: ([], []) for size in order}
    started = time.perf_counter()
    for i in range(runs):
        shift = i % len(order)
        for size in order[shift:] + order[:shift]:
            begin = time.perf_counter()
            answer = calls[size](i)
            out[size][0].append(time.perf_counter() - begin)
            out[size][1].append(answer)
        if budget is not None and i >= 9 and time.perf_counter() - started > budget:
            break
    return out


def _figures(seconds: list[float], sizes: list[int]) -> dict:
    return {**summary(seconds), "median_bytes": float(np.median(sizes)), "max_bytes": max(sizes)}


def _profile(session: Session, action: str) -> str:
    if action in ("undo", "redo"):
        call = lambda: session.post(action, {"base_version": session.version})  # noqa: E731
    else:
        name, args, write_mode = _requests(session, action, 1, session.rng)[0]
        call = lambda: session.edit(name, args, write_mode)  # noqa: E731
    profiler = cProfile.Profile()
    profiler.runcall(call)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    return f"cProfile of one {action} at {session.size}²:\n{out.getvalue()}"


def _open_session(client, size: int, folder: Path) -> tuple[Session, np.ndarray, dict]:
    project_id, layout, labels, creation_s = _create(client, size, folder)
    rng = random.Random(size)
    blocks = [(r, c) for r in range(layout.shape[0]) for c in range(layout.shape[1])]
    rng.shuffle(blocks)
    session = Session(
        client,
        project_id,
        size,
        layout,
        rng=rng,
        free_cells=blocks,
        next_new_cell=int(layout.ids.max()) + 1000,
    )
    figures = {"cells": int(layout.ids.size), "creation_s": creation_s, "actions": {}}
    return session, labels, figures


def time_action(
    sessions: dict[int, Session], action: str, runs: int, budget: float, rngs: dict
) -> dict[int, dict]:
    """Figures of `action` at each size: one warm-up each, then `runs` requests interleaved
    across the sizes (`rngs[size]` draws each size's requests)."""
    requests = {}
    for size, session in sessions.items():
        requests[size] = _requests(session, action, runs + 1, rngs[size])
        session.edit(*requests[size][0])  # warm-up
    timed = _interleaved(
        {
            size: (lambda i, s=session, r=requests[size]: s.edit(*r[i + 1]))
            for size, session in sessions.items()
        },
        runs,
        budget,
    )
    return {size: _figures(seconds, sizes) for size, (seconds, sizes) in timed.items()}


def _measure(sessions: dict[int, Session], results: dict[int, dict]) -> None:
    rngs = {size: session.rng for size, session in sessions.items()}
    for action in ORDER:
        for size, figures in time_action(sessions, action, RUNS, ACTION_BUDGET, rngs).items():
            results[size]["actions"][action] = figures
    # Undo and redo the brush strokes: one warm-up pair, then each timed over the strokes.
    strokes = min(results[size]["actions"]["brush"]["n"] for size in sessions)
    for session in sessions.values():
        session.post("undo", {"base_version": session.version})
        session.post("redo", {"base_version": session.version})
    for direction in ("undo", "redo"):
        timed = _interleaved(
            {
                size: (lambda _, s=session, d=direction: s.post(d, {"base_version": s.version}))
                for size, session in sessions.items()
            },
            strokes,
        )
        for size, (seconds, sizes) in timed.items():
            results[size]["actions"][direction] = _figures(seconds, sizes)


# ---------------------------------------------------------------- the full-frame baseline


def _zip_frame(frame: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("labels.bin", frame.tobytes())
    return buffer.getvalue()


def _unzip_frame(data: bytes, shape: tuple[int, int]) -> np.ndarray:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return np.frombuffer(archive.read("labels.bin"), np.int32).reshape(shape)


def _full_frame_round_trip(frame: np.ndarray) -> int:
    sent = _zip_frame(frame)  # the client sends the frame
    received = _unzip_frame(sent, frame.shape)  # the server reads it
    np.unique(received)  # and finds the cells in it
    answer = _zip_frame(received)  # the server sends the frame back
    _unzip_frame(answer, frame.shape)  # the client reads it
    return len(answer)


def _baseline(labels: np.ndarray) -> dict:
    answer = _full_frame_round_trip(labels)  # warm-up
    seconds = time_calls(lambda _: _full_frame_round_trip(labels), BASELINE_RUNS, BASELINE_BUDGET)
    return {**summary(seconds), "answer_bytes": answer}


# ---------------------------------------------------------------- the whole benchmark


def _goals(results: dict[int, dict]) -> list[Goal]:
    small, middle, large = SIZES
    goals = []

    def action(size: int, name: str) -> dict:
        return results[size]["actions"][name]

    for size, limit in ((middle, 10.0), (large, 15.0)):
        median = action(size, "brush")["median_ms"]
        goals.append(
            Goal(f"brush median ≤ {limit:g} ms at {size}²", f"{median:.1f} ms", median <= limit)
        )
    ratio = results[middle]["baseline"]["median_ms"] / action(middle, "brush")["median_ms"]
    goals.append(
        Goal(
            f"brush ≥ 20× faster than the full-frame baseline at {middle}²",
            f"{ratio:.0f}×",
            ratio >= 20,
        )
    )
    largest = max(action(size, "brush")["max_bytes"] for size in SIZES)
    goals.append(
        Goal(
            "brush answer ≤ 4 KB (largest of all runs, all sizes)",
            f"{largest:,} B",
            largest <= 4096,
        )
    )
    for name in ONE_CELL_ACTIONS:
        medians = [action(size, name)["median_ms"] for size in SIZES]
        spread = max(medians) / min(medians)
        goals.append(
            Goal(
                f"{name} of one cell within 2× across {small}², {middle}², {large}²",
                f"{spread:.1f}× ({' / '.join(f'{m:.1f}' for m in medians)} ms)",
                spread <= 2,
            )
        )
    for name in ("undo", "redo"):
        ratios = [
            action(size, name)["median_ms"] / action(size, "brush")["median_ms"] for size in SIZES
        ]
        goals.append(
            Goal(
                f"{name} of a brush stroke within 2× of the stroke, every size",
                " / ".join(f"{r:.2f}×" for r in ratios),
                max(ratios) <= 2,
            )
        )
    return goals


def run() -> str:
    results: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-editing-") as temporary:
        folder = Path(temporary)
        app = make_app(folder / "data")
        client = app.test_client()
        sessions, labels = {}, {}
        for size in SIZES:
            sessions[size], labels[size], results[size] = _open_session(client, size, folder)
        _measure(sessions, results)
        profiled = os.environ.get("BENCH_PROFILE", "").strip()
        for session in sessions.values() if profiled else ():
            print(_profile(session, profiled), flush=True)
        for size in SIZES:
            results[size]["baseline"] = _baseline(labels.pop(size))
    actions = [*ORDER, "undo", "redo"]
    rows = []
    for name in actions:
        row: list[object] = [name]
        for size in SIZES:
            item = results[size]["actions"][name]
            row += [item["median_ms"], item["p95_ms"], int(item["median_bytes"]), item["n"]]
        rows.append(row)
    header = ["action"]
    for size in SIZES:
        header += [f"{size}² med ms", "p95 ms", "answer B", "n"]
    report = [
        table(
            "Edit actions: server time per request (test client, median and p95 over n runs after "
            "1 warm-up) and answer size (median bytes)",
            header,
            rows,
        )
    ]
    base_rows = []
    for size in SIZES:
        base = results[size]["baseline"]
        brush = results[size]["actions"]["brush"]["median_ms"]
        base_rows.append(
            (
                f"{size}²",
                results[size]["cells"],
                round(results[size]["creation_s"], 2),
                base["median_ms"],
                base["p95_ms"],
                base["n"],
                base["answer_bytes"],
                brush,
                round(base["median_ms"] / brush, 1),
            )
        )
    report.append(
        table(
            "Baseline: full-frame protocol per edit (zip deflate → inflate → np.unique → deflate → "
            "inflate of the int32 frame) against the brush",
            (
                "frame",
                "cells",
                "project creation s",
                "baseline med ms",
                "p95 ms",
                "n",
                "answer B",
                "brush med ms",
                "baseline/brush",
            ),
            base_rows,
        )
    )
    goals = _goals(results)
    report.append(goals_table("Editing goals", goals))
    write_results(
        "editing",
        {
            "sizes": list(SIZES),
            "results": {str(k): v for k, v in results.items()},
            "goals": [g.as_dict() for g in goals],
        },
    )
    return "\n".join(report)
