"""Start-up work done once by the server's main process before it starts its request workers
(gunicorn --preload forks them from it): the frames edited most recently are loaded (their cell
index, cell map and label tiles), and the queries an edit makes are compiled, so that after a
restart no annotator's first stroke pays for it. The forked workers share these pages until they
change them; the versions they carry keep them correct (stale entries are caught up or reloaded).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..store.framestate import warm_frame
from ..store.labelstore import read_frame
from ..store.models import Edit, Project, db, utcnow

log = logging.getLogger(__name__)


def recent_frames(limit: int, hours: float) -> list[tuple[str, int, int]]:
    """(project, feature, frame) edited in the last `hours`, most recent first, at most `limit`."""
    since = utcnow() - timedelta(hours=hours)
    found: dict[tuple[str, int, int], None] = {}
    rows = db.session.execute(
        select(Edit.project_id, Edit.touched)
        .where(Edit.created >= since)
        .order_by(Edit.created.desc())
        .limit(limit * 20)
    )
    for project_id, touched in rows:
        for feature, frame in touched or ():
            found.setdefault((project_id, feature, frame), None)
            if len(found) >= limit:
                return list(found)
    return list(found)


def warm_up() -> dict:
    """Load the recently edited frames into this process's caches; returns what was done."""
    config = current_app.config
    started = time.perf_counter()
    loaded = 0
    try:
        for project_id, feature, frame in recent_frames(
            config["WARM_FRAMES"], config["WARM_HOURS"]
        ):
            project = db.session.get(Project, project_id)
            if project is None or project.status != "ready":
                continue
            if not (0 <= feature < project.features and 0 <= frame < project.frames):
                continue
            warm_frame(project, feature, frame)
            read_frame(project, feature, frame)
            loaded += 1
        db.session.commit()  # a checkpoint a load may have refreshed
    except Exception:
        db.session.rollback()
        log.exception("warming up failed; the first requests will load what they need")
    finally:
        db.session.remove()
        db.engine.dispose()  # the workers open their own connections after the fork
    seconds = time.perf_counter() - started
    log.info("warmed up %d recently edited frames in %.2f s", loaded, seconds)
    return {"frames": loaded, "seconds": seconds}
