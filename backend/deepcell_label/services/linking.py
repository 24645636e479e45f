"""Linking a whole timelapse or stack: a job that gives each cell one id through every frame of
a feature, applied as one undoable edit, and proposes divisions for the user to accept.

The job measures every frame from its label tiles, a band of rows at a time (a frame is never
held whole, so 16k² frames link as small ones do), links the frames with
:func:`labels.linking.link`, then relabels in one transaction under the project's lock as
value-meaning changes (see `editing.stacks.relabel`). Measuring happens outside the lock; if an
edit changed the feature meanwhile, the job measures again.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import select

from .. import labels as label_actions
from ..errors import ConflictError, EditError
from ..labels import linking
from ..store.framestate import read_state
from ..store.models import Edit, db
from ..store.projects import get_project, require_ready
from . import jobs
from .editing import stacks
from .editing.unit import EditContext, record_job_edit, transaction
from .jobs import JobContext, JobKind

ATTEMPTS = 3  # measurements before giving up on a project that keeps changing
UNCERTAIN_LISTED = 200  # the least sure links the result names


class _Changed(Exception):
    """The feature was edited while the job measured it."""


def _parameters(request: dict, features: int) -> dict:
    if not isinstance(request, dict):
        raise EditError('Send the linking as a JSON object such as {"feature": 0}.')
    allowed = {"feature", "threshold", "max_gap", "divisions"}
    extra = set(request) - allowed
    if extra:
        named = ", ".join(repr(str(name)[:40]) for name in sorted(extra)[:5])
        raise EditError(f"Unknown fields {named}; linking takes {', '.join(sorted(allowed))}.")
    feature = request.get("feature", 0)
    if isinstance(feature, bool) or not isinstance(feature, int) or not 0 <= feature < features:
        raise EditError(f"'feature' must be between 0 and {features - 1}, not {feature!r}.")
    threshold = request.get("threshold", linking.DEFAULT_THRESHOLD)
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not (0 < threshold <= 1)
    ):
        raise EditError(
            f"'threshold' is the smallest IoU of a link: a number above 0 up to 1, not "
            f"{str(threshold)[:20]!r}."
        )
    max_gap = request.get("max_gap", linking.MAX_GAP)
    if isinstance(max_gap, bool) or not isinstance(max_gap, int) or not 0 <= max_gap <= 2:
        raise EditError(
            f"'max_gap' (missing frames a cell may skip) is 0, 1 or 2, not {max_gap!r}."
        )
    divisions = request.get("divisions", True)
    if not isinstance(divisions, bool):
        raise EditError("'divisions' is true (propose divisions, for a timelapse) or false.")
    return {
        "feature": feature,
        "threshold": float(threshold),
        "max_gap": max_gap,
        "divisions": divisions,
    }


def start(project_id: str, request: dict, author: str = "") -> dict:
    """Check a link request and queue its job; the job's description."""
    project = require_ready(get_project(project_id))
    params = _parameters(request, project.features)
    if project.frames < 2:
        raise EditError("The project has one frame; linking follows cells through several.")
    return jobs.describe(jobs.submit("link", project.id, params, author))


def _measure(project, feature: int, context: JobContext):
    """Every frame's cells and each frame's overlaps with the next, read band by band."""
    frames, overlaps = [], []
    previous = None
    for t in range(project.frames):
        context.progress(0.85 * t / project.frames, f"Measuring frame {t + 1} of {project.frames}")
        state = read_state(project, feature, t)
        # A frame state may write its checkpoint: committed at once, so that measuring a long
        # movie never holds the database's write lock (SQLite has one for every project).
        db.session.commit()
        values, cells_of = stacks.frame_values(state)
        measure = linking.FrameMeasure(values)
        pair = None if previous is None else linking.OverlapMeasure(previous[0], values)
        rows = stacks.rows_used(state) if previous is None else stacks.rows_used(state, previous[2])
        if rows is not None:
            here = stacks.bands(project, feature, t, rows)
            before = stacks.bands(project, feature, t - 1, rows) if pair else None
            for y0, band in here:
                measure.add(band, y0)
                if pair is not None:
                    pair.add(next(before)[1], band)
        frames.append(linking.frame_cells(measure, cells_of))
        if pair is not None:
            overlaps.append(linking.cell_overlaps(pair, previous[1], cells_of))
        previous = (values, cells_of, state)
    return frames, overlaps


def _touched_since(project_id: str, version: int, feature: int) -> bool:
    touched = db.session.execute(
        select(Edit.touched).where(Edit.project_id == project_id, Edit.version > version)
    ).scalars()
    return any(pair[0] == feature for pairs in touched for pair in pairs)


def _apply(
    context: JobContext,
    version: int,
    renames: dict[int, dict[int, int]],
    linked: linking.Linked,
    edit_context: EditContext,
) -> dict:
    """The relabelling as one edit, unless the feature changed since it was measured."""
    feature = context.params["feature"]
    project = edit_context.project
    if project.version != version and _touched_since(project.id, version, feature):
        raise _Changed
    relabelled = stacks.relabel(edit_context, feature, renames, linked.next_id)
    known = {
        (d["parent"], *sorted(d["daughters"]))
        for d in label_actions.divisions_of(project.divisions, feature)
    }
    proposals = [
        {**d, "feature": feature}
        for d in linked.divisions
        if (d["parent"], *d["daughters"]) not in known
    ]
    summary = {
        "proposed_divisions": proposals,
        "uncertain_links": linked.uncertain[:UNCERTAIN_LISTED],
        "uncertain_count": len(linked.uncertain),
        "cells_relabelled": sum(len(r) for r in renames.values()),
        "values_changed": relabelled,
        "tracks": linked.tracks,
        "links": linked.links,
        "gaps_closed": linked.gaps_closed,
        "feature": feature,
    }
    changes = edit_context.changes
    if not changes.cells and not changes.relabels and not changes.lists:
        return {"version": project.version, **summary}
    edit = record_job_edit(edit_context, "link", context.params, 0, feature, context.author)
    return {"version": edit.version, **summary}


def run(context: JobContext) -> dict:
    """The link job: measure, link, relabel as one edit; the result names the new version and
    the proposed divisions."""
    params = context.params
    feature = params["feature"]
    for _ in range(ATTEMPTS):
        db.session.expire_all()
        project = require_ready(get_project(context.project_id))
        version = project.version
        frames, overlaps = _measure(project, feature, context)
        db.session.commit()  # ends the reads (and keeps checkpoints they refreshed)
        context.progress(0.87, "Linking the frames", force=True)
        linked = linking.link(
            frames,
            overlaps,
            next_id=project.next_cell[feature],
            threshold=params["threshold"],
            max_gap=params["max_gap"],
            divisions=params["divisions"],
        )
        renames = {}
        for t, (cells, ids) in enumerate(zip(frames, linked.ids, strict=True)):
            changed = cells.ids != ids
            renames[t] = dict(zip(cells.ids[changed].tolist(), ids[changed].tolist(), strict=True))
        context.progress(0.9, "Giving the cells their new ids", force=True)

        try:
            return transaction(
                context.project_id, partial(_apply, context, version, renames, linked)
            )
        except _Changed:
            context.progress(0.0, "The labels changed meanwhile; measuring again", force=True)
    raise ConflictError(
        "The labels kept changing while the movie was being linked. Link again when no one is "
        "editing this feature."
    )


LINK = JobKind(run=run)
