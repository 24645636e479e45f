"""Creating a project from an upload, and reading tiles of it back.

Each creation runs in a fresh subprocess, so that its peak memory can be read: the peak resident
set size (`getrusage(RUSAGE_SELF).ru_maxrss`) after the request, less the resident set size just
before it (from /proc/self/statm). The baseline, in its own fresh subprocess too, reads the same
file(s) with `tifffile.imread` and writes the arrays once with `np.savez_compressed`.

Run by `python -m bench`; `python -m bench.creation '<json>'` is the subprocess entry.
"""

from __future__ import annotations

import gc
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .common import (
    CHANNEL_KINDS,
    QUICK,
    Goal,
    Upload,
    cell_layout,
    current_rss,
    goals_table,
    mib,
    peak_rss,
    prepare_upload,
    render_labels,
    render_raw,
    summary,
    table,
    write_results,
)

REPETITIONS = 1 if QUICK else 3
TILE_READS = 60
WARM_UP_SIZE = 64  # edge of the small file created first in each subprocess


@dataclass
class Case:
    name: str
    description: str
    frames: int
    size: int
    channels: int
    with_labels: bool

    @property
    def axes(self) -> str:
        return "TYX" if self.frames > 1 else "CYX"


CASES = (
    [
        Case("multichannel", "512x512, 4 channels uint16", 1, 512, 4, False),
        Case("timelapse", "4 frames 256x256 uint16 + int32 labels", 4, 256, 1, True),
    ]
    if QUICK
    else [
        Case("multichannel", "2048x2048, 4 channels uint16", 1, 2048, 4, False),
        Case("timelapse", "40 frames 1024x1024 uint16 + int32 labels", 40, 1024, 1, True),
    ]
)


def write_case(case: Case, folder: Path, size: int | None = None) -> tuple[Path, Path | None, int]:
    """Write the case's TIFF file(s); returns their paths and the decoded arrays' bytes."""
    import tifffile

    size = size or case.size
    rng = np.random.default_rng(7)
    layout = cell_layout(size, size, seed=7)
    suffix = "" if size == case.size else f"-{size}"
    images = folder / f"{case.name}{suffix}.tif"
    labels = folder / f"{case.name}{suffix}-labels.tif" if case.with_labels else None
    if case.frames == 1:
        raw = render_raw(layout, size, size, CHANNEL_KINDS[: case.channels], rng)
        tifffile.imwrite(images, raw, metadata={"axes": "CYX"})
        return images, labels, raw.nbytes
    raw = np.empty((case.frames, size, size), np.uint16)
    label_frames = np.empty((case.frames, size, size), np.int32)
    for t in range(case.frames):
        moved = layout.at(t)
        raw[t] = render_raw(moved, size, size, CHANNEL_KINDS[:1], rng)[0]
        label_frames[t] = render_labels(moved, size, size)
    tifffile.imwrite(images, raw, metadata={"axes": "TYX"})
    tifffile.imwrite(labels, label_frames, metadata={"axes": "TYX"})
    return images, labels, raw.nbytes + label_frames.nbytes


# ---------------------------------------------------------------- in the subprocess


def _create_in_child(spec: dict) -> dict:
    from .common import make_app

    app = make_app(Path(spec["data_dir"]))
    client = app.test_client()
    Upload(Path(spec["warm_up_body"]), spec["warm_up_type"]).send(client)
    upload = Upload(Path(spec["body"]), spec["content_type"])
    project, figures = _measured(lambda: upload.send(client))
    return {**figures, "tiles": _read_tiles(client, project)}


def _measured(work):
    """Run `work()`; its result, and its wall time and peak resident memory increase."""
    gc.collect()
    before = current_rss()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    return result, {"seconds": seconds, "rss_before": before, "peak_increase": peak_rss() - before}


def _read_tiles(client, project: dict) -> dict:
    """Times of reading one 512×512 region at random places (one warm-up read of each first):
    one raw tile, and the label tiles (label_tile_size) that cover the same region."""
    rng = random.Random(3)
    size, label_size = project["tile_size"], project["label_tile_size"]
    rows = -(-project["height"] // size)
    columns = -(-project["width"] // size)
    per_region = size // label_size
    base = f"/api/projects/{project['id']}"

    def raw_urls() -> list[str]:
        frame, channel = rng.randrange(project["frames"]), rng.randrange(project["channels"])
        return [
            f"{base}/raw/{frame}/{channel}/tiles/{rng.randrange(rows)}/{rng.randrange(columns)}"
        ]

    def label_urls() -> list[str]:
        frame, row, column = (
            rng.randrange(project["frames"]),
            rng.randrange(rows),
            rng.randrange(columns),
        )
        label_rows = -(-project["height"] // label_size)
        label_columns = -(-project["width"] // label_size)
        return [
            f"{base}/labels/0/{frame}/tiles/{y}/{x}"
            for y in range(row * per_region, min((row + 1) * per_region, label_rows))
            for x in range(column * per_region, min((column + 1) * per_region, label_columns))
        ]

    out = {}
    for kind, urls in (("raw", raw_urls), ("labels", label_urls)):
        samples, sizes = [], []
        for i in range(TILE_READS + 1):
            addresses = urls()
            started = time.perf_counter()
            size_read = 0
            for address in addresses:
                response = client.get(address)
                size_read += len(response.get_data())
                if response.status_code != 200:
                    raise RuntimeError(f"GET {address} answered {response.status_code}")
            elapsed = time.perf_counter() - started
            if i:  # the first read warms up
                samples.append(elapsed)
                sizes.append(size_read)
        out[kind] = {"seconds": samples, "bytes": sizes}
    return out


def _baseline_in_child(spec: dict) -> dict:
    import tifffile

    out = Path(spec["out"])
    warm = tifffile.imread(spec["warm_up_images"])
    np.savez_compressed(out, images=warm)
    del warm

    def read_and_write() -> None:
        arrays = {f"array{i}": tifffile.imread(path) for i, path in enumerate(spec["files"])}
        np.savez_compressed(out, **arrays)

    _, figures = _measured(read_and_write)
    return {**figures, "npz_bytes": out.stat().st_size}


def _child(spec: dict) -> dict:
    return _create_in_child(spec) if spec["kind"] == "create" else _baseline_in_child(spec)


def _run_child(spec: dict, timeout: float = 600) -> dict:
    """Run `python -m bench.creation <spec as JSON>`; its last line of output, read as JSON."""
    env = dict(os.environ)
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = os.pathsep.join([str(root / "backend"), str(root)])
    result = subprocess.run(
        [sys.executable, "-m", "bench.creation", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark subprocess failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- in the main process


def run() -> str:
    report: list[str] = []
    figures: dict = {
        "memory_method": "peak RSS (ru_maxrss) after the request minus RSS before it, "
        "in a fresh subprocess per measurement"
    }
    rows, tile_rows, goals = [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-creation-") as temporary:
        folder = Path(temporary)
        for case in CASES:
            images, labels, decoded = write_case(case, folder)
            small_images, small_labels, _ = write_case(case, folder, WARM_UP_SIZE)
            upload = prepare_upload(folder, case.name, images, labels, case.axes)
            warm_up = prepare_upload(
                folder, f"{case.name}-warm", small_images, small_labels, case.axes
            )
            files = [str(images)] + ([str(labels)] if labels else [])
            creations, baselines = [], []
            for repetition in range(REPETITIONS):
                data_dir = folder / f"data-{case.name}-{repetition}"
                creations.append(
                    _run_child(
                        {
                            "kind": "create",
                            "data_dir": str(data_dir),
                            "body": str(upload.body),
                            "content_type": upload.content_type,
                            "warm_up_body": str(warm_up.body),
                            "warm_up_type": warm_up.content_type,
                        }
                    )
                )
                shutil.rmtree(data_dir, ignore_errors=True)
                baselines.append(
                    _run_child(
                        {
                            "kind": "baseline",
                            "files": files,
                            "out": str(folder / "baseline.npz"),
                            "warm_up_images": str(small_images),
                        }
                    )
                )
            upload_bytes = sum(Path(f).stat().st_size for f in files)
            create_s = float(np.median([c["seconds"] for c in creations]))
            base_s = float(np.median([b["seconds"] for b in baselines]))
            create_mem = float(np.median([c["peak_increase"] for c in creations]))
            base_mem = float(np.median([b["peak_increase"] for b in baselines]))
            rows.append(
                (
                    case.name,
                    case.description,
                    mib(upload_bytes),
                    mib(decoded),
                    round(create_s, 2),
                    round(base_s, 2),
                    round(create_s / base_s, 2),
                    mib(create_mem),
                    mib(base_mem),
                    round(create_mem / decoded, 2),
                )
            )
            tiles = {}
            for kind in ("raw", "labels"):
                seconds = [s for c in creations for s in c["tiles"][kind]["seconds"]]
                sizes = [s for c in creations for s in c["tiles"][kind]["bytes"]]
                stats = summary(seconds)
                tiles[kind] = {**stats, "median_bytes": float(np.median(sizes))}
                tile_rows.append(
                    (
                        case.name,
                        kind,
                        stats["n"],
                        stats["median_ms"],
                        stats["p95_ms"],
                        int(np.median(sizes)),
                    )
                )
                goals.append(
                    Goal(
                        f"{case.name}: read a 512×512 region of {kind} ≤ 20 ms (median)",
                        f"{stats['median_ms']:.2f} ms",
                        stats["median_ms"] <= 20,
                    )
                )
            goals.append(
                Goal(
                    f"{case.name}: creation time ≤ 2× baseline",
                    f"{create_s / base_s:.2f}×",
                    create_s <= 2 * base_s,
                )
            )
            goals.append(
                Goal(
                    f"{case.name}: creation peak memory ≤ 3× decoded arrays",
                    f"{create_mem / decoded:.2f}×",
                    create_mem <= 3 * decoded,
                )
            )
            figures[case.name] = {
                "description": case.description,
                "upload_bytes": upload_bytes,
                "decoded_bytes": decoded,
                "creation": {
                    "median_s": create_s,
                    "runs_s": [c["seconds"] for c in creations],
                    "median_peak_increase_bytes": create_mem,
                    "runs_peak_increase_bytes": [c["peak_increase"] for c in creations],
                },
                "baseline": {
                    "median_s": base_s,
                    "runs_s": [b["seconds"] for b in baselines],
                    "median_peak_increase_bytes": base_mem,
                    "runs_peak_increase_bytes": [b["peak_increase"] for b in baselines],
                    "npz_bytes": baselines[0]["npz_bytes"],
                },
                "tiles": tiles,
            }
    report.append(
        table(
            f"Project creation (POST /api/projects, multipart upload; median of {REPETITIONS} "
            "fresh processes). Baseline: tifffile.imread + np.savez_compressed of the same file(s).",
            (
                "case",
                "input",
                "upload MiB",
                "decoded MiB",
                "create s",
                "baseline s",
                "ratio",
                "create peak MiB",
                "baseline peak MiB",
                "peak/decoded",
            ),
            rows,
        )
    )
    report.append("Peak memory = peak RSS (ru_maxrss) after the call − RSS just before it.\n")
    report.append(
        table(
            "Reading one 512×512 region back (GET …/tiles/<ty>/<tx>: one raw tile, four 256² label tiles; random places, after 1 warm-up)",
            ("case", "tile", "reads", "median ms", "p95 ms", "bytes sent"),
            tile_rows,
        )
    )
    report.append(goals_table("Creation goals", goals))
    figures["goals"] = [g.as_dict() for g in goals]
    write_results("creation", figures)
    return "\n".join(report)


if __name__ == "__main__":
    print(json.dumps(_child(json.loads(sys.argv[1]))))
