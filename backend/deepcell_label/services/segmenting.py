"""Segmentation that starts the work: a job runs a segmenter (``segmentation/``) on a frame or
on every frame of a feature, then adds the proposed cells as one undoable edit (`segment`).

A person's cell is never changed: a proposed cell that lies mostly (over PERSON_SHARE of its
area) on cells already drawn is left out, and the others are written on background pixels
only. The segmenter runs outside the project's lock; the edit reads the labels again under
it, so cells drawn meanwhile are kept too. Asked for (`new_feature`), the proposal goes into a
new label layer instead, made by the same edit, so that one undo takes both away. The job's
result lists the cells it added with their confidence, least sure first, for the app to step
through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import numpy as np

from ..errors import NotFoundError, SegmentationError
from ..formats import tiling
from ..labels.cellmap import CellMap
from ..segmentation import Proposal, Request, diameter_of_cells, segmenter
from ..segmentation.plugins import describe
from ..store.labelstore import read_frame, read_window
from ..store.models import db
from ..store.projects import get_project, require_ready
from ..store.rawtiles import raw_frame
from . import jobs
from .editing.unit import EditContext, record_job_edit, transaction
from .jobs import JobContext, JobKind

FIELDS = {
    "method",
    "feature",
    "new_feature",
    "frames",
    "frame",
    "channel",
    "diameter",
    "box",
    "seed",
}
PERSON_SHARE = 0.2
MAX_SEED = 2**31 - 1


def methods() -> list[dict]:
    """The segmentation methods this server has (built-in and plug-ins)."""
    return describe()


def _whole(body: dict, name: str, default: int, high: int, what: str) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SegmentationError(f"'{name}' must be a whole number, not {str(value)[:40]!r}.")
    if not 0 <= value <= high:
        raise NotFoundError(
            f"{what} {value} does not exist; the project has {what.lower()}s 0–{high}."
        )
    return value


def _box(value, project) -> list[int]:
    if (
        not isinstance(value, list)
        or len(value) != 4
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise SegmentationError(
            "'box' is [x1, y1, x2, y2] in pixels: the region where you drew every cell."
        )
    x1, y1, x2, y2 = value
    if not (0 <= x1 < x2 <= project.width and 0 <= y1 < y2 <= project.height):
        raise SegmentationError(
            f"The box {value} is not inside the image, which is {project.width} pixels wide "
            f"and {project.height} high. Send [x1, y1, x2, y2] with 0 ≤ x1 < x2 ≤ "
            f"{project.width} and 0 ≤ y1 < y2 ≤ {project.height}."
        )
    return value


def _parameters(project, body: dict) -> dict:
    if not isinstance(body, dict):
        raise SegmentationError('Send the request as a JSON object, e.g. {"method": "auto"}.')
    extra = set(body) - FIELDS
    if extra:
        named = ", ".join(repr(str(name)[:40]) for name in sorted(extra)[:5])
        raise SegmentationError(
            f"Unknown fields {named}; segment takes {', '.join(sorted(FIELDS))}."
        )
    method = body.get("method", "auto")
    if not isinstance(method, str):
        raise SegmentationError("'method' is the name of a segmentation method, e.g. \"auto\".")
    chosen = segmenter(method)
    new_feature = body.get("new_feature", False)
    if not isinstance(new_feature, bool):
        raise SegmentationError(
            "'new_feature' is true (put the proposal into a new label layer) or false (add it "
            f"to 'feature'), not {str(new_feature)[:40]!r}."
        )
    if project.features < 1 and (chosen.learns or not new_feature):
        raise SegmentationError(
            "The project has no label feature to add cells to or learn from; send "
            '"new_feature": true to put the proposal into a new one.'
        )
    feature = _whole(body, "feature", 0, max(project.features - 1, 0), "Feature")
    channel = _whole(body, "channel", 0, project.channels - 1, "Channel")
    frame = _whole(body, "frame", 0, project.frames - 1, "Frame")
    frames = body.get("frames", "frame")
    if frames not in ("frame", "all"):
        raise SegmentationError(f'\'frames\' must be "frame" or "all", not {str(frames)[:40]!r}.')
    diameter = body.get("diameter")
    if diameter is not None and (
        isinstance(diameter, bool) or not isinstance(diameter, int | float) or diameter <= 0
    ):
        raise SegmentationError(
            f"'diameter' is the typical cell diameter in pixels (a number), or null to have it "
            f"measured; not {str(diameter)[:40]!r}."
        )
    seed = body.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise SegmentationError(f"'seed' is a whole number from 0 to {MAX_SEED}.")
    params = {
        "method": method,
        "feature": feature,
        "new_feature": new_feature,
        "channel": channel,
        "frames": frames,
        "frame": frame,
        "diameter": None if diameter is None else float(diameter),
        "seed": seed,
        "box": None,
    }
    if chosen.learns:
        if body.get("box") is None:
            raise SegmentationError(
                f"The {method} method learns from your cells: send 'box' [x1, y1, x2, y2], a "
                "region where you drew every cell."
            )
        x1, y1, x2, y2 = params["box"] = _box(body["box"], project)
        if not read_window(project, feature, frame, (y1, x1, y2, x2)).any():
            raise SegmentationError(
                f"There are no cells in the box {params['box']} of frame {frame}. Draw every "
                "cell inside it first, or drag the box around a region where you did."
            )
    elif body.get("box") is not None:
        raise SegmentationError(f"The {method} method takes no box; leave 'box' out.")
    return params


def start(project_id: str, body: dict, author: str = "") -> dict:
    """Check a segmentation request and queue its job; the job's description."""
    project = require_ready(get_project(project_id))
    params = _parameters(project, body)
    db.session.rollback()  # end the reads before the job row is written on its own connection
    return jobs.describe(jobs.submit("segment", project.id, params, author))


def measure_diameter(project_id: str, feature: int, frame: int) -> dict:
    """The median diameter of the cells drawn on a frame ("measure from my cells")."""
    project = require_ready(get_project(project_id))
    body = {"feature": feature, "frame": frame}
    feature = _whole(body, "feature", 0, max(project.features - 1, 0), "Feature")
    frame = _whole(body, "frame", 0, project.frames - 1, "Frame")
    labels = read_frame(project, feature, frame) if project.features else np.zeros((1, 1))
    return {"diameter": round(diameter_of_cells(labels), 1), "feature": feature, "frame": frame}


class Proposals:
    """Each frame's proposal, kept in the job's folder and read back one at a time: the
    proposals of a long stack are never all in memory at once. The last one stays in memory
    (a single frame's is never written)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.frames: list[int] = []
        self.diameters: dict[int, float] = {}
        self.last: tuple[int, Proposal] | None = None

    def add(self, frame: int, proposal: Proposal) -> None:
        if self.last is not None:
            self._write(*self.last)
        self.last = (frame, proposal)
        self.frames.append(frame)
        self.diameters[frame] = proposal.diameter

    def _write(self, frame: int, proposal: Proposal) -> None:
        cells = np.asarray(sorted(proposal.confidence), np.int64)
        scores = np.asarray([proposal.confidence[c] for c in cells.tolist()], np.float64)
        np.savez(
            self.folder / f"frame-{frame}.npz", labels=proposal.labels, cells=cells, scores=scores
        )

    def items(self) -> Iterator[tuple[int, Proposal]]:
        for frame in self.frames:
            if self.last is not None and self.last[0] == frame:
                yield self.last
                continue
            with np.load(self.folder / f"frame-{frame}.npz") as stored:
                confidence = dict(
                    zip(stored["cells"].tolist(), stored["scores"].tolist(), strict=True)
                )
                labels = stored["labels"]
            yield frame, Proposal(labels, confidence, self.diameters[frame])


def propose(context: JobContext) -> Proposals:
    """Run the segmenter on the frames asked for (outside any lock)."""
    params = context.params
    project = require_ready(get_project(context.project_id))
    chosen = segmenter(params["method"])
    frames = range(project.frames) if params["frames"] == "all" else [params["frame"]]
    request = Request(diameter=params["diameter"], seed=params["seed"])
    example = None
    if chosen.learns:
        x1, y1, x2, y2 = params["box"]
        request.box = (x1, y1, x2, y2)
        request.labels = read_frame(project, params["feature"], params["frame"])
        request.example = example = raw_frame(project, params["frame"], params["channel"])
    db.session.commit()  # end the reads: segmenting takes a while
    proposals = Proposals(context.folder())
    share = 0.9 / len(frames)
    for done, frame in enumerate(frames):
        message = f"Segmenting frame {frame + 1} of {project.frames}"
        context.progress(share * done, message, force=True)
        request.progress = lambda fraction, done=done, message=message: context.progress(
            share * (done + fraction), message
        )
        if example is not None and frame == params["frame"]:
            image = example  # the frame learnt from is read once
        else:
            image = raw_frame(project, frame, params["channel"])
        proposals.add(frame, chosen.segment(image, request))
        db.session.commit()
    return proposals


def _add_cells(
    proposal: Proposal, first_cell: int, added: list, frame: int, cleared: np.ndarray | None
) -> Callable[[np.ndarray, CellMap], np.ndarray]:
    """The change of one frame: the `cleared` pixels (an earlier proposal's) given back to the
    background, then the proposed cells that keep clear of the person's cells."""

    def change(window: np.ndarray, cellmap: CellMap) -> np.ndarray:
        if cleared is not None:
            window[cleared] = 0
        # One pass over the frame finds the proposal's pixels; the rest looks at those only.
        window = np.ascontiguousarray(window)
        flat = window.reshape(-1)  # a view, written through
        spots = np.flatnonzero(proposal.labels > 0)
        cells = proposal.labels.reshape(-1)[spots]
        under = flat[spots]
        count = int(cells.max(initial=0))
        area = np.bincount(cells, minlength=count + 1)
        on_person = np.bincount(cells[under > 0], minlength=count + 1)
        kept = (area > 0) & (on_person <= PERSON_SHARE * area)
        kept[0] = False
        proposed = np.flatnonzero(kept)
        new_cells = range(first_cell, first_cell + len(proposed))
        values = np.zeros(count + 1, np.int32)
        values[proposed] = cellmap.values_for_new_cells(new_cells)
        confidence = proposal.confidence
        added.extend(
            {"cell": cell, "frame": frame, "confidence": confidence.get(number, 0.0)}
            for cell, number in zip(new_cells, proposed.tolist(), strict=True)
        )
        written = values[cells]
        free = (under == 0) & (written > 0)
        flat[spots[free]] = written[free]
        return window

    return change


def _feature_name(names: list[str], method: str) -> str:
    """A name for the new layer that no other layer has."""
    base = f"{method} proposal"
    name, number = base, 1
    while name in names:
        number += 1
        name = f"{base} {number}"
    return name


def _add_feature(edit_context: EditContext, method: str) -> int:
    """Make a new, empty label layer as part of the edit; its position."""
    project = edit_context.project
    feature = project.features
    names = list(project.feature_names)[:feature]
    # A layer made and then undone keeps its cell counter: cell ids are never handed out twice.
    counters = list(project.next_cell)
    counters = counters[: feature + 1] if len(counters) > feature else [*counters, 1]
    edit_context.set_list("features", feature + 1)
    edit_context.set_list("feature_names", [*names, _feature_name(names, method)])
    edit_context.set_list("next_cell", counters)
    return feature


def apply_proposals(
    edit_context: EditContext,
    params: dict,
    author: str,
    proposals: Proposals,
    cleared: dict[int, np.ndarray] | None = None,
) -> dict:
    """The proposals as one edit (which makes the new layer first, when one is asked for);
    `params` are the segment request's, checked. `cleared` are pixels of frames that the same
    edit gives back to the background first (an earlier proposal replaced)."""
    project = edit_context.project
    made = bool(params.get("new_feature"))
    before = {name: getattr(project, name) for name in ("features", "feature_names", "next_cell")}
    feature = _add_feature(edit_context, params["method"]) if made else params["feature"]
    whole: tiling.Box = (0, 0, project.height, project.width)
    added: list[dict] = []
    for frame, proposal in proposals.items():
        first_cell = project.next_cell[feature]
        start = len(added)
        edit_context.apply_window(
            feature,
            frame,
            whole,
            _add_cells(proposal, first_cell, added, frame, (cleared or {}).get(frame)),
        )
        # Cells left without a pixel (drawn over meanwhile) are not reported.
        state = edit_context.frame(feature, frame)
        added[start:] = [a for a in added[start:] if state.has(a["cell"])]
    added.sort(key=lambda a: (a["confidence"], a["frame"], a["cell"]))
    summary = {
        "cells": added,
        "feature": feature,
        "new_feature": made,
        "method": params["method"],
        "diameters": {str(f): round(d, 1) for f, d in proposals.diameters.items()},
    }
    if not edit_context.changes.cells:
        # Nothing proposed: no empty layer is left behind either.
        for name, value in before.items():
            edit_context.set_list(name, value)
        summary.update(feature=params["feature"], new_feature=False)
        return {"version": project.version, **summary}
    if made:
        summary["feature_names"] = list(project.feature_names)
    frame = params["frame"] if params["frames"] == "frame" else 0
    edit = record_job_edit(edit_context, "segment", params, frame, feature, author)
    return {"version": edit.version, **summary}


def run(context: JobContext) -> dict:
    """The segment job: propose the cells, then add them as one edit."""
    proposals = propose(context)
    context.progress(0.92, "Adding the proposed cells", force=True)
    return transaction(
        context.project_id,
        partial(apply_proposals, params=context.params, author=context.author, proposals=proposals),
    )


SEGMENT = JobKind(run=run)
