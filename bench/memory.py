"""Peak memory of the largest imports and exports, and of embedding very many cells.

A project of SIZE² pixels × 8 frames (one uint8 channel, one label feature of square cells
every 128 pixels; BENCH_MEMORY_SIZE sets the side, 16384 by default, 2048 with BENCH_QUICK) is
made as a Cell Tracking Challenge zip by our CTC writer from synthetic bands, imported (CTC),
exported as npz, CTC and OME-Zarr, and the OME-Zarr imported again. Each step runs in a
process of its own, the app set up as the server's (jobs on a thread of that process, as
`bench/common.JobsHere` does): its peak resident memory (ru_maxrss) is compared with the
process's own peak before the step (the server's baseline) and with the data's size (raw +
int32 labels). Goal: at most 1 GiB over the baseline for each step.

Baseline in the same run: the whole-array npz export the server made before (read every plane
into one array, renumber, numpy.savez_compressed), beside the streamed one, on a project of
SIZE/8 pixels a side.

Embedding: BENCH_EMBED_CELLS cells (500 000; 60 000 with BENCH_QUICK) of 40 made-up features,
UMAP fitted on 50 000 of them drawn at random and the rest placed by the model, against UMAP
fitted on all cells at smaller sizes (50 000 and 100 000) in the same run; the time of a fit
on all 500 000 is extrapolated from those two, linearly (a lower bound: neighbour search grows
faster than linearly). An embedding's peak is counted from the process's resident memory once
the features are made (its earlier peak reset). BENCH_EMBED_ALL="" leaves out the fits on all.

BENCH_MEMORY_PARTS=projects (or =embedding) runs one of the two parts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .common import (
    QUICK,
    Goal,
    current_rss,
    finished_job,
    goals_table,
    mib,
    peak_rss,
    prepare_upload,
    reset_peak_rss,
    table,
    write_results,
)

SIZE = int(os.environ.get("BENCH_MEMORY_SIZE") or (2048 if QUICK else 16384))
FRAMES = 8
PITCH, SIDE = 128, 80  # a cell every PITCH pixels, SIDE pixels square
GOAL_BYTES = 2**30
EMBED_CELLS = int(os.environ.get("BENCH_EMBED_CELLS") or (60_000 if QUICK else 500_000))
FIT_CELLS = int(os.environ.get("BENCH_EMBED_FIT") or 50_000)  # the server's default
ALL_CELLS = (FIT_CELLS // 5, FIT_CELLS * 2 // 5) if QUICK else (FIT_CELLS, 2 * FIT_CELLS)
if "BENCH_EMBED_ALL" in os.environ:  # e.g. "" to run the sampled embedding alone
    ALL_CELLS = tuple(int(n) for n in os.environ["BENCH_EMBED_ALL"].split(",") if n)
SETTINGS = {
    "MAX_PIXELS": 2**40,
    "MAX_CONTENT_LENGTH": None,
    "MAX_UPLOAD_BYTES": 2**40,
}


# ---------------------------------------------------------------- synthetic project


def synthetic_bands(size: int, frames: int = FRAMES):
    """A project of square cells as bands (nothing held whole): cell ids the same in every
    frame, each frame's cells shifted 2 pixels right."""
    from deepcell_label.formats import ProjectBands

    columns = size // PITCH
    count = columns * (size // PITCH)

    def label_band(frame: int, feature: int, y0: int, y1: int) -> np.ndarray:
        ys = np.arange(y0, y1, dtype=np.int32)
        xs = np.arange(size, dtype=np.int32) - 2 * frame
        column = np.where((xs >= 0) & (xs % PITCH < SIDE), xs // PITCH, -1)
        row = np.where(ys % PITCH < SIDE, ys // PITCH, -1)
        ids = row[:, None] * columns + column[None, :] + 1
        ids[(row[:, None] < 0) | (column[None, :] < 0) | (column[None, :] >= columns)] = 0
        return ids.astype(np.int32)

    def raw_band(frame: int, channel: int, y0: int, y1: int) -> np.ndarray:
        cells = label_band(frame, 0, y0, y1)
        return np.where(cells > 0, 150 + cells % 100, 20).astype(np.uint8)

    values = {(t, 0): np.arange(count + 1, dtype=np.int32) for t in range(frames)}
    return ProjectBands(
        frames=frames,
        height=size,
        width=size,
        channels=1,
        features=1,
        dtype=np.dtype(np.uint8),
        raw_band=raw_band,
        label_band=label_band,
        values=values,
        cells=None,
        divisions=[],
    )


def data_bytes(size: int) -> int:
    """Raw (uint8) and int32 labels of the project."""
    return FRAMES * size * size * (1 + 4)


# ---------------------------------------------------------------- the steps (child processes)


def _app(data_dir: Path):
    from sqlalchemy import select

    from .common import make_app

    app = make_app(data_dir, SETTINGS)
    # The test clients send this process's admin token: register it beside the first process's.
    from accounts import ADMIN_TOKEN
    from deepcell_label.services.access.accounts import create_token, digest
    from deepcell_label.store.models import ApiToken, User, db

    with app.app_context():
        if (
            db.session.scalar(select(ApiToken.id).where(ApiToken.token_hash == digest(ADMIN_TOKEN)))
            is None
        ):
            admin = db.session.scalar(select(User.id).where(User.admin.is_(True)))
            create_token(admin, "ADMIN_TOKEN", secret=ADMIN_TOKEN)
    return app


def _step_write_ctc(path: str, size: int) -> dict:
    from deepcell_label.formats import write_ctc_bands

    bands = synthetic_bands(size)
    baseline = peak_rss()
    with open(path, "wb") as fileobj:
        write_ctc_bands(bands, fileobj)
    return {"baseline": baseline, "bytes": Path(path).stat().st_size}


def _step_import(data_dir: str, body: str, content_type: str) -> dict:
    from .common import Upload

    app = _app(Path(data_dir))
    client = app.test_client()
    baseline = peak_rss()
    project = Upload(Path(body), content_type).send(client)
    return {"baseline": baseline, "project": project["id"]}


def _step_export(data_dir: str, project_id: str, kind: str) -> dict:
    app = _app(Path(data_dir))
    client = app.test_client()
    baseline = peak_rss()
    job = client.post(f"/api/projects/{project_id}/exports", json={"format": kind}).get_json()
    job = finished_job(client, job)
    from deepcell_label.services.export_jobs import file_key
    from deepcell_label.store.storage import storage

    with app.app_context():
        path = storage().local_path(file_key(job["id"], job["result"]["file"]))
    return {"baseline": baseline, "bytes": job["result"]["bytes"], "path": str(path)}


def _step_old_npz(data_dir: str, project_id: str, path: str) -> dict:
    """The whole-array npz export as the server made it before: every plane read into one
    array, renumbered whole, numpy.savez_compressed."""
    from deepcell_label.formats import normalize_labels
    from deepcell_label.services.exporting import project_data
    from deepcell_label.store.models import Project, db

    app = _app(Path(data_dir))
    with app.app_context():
        project = db.session.get(Project, project_id)
        baseline = peak_rss()
        data = project_data(project)
        labels, _ = normalize_labels(data.labels, data.cells)
        with open(path, "wb") as fileobj:
            np.savez_compressed(fileobj, X=data.raw, y=labels)
    return {"baseline": baseline, "bytes": Path(path).stat().st_size}


def _step_embed(cells: int, max_fit: int) -> dict:
    from deepcell_label.learning import embedding

    # numba compiles UMAP's and its neighbour search's functions (fit and placing) first.
    embedding.embed(_features(6000), 0, max_fit=5000)
    features = _features(cells)
    reset_peak_rss()  # making the features had a peak of its own
    baseline = current_rss()
    began = time.perf_counter()
    layout = embedding.embed(features, 0, max_fit=max_fit)
    seconds = time.perf_counter() - began
    placed = int(np.isfinite(layout).all(axis=1).sum())
    return {"baseline": baseline, "seconds": seconds, "placed": placed}


def _features(cells: int) -> np.ndarray:
    """Normalised made-up features of `cells` cells of 8 types (40 columns)."""
    rng = np.random.default_rng(11)
    types = rng.integers(0, 8, cells)
    centres = rng.normal(0, 3, (8, 40))
    return (centres[types] + rng.normal(0, 1, (cells, 40))).astype(np.float32)


STEPS = {
    "write_ctc": _step_write_ctc,
    "import": _step_import,
    "export": _step_export,
    "old_npz": _step_old_npz,
    "embed": _step_embed,
}


def _child(name: str, arguments: list) -> None:
    began = time.perf_counter()
    result = STEPS[name](*arguments)
    result["seconds_total"] = time.perf_counter() - began
    result["peak"] = peak_rss()
    print("RESULT " + json.dumps(result), flush=True)


def _run_step(name: str, *arguments) -> dict:
    """Run a step in a new process; its result with `over` (peak - baseline, bytes)."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": f"{root / 'backend'}{os.pathsep}{root}"}
    command = [sys.executable, "-m", "bench.memory", name, json.dumps(arguments)]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise RuntimeError(f"step {name} failed:\n{done.stderr[-3000:]}")
    result = json.loads(lines[-1][len("RESULT ") :])
    result["over"] = result["peak"] - result["baseline"]
    shown = {key: value for key, value in result.items() if key != "path"}
    print(f"  {name} {arguments[-1]}: {shown}", file=sys.stderr, flush=True)
    return result


# ---------------------------------------------------------------- the run


def _project_steps(folder: Path, size: int, with_old: bool) -> dict:
    """Write the CTC zip, import it, export it (npz, CTC, OME-Zarr), import the OME-Zarr."""
    data_dir = folder / f"data-{size}"
    steps: dict[str, dict] = {}
    ctc_zip = folder / f"cells-{size}.ctc.zip"
    steps["write CTC zip (formats, synthetic bands)"] = _run_step("write_ctc", str(ctc_zip), size)
    upload = prepare_upload(folder, f"ctc-{size}", ctc_zip, None, "")
    imported = _run_step("import", str(data_dir), str(upload.body), upload.content_type)
    upload.body.unlink()
    steps["import CTC zip"] = imported
    project = imported["project"]
    for kind in ("npz", "ctc", "ome-zarr"):
        steps[f"export {kind}"] = _run_step("export", str(data_dir), project, kind)
    if with_old:
        old = folder / f"old-{size}.npz"
        steps["export npz, whole arrays (before)"] = _run_step(
            "old_npz", str(data_dir), project, str(old)
        )
        old.unlink()
    zarr_zip = Path(steps["export ome-zarr"]["path"])
    upload = prepare_upload(folder, f"zarr-{size}", zarr_zip, None, "")
    steps["import OME-Zarr zip"] = _run_step(
        "import", str(data_dir), str(upload.body), upload.content_type
    )
    upload.body.unlink()
    return steps


def run() -> str:
    """Both parts; BENCH_MEMORY_PARTS=projects or =embedding runs one of them."""
    parts = os.environ.get("BENCH_MEMORY_PARTS", "projects,embedding").split(",")
    lines = []
    if "projects" in parts:
        small = max(SIZE // 8, 512)
        with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder:
            folder = Path(folder)
            large = _project_steps(folder, SIZE, with_old=False)
            baseline = _project_steps(folder, small, with_old=True)
        write_results(
            "memory",
            {"size": SIZE, "frames": FRAMES, "large": large, "small": small, "baseline": baseline},
        )
        lines.append(_projects_report(large, baseline, small))
    if "embedding" in parts:
        embedded = {
            "sampled": _run_step("embed", EMBED_CELLS, FIT_CELLS),
            **{f"all {n}": _run_step("embed", n, n) for n in ALL_CELLS},
        }
        write_results("memory-embedding", {"cells": EMBED_CELLS, "embedding": embedded})
        lines.append(_embedding_report(embedded))
    return "\n".join(lines)


def _rows(steps: dict, size: int) -> list:
    data = data_bytes(size)
    return [
        (
            f"{name} ({size}² × {FRAMES})",
            round(mib(step["baseline"])),
            round(mib(step["peak"])),
            round(mib(step["over"])),
            f"{step['over'] / data:.3f}",
            f"{step['seconds_total']:.0f}",
        )
        for name, step in steps.items()
    ]


def _projects_report(large: dict, baseline: dict, small: int) -> str:
    header = ("step", "baseline MiB", "peak MiB", "over MiB", "over / data", "s")
    lines = [
        table(
            f"Peak memory (ru_maxrss) of each step in its own process; data = raw uint8 + int32 "
            f"labels = {mib(data_bytes(SIZE)):,.0f} MiB at {SIZE}², "
            f"{mib(data_bytes(small)):,.0f} MiB at {small}²",
            header,
            _rows(large, SIZE) + _rows(baseline, small),
        )
    ]
    streamed = baseline["export npz"]["over"]
    whole = baseline["export npz, whole arrays (before)"]["over"]
    lines.append(
        f"npz export at {small}²: streamed {mib(streamed):.0f} MiB over the baseline, whole "
        f"arrays {mib(whole):.0f} MiB ({whole / max(streamed, 1):.1f}×)\n"
    )
    goals = [
        Goal(
            f"{name} of {SIZE}² × {FRAMES}: ≤ 1 GiB over the baseline",
            f"{mib(step['over']):,.0f} MiB",
            step["over"] <= GOAL_BYTES,
        )
        for name, step in large.items()
        if name.startswith(("import", "export"))
    ]
    lines.append(goals_table("Goals", goals))
    return "\n".join(lines)


def _embedding_report(embedded: dict) -> str:
    lines = []
    sampled = embedded["sampled"]
    high = ALL_CELLS[-1] if ALL_CELLS else None
    extrapolated = embedded[f"all {high}"]["seconds"] * EMBED_CELLS / high if high else None
    lines.append(
        table(
            "Embedding (UMAP, 40 features; numba compiled before the baseline)",
            ("cells", "fitted on", "s", "over MiB", "cells placed"),
            [
                (
                    f"{EMBED_CELLS:,}",
                    f"{FIT_CELLS:,} drawn",
                    f"{sampled['seconds']:.0f}",
                    round(mib(sampled["over"])),
                    f"{sampled['placed']:,}",
                ),
                *[
                    (
                        f"{n:,}",
                        "all",
                        f"{embedded[f'all {n}']['seconds']:.0f}",
                        round(mib(embedded[f"all {n}"]["over"])),
                        f"{embedded[f'all {n}']['placed']:,}",
                    )
                    for n in ALL_CELLS
                ],
                *(
                    [
                        (
                            f"{EMBED_CELLS:,}",
                            "all (linear extrapolation)",
                            f"≥ {extrapolated:.0f}",
                            "",
                            "",
                        )
                    ]
                    if extrapolated
                    else []
                ),
            ],
        )
    )
    goal = Goal(
        f"embed {EMBED_CELLS:,} cells: every cell placed, fit on ≤ {FIT_CELLS:,}",
        f"{sampled['placed']:,} placed in {sampled['seconds']:.0f} s, "
        f"{mib(sampled['over']):,.0f} MiB over the baseline",
        sampled["placed"] == EMBED_CELLS,
    )
    lines.append(goals_table("Goals", [goal]))
    return "\n".join(lines)


if __name__ == "__main__":
    _child(sys.argv[1], json.loads(sys.argv[2]))
