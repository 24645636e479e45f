"""Timelapse analysis: per-cell expression statistics and division validation after an edit.

Expression: GET /api/projects/<id>/expression for one frame of a many-channel image with one
cell per 400 px² (the server reads every channel's tiles, then one vectorised pass). Baseline in
the same run: scipy.ndimage's per-label mean and sum over the same arrays already in memory.

Validation: a 100-frame timelapse with 2,000 divisions (each parent present before its division,
its two daughters after). Each remove_daughter / add_daughter edit answers with fresh findings;
timed are the whole edit and the validation alone, beside the baseline of reading every cell's
frames from the database and validating from scratch.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
from scipy import ndimage

from .common import (
    QUICK,
    Goal,
    cell_layout,
    create_from_arrays,
    goals_table,
    make_app,
    render_labels,
    summary,
    table,
    time_calls,
    write_results,
)

EXPRESSION_SIZE, EXPRESSION_CHANNELS = (512, 5) if QUICK else (2048, 20)
FRAMES, DIVISIONS, SIDE = (20, 200, 48) if QUICK else (100, 2000, 128)
RUNS = 5 if QUICK else 30


def _expression(client, folder: Path) -> dict:
    size, channels = EXPRESSION_SIZE, EXPRESSION_CHANNELS
    layout = cell_layout(size, size)
    labels = render_labels(layout, size, size)
    rng = np.random.default_rng(3)
    raw = rng.integers(100, 4000, (channels, size, size), dtype=np.uint16)
    project = create_from_arrays(client, raw, labels, "CYX")
    url = f"/api/projects/{project}/expression?feature=0&frame=0"
    assert client.get(url).status_code == 200  # warm up

    served = summary(time_calls(lambda _: client.get(url), max(3, RUNS // 6)))
    cells = np.unique(labels)[1:]

    def baseline(_):
        for channel in range(channels):
            ndimage.mean(raw[channel], labels, cells)
            ndimage.sum(raw[channel], labels, cells)

    direct = summary(time_calls(baseline, 3))
    return {
        "size": size,
        "channels": channels,
        "cells": int(cells.size),
        "served": served,
        "baseline": direct,
    }


def _lineage_project() -> bytes:
    """A project zip: FRAMES frames of SIDE×SIDE, DIVISIONS lineages in 2×2 blocks."""
    from deepcell_label.formats import ProjectData, write_project_zip

    labels = np.zeros((FRAMES, SIDE, SIDE, 1), np.int32)
    divisions = []
    per_row = SIDE // 2
    for i in range(DIVISIONS):
        y, x = 2 * (i // per_row), 2 * (i % per_row)
        parent, first, second = 3 * i + 1, 3 * i + 2, 3 * i + 3
        t = 1 + i % (FRAMES - 2)
        labels[:t, y : y + 2, x : x + 2, 0] = parent
        labels[t:, y : y + 2, x, 0] = first
        labels[t:, y : y + 2, x + 1, 0] = second
        divisions.append({"parent": parent, "daughters": [first, second], "t": t})
    raw = np.zeros((FRAMES, SIDE, SIDE, 1), np.uint8)
    data = ProjectData(raw, labels, ["channel 0"], ["feature 0"], None, divisions, [], [], [])
    buffer = io.BytesIO()
    write_project_zip(data, buffer)
    return buffer.getvalue()


def _validation(app, client) -> dict:
    from deepcell_label.labels import validate_divisions
    from deepcell_label.services import editing
    from deepcell_label.store.framestate import cell_frames
    from deepcell_label.store.models import Project, db

    response = client.post(
        "/api/projects",
        data={"images": (io.BytesIO(_lineage_project()), "lineage.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    meta = response.get_json()
    assert len(meta["divisions"]) == DIVISIONS and meta["findings"] == []
    project = meta["id"]
    url = f"/api/projects/{project}/edits"

    def toggle(i):
        action = "remove_daughter" if i % 2 == 0 else "add_daughter"
        answer = client.post(url, json={"action": action, "args": {"parent": 1, "daughter": 3}})
        assert answer.status_code == 200, answer.get_json()
        findings = answer.get_json()["findings"]
        assert bool(findings) == (action == "remove_daughter")  # single daughter, then none

    toggle(0), toggle(1)  # warm up
    edits = summary(time_calls(toggle, 2 * RUNS))
    with app.app_context():
        stored = db.session.get(Project, project)
        alone = summary(time_calls(lambda _: editing.validation_findings(stored), 2 * RUNS))

        def from_scratch(_):
            named = {d["parent"] for d in stored.divisions}
            named |= {c for d in stored.divisions for c in d["daughters"]}
            frames = cell_frames(stored, 0, named)
            validate_divisions(stored.divisions, frames)

        baseline = summary(time_calls(from_scratch, 3))
    return {
        "frames": FRAMES,
        "divisions": DIVISIONS,
        "edit": edits,
        "validation": alone,
        "baseline": baseline,
    }


def run() -> str:
    with tempfile.TemporaryDirectory(prefix="bench-lineage-") as temporary:
        app = make_app(Path(temporary) / "data")
        client = app.test_client()
        expression = _expression(client, Path(temporary))
        validation = _validation(app, client)
    served, direct = expression["served"]["median_ms"], expression["baseline"]["median_ms"]
    report = [
        table(
            "Per-cell expression of one frame (GET …/expression), median ms",
            ("image", "cells", "served ms", "scipy.ndimage in memory ms", "ratio"),
            [
                (
                    f"{expression['size']}² × {expression['channels']} ch uint16",
                    expression["cells"],
                    round(served, 1),
                    round(direct, 1),
                    round(served / direct, 2),
                )
            ],
        ),
        table(
            f"Division validation, {FRAMES} frames, {DIVISIONS} divisions (median ms over n)",
            ("what", "median ms", "p95 ms", "n"),
            [
                (
                    "remove/add_daughter edit, answer with findings",
                    round(validation["edit"]["median_ms"], 1),
                    round(validation["edit"]["p95_ms"], 1),
                    validation["edit"]["n"],
                ),
                (
                    "validation alone (cached presence)",
                    round(validation["validation"]["median_ms"], 2),
                    round(validation["validation"]["p95_ms"], 2),
                    validation["validation"]["n"],
                ),
                (
                    "baseline: read every cell's frames, validate",
                    round(validation["baseline"]["median_ms"], 1),
                    round(validation["baseline"]["p95_ms"], 1),
                    validation["baseline"]["n"],
                ),
            ],
        ),
        goals_table(
            "Timelapse goals",
            [
                Goal(
                    "expression of 2048²×20 channels, 10,000 cells ≤ 1 s",
                    f"{served:.0f} ms",
                    served <= 1000,
                ),
                Goal(
                    "validation after an edit (100 frames, 2,000 divisions) ≤ 20 ms",
                    f"{validation['validation']['median_ms']:.1f} ms",
                    validation["validation"]["median_ms"] <= 20,
                ),
            ],
        ),
    ]
    write_results("lineage", {"expression": expression, "validation": validation})
    return "\n\n".join(report)
