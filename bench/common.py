"""What the benchmarks share: the app, uploads, synthetic microscopy data, statistics, tables."""

from __future__ import annotations

import json
import logging
import os
import resource
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QUICK = os.environ.get("BENCH_QUICK", "").strip().lower() in {"1", "true", "yes", "on"}
RESULTS_DIR = Path(__file__).resolve().parent / "results"
PITCH = 20  # one cell per PITCH x PITCH block: one cell per 400 px²


# ---------------------------------------------------------------- the app


class JobsHere:
    """Runs each job on a thread of this process, the way a worker's process runs it (the same
    use case, context and outcome), so a benchmark measures the work itself: its time and this
    process's memory. What the queue adds is measured apart, by `bench jobs`."""

    def __init__(self, app) -> None:
        self.app = app
        self.threads: dict[str, threading.Thread] = {}

    def send(self, job_id: str) -> None:
        thread = threading.Thread(target=self._run, args=(job_id,), daemon=True)
        self.threads[job_id] = thread
        thread.start()

    def wait(self, job_id: str) -> None:
        """Until the job's thread ends: unlike polling the API from this process, waiting
        takes no turn of the interpreter from the job (in a deployment the browser's polls
        are answered by web processes, not the worker's)."""
        self.threads.pop(job_id).join()

    def _run(self, job_id: str) -> None:
        from deepcell_label.jobs.tasks import job_kinds
        from deepcell_label.services import jobs
        from deepcell_label.store.models import db

        with self.app.app_context():
            try:
                jobs.run(job_id, job_kinds(self.app.config))
            finally:
                db.session.remove()


def make_app(data_dir: Path, settings: dict | None = None):
    """The app on its own SQLite file and storage folder, migrated to the current schema, its
    jobs run in this process (see JobsHere), with `settings` over the defaults. Its test
    clients are signed in as its admin, as the tests' are (tests/accounts.py)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from accounts import ADMIN_TOKEN, SignedInClient
    from deepcell_label.app import create_app, first_start
    from flask_migrate import upgrade

    app = create_app(
        {
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "DATA_DIR": str(data_dir),
            "ALLOW_PRIVATE_URLS": True,
            "LOG_LEVEL": "WARNING",
            "CREATE_WAIT_SECONDS": 3600,
            **(settings or {}),
        }
    )
    app.extensions["deepcell_jobs"] = JobsHere(app)
    logging.disable(logging.INFO)  # the migration's progress lines would clutter the tables
    try:
        with app.app_context():
            upgrade()
    finally:
        logging.disable(logging.NOTSET)
    first_start(app)
    app.test_client_class = SignedInClient
    return app


def make_app_with_worker(data_dir: Path, broker: str = ""):
    """`make_app`, with a real job worker (the tests' runner of `celery worker`) on its own
    queue of `broker` (default: the embedded SQLite broker in `data_dir`). Returns (app,
    worker); stop the worker when done."""
    import secrets
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from deepcell_label.jobs.queue import CeleryDispatcher, make_celery
    from workers import Worker

    app = make_app(data_dir)
    if broker:
        app.config["CELERY_BROKER_URL"] = broker
    app.config["CELERY_QUEUE"] = f"bench-{secrets.token_hex(4)}"
    # The Celery app and dispatcher were made from the settings before they changed here.
    app.extensions["celery"] = make_celery(app.config)
    app.extensions["deepcell_jobs"] = CeleryDispatcher(
        app.extensions["celery"], app.config["CELERY_QUEUE"]
    )
    worker = Worker(dict(app.config), data_dir.parent / f"worker-{data_dir.name}.log").start()
    return app, worker


def write_multipart(path: Path, fields: dict[str, str], files: dict[str, Path]) -> str:
    """Write a multipart/form-data body to `path`; returns its Content-Type."""
    boundary = "bench-" + secrets.token_hex(16)
    with path.open("wb") as out:
        for name, value in fields.items():
            out.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, file in files.items():
            out.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{file.name}"\r\nContent-Type: image/tiff\r\n\r\n'.encode()
            )
            with file.open("rb") as source:
                shutil.copyfileobj(source, out, 1 << 20)
            out.write(b"\r\n")
        out.write(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}"


@dataclass
class Upload:
    """A prepared request body for POST /api/projects, streamed from disk when sent."""

    body: Path
    content_type: str

    def post(self, client) -> dict:
        """POST the body; the answer (status "ready", or "building" for a large project)."""
        with self.body.open("rb") as stream:
            response = client.post(
                "/api/projects",
                input_stream=stream,
                content_type=self.content_type,
                content_length=self.body.stat().st_size,
            )
        if response.status_code not in (201, 202):
            raise RuntimeError(f"creation failed ({response.status_code}): {response.get_data()!r}")
        return response.get_json()

    def send(self, client) -> dict:
        """Create the project and wait until it is ready."""
        return wait_until_ready(client, self.post(client))


def create_from_arrays(client, raw: np.ndarray, labels: np.ndarray, axes: str | None = None) -> str:
    """A project made in one request from an image and labels held in memory (as TIFFs); its id."""
    import io

    import tifffile

    image, mask = io.BytesIO(), io.BytesIO()
    tifffile.imwrite(image, raw, metadata={"axes": axes} if axes else {})
    tifffile.imwrite(mask, labels)
    response = client.post(
        "/api/projects",
        data={
            "images": (io.BytesIO(image.getvalue()), "x.tif"),
            "labels": (io.BytesIO(mask.getvalue()), "y.tif"),
            **({"axes": axes} if axes else {}),
        },
        content_type="multipart/form-data",
    )
    if response.status_code != 201:
        raise RuntimeError(f"creation failed ({response.status_code}): {response.get_data()!r}")
    return response.get_json()["id"]


def finished_job(client, job: dict) -> dict:
    """The job's description once it is done; an error if it failed or was cancelled."""
    while job["state"] not in ("done", "failed", "cancelled"):
        time.sleep(0.05)
        job = client.get(f"/api/jobs/{job['id']}").get_json()
    if job["state"] != "done":
        raise RuntimeError(f"failed: {job['error'] or job['state']}")
    return job


def wait_until_ready(client, project: dict, timeout: float = 3600.0) -> dict:
    """The project's description once its background build (if any) has finished."""
    deadline = time.monotonic() + timeout
    while project["status"] == "building":
        if time.monotonic() > deadline:
            raise RuntimeError(f"project {project['id']} is still building after {timeout:.0f} s")
        time.sleep(0.05)
        project = client.get(f"/api/projects/{project['id']}").get_json()
    if project["status"] != "ready":
        raise RuntimeError(f"creation failed: {project['status_message']}")
    return project


def prepare_upload(folder: Path, name: str, images: Path, labels: Path | None, axes: str) -> Upload:
    fields = {"axes": axes, "name": name}
    files = {"images": images}
    if labels is not None:
        fields["labels_axes"] = axes
        files["labels"] = labels
    body = folder / f"{name}.multipart"
    return Upload(body, write_multipart(body, fields, files))


# ---------------------------------------------------------------- memory


def current_rss() -> int:
    """Resident set size of this process now, in bytes."""
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * resource.getpagesize()


def reset_peak_rss() -> None:
    """Make this process's peak resident set size its current one (Linux: /proc/self/clear_refs),
    so that a step's peak is not one reached before it began."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def peak_rss() -> int:
    """Highest resident set size this process has had, in bytes (Linux gives kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# ---------------------------------------------------------------- synthetic microscopy data


@dataclass
class Layout:
    """Round cells on a jittered grid: one cell per PITCH x PITCH block, ids 1..rows*cols."""

    ids: np.ndarray  # (rows, cols) int32
    cy: np.ndarray  # (rows, cols) float32 centre row in the frame
    cx: np.ndarray
    radius: np.ndarray  # (rows, cols) float32
    brightness: np.ndarray  # (rows, cols) float32
    phase: np.ndarray  # (2, rows, cols) float32, drives the motion over time

    @property
    def shape(self) -> tuple[int, int]:
        return self.ids.shape

    def at(self, t: int) -> Layout:
        """The cells at frame `t`: each wanders within its block (so ids stay tracked)."""
        slack = PITCH / 2 - 1 - self.radius
        rows, cols = self.shape
        base_y = (np.arange(rows, dtype=np.float32)[:, None] + 0.5) * PITCH
        base_x = (np.arange(cols, dtype=np.float32)[None, :] + 0.5) * PITCH
        cy = base_y + slack * np.sin(self.phase[0] + 0.3 * t)
        cx = base_x + slack * np.sin(self.phase[1] + 0.3 * t)
        return Layout(
            self.ids,
            cy.astype(np.float32),
            cx.astype(np.float32),
            self.radius,
            self.brightness,
            self.phase,
        )


def cell_layout(height: int, width: int, seed: int = 0) -> Layout:
    rng = np.random.default_rng(seed)
    rows, cols = height // PITCH, width // PITCH
    shape = (rows, cols)
    ids = np.arange(1, rows * cols + 1, dtype=np.int32).reshape(shape)
    radius = rng.uniform(7.0, 9.0, shape).astype(np.float32)
    brightness = rng.uniform(800.0, 4000.0, shape).astype(np.float32)
    phase = rng.uniform(0, 2 * np.pi, (2, *shape)).astype(np.float32)
    zero = np.zeros(shape, np.float32)
    return Layout(ids, zero, zero, radius, brightness, phase).at(0)


CHANNEL_KINDS = ("nuclei", "membrane", "cytoplasm", "background")
STRIP_ROWS = 256


def _strip(layout: Layout, y0: int, y1: int, width: int):
    """Per pixel of rows y0..y1: the block it lies in and its distance to that block's centre."""
    rows, cols = layout.shape
    block_y = np.minimum(np.arange(y0, y1) // PITCH, rows - 1)[:, None]
    block_x = np.minimum(np.arange(width) // PITCH, cols - 1)[None, :]
    dy = np.arange(y0, y1, dtype=np.float32)[:, None] - layout.cy[block_y, block_x]
    dx = np.arange(width, dtype=np.float32)[None, :] - layout.cx[block_y, block_x]
    return block_y, block_x, np.sqrt(dy * dy + dx * dx)


def render_labels(layout: Layout, height: int, width: int) -> np.ndarray:
    """Disc-shaped cells (int32 ids), separated by a little background."""
    out = np.zeros((height, width), np.int32)
    for y0 in range(0, height, STRIP_ROWS):
        y1 = min(y0 + STRIP_ROWS, height)
        by, bx, distance = _strip(layout, y0, y1, width)
        inside = distance <= layout.radius[by, bx]
        out[y0:y1] = np.where(inside, layout.ids[by, bx], 0)
    return out


def render_raw(
    layout: Layout, height: int, width: int, kinds: Sequence[str], rng: np.random.Generator
) -> np.ndarray:
    """uint16 channels (C, Y, X): smooth uneven background, stained cells, camera noise."""
    out = np.empty((len(kinds), height, width), np.uint16)
    columns = np.arange(width, dtype=np.float32)[None, :] / width
    for y0 in range(0, height, STRIP_ROWS):
        y1 = min(y0 + STRIP_ROWS, height)
        by, bx, distance = _strip(layout, y0, y1, width)
        radius = layout.radius[by, bx]
        bright = layout.brightness[by, bx]
        rows = np.arange(y0, y1, dtype=np.float32)[:, None] / height
        for channel, kind in enumerate(kinds):
            shift = 1.7 * channel
            image = 300 + 150 * np.sin(2 * np.pi * (1.5 * rows + 0.2) + shift) * np.cos(
                2 * np.pi * columns + shift
            )
            if kind == "nuclei":
                image = image + bright * np.exp(-((distance / (0.6 * radius)) ** 2))
            elif kind == "membrane":
                image = image + 0.6 * bright * np.exp(-(((distance - radius) / 1.5) ** 2))
            elif kind == "cytoplasm":
                image = image + 0.4 * bright / (1 + np.exp(distance - radius))
            noise = rng.standard_normal(image.shape, dtype=np.float32)
            image = image + noise * (20 + 0.5 * np.sqrt(np.maximum(image, 0)))
            out[channel, y0:y1] = np.clip(image, 0, 65535).astype(np.uint16)
    return out


# ---------------------------------------------------------------- timing and statistics


def time_calls(
    call: Callable[[int], object], runs: int, budget: float | None = None, minimum: int = 3
) -> list[float]:
    """Seconds of `call(i)` for i in range(runs); with a budget, stop once it is spent
    (after at least `minimum` runs)."""
    samples: list[float] = []
    started = time.perf_counter()
    for i in range(runs):
        begin = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - begin)
        if (
            budget is not None
            and len(samples) >= minimum
            and time.perf_counter() - started > budget
        ):
            break
    return samples


def summary(seconds: Iterable[float]) -> dict:
    values = np.asarray(list(seconds), dtype=np.float64) * 1000
    return {
        "n": int(values.size),
        "median_ms": float(np.median(values)),
        "p95_ms": float(np.percentile(values, 95)),
        "min_ms": float(values.min()),
        "max_ms": float(values.max()),
    }


def mib(size: float) -> float:
    return round(size / 2**20, 1)


def table(title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain-text table; numbers are right-aligned."""
    cells = [[str(item) for item in header]]
    numeric = [True] * len(header)
    for row in rows:
        cells.append([_cell(item) for item in row])
        for i, item in enumerate(row):
            if not isinstance(item, int | float):
                numeric[i] = False
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(
            value.rjust(widths[i]) if numeric[i] else value.ljust(widths[i])
            for i, value in enumerate(row)
        ).rstrip()

    rule = "-" * len(line(cells[0]))
    return "\n".join([title, rule, line(cells[0]), rule, *(line(row) for row in cells[1:]), ""])


def _cell(item: object) -> str:
    if isinstance(item, bool):
        return "PASS" if item else "FAIL"
    if isinstance(item, float):
        return f"{item:,.2f}" if abs(item) < 100 else f"{item:,.0f}"
    if isinstance(item, int):
        return f"{item:,}"
    return str(item)


@dataclass
class Goal:
    text: str
    figure: str
    passed: bool

    def as_dict(self) -> dict:
        return {"goal": self.text, "figure": self.figure, "pass": self.passed}


def goals_table(title: str, goals: Sequence[Goal]) -> str:
    if QUICK:
        title += " (BENCH_QUICK: sizes and runs shrunk, so these verdicts are only a smoke test)"
    return table(
        title,
        ("result", "goal", "measured"),
        [("PASS" if g.passed else "FAIL", g.text, g.figure) for g in goals],
    )


def write_results(name: str, data: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps({"quick": QUICK, **data}, indent=2) + "\n")
    return path
