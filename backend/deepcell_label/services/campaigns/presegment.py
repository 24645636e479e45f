"""Pre-segmentation of a campaign: the learned segmenter, trained on the campaign's accepted
images, proposes the cells of the images nobody has started, so that annotators correct
proposals instead of drawing every cell.

An accepted image passed review with every cell drawn, so the whole image is what the learned
method calls the box: cell pixels are foreground, the rest background. The forest learns from
up to EXAMPLES accepted images (the newest; an image's consensus if it has one), each cropped
to CROP² around its centre so that memory stays bounded, at the median cell diameter of their
cells. An image not yet started is a task still `new`, not gold, whose project has no edit;
it gets one `segment` edit on every frame (channel 0, feature 0), which records how many
accepted images the forest learnt from. When more images have been accepted since, an image
still not started whose only edits are such proposals is proposed again: one new `segment`
edit takes the machine's earlier cells away and adds the new ones (a person's cell, drawn or
uploaded, is never changed). A project edited meanwhile is left alone.

With the campaign setting `presegment` on, the workers look every JOB_STALE_SECONDS / 2 for
campaigns whose accepted images, or images, changed since their last pre-segmentation, and
queue one; `POST /api/campaigns/<id>/presegment` queues one at once. A campaign has one
pre-segmentation queued or running at a time: the check and the new job's row are one
transaction under the campaign's row lock, so that two workers (or a worker and a manager)
never queue two; a manager who asks while one is on its way is given that one.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select, update

from ...errors import EditError, NotFoundError, SegmentationError
from ...segmentation import diameter_of_cells, learned
from ...store.campaigns import Campaign, CampaignImage, Task
from ...store.history import ChangeSet
from ...store.labelstore import read_frame
from ...store.models import Edit, Job, Project, db
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


@dataclass
class Target:
    """An image to pre-segment: its task and project, the project's version when chosen, and
    the machine's earlier proposals there (their versions; none for an unedited project)."""

    task: int
    project: str
    version: int
    replaces: list[int]


def _is_proposal(edit, campaign_id: str) -> bool:
    """Whether a history record is a pre-segmentation of this campaign still in effect."""
    return (
        edit.kind == "edit"
        and edit.action == "segment"
        and edit.state == "applied"
        and (edit.args or {}).get("campaign") == campaign_id
    )


def _targets(campaign_id: str, accepted: int) -> list[Target]:
    """The images nobody has started (tasks new, not gold) whose project has no edit, or only
    this campaign's proposals learnt from fewer than `accepted` accepted images."""
    rows = db.session.execute(
        select(Task.id, Task.project_id, Project.version)
        .join(Project, Project.id == Task.project_id)
        .where(
            Task.campaign_id == campaign_id,
            Task.state == "new",
            Task.gold.is_(False),
            Task.replica > 0,
            Project.status == "ready",
            Project.features > 0,
        )
        .order_by(Task.id)
    ).all()
    edited = [project for _, project, version in rows if version > 0]
    history: dict[str, list] = {}
    for edit in db.session.execute(
        select(Edit.project_id, Edit.version, Edit.kind, Edit.action, Edit.state, Edit.args)
        .where(Edit.project_id.in_(edited))
        .order_by(Edit.version)
    ):
        history.setdefault(edit.project_id, []).append(edit)
    targets = []
    for task, project, version in rows:
        edits = history.get(project, [])
        if version == 0:
            targets.append(Target(task, project, 0, []))
        elif (
            edits
            and all(_is_proposal(edit, campaign_id) for edit in edits)
            and (edits[-1].args or {}).get("accepted", 0) < accepted
        ):
            targets.append(Target(task, project, version, [e.version for e in edits]))
    return targets


def _counts(campaign_id: str) -> dict[str, int]:
    accepted = db.session.scalar(
        select(func.count(func.distinct(Task.image_id))).where(
            Task.campaign_id == campaign_id, Task.state == "accepted", Task.gold.is_(False)
        )
    )
    images = db.session.scalar(select(func.count()).where(CampaignImage.campaign_id == campaign_id))
    return {"accepted": int(accepted or 0), "images": int(images or 0)}


def _queue_once(campaign_id: str, counts: dict[str, int], author: str) -> tuple[dict, bool]:
    """Queue a pre-segmentation of the campaign unless one is queued or running; (the job
    queued or found, whether it is new). The check and the new row are one transaction under
    the campaign's row lock: whoever takes the lock second finds the first one's job."""
    db.session.rollback()  # the lock is the transaction's first statement: reads follow it
    locked = db.session.execute(
        update(Campaign).where(Campaign.id == campaign_id).values(presegment=Campaign.presegment)
    )
    if locked.rowcount == 0:
        db.session.rollback()
        raise NotFoundError(f"Campaign {campaign_id} does not exist.")
    last = _last_job(campaign_id)
    if last is not None and last.state in ("queued", "running"):
        found = jobs.describe(last)
        db.session.rollback()
        return found, False
    job = jobs.add_queued(KIND, None, {"campaign": campaign_id, **counts}, author)
    db.session.commit()
    jobs.send(job.id)
    return jobs.describe(job), True


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
    return _queue_once(campaign_id, counts, username)[0]


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
        if not counts["accepted"] or not _targets(campaign_id, counts["accepted"]):
            continue
        last = _last_job(campaign_id)
        if last is not None and (
            last.state in ("queued", "running")
            or {k: (last.params or {}).get(k) for k in counts} == counts
        ):
            continue
        job, new = _queue_once(campaign_id, counts, manager)
        if new:
            queued.append(job)
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


def _machine_pixels(project_id: str, versions: list[int], frames: int) -> dict[int, np.ndarray]:
    """Per frame, the pixels the machine's earlier proposals (these versions) changed."""
    project = db.session.get(Project, project_id)
    masks: dict[int, np.ndarray] = {}
    for (data,) in db.session.execute(
        select(Edit.changes).where(Edit.project_id == project_id, Edit.version.in_(versions))
    ):
        for patch in ChangeSet.decode(data).patches:
            if patch.feature != 0 or patch.frame >= frames:
                continue
            mask = masks.setdefault(patch.frame, np.zeros((project.height, project.width), bool))
            y0, x0, y1, x1 = patch.box
            mask[y0:y1, x0:x1] |= patch.values("before") != patch.values("after")
    return masks


def _segment_project(
    context: JobContext, target: Target, forest, diameter: float, accepted: int, author: str
) -> dict:
    """Propose the cells of every frame of a project, then add them as one edit (which takes
    the machine's earlier proposal away first) unless someone edited the project meanwhile."""
    project = db.session.get(Project, target.project)
    folder = context.folder() / target.project
    folder.mkdir()
    try:
        proposals = segmenting.Proposals(folder)
        for frame in range(project.frames):
            proposals.add(frame, learned.predict(forest, diameter, raw_frame(project, frame, 0)))
        # The machine's proposals only ever wrote on background: taking them away gives their
        # pixels back to the background.
        earlier = _machine_pixels(target.project, target.replaces, project.frames)
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
            "accepted": accepted,
        }

        def work(edit_context: EditContext) -> dict:
            if edit_context.project.version != target.version:
                return {"skipped": True}
            return segmenting.apply_proposals(
                edit_context, params, author, proposals, cleared=earlier
            )

        return transaction(target.project, work)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(context: JobContext) -> dict:
    """The job: train on the accepted images, then pre-segment each image not started."""
    campaign_id = context.params["campaign"]
    context.progress(0.0, "Learning from the accepted images", force=True)
    accepted = _accepted(campaign_id)
    count = _counts(campaign_id)["accepted"]
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
    targets = _targets(campaign_id, count)
    db.session.commit()
    done, skipped = [], []
    for n, target in enumerate(targets):
        context.progress(
            0.1 + 0.9 * n / len(targets), f"Pre-segmenting image {n + 1} of {len(targets)}"
        )
        result = _segment_project(context, target, forest, diameter, count, context.author)
        if result.get("skipped"):
            skipped.append(target.task)
        else:
            done.append(
                {
                    "task": target.task,
                    "project": target.project,
                    "cells": len(result["cells"]),
                    "replaced": bool(target.replaces),
                }
            )
    return {
        "campaign": campaign_id,
        "trained_on": trained_on,
        "diameter": round(diameter, 1),
        "images": done,
        "skipped": skipped,
    }


PRESEGMENT = JobKind(run)
