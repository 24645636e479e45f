"""The Python client against a real server (gunicorn, 2 processes × 4 threads, and a job worker):

- `project.labels()` of a 2048² × 10-frame project (label tiles fetched several at once and
  assembled) beside what a user would do without it: export the project as npz (a job, as the
  server requires for a project this size), download the file and load its labels with numpy —
  quoted side by side, and beside the download and load alone. Goal: within 1.5×.
- `client.upload()` of a large file (resumable chunks, progress off) beside the raw chunk transfer
  on loopback: the same chunks PUT one after another by a bare httpx client. Goal: within 1.3×.
  1 GiB by default; BENCH_CLIENT_UPLOAD_MIB sets another size.

BENCH_QUICK=1: a 512² × 10 project and a 64 MiB file.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from .common import (
    QUICK,
    Goal,
    cell_layout,
    goals_table,
    render_labels,
    summary,
    table,
    write_results,
)

ROOT = Path(__file__).resolve().parents[1]
SIDE = 512 if QUICK else 2048
FRAMES = 10
UPLOAD_MIB = int(os.environ.get("BENCH_CLIENT_UPLOAD_MIB") or (64 if QUICK else 1024))
RUNS = 3


def _server(folder: Path):
    """The server, its first admin's token the tests' ADMIN_TOKEN (tests/accounts.py)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from servers import Server, migrate

    migrate(folder / "data", None)
    return Server(
        folder / "data",
        workers=2,
        threads=4,
        settings={"LOG_LEVEL": "WARNING"},
        log_name="bench-client-gunicorn.log",
    ).start()


def _timed(call, runs: int = RUNS) -> list[float]:
    seconds = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - began)
    return seconds


def _npz_export(http: httpx.Client, project_id: str, target: Path) -> tuple[float, np.ndarray]:
    """Export as npz by a job, download, load the labels: (seconds of download + load, labels)."""
    job = http.post(f"/api/projects/{project_id}/exports", json={"format": "npz"}).json()
    while job["state"] not in ("done", "failed", "cancelled"):
        time.sleep(0.05)
        job = http.get(f"/api/jobs/{job['id']}").json()
    if job["state"] != "done":
        raise RuntimeError(f"export failed: {job['error'] or job['state']}")
    began = time.perf_counter()
    with http.stream("GET", job["result"]["download"]) as response, target.open("wb") as file:
        for piece in response.iter_bytes(1 << 20):
            file.write(piece)
    with np.load(target) as exported:
        labels = exported["y"]
    return time.perf_counter() - began, labels


def _raw_chunks(http: httpx.Client, path: Path) -> None:
    """The baseline: the file's chunks PUT one after another, nothing else."""
    state = http.post("/api/uploads", json={"name": path.name, "size": path.stat().st_size}).json()
    with path.open("rb") as file:
        for index in range(state["chunks"]):
            response = http.put(
                f"/api/uploads/{state['id']}/chunks/{index}",
                content=file.read(state["chunk_size"]),
                headers={"Content-Type": "application/octet-stream"},
            )
            response.raise_for_status()
    http.delete(f"/api/uploads/{state['id']}")


def run() -> str:
    sys.path.insert(0, str(ROOT / "client" / "src"))
    from deepcell_label_client import Client

    with tempfile.TemporaryDirectory(prefix="bench-client-") as folder:
        folder = Path(folder)
        server = _server(folder)
        try:
            from servers import ADMIN_TOKEN

            client = Client(server.url, ADMIN_TOKEN, progress=False)
            http = httpx.Client(
                base_url=server.url,
                timeout=600,
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )

            labels = render_labels(cell_layout(SIDE, SIDE), SIDE, SIDE)
            movie = np.stack([np.roll(labels, 7 * t, axis=1) for t in range(FRAMES)])
            image = (movie % 251).astype(np.uint8)
            began = time.perf_counter()
            project = client.create_project(image, movie, axes="TYX")
            created = time.perf_counter() - began

            pulled = project.labels()
            assert np.array_equal(pulled, movie)
            client_seconds = _timed(project.labels)
            export_runs = []
            for _ in range(RUNS):
                began = time.perf_counter()
                load_seconds, exported = _npz_export(http, project.id, folder / "export.npz")
                export_runs.append((time.perf_counter() - began, load_seconds))
            assert exported.shape == (FRAMES, SIDE, SIDE, 1)
            export_seconds = [whole for whole, _ in export_runs]
            download_seconds = [load for _, load in export_runs]

            big = folder / "big.bin"
            with big.open("wb") as file:
                block = np.random.default_rng(0).bytes(1 << 20)
                for _ in range(UPLOAD_MIB):
                    file.write(block)

            def client_upload() -> None:
                upload_id = client.upload(big, progress=False)
                http.delete(f"/api/uploads/{upload_id}")

            runs = 1 if UPLOAD_MIB >= 512 else RUNS
            raw_upload = []
            client_upload_seconds = []
            for _ in range(runs):  # alternate, so both see the same machine load
                raw_upload += _timed(lambda: _raw_chunks(http, big), 1)
                client_upload_seconds += _timed(client_upload, 1)
        finally:
            server.stop()

    labels_ms = summary(client_seconds)["median_ms"]
    export_ms = summary(export_seconds)["median_ms"]
    download_ms = summary(download_seconds)["median_ms"]
    raw_ms = summary(raw_upload)["median_ms"]
    upload_ms = summary(client_upload_seconds)["median_ms"]
    label_mib = movie.nbytes / 2**20
    goals = [
        Goal(
            f"project.labels() of {SIDE}² × {FRAMES} within 1.5× of the npz export + download + "
            "np.load",
            f"{labels_ms / export_ms:.2f}× ({labels_ms:.0f} ms vs {export_ms:.0f} ms)",
            labels_ms <= 1.5 * export_ms,
        ),
        Goal(
            f"client.upload() of {UPLOAD_MIB} MiB within 1.3× of the raw chunk PUTs",
            f"{upload_ms / raw_ms:.2f}× ({upload_ms:.0f} ms vs {raw_ms:.0f} ms)",
            upload_ms <= 1.3 * raw_ms,
        ),
    ]
    rows = [
        ("project.labels()", len(client_seconds), labels_ms, label_mib / (labels_ms / 1000)),
        (
            "npz: export job + download + np.load",
            len(export_seconds),
            export_ms,
            label_mib / (export_ms / 1000),
        ),
        (
            "npz: download + np.load only",
            len(download_seconds),
            download_ms,
            label_mib / (download_ms / 1000),
        ),
        ("raw chunk PUTs (httpx)", len(raw_upload), raw_ms, UPLOAD_MIB / (raw_ms / 1000)),
        ("client.upload()", len(client_upload_seconds), upload_ms, UPLOAD_MIB / (upload_ms / 1000)),
    ]
    write_results(
        "client",
        {
            "side": SIDE,
            "frames": FRAMES,
            "upload_mib": UPLOAD_MIB,
            "create_project_s": created,
            "labels_s": client_seconds,
            "npz_export_s": export_seconds,
            "npz_download_load_s": download_seconds,
            "raw_chunks_s": raw_upload,
            "client_upload_s": client_upload_seconds,
            "goals": [goal.as_dict() for goal in goals],
        },
    )
    return "\n\n".join(
        [
            table(
                f"Python client (project {SIDE}² × {FRAMES} frames, created in {created:.0f} s; "
                f"upload of {UPLOAD_MIB} MiB)",
                ("what", "runs", "median ms", "MiB/s"),
                [(name, n, round(ms), round(rate, 1)) for name, n, ms, rate in rows],
            ),
            goals_table("Python client goals", goals),
        ]
    )
