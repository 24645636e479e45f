"""Per-cell measurements for the expression plots: area, mean and total of every channel."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from flask import current_app

from ..errors import NotFoundError
from ..labels.expression import combine_frames, plane_expression
from ..store.framestate import read_state
from ..store.labelstore import read_frame
from ..store.models import Project
from ..store.rawtiles import raw_frame


def _planes_ahead(project: Project, frame: int) -> Iterator[np.ndarray]:
    """The frame's raw channels in order, each read while the one before is being used."""
    app = current_app._get_current_object()

    def read(channel: int) -> np.ndarray:
        with app.app_context():
            return raw_frame(project, frame, channel)

    with ThreadPoolExecutor(max_workers=1) as pool:
        coming = pool.submit(read, 0)
        for channel in range(project.channels):
            plane = coming.result()
            if channel + 1 < project.channels:
                coming = pool.submit(read, channel + 1)
            yield plane


def expression(project: Project, feature: int, frame: int | None) -> dict:
    """Per-cell area, mean and total intensity of every channel, in one frame or all frames."""

    if not 0 <= feature < project.features:
        raise NotFoundError(
            f"Feature {feature} does not exist; the project has {project.features}."
        )
    frames = range(project.frames) if frame is None else [frame]
    if frame is not None and not 0 <= frame < project.frames:
        raise NotFoundError(
            f"Frame {frame} does not exist; the project has frames 0–{project.frames - 1}."
        )
    results = [
        plane_expression(
            read_frame(project, feature, t),
            _planes_ahead(project, t),
            read_state(project, feature, t).cellmap.mapping,
        )
        for t in frames
    ]
    table = results[0] if len(results) == 1 else combine_frames(results, project.channels)
    return {
        "feature": feature,
        "frame": "all" if frame is None else frame,
        "channels": list(project.channel_names),
        "cells": table["cells"].tolist(),
        "area": table["area"].tolist(),
        "mean": np.round(table["mean"], 6).tolist(),
        "total": table["total"].tolist(),
    }


def expression_csv(table: dict) -> str:
    header = ["cell", "area"]
    for name in table["channels"]:
        header += [f"{name} mean", f"{name} total"]
    lines = [",".join(f'"{h}"' if "," in h else h for h in header)]
    for row, cell in enumerate(table["cells"]):
        values = [cell, table["area"][row]]
        for channel in range(len(table["channels"])):
            values += [table["mean"][row][channel], table["total"][row][channel]]
        lines.append(",".join(str(v) for v in values))
    return "\n".join(lines) + "\n"
