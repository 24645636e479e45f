"""Use cases around whole projects: create one from files, describe it, read its spots."""

from __future__ import annotations

import json

from flask import current_app
from sqlalchemy import delete

from ..formats import tiling
from ..store import pyramid
from ..store.models import Project, db
from ..store.projects import cells_list, get_project, require_ready, status
from ..store.rawtiles import project_prefix
from ..store.storage import storage
from . import building, jobs
from .editing import ANONYMOUS, undo_state, validation_findings
from .sources import InputRequest

__all__ = [
    "InputRequest",
    "create_project",
    "get_project",
    "metadata",
    "ready_project",
    "spots",
]


def ready_project(project_id: str) -> Project:
    """The project, or 409 while it is being built (and after its build failed)."""
    return require_ready(get_project(project_id))


def create_project(
    images: InputRequest,
    labels: InputRequest | None = None,
    axes: str | None = None,
    labels_axes: str | None = None,
    name: str | None = None,
    author: str = "",
    owner_id: int | None = None,
) -> tuple[Project, dict]:
    """Queue the build of a new project and wait up to CREATE_WAIT_SECONDS for it.

    The creator (`owner_id`) owns it. Returns the project and its build job: finished ("ready"), or still building. A build that
    failed in that time raises its error (the user's mistake as a 4xx) and leaves nothing.
    """
    project, job = building.start(images, labels, axes, labels_axes, name, author, owner_id)
    job = jobs.wait(job.id, current_app.config["CREATE_WAIT_SECONDS"])
    if job.state in ("failed", "cancelled"):
        _forget(project.id)
        jobs.raise_failure(job)
    db.session.expire_all()
    return get_project(project.id), jobs.describe(job)


def _forget(project_id: str) -> None:
    """Remove the row of a project whose build failed while its creator waited (the failed
    build already removed its data): the creator got the reason; nothing is left behind."""
    try:
        db.session.execute(delete(Project).where(Project.id == project_id))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def metadata(project: Project, annotator: str = ANONYMOUS) -> dict:
    """The project's description; `can_undo`/`can_redo` are the annotator's own."""
    state, progress, message = status(project)
    if state != "ready":  # no cells, lineage or history to show yet
        return {
            **_description(project),
            "cells": [],
            "findings": [],
            "can_undo": False,
            "can_redo": False,
        }
    return {
        **_description(project),
        "cells": cells_list(project.id),
        "findings": validation_findings(project),
        **undo_state(project, annotator),
    }


def _description(project: Project) -> dict:
    state, progress, message = status(project)
    return {
        "id": project.id,
        "name": project.name,
        "created": project.created.isoformat() + "Z",
        "source": project.source,
        "frames": project.frames,
        "height": project.height,
        "width": project.width,
        "channels": project.channels,
        "features": project.features,
        "dtype": project.dtype,
        "channel_names": project.channel_names,
        "feature_names": project.feature_names,
        "channel_ranges": project.channel_ranges,
        "tile_size": tiling.TILE_SIZE,
        "label_tile_size": tiling.LABEL_TILE_SIZE,
        "version": project.version,
        "divisions": project.divisions,
        "cellTypes": project.cell_types,
        "spots": {"count": project.spot_count, "columns": project.spot_columns},
        "status": state,
        "progress": round(float(progress), 4),
        "status_message": message,
        "view_tile_size": pyramid.VIEW_TILE_SIZE,
        "levels": project.levels,
        "physical_size": project.physical_size,
        "notes": project.notes or "",
        "markers": project.markers or {},
        "embeddings": project.embeddings,
    }


def spots(project: Project) -> dict:
    rows: list = []
    if project.spot_count:
        rows = json.loads(storage().get(f"{project_prefix(project.id)}spots.json"))
    return {"columns": project.spot_columns, "spots": rows}
