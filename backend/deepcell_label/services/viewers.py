"""Who has a project open and which frame they look at.

Each open app reports every few seconds (and at once when its frame changes); it is listed while
its last report is younger than STALE_SECONDS, and removed when it leaves. The rows live in the
shared database, so every server process answers alike; no other server is needed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import EditError
from ..store.models import Viewer, db, utcnow
from ..store.projects import get_project
from .editing.history import when

# An app reports every 2 s; one that missed a few reports has gone (closed, asleep, offline).
STALE_SECONDS = 10
# Rows of viewers gone longer than this are deleted when someone else reports.
FORGET_SECONDS = 3600


def _position(body: dict, frames: int, features: int) -> tuple[int, int]:
    if not isinstance(body, dict):
        raise EditError("Send {'frame': <n>, 'feature': <n>} as a JSON object.")
    found = []
    for name, count in (("frame", frames), ("feature", features)):
        value = body.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < count:
            raise EditError(f"'{name}' must be between 0 and {count - 1}, not {value!r}.")
        found.append(value)
    return found[0], found[1]


def report(project_id: str, annotator: str, body: dict) -> dict:
    """`annotator` looks at `body`'s frame and feature now; answers who else is there."""
    project = get_project(project_id)
    frame, feature = _position(body, project.frames, project.features)
    now = utcnow()
    key = (Viewer.project_id == project.id) & (Viewer.annotator == annotator)
    values = {"frame": frame, "feature": feature, "seen": now}
    try:
        if db.session.execute(update(Viewer).where(key).values(**values)).rowcount == 0:
            try:
                with db.session.begin_nested():
                    db.session.add(Viewer(project_id=project.id, annotator=annotator, **values))
            except IntegrityError:  # the same annotator's other tab was first
                db.session.execute(update(Viewer).where(key).values(**values))
        db.session.execute(
            delete(Viewer).where(
                Viewer.project_id == project.id,
                Viewer.seen < now - timedelta(seconds=FORGET_SECONDS),
            )
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return _listing(project.id, annotator, now)


def viewers(project_id: str, annotator: str) -> dict:
    """Who has the project open now (without reporting oneself)."""
    return _listing(get_project(project_id).id, annotator, utcnow())


def leave(project_id: str, annotator: str) -> None:
    """`annotator` closed the project: no longer listed."""
    project = get_project(project_id)
    db.session.execute(
        delete(Viewer).where(Viewer.project_id == project.id, Viewer.annotator == annotator)
    )
    db.session.commit()


def _listing(project_id: str, annotator: str, now: datetime) -> dict:
    rows = db.session.execute(
        select(Viewer)
        .where(
            Viewer.project_id == project_id,
            Viewer.seen >= now - timedelta(seconds=STALE_SECONDS),
        )
        .order_by(Viewer.annotator)
    ).scalars()
    return {
        "viewers": [
            {
                "annotator": row.annotator,
                "frame": row.frame,
                "feature": row.feature,
                "seen": when(row.seen),
                "you": row.annotator == annotator,
            }
            for row in rows
        ],
        "stale_seconds": STALE_SECONDS,
    }
