"""Pre-segmentation of a campaign: the learned segmenter, trained on the campaign's accepted
images, proposes the cells of the images nobody has started, so that annotators correct
proposals instead of drawing every cell.

An accepted image passed review with every cell drawn, so the whole image is what the learned
method calls the box: cell pixels are foreground, the rest background. The forest learns from
up to EXAMPLES accepted images (the newest; an image's consensus if it has one), each cropped
to CROP² around its centre so that memory stays bounded, at the median cell diameter of their
cells. An image not yet started is a task still `new`, not gold, whose project has no edit;
it gets one `segment` edit on every frame (channel 0, feature 0). A project edited meanwhile
is left alone.

With the campaign setting `presegment` on, the workers look every JOB_STALE_SECONDS / 2 for
campaigns whose accepted images, or images, changed since their last pre-segmentation, and
queue one; `POST /api/campaigns/<id>/presegment` queues one at once.
"""

from __future__ import annotations

import logging
import shutil

import numpy as np
from sqlalchemy import func, select

from ...errors import EditError, SegmentationError
from ...segmentation import diameter_of_cells, learned
from ...store.campaigns import Campaign, CampaignImage, Task
from ...store.labelstore import read_frame
from ...store.models import Job, Project, db
from ...store.rawtiles import raw_frame
from .. import jobs, segmenting
from ..editing.unit import EditContext, transaction
from ..jobs import JobContext, JobKind
from .manage import require_role

KIND = "campaign_presegment"
EXAMPLES = 8
CROP = 1024
SEED = 0
# How many of the latest pre-segmentation jobs the workers read to find a campaign's last one.
RECENT_JOBS = 200

log = logging.getLogger(__name__)


def _accepted(campaign_id: str) -> list[Task]:
    """The newest accepted task of each image (its consensus first), newest images first."""
    tasks = db.session.scalars(
        select(Task)
        .where(Task.campaign_id == campaign_id, Task.state == "accepted", Task.gold.is_(False))
        .order_by(Task.image_id.desc(), (Task.replica == 0).desc(), Task.id.desc())
    ).all()
    chosen: dict[int, Task] = {}
    for task in tasks:
        chosen.setdefault(task.image_id, task)
    return list(chosen.values())[:EXAMPLES]


def _not_started(campaign_id: str) -> list[tuple[int, str]]:
    """(task, project) of each task nobody has started: new, not gold, its project unedited."""
    rows = db.session.execute(
        select(Task.id, Task.project_id)
        .join(Project, Project.id == Task.project_id)
        .where(
            Task.campaign_id == campaign_id,
            Task.state == "new",
            Task.gold.is_(False),
            Task.replica > 0,
            Project.version == 0,
            Project.status == "ready",
            Project.features > 0,
        )
        .order_by(Task.id)
    ).all()
    return [(task, project) for task, project in rows]


def _counts(campaign_id: str) -> dict[str, int]:
    accepted = db.session.scalar(
        select(func.count(func.distinct(Task.image_id))).where(
            Task.campaign_id == campaign_id, Task.state == "accepted", Task.gold.is_(False)
        )
    )
    images = db.session.scalar(select(func.count()).where(CampaignImage.campaign_id == campaign_id))
    return {"accepted": int(accepted or 0), "images": int(images or 0)}


def _submit(campaign_id: str, counts: dict[str, int], author: str) -> dict:
    db.session.rollback()  # end the reads before the job row is written on its own connection
    params = {"campaign": campaign_id, **counts}
    return jobs.describe(jobs.submit(KIND, None, params, author))


def start(campaign_id: str, username: str) -> dict:
    """Queue a pre-segmentation of the campaign (managers); refused before any image is
    accepted, as there is nothing to learn from."""
    require_role(campaign_id, username, "manager")
    counts = _counts(campaign_id)
    if not counts["accepted"]:
        raise EditError(
            "No image of this campaign is accepted yet: pre-segmentation learns from accepted "
            "images. Accept an image's labels first."
        )
    return _submit(campaign_id, counts, username)


def _last_job(campaign_id: str) -> Job | None:
    recent = db.session.scalars(
        select(Job).where(Job.kind == KIND).order_by(Job.created.desc()).limit(RECENT_JOBS)
    )
    return next((job for job in recent if (job.params or {}).get("campaign") == campaign_id), None)


def sweep() -> list[dict]:
    """Queue a pre-segmentation for each campaign with the setting on whose accepted images,
    or images, changed since its last one, when none is queued or running and an image waits
    for it; the jobs queued."""
    queued = []
    campaigns = db.session.execute(
        select(Campaign.id, Campaign.created_by).where(Campaign.presegment.is_(True))
    ).all()
    for campaign_id, manager in campaigns:
        counts = _counts(campaign_id)
        if not counts["accepted"] or not _not_started(campaign_id):
            continue
        last = _last_job(campaign_id)
        if last is not None and (
            last.state in ("queued", "running")
            or {k: (last.params or {}).get(k) for k in counts} == counts
        ):
            continue
        queued.append(_submit(campaign_id, counts, manager))
    db.session.rollback()
    return queued


def _centre(array: np.ndarray) -> np.ndarray:
    height, width = array.shape
    y0, x0 = max(0, (height - CROP) // 2), max(0, (width - CROP) // 2)
    return array[y0 : y0 + CROP, x0 : x0 + CROP]


def _examples(tasks: list[Task]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each accepted image's first frame and its cells (channel 0, feature 0); images without
    a cell, or with nothing but cells, teach nothing and are left out."""
    examples = []
    for task in tasks:
        project = db.session.get(Project, task.project_id)
        if project is None or project.features < 1:
            continue
        labels = _centre(read_frame(project, 0, 0))
        if labels.any() and not labels.all():
            examples.append((_centre(raw_frame(project, 0, 0)), labels))
    return examples


def _segment_project(
    context: JobContext, project_id: str, forest, diameter: float, author: str
) -> dict:
    """Propose the cells of every frame of a project, then add them as one edit unless
    someone edited the project meanwhile."""
    project = db.session.get(Project, project_id)
    folder = context.folder() / project_id
    folder.mkdir()
    try:
        proposals = segmenting.Proposals(folder)
        for frame in range(project.frames):
            proposals.add(frame, learned.predict(forest, diameter, raw_frame(project, frame, 0)))
        db.session.commit()  # end the reads before the edit's transaction
        params = {
            "method": "learned",
            "feature": 0,
            "new_feature": False,
            "channel": 0,
            "frames": "all",
            "frame": 0,
            "diameter": diameter,
            "seed": SEED,
            "box": None,
            "campaign": context.params["campaign"],
        }

        def work(edit_context: EditContext) -> dict:
            if edit_context.project.version != 0:
                return {"skipped": True}
            return segmenting.apply_proposals(edit_context, params, author, proposals)

        return transaction(project_id, work)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(context: JobContext) -> dict:
    """The job: train on the accepted images, then pre-segment each image not started."""
    campaign_id = context.params["campaign"]
    context.progress(0.0, "Learning from the accepted images", force=True)
    accepted = _accepted(campaign_id)
    examples = _examples(accepted)
    if not examples:
        raise SegmentationError(
            "The accepted images of this campaign have no cells to learn from (or nothing but "
            "cells)."
        )
    diameter = float(np.median([diameter_of_cells(labels) for _, labels in examples]))
    forest = learned.train_on_images(examples, diameter, SEED)
    trained_on = [db.session.get(CampaignImage, task.image_id).name for task in accepted]
    del examples
    targets = _not_started(campaign_id)
    db.session.commit()
    done, skipped = [], []
    for n, (task, project_id) in enumerate(targets):
        context.progress(
            0.1 + 0.9 * n / len(targets), f"Pre-segmenting image {n + 1} of {len(targets)}"
        )
        result = _segment_project(context, project_id, forest, diameter, context.author)
        if result.get("skipped"):
            skipped.append(task)
        else:
            done.append({"task": task, "project": project_id, "cells": len(result["cells"])})
    return {
        "campaign": campaign_id,
        "trained_on": trained_on,
        "diameter": round(diameter, 1),
        "images": done,
        "skipped": skipped,
    }


PRESEGMENT = JobKind(run)
