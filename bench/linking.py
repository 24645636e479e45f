"""Linking a timelapse and propagating ids, beside the same work done on arrays in memory.

Link: a generated movie (bench/movies.py: wandering discs, divisions, ids shuffled in every
frame) of FRAMES frames × CELLS cells of SIZE² pixels is uploaded, then linked with POST /link;
timed is the job from its start to its end as the job record says (measuring every frame from
the label tiles, linking, and relabelling as one edit), then the undo of that linking (about
FRAMES × CELLS values), by the Server-Timing of its request. Runs alternate link and undo.
Baselines in the same run, with the movie held in memory: the linking by the same code the job
runs (bench/tracking.py link_in_memory: measure, link, no store), and for the undo the pure
relabelling, every frame's values given their earlier cells by a lookup table (numpy).

Propagate: a 2-frame project of PAIR_SIZE² (one cell per 400 px², the second frame's ids
shuffled), timed by the Server-Timing of the edit request; each propagate is undone before the
next. Baseline: the same matching on the two frames held in memory (overlaps, the optimal
assignment) and the relabelling of the second frame by a lookup table.

Tracking measures: the Cell Tracking Challenge's TRA, LNK and division figures
(bench/tracking.py) of the linked movie above, of small generated movies whose daughters move
apart, shrink or touch, of crowded movies (320 touching cells on 512², drifting; and drifting
faster), all linked in memory by the same code the job runs, and of the shared real files:
oneDivision.zip (a DeepCell Label project with a division) and StarDist's 3-D nuclei (slices
linked as a stack), their ids shuffled in every frame.

Jobs run on threads of this process (bench/common.py JobsHere), so the figures need no Celery
worker. Sizes and runs are fixed and every timed loop has a budget, so a run ends in a few
minutes.
"""

from __future__ import annotations

import io
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import tifffile
from deepcell_label.labels import linking

from . import tracking
from .common import (
    QUICK,
    Goal,
    cell_layout,
    goals_table,
    make_app,
    render_labels,
    summary,
    table,
    time_calls,
    wait_until_ready,
    write_results,
)
from .movies import crowded_movie, division_movie, moving_cells, score, shuffled
from .tracking import link_in_memory

TESTDATA = Path(__file__).resolve().parent.parent.parent / "shared" / "testdata"

FRAMES, SIZE, CELLS = (20, 512, 120) if QUICK else (100, 1024, 500)
PAIR_SIZE = 512 if QUICK else 2048
LINK_RUNS = 2
PROPAGATE_RUNS = 5 if QUICK else 15
PROPAGATE_BUDGET = 60.0  # seconds of propagate runs at most (at least 3 runs)


def _upload(client, labels: np.ndarray) -> str:
    raw, mask = io.BytesIO(), io.BytesIO()
    tifffile.imwrite(raw, np.zeros(labels.shape, np.uint8), photometric="minisblack")
    tifffile.imwrite(mask, labels, photometric="minisblack", compression="zlib")
    response = client.post(
        "/api/projects",
        data={
            "images": (io.BytesIO(raw.getvalue()), "movie.tif"),
            "labels": (io.BytesIO(mask.getvalue()), "labels.tif"),
            "axes": "TYX",
            "labels_axes": "TYX",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code in (201, 202), response.get_json()
    return wait_until_ready(client, response.get_json())["id"]


def _job(client, job: dict) -> dict:
    assert "state" in job, job
    while job["state"] not in ("done", "failed", "cancelled"):
        time.sleep(0.05)
        job = client.get(f"/api/jobs/{job['id']}").get_json()
    assert job["state"] == "done", job
    return job


def _seconds(job: dict) -> float:
    started, finished = (
        datetime.fromisoformat(job[name].removesuffix("Z")) for name in ("started", "finished")
    )
    return (finished - started).total_seconds()


def _server_seconds(response) -> float:
    return float(response.headers["Server-Timing"].split("dur=")[1]) / 1000


def propagate_in_memory(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The propagate edit on two frames held in memory, each value one cell: overlaps, the
    optimal assignment, and the second frame relabelled by a lookup table."""
    values_a, area_a = np.unique(first[first > 0], return_counts=True)
    values_b, area_b = np.unique(second[second > 0], return_counts=True)
    measure = linking.OverlapMeasure(values_a, values_b)
    measure.add(first, second)
    rows, columns = linking.match(measure.matrix, area_a.astype(float), area_b.astype(float))
    lookup = np.arange(int(values_b.max()) + 1, dtype=second.dtype)
    top = max(int(values_a.max()), int(values_b.max())) + 1
    unmatched = np.setdiff1d(np.arange(values_b.size), columns)
    lookup[values_b[columns]] = values_a[rows]
    lookup[values_b[unmatched]] = np.arange(top, top + unmatched.size)
    return lookup[second]


def relabel_in_memory(labels: np.ndarray, cells_after: list[dict[int, int]]) -> np.ndarray:
    """Every frame's values given other cells by a lookup table per frame (the pure relabelling
    that undoing a linking amounts to, on arrays)."""
    out = np.empty_like(labels)
    for t, mapping in enumerate(cells_after):
        lookup = np.zeros(int(labels[t].max()) + 1, labels.dtype)
        keys = np.fromiter(mapping.keys(), np.int64, len(mapping))
        lookup[keys] = np.fromiter(mapping.values(), np.int64, len(mapping))
        out[t] = lookup[labels[t]]
    return out


def _link(client) -> dict:
    movie = moving_cells(
        frames=FRAMES,
        size=SIZE,
        cells=CELLS,
        divisions=max(CELLS // 20, 10),
        appearing=10,
        leaving=10,
        missing=10,
        seed=11,
    )
    project = _upload(client, movie.labels)
    linked, undone, results = [], [], []
    found = None
    for run in range(LINK_RUNS):
        response = client.post(f"/api/projects/{project}/link", json={})
        assert response.status_code == 202, response.get_json()
        job = _job(client, response.get_json())
        linked.append(_seconds(job))
        results.append(job["result"])
        if run == LINK_RUNS - 1:  # the last linking, checked against the truth
            cells_after: list[dict[int, int]] = [{} for _ in range(FRAMES)]
            for entry in client.get(f"/api/projects/{project}").get_json()["cells"]:
                cells_after[entry["t"]][entry["value"]] = entry["cell"]
            proposed = job["result"]["proposed_divisions"]
            found = score(movie.truth, cells_after, movie.divisions, proposed)
            measures = tracking.measure(movie.truth, cells_after, movie.divisions, proposed)
        answer = client.post(f"/api/projects/{project}/undo", json={})
        assert answer.status_code == 200, answer.get_json()
        undone.append(_server_seconds(answer))

    return {
        "frames": FRAMES,
        "size": SIZE,
        "cells": CELLS,
        "link": summary(linked),
        "undo": summary(undone),
        "baseline": summary(time_calls(lambda _: link_in_memory(movie), LINK_RUNS)),
        "undo_baseline": summary(
            time_calls(lambda _: relabel_in_memory(movie.labels, cells_after), LINK_RUNS)
        ),
        "values_changed": results[-1]["values_changed"],
        "link_accuracy": found.link_accuracy,
        "false_links": found.false_links,
        "division_recall": found.division_recall,
        "divisions": found.divisions,
        "false_divisions": found.false_divisions,
        "score": vars(found),
        "tracking": vars(measures),
    }


def _propagate(client) -> dict:
    layout = cell_layout(PAIR_SIZE, PAIR_SIZE)
    first = render_labels(layout, PAIR_SIZE, PAIR_SIZE)
    moved = render_labels(layout.at(1), PAIR_SIZE, PAIR_SIZE)
    ids = np.unique(moved)[1:]
    lookup = np.zeros(int(ids.max()) + 1, np.int32)
    lookup[ids] = np.random.default_rng(2).permutation(ids)
    second = lookup[moved]
    project = _upload(client, np.stack([first, second]))
    edit = {"action": "propagate", "args": {"from_frame": 0, "to_frame": 1}, "frame": 1}
    server = []

    def once(_):
        response = client.post(f"/api/projects/{project}/edits", json=edit)
        assert response.status_code == 200, response.get_json()
        server.append(_server_seconds(response))
        assert client.post(f"/api/projects/{project}/undo", json={}).status_code == 200

    once(0)  # warm up
    server.clear()
    time_calls(once, PROPAGATE_RUNS, budget=PROPAGATE_BUDGET)
    return {
        "size": PAIR_SIZE,
        "cells": int(ids.size),
        "server": summary(server),
        "baseline": summary(
            time_calls(lambda _: propagate_in_memory(first, second), 7, budget=20.0)
        ),
    }


def _shared_movies() -> list[tuple[str, object, dict]]:
    """The shared real files that hold a movie or stack: (name, shuffled movie, link options)."""
    from deepcell_label.formats import read_images

    found = []
    zipped = TESTDATA / "deepcell-label-zips" / "oneDivision.zip"
    if zipped.exists():
        data = read_images(zipped)
        movie = shuffled(data.labels[..., 0], data.divisions, seed=1)
        found.append(("oneDivision.zip (2 frames, 1 division)", movie, {}))
    stack = TESTDATA / "stardist" / "mask3d.tif"
    if stack.exists():
        movie = shuffled(tifffile.imread(stack).astype(np.int32), seed=1)
        found.append(("StarDist mask3d.tif (31 slices)", movie, {"divisions": False, "max_gap": 0}))
    return found


def _tracking() -> list[dict]:
    """The CTC measures of in-memory linkings: generated movies (4 seeds each) and real files."""
    cases = [
        (f"generated, daughters {kind} (4 movies)", division_movie(kind, seed, step=3.0), {})
        for kind in ("apart", "shrink", "touch")
        for seed in range(4)
    ]
    cases += [
        (
            f"crowded: 320 touching cells, {drift} (2 movies)",
            crowded_movie(seed=seed, step=step),
            {},
        )
        for drift, step in (("drifting 1.5 px a frame", 1.5), ("drifting 4 px a frame", 4.0))
        for seed in range(2)
    ]
    cases += _shared_movies()
    rows: dict[str, dict] = {}
    for name, movie, options in cases:
        linked, cells_after = link_in_memory(movie, **options)
        found = score(movie.truth, cells_after, movie.divisions, linked.divisions)
        measures = tracking.measure(movie.truth, cells_after, movie.divisions, linked.divisions)
        row = rows.setdefault(name, {"name": name, "runs": []})
        row["runs"].append({"score": vars(found), "tracking": vars(measures)})
    for row in rows.values():
        runs = row["runs"]
        totals = {k: sum(r["score"][k] for r in runs) for k in runs[0]["score"]}
        row["score"] = totals
        row["tracking"] = {
            k: float(np.mean([r["tracking"][k] for r in runs])) for k in runs[0]["tracking"]
        }
    return list(rows.values())


def run() -> str:
    results = {"tracking": _tracking()}
    # Each part on an app and database of its own.
    for name, part in (("link", _link), ("propagate", _propagate)):
        with tempfile.TemporaryDirectory(prefix="bench-linking-") as folder:
            app = make_app(Path(folder))
            app.config["CREATE_WAIT_SECONDS"] = 0.0
            results[name] = part(app.test_client())
    link, propagate = results["link"], results["propagate"]
    link_ms, link_base = link["link"]["median_ms"], link["baseline"]["median_ms"]
    prop_ms, prop_base = propagate["server"]["median_ms"], propagate["baseline"]["median_ms"]
    undo_base = link["undo_baseline"]["median_ms"]
    report = [
        table(
            f"Link a movie: {FRAMES} frames × {CELLS} cells of {SIZE}², ids shuffled per frame "
            "(median over n)",
            ("what", "median ms", "p95 ms", "n", "× its baseline"),
            [
                _row("link job (measure tiles, link, relabel, commit)", link["link"], link_base),
                _row("  baseline: the same linking of the movie in memory", link["baseline"]),
                _row(
                    f"undo of the linking ({link['values_changed']:,} values), Server-Timing",
                    link["undo"],
                    undo_base,
                ),
                _row(
                    "  baseline: the pure relabelling of the movie's arrays", link["undo_baseline"]
                ),
            ],
        ),
        table(
            "Linking against the truth",
            ("true links right", "false links", "divisions proposed", "false proposals"),
            [
                (
                    f"{link['link_accuracy']:.2%}",
                    link["false_links"],
                    f"{link['division_recall']:.0%} of {link['divisions']}",
                    link["false_divisions"],
                )
            ],
        ),
        _tracking_table(results["tracking"], link),
        table(
            f"Propagate one {PAIR_SIZE}² frame pair ({propagate['cells']:,} cells; median over n)",
            ("what", "median ms", "p95 ms", "n", "× its baseline"),
            [
                _row("propagate edit, Server-Timing", propagate["server"], prop_base),
                _row(
                    "  baseline: the same matching and relabelling in memory", propagate["baseline"]
                ),
            ],
        ),
        goals_table(
            "Linking goals",
            [
                Goal(
                    f"link {FRAMES} frames × {CELLS} cells of {SIZE}² ≤ 20 s",
                    f"{link_ms / 1000:.1f} s",
                    link_ms <= 20_000,
                ),
                Goal(
                    f"propagate one {PAIR_SIZE}² frame pair ≤ 150 ms server time",
                    f"{prop_ms:.0f} ms",
                    prop_ms <= 150,
                ),
                Goal(
                    f"undo the linking ({link['values_changed']:,} values) ≤ 2 s",
                    f"{link['undo']['median_ms'] / 1000:.2f} s",
                    link["undo"]["median_ms"] <= 2000,
                ),
                Goal(
                    "every timelapse: ≥ 99 % true links, ≤ 1 % false links, ≥ 80 % divisions",
                    _worst(results["tracking"], link),
                    _all_good(results["tracking"], link),
                ),
            ],
        ),
    ]
    write_results(
        "linking", {"link": link, "propagate": propagate, "tracking": results["tracking"]}
    )
    return "\n\n".join(report)


def _row(what: str, figures: dict, baseline: float | None = None) -> tuple:
    """A timing row: median, p95, runs, and the median over its baseline's (1 for a baseline)."""
    ratio = 1.0 if baseline is None else round(figures["median_ms"] / baseline, 1)
    return (
        what,
        round(figures["median_ms"], 1),
        round(figures["p95_ms"], 1),
        figures["n"],
        ratio,
    )


def _timelapses(rows: list[dict], link: dict) -> list[tuple[str, dict, dict]]:
    """The movies of :func:`_movie_scores` that are timelapses (the goals of linking a movie;
    a z-stack's slices are linked without divisions, and nuclei stacked in z overlap)."""
    return [row for row in _movie_scores(rows, link) if "slices" not in row[0]]


def _movie_scores(rows: list[dict], link: dict) -> list[tuple[str, dict, dict]]:
    """(name, score totals, tracking measures) of every movie measured, the big one first."""
    name = f"generated, {FRAMES} frames × {CELLS} cells (link job)"
    return [(name, link["score"], link["tracking"])] + [
        (r["name"], r["score"], r["tracking"]) for r in rows
    ]


def _good(found: dict) -> bool:
    return (
        found["right_links"] >= 0.99 * found["true_links"]
        and found["false_links"] <= 0.01 * found["true_links"]
        and found["found_divisions"] >= 0.8 * found["divisions"]
    )


def _all_good(rows: list[dict], link: dict) -> bool:
    return all(_good(found) for _, found, _ in _timelapses(rows, link))


def _worst(rows: list[dict], link: dict) -> str:
    failing = [name for name, found, _ in _timelapses(rows, link) if not _good(found)]
    return "all" if not failing else "not: " + "; ".join(failing)


def _tracking_table(rows: list[dict], link: dict) -> str:
    lines = []
    for name, found, measures in _movie_scores(rows, link):
        true = max(found["true_links"], 1)
        divisions = found["divisions"]
        lines.append(
            (
                name,
                f"{found['right_links'] / true:.2%}",
                f"{found['false_links'] / true:.2%}",
                f"{found['found_divisions']}/{divisions}" if divisions else "-",
                found["false_divisions"],
                f"{measures['tra']:.4f}",
                f"{measures['lnk']:.4f}",
                f"{measures['division_f1']:.3f}" if divisions else "-",
                f"{measures['branching_correctness']:.3f}" if divisions else "-",
            )
        )
    return table(
        "Cell Tracking Challenge measures (TRA, LNK; division F1 = BC(0); MBC: mitotic "
        "branching correctness)",
        (
            "movie",
            "true links",
            "false links",
            "divisions",
            "false div.",
            "TRA",
            "LNK",
            "div. F1",
            "MBC",
        ),
        lines,
    )
