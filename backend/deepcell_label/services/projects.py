"""Use cases around whole projects: create one from files, describe it, read its spots."""

from __future__ import annotations

import json

from ..formats import tiling
from ..store import pyramid
from ..store.models import Project
from ..store.projects import cells_list, get_project, require_ready, status
from ..store.rawtiles import project_prefix, storage
from .building import create
from .editing import ANONYMOUS, undo_state, validation_findings

__all__ = ["create_project", "get_project", "metadata", "ready_project", "spots"]


def ready_project(project_id: str) -> Project:
    """The project, or 409 while it is being built (and after its build failed)."""
    return require_ready(get_project(project_id))


def create_project(*args, **kwargs) -> Project:
    """Read and check the files, then build the project: here, or in the background when large.

    Takes the arguments of :func:`building.create`.
    """
    return create(*args, **kwargs)


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
    }


def spots(project: Project) -> dict:
    rows: list = []
    if project.spot_count:
        rows = json.loads(storage().get(f"{project_prefix(project.id)}spots.json"))
    return {"columns": project.spot_columns, "spots": rows}
