"""Project rows: look one up, tell whether it can be read (its build status), list its cells."""

from __future__ import annotations

from sqlalchemy import select

from ..errors import ConflictError, NotFoundError
from . import relabels
from .models import CellValue, Project, db


def get_project(project_id: str) -> Project:
    project = db.session.get(Project, project_id) if project_id else None
    if project is None:
        raise NotFoundError(
            f"There is no project {project_id!r}. Check the link, or create the project again."
        )
    return project


def cells_list(project_id: str) -> list[dict]:
    rows = db.session.execute(
        select(CellValue.value, CellValue.cell, CellValue.frame, CellValue.feature)
        .where(CellValue.project_id == project_id)
        .order_by(CellValue.feature, CellValue.frame, CellValue.value, CellValue.cell)
    )
    # A mapped value has one row, so the order by value then cell holds once its cell is mapped.
    return [
        {"value": v, "cell": c, "t": t, "c": f}
        for v, c, t, f in relabels.corrected_cells(project_id, rows)
    ]


def status(project: Project) -> tuple[str, float, str]:
    """(status, progress, message): "building" while its build job is queued or running (or
    queued again after its worker died), then "ready" or "failed" with the reason."""
    return project.status, project.progress, project.status_message


def require_ready(project: Project) -> Project:
    """The project, if its data can be read and edited; else a 409 saying why not."""
    state, progress, message = status(project)
    if state == "building":
        raise ConflictError(
            f"The project is still being prepared ({int(progress * 100)}%). "
            "Try again when its status is 'ready'."
        )
    if state == "failed":
        raise ConflictError(f"The project could not be created: {message}")
    return project
