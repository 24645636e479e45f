"""Segmentation: speed and memory of the `auto` and `learned` methods on a 2048² frame, the
same through the segment job, and their quality on the labelled images of shared/testdata
beside the classical baseline.

The 2048² frame is StarDist's 512² nuclei image tiled 4 × 4 (real texture, 2,000 nuclei);
`learned` trains on its top quarter (every cell reaching into it drawn). Direct: the
segmenter called on the array. Peak memory: each method once in a fresh process (its highest
resident size, VmHWM, interpreter and libraries included). Through the job: POST /segment on a
project of the same frame, timed from the job's creation to its end as the job record says
(what the person waits for: reading the frame from storage, segmenting, adding the cells as one
edit; not the client's polling interval); each job is undone before the next. Jobs run on
threads of this process (bench/common.py JobsHere), waited for without polling (polls from
this process would take turns of its interpreter from the job, which a worker process does
not give to the browser's polls): what a queue adds is `bench jobs`' figure.
Direct calls and jobs alternate, so that both meet the same load of the machine, and each
run has its own seed: `learned` trains afresh in both (a segmenter keeps the forest it trained
last, for the frames of one stack). Beside the times, the CPU seconds of this process in a job
(its POST to its end) over those of the direct call: how much
more work the job does, a figure the machine's other work does not sway.

Quality: F1 of the cells matched one to one at IoU ≥ 0.5 (labels/matching.py). Baseline in
the same run: Otsu's threshold and distance-transform watershed (the textbook pipeline, with
the same cell diameter). `learned` is scored on the cells that were not drawn for it.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import tifffile
from scipy import ndimage as ndi
from skimage import feature, filters, segmentation
from skimage import io as skio

from .common import (
    QUICK,
    Goal,
    create_from_arrays,
    goals_table,
    make_app,
    mib,
    summary,
    table,
    time_calls,
    write_results,
)

TESTDATA = Path(__file__).resolve().parents[2] / "shared" / "testdata"
REPEAT = 2 if QUICK else 4  # the 512² image tiled REPEAT × REPEAT
# Runs of each method (direct and through the job); `auto` is quick, and its job's figure the
# one most swayed by the machine's other work.
RUNS = {"auto": 2, "learned": 2} if QUICK else {"auto": 5, "learned": 3}


def _drawn(truth: np.ndarray, rows: int) -> np.ndarray:
    """Every cell of `truth` that reaches into its first `rows` rows, drawn whole."""
    top = np.setdiff1d(np.unique(truth[:rows]), [0])
    return np.where(np.isin(truth, top), truth, 0)


def large_frame() -> tuple[np.ndarray, np.ndarray]:
    image = tifffile.imread(TESTDATA / "stardist/img2d.tif")
    truth = tifffile.imread(TESTDATA / "stardist/mask2d.tif").astype(np.int32)
    step = int(truth.max()) + 1
    rows = []
    for i in range(REPEAT):
        rows.append(
            [np.where(truth > 0, truth + step * (i * REPEAT + j), 0) for j in range(REPEAT)]
        )
    return np.tile(image, (REPEAT, REPEAT)), np.block(rows).astype(np.int32)


def _request(method: str, truth: np.ndarray, seed: int = 0):
    from deepcell_label.segmentation import Request

    if method == "auto":
        return Request(diameter=24.0, seed=seed)
    rows = truth.shape[0] // 4
    return Request(labels=_drawn(truth, rows), box=(0, 0, truth.shape[1], rows), seed=seed)


def _timed_direct(
    method: str, image: np.ndarray, truth: np.ndarray, seed: int
) -> tuple[float, float]:
    """Seconds of one direct call, and the CPU seconds this process spent meanwhile."""
    from deepcell_label.segmentation import segmenter

    chosen = segmenter(method)
    if method == "learned":
        chosen = type(chosen)()  # trained afresh: training is part of the figure
    request = _request(method, truth, seed)
    cpu, began = time.process_time(), time.perf_counter()
    chosen.segment(image, request)
    return time.perf_counter() - began, time.process_time() - cpu


def _peak_in_child(method: str) -> int:
    """Run in a fresh process: the method once; its peak resident size in bytes.

    A spawned process starts from a fork, whose recorded peak (getrusage, VmHWM) is its
    parent's; writing 5 to clear_refs resets it to this process's own."""
    Path("/proc/self/clear_refs").write_text("5")
    image, truth = large_frame()
    _timed_direct(method, image, truth, 0)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _peak(method: str) -> int:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_peak_in_child, method).result()


def _job_seconds(job: dict) -> float:
    from datetime import datetime

    created, finished = (
        datetime.fromisoformat(job[name].removesuffix("Z")) for name in ("created", "finished")
    )
    return (finished - created).total_seconds()


def _direct_and_job(image: np.ndarray, truth: np.ndarray) -> tuple[dict, dict, dict]:
    """Seconds of each method called directly and through the job, runs alternating; and the
    CPU seconds of this process in each (a job's: from its POST to its end), a measure that
    other work on the machine leaves alone."""
    with tempfile.TemporaryDirectory(prefix="bench-segmentation-") as folder:
        app = make_app(Path(folder))
        client = app.test_client()
        rows = truth.shape[0] // 4
        project = create_from_arrays(client, image, _drawn(truth, rows))
        bodies = {
            "auto": {"method": "auto", "diameter": 24},
            "learned": {"method": "learned", "box": [0, 0, truth.shape[1], rows]},
        }
        direct: dict[str, list[float]] = {"auto": [], "learned": []}
        through_job: dict[str, list[float]] = {"auto": [], "learned": []}
        cpu: dict[str, list[float]] = {"auto": [], "learned": []}
        for run in range(max(RUNS.values())):
            for method, body in bodies.items():
                if run >= RUNS[method]:
                    continue
                seed = run + 1
                seconds, direct_cpu = _timed_direct(method, image, truth, seed)
                direct[method].append(seconds)
                began = time.process_time()
                job = client.post(
                    f"/api/projects/{project}/segment", json={**body, "seed": seed}
                ).get_json()
                app.extensions["deepcell_jobs"].wait(job["id"])
                job = client.get(f"/api/jobs/{job['id']}").get_json()
                cpu[method].append((time.process_time() - began) / direct_cpu)
                assert job["state"] == "done", job
                through_job[method].append(_job_seconds(job))
                assert client.post(f"/api/projects/{project}/undo", json={}).status_code == 200
        return (
            {method: summary(values) for method, values in direct.items()},
            {method: summary(values) for method, values in through_job.items()},
            {method: float(np.median(values)) for method, values in cpu.items()},
        )


# ---------------------------------------------------------------- quality


def otsu_watershed(image: np.ndarray, diameter: float) -> np.ndarray:
    """The textbook baseline: smooth, Otsu's threshold, distance-transform watershed."""
    smooth = filters.gaussian(np.asarray(image, np.float64), 1)
    foreground = smooth > filters.threshold_otsu(smooth)
    distance = ndi.distance_transform_edt(foreground)
    objects, _ = ndi.label(foreground)
    peaks = feature.peak_local_max(
        distance, min_distance=max(1, int(diameter / 4)), labels=objects, exclude_border=False
    )
    markers = np.zeros(image.shape, np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    return segmentation.watershed(-distance, markers, mask=foreground)


def _scores(image: np.ndarray, truth: np.ndarray, example=None, drawn=None, box=None) -> dict:
    """F1 of baseline, auto and learned on one frame."""
    from deepcell_label.labels.matching import match_cells
    from deepcell_label.segmentation import Request, diameter_of_cells, segmenter

    if not truth.any():
        return {}
    diameter = diameter_of_cells(truth if drawn is None else drawn)
    found = {
        "baseline": match_cells(truth, otsu_watershed(image, diameter)).f1,
        "auto": match_cells(truth, segmenter("auto").segment(image, Request(diameter)).labels).f1,
    }
    if drawn is not None:
        request = Request(labels=drawn, box=box, example=example)
        proposal = segmenter("learned").segment(image, request).labels
        if example is None:  # the same frame: score the cells that were not drawn
            proposal = np.where(np.isin(proposal, np.unique(proposal[drawn > 0])), 0, proposal)
            truth = np.where(drawn > 0, 0, truth)
        found["learned"] = match_cells(truth, proposal).f1
    return found


def quality() -> list[dict]:
    rows = []
    image = tifffile.imread(TESTDATA / "stardist/img2d.tif")
    truth = tifffile.imread(TESTDATA / "stardist/mask2d.tif").astype(np.int32)
    quarter = truth.shape[0] // 4
    drawn = _drawn(truth, quarter)
    found = _scores(image, truth, drawn=drawn, box=(0, 0, truth.shape[1], quarter))
    rows.append({"image": "StarDist nuclei 2-D (512², 125 cells)", **found})

    stack = tifffile.imread(TESTDATA / "stardist/img3d.tif")
    labels = tifffile.imread(TESTDATA / "stardist/mask3d.tif").astype(np.int32)
    middle = stack.shape[0] // 2
    box = (0, 0, stack.shape[2], stack.shape[1])
    per_frame = [
        _scores(stack[t], labels[t], stack[middle], labels[middle], box)
        for t in range(stack.shape[0])
        if t != middle and labels[t].any()
    ]
    mean = {key: float(np.mean([f[key] for f in per_frame])) for key in per_frame[0]}
    rows.append({"image": "StarDist synthetic 3-D, per z (learned from the middle z)", **mean})

    fitc = TESTDATA / "intro-to-deepcell/img_000000000_FITC_001.png"
    seg = TESTDATA / "intro-to-deepcell/watershedseg.tif"
    if fitc.exists() and seg.exists():
        hela = skio.imread(fitc)
        truth = tifffile.imread(seg).astype(np.int32)
        quarter = truth.shape[0] // 4
        drawn = _drawn(truth, quarter)
        found = _scores(hela, truth, drawn=drawn, box=(0, 0, truth.shape[1], quarter))
        rows.append({"image": "HeLa nuclei, FITC (1080×1280; labels: a watershed)", **found})
    return rows


def run() -> str:
    image, truth = large_frame()
    size = image.shape[0]
    direct, job, cpu_ratio = _direct_and_job(image, truth)
    # The textbook pipeline on the same frame: how fast this machine is in this run.
    baseline = summary(time_calls(lambda _: otsu_watershed(image, 24.0), RUNS["auto"]))
    peaks = {method: _peak(method) for method in ("auto", "learned")}
    found = quality()
    write_results(
        "segmentation",
        {
            "size": size,
            "direct": direct,
            "baseline": baseline,
            "job": job,
            "job_cpu_over_direct": cpu_ratio,
            "peak_bytes": peaks,
            "quality": found,
        },
    )
    ratio = {m: job[m]["median_ms"] / direct[m]["median_ms"] for m in direct}
    speed = table(
        f"Segment one {size}² frame ({int(truth.max() and len(np.unique(truth)) - 1):,} nuclei; "
        "median over n)",
        (
            "method",
            "direct ms",
            "× baseline",
            "job ms",
            "job × direct",
            "job CPU × direct",
            "peak RSS MiB",
            "n",
        ),
        [
            *(
                (
                    m,
                    round(direct[m]["median_ms"]),
                    round(direct[m]["median_ms"] / baseline["median_ms"], 2),
                    round(job[m]["median_ms"]),
                    round(ratio[m], 2),
                    round(cpu_ratio[m], 2),
                    mib(peaks[m]),
                    direct[m]["n"],
                )
                for m in direct
            ),
            (
                "baseline: Otsu + watershed",
                round(baseline["median_ms"]),
                1.0,
                "-",
                "-",
                "-",
                "-",
                baseline["n"],
            ),
        ],
    )
    quality_table = table(
        "Quality: F1 at IoU 0.5 (baseline: Otsu + distance-transform watershed, same run)",
        ("image", "baseline", "auto", "learned"),
        [
            (
                row["image"],
                round(row["baseline"], 3),
                round(row["auto"], 3),
                round(row["learned"], 3) if "learned" in row else "-",
            )
            for row in found
        ],
    )
    stardist = found[0]
    goals = [
        Goal(
            f"auto {size}² ≤ 5 s",
            f"{direct['auto']['median_ms'] / 1000:.2f} s",
            direct["auto"]["median_ms"] <= 5000,
        ),
        Goal(
            f"learned (train + predict) {size}² ≤ 20 s",
            f"{direct['learned']['median_ms'] / 1000:.2f} s",
            direct["learned"]["median_ms"] <= 20000,
        ),
        Goal(
            "peak memory ≤ 2 GB",
            f"{mib(max(peaks.values()))} MiB",
            max(peaks.values()) <= 2 * 10**9,
        ),
        Goal(
            "through the job ≤ 1.2 × direct",
            ", ".join(f"{m} {ratio[m]:.2f}×" for m in ratio),
            all(r <= 1.2 for r in ratio.values()),
        ),
        Goal("auto F1 ≥ 0.85 (StarDist 2-D)", f"{stardist['auto']:.3f}", stardist["auto"] >= 0.85),
        Goal(
            "learned F1 ≥ 0.90 (StarDist 2-D, top quarter drawn)",
            f"{stardist['learned']:.3f}",
            stardist["learned"] >= 0.90,
        ),
    ]
    return "\n".join([speed, quality_table, goals_table("Segmentation goals", goals)])
