"""Deleting a project for good: its rows in one transaction, then its stored objects."""

from __future__ import annotations

import logging

from sqlalchemy import delete, select, update

from ..errors import ConflictError
from ..store.campaigns import Campaign, Task
from ..store.models import Job, Project, db, utcnow
from ..store.projects import get_project
from ..store.rawtiles import project_prefix
from ..store.storage import storage
from . import export_jobs

log = logging.getLogger(__name__)


def delete_project(project_id: str) -> None:
    """Delete a project for good, in one transaction: its row, and with it (the database
    cascades) its label tiles, cells, history, members, share links, reviews and comments; its
    unfinished jobs are cancelled. Then its stored objects (raw tiles, originals, learning
    X's task is refused: the campaign owns
    it."""
    project = get_project(project_id)
    campaign = db.session.scalar(
        select(Campaign.name)
        .join(Task, Task.campaign_id == Campaign.id)
        .where(Task.project_id == project.id)
    )
    if campaign is not None:
        raise ConflictError(
            f"Project {project.id!r} is a task of the campaign {campaign!r}; it goes when the "
            "campaign's image is removed, not on its own."
        )
    exports = db.session.scalars(
        select(Job.id).where(Job.project_id == project.id, Job.kind == export_jobs.EXPORT)
    ).all()
    try:
        mine = Job.project_id == project.id
        db.session.execute(
            update(Job)
            .where(mine, Job.state == "queued")
            .values(state="cancelled", message="The project was deleted", finished=utcnow())
        )
        db.session.execute(
            update(Job)
            .where(mine, Job.state == "running")
            .values(cancel_requested=True, message="Cancelling: the project was deleted")
        )
        db.session.execute(delete(Project).where(Project.id == project.id))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    # After the commit: nothing refers to these objects any more. Should their removal fail,
    # they are only unreachable bytes, and the log says which.
    try:
        storage().delete_prefix(project_prefix(project.id))
        for job_id in exports:
            export_jobs.remove_file(job_id)
    except Exception:
        log.exception("could not remove the stored objects of deleted project %s", project.id)
