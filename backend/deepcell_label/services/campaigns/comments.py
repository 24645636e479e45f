"""Comments pinned to a point of a project's frame, shown as markers and as a list."""

from __future__ import annotations

import math

from sqlalchemy import select

from ...errors import EditError, NotFoundError
from ...store.campaigns import Comment
from ...store.models import db, utcnow
from ...store.projects import get_project

TEXT_MAX = 4000


def _describe(comment: Comment) -> dict:
    return {
        "id": comment.id,
        "project": comment.project_id,
        "frame": comment.frame,
        "x": comment.x,
        "y": comment.y,
        "text": comment.text,
        "author": comment.author,
        "resolved": comment.resolved,
        "resolved_by": comment.resolved_by,
        "resolved_at": comment.resolved_at.isoformat() + "Z" if comment.resolved_at else None,
        "created": comment.created.isoformat() + "Z",
    }


def add_comment(project_id: str, body: dict, username: str) -> dict:
    project = get_project(project_id)
    frame, x, y, text = (body.get(k) for k in ("frame", "x", "y", "text"))
    if isinstance(frame, bool) or not isinstance(frame, int) or not 0 <= frame < project.frames:
        raise EditError(f"'frame' must be a whole number from 0 to {project.frames - 1}.")
    for name, value, size in (("x", x, project.width), ("y", y, project.height)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not 0 <= value <= size
        ):
            raise EditError(f"'{name}' must be a number from 0 to {size} (a point of the frame).")
    if not isinstance(text, str) or not text.strip():
        raise EditError("Write the comment's 'text'.")
    if len(text) > TEXT_MAX:
        raise EditError(f"A comment is at most {TEXT_MAX} characters, not {len(text)}.")
    comment = Comment(
        project_id=project.id,
        frame=frame,
        x=float(x),
        y=float(y),
        text=text.strip(),
        author=username,
        created=utcnow(),
    )
    db.session.add(comment)
    db.session.commit()
    return _describe(comment)


def list_comments(project_id: str) -> list[dict]:
    get_project(project_id)
    rows = db.session.scalars(
        select(Comment).where(Comment.project_id == project_id).order_by(Comment.id)
    )
    return [_describe(c) for c in rows]


def resolve_comment(project_id: str, comment_id: int, body: dict, username: str) -> dict:
    """Mark a comment resolved (`{resolved: true}`, the default) with who and when, or open it
    again (`{resolved: false}`)."""
    extra = set(body) - {"resolved"}
    if extra:
        raise EditError(f"Unknown fields {sorted(extra)}; send only 'resolved' (true or false).")
    resolved = body.get("resolved", True)
    if not isinstance(resolved, bool):
        raise EditError("'resolved' must be true or false.")
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.project_id != project_id:
        raise NotFoundError(f"There is no comment {comment_id} on this project.")
    comment.resolved = resolved
    comment.resolved_by = username if resolved else None
    comment.resolved_at = utcnow() if resolved else None
    db.session.commit()
    return _describe(comment)
