"""The consensus of an image's replicas, made on request as a task reviewed like the others."""

from __future__ import annotations

import io

import numpy as np
from sqlalchemy import select

from ...errors import ConflictError, NotFoundError
from ...labels import agreement
from ...store.campaigns import CampaignImage, Task, TaskEvent
from ...store.models import Project, db, utcnow
from ...store.rawtiles import project_prefix
from ...store.storage import storage
from .. import building
from ..sources import InputRequest
from .manage import require_role
from .quality import HANDED_IN, task_labels
from .tasks import describe


def make_consensus(campaign_id: str, image_id: int, username: str) -> dict:
    """A task (replica 0) whose project has the image and the consensus of its handed-in
    replicas' labels, waiting for review."""
    require_role(campaign_id, username, "manager")
    image = db.session.get(CampaignImage, image_id)
    if image is None or image.campaign_id != campaign_id:
        raise NotFoundError(f"There is no image {image_id} in this campaign.")
    replicas = db.session.scalars(
        select(Task)
        .where(Task.image_id == image.id, Task.replica > 0, Task.state.in_(HANDED_IN))
        .order_by(Task.id)
    ).all()
    if len(replicas) < 2:
        raise ConflictError(
            f"A consensus needs two handed-in replicas or more; {image.name} has "
            f"{len(replicas)}. Wait for the annotators."
        )
    labels = agreement.consensus([task_labels(t) for t in replicas])
    source = db.session.get(Project, replicas[0].project_id)
    raw = io.BytesIO()
    storage().get_file(f"{project_prefix(source.id)}original/images", raw)
    raw.seek(0)
    mask = io.BytesIO()
    np.save(mask, labels.astype(np.int32))
    mask.seek(0)
    project, _ = building.start(
        InputRequest("images", stream=raw, filename=image.name),
        InputRequest("labels", stream=mask, filename="consensus.npy"),
        name=f"{image.name} (consensus)",
    )
    task = Task(
        campaign_id=campaign_id,
        image_id=image.id,
        replica=0,
        gold=image.gold,
        project_id=project.id,
        state="submitted",
        needs_review=True,
    )
    db.session.add(task)
    db.session.flush()
    db.session.add(
        TaskEvent(
            task_id=task.id,
            from_state="new",
            to_state="submitted",
            actor=username,
            comment=f"consensus of {len(replicas)} replicas",
            at=utcnow(),
        )
    )
    db.session.commit()
    found = describe(task)
    found["image"] = image.name
    return found
