"""Review mode: reviewers accept or reject projects; the verdicts are kept and exported as CSV."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from ..errors import EditError, InputFormatError
from ..store.models import Project, Review, db
from ..store.projects import get_project

JUDGMENTS = ("accept", "reject")
MAX_PROJECTS = 500


def judge(project_id: str, body: dict, reviewer: str = "") -> dict:
    """Record a judgment `{judgment: accept|reject, comment?}` of one project."""
    project = get_project(project_id)
    if not isinstance(body, dict):
        raise EditError("Send the review as a JSON object with 'judgment'.")
    extra = set(body) - {"judgment", "comment"}
    if extra:
        raise EditError(
            f"Unknown fields {sorted(extra)} in the review; allowed: judgment, comment."
        )
    judgment = body.get("judgment")
    if judgment not in JUDGMENTS:
        raise EditError(f"'judgment' must be 'accept' or 'reject', not {judgment!r}.")
    comment = body.get("comment", "")
    if not isinstance(comment, str) or len(comment) > 2000:
        raise EditError("'comment' must be text of at most 2000 characters.")
    review = Review(
        project_id=project.id, judgment=judgment, comment=comment, reviewer=reviewer[:255]
    )
    db.session.add(review)
    db.session.commit()
    return _describe(project, review)


def _describe(project: Project, review: Review | None) -> dict:
    return {
        "project": project.id,
        "name": project.name,
        "judgment": review.judgment if review else None,
        "comment": review.comment if review else "",
        "reviewer": review.reviewer if review else "",
        "reviewed": review.created.isoformat() + "Z" if review else None,
        "version": project.version,
        "missing": False,
    }


def parse_project_ids(text: str | None) -> list[str]:
    ids = [item.strip() for item in (text or "").split(",") if item.strip()]
    if not ids:
        raise InputFormatError("Name the projects to review: ?projects=<id>,<id>,...")
    if len(ids) > MAX_PROJECTS:
        raise InputFormatError(f"At most {MAX_PROJECTS} projects can be reviewed at once.")
    return list(dict.fromkeys(ids))


def verdicts(project_ids: list[str]) -> list[dict]:
    """The latest judgment of each project, in the order asked for; unknown ids are marked."""
    found = {
        project.id: project
        for project in db.session.execute(
            select(Project).where(Project.id.in_(project_ids))
        ).scalars()
    }
    rows = db.session.execute(
        select(Review).where(Review.project_id.in_(project_ids)).order_by(Review.id)
    ).scalars()
    latest = {review.project_id: review for review in rows}
    return [
        _describe(found[project_id], latest.get(project_id))
        if project_id in found
        else {**dict.fromkeys(CSV_COLUMNS, None), "project": project_id[:32], "missing": True}
        for project_id in project_ids
    ]


CSV_COLUMNS = ("project", "name", "judgment", "comment", "reviewer", "reviewed", "version")


def verdicts_csv(project_ids: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in verdicts(project_ids):
        writer.writerow({key: "" if row[key] is None else row[key] for key in CSV_COLUMNS})
    return out.getvalue()
