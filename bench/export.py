"""Export throughput: export jobs (POST /api/projects/<id>/exports, run by a worker, then the
file downloaded from GET /api/jobs/<id>/download) for format=ome-zarr and format=zip, beside
`tifffile.imwrite` of the same arrays (uncompressed, and zlib level 1 as our tiles) in the same
run.

Throughput is MB/s of raw + label bytes (frames x height x width x (2 bytes x channels +
4 bytes per feature)) over the median of several runs. The project is 4096 x 4096 x 3 uint16
with one label feature (BENCH_QUICK: 1024). BENCH_EXPORT_SIZE overrides the side (e.g. 16384,
run once).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import tifffile

from .common import (
    CHANNEL_KINDS,
    QUICK,
    cell_layout,
    finished_job,
    make_app_with_worker,
    prepare_upload,
    render_labels,
    render_raw,
    summary,
    table,
    write_results,
)

SIZE = int(os.environ.get("BENCH_EXPORT_SIZE") or (1024 if QUICK else 4096))
RUNS = 1 if SIZE > 8192 else 2 if QUICK else 5
CHANNELS = 3


def _download(client, project_id: str, kind: str) -> int:
    """Export by a job and download the file, reading it whole as a client would; its size."""
    job = client.post(f"/api/projects/{project_id}/exports", json={"format": kind}).get_json()
    job = finished_job(client, job)
    response = client.get(job["result"]["download"])
    if response.status_code != 200:
        raise RuntimeError(f"failed: HTTP {response.status_code}")
    size = sum(len(chunk) for chunk in response.response)
    response.close()
    return size


def _timed(call, runs: int) -> tuple[list[float], int]:
    seconds, size = [], 0
    for _ in range(runs):
        began = time.perf_counter()
        size = call()
        seconds.append(time.perf_counter() - began)
    return seconds, size


def run() -> str:
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        folder = Path(folder)
        layout = cell_layout(SIZE, SIZE)
        raw = render_raw(layout, SIZE, SIZE, CHANNEL_KINDS[:CHANNELS], np.random.default_rng(0))
        labels = render_labels(layout, SIZE, SIZE)
        tifffile.imwrite(folder / "raw.tif", raw)
        tifffile.imwrite(folder / "labels.tif", labels[np.newaxis])  # one feature
        pixel_bytes = raw.nbytes + labels.nbytes
        upload = prepare_upload(folder, "export", folder / "raw.tif", folder / "labels.tif", "CYX")
        (folder / "raw.tif").unlink()
        (folder / "labels.tif").unlink()
        app, worker = make_app_with_worker(folder / "data")
        logging.getLogger("deepcell_label.api").disabled = True  # a failure is in the table
        app.config["MAX_CONTENT_LENGTH"] = None  # the largest size uploads more than the default
        client = app.test_client()
        project_id = upload.send(client)["id"]
        upload.body.unlink()

        def tiff(compression: str | None) -> int:
            target = folder / "baseline.tif"
            args = {"compression": "zlib", "compressionargs": {"level": 1}} if compression else {}
            tifffile.imwrite(target, raw, **args)
            tifffile.imwrite(target, labels, append=True, **args)
            return target.stat().st_size

        cases = {
            "ome-zarr (job)": lambda: _download(client, project_id, "ome-zarr"),
            "project zip (job)": lambda: _download(client, project_id, "zip"),
            "tifffile, uncompressed": lambda: tiff(None),
            "tifffile, zlib level 1": lambda: tiff("zlib"),
        }
        results = {}
        for name, call in cases.items():
            try:
                seconds, size = _timed(call, RUNS)
            except RuntimeError as error:  # reported in the table, the other cases still run
                results[name] = {"failed": str(error)}
                continue
            median = float(np.median(seconds))
            results[name] = {
                **summary(seconds),
                "bytes": size,
                "mb_per_s": pixel_bytes / 1e6 / median,
            }
        worker.stop()
    base = results["tifffile, uncompressed"]["mb_per_s"]
    zlib_base = results["tifffile, zlib level 1"]["mb_per_s"]
    rows = [
        (
            name,
            round(r["median_ms"] / 1000, 2),
            round(r["mb_per_s"], 1),
            round(r["bytes"] / 1e6, 1),
            round(r["mb_per_s"] / base, 2),
            round(r["mb_per_s"] / zlib_base, 2),
        )
        if "failed" not in r
        else (name, r["failed"], "", "", "", "")
        for name, r in results.items()
    ]
    write_results(
        f"export-{SIZE}",
        {"size": SIZE, "channels": CHANNELS, "pixel_bytes": pixel_bytes, "results": results},
    )
    return table(
        f"Export of {SIZE}x{SIZE}x{CHANNELS} uint16 + int32 labels "
        f"({pixel_bytes / 1e6:.0f} MB of pixels), median of {RUNS} runs",
        ["what", "seconds", "MB/s", "output MB", "x tiff plain", "x tiff zlib"],
        rows,
    )
