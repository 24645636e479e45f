"""What the history says: edits since a version, a page of it newest first, whether an annotator
can undo and redo, division findings, and the answer every edit, undo and redo gives."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ... import labels as label_actions
from ...errors import EditError
from ...store import presence
from ...store.history import ChangeSet
from ...store.models import Edit, Project, db
from ...store.projects import get_project

# Who made an edit when the request named nobody (pipelines, old clients): one shared annotator.
ANONYMOUS = "anonymous"
HISTORY_PAGE = 50
HISTORY_PAGE_MAX = 200


def validation_findings(project: Project) -> list[dict]:
    """What does not agree in the divisions of every feature; each finding names its feature."""
    findings = []
    for feature in sorted({label_actions.division_feature(d) for d in project.divisions}):
        divisions = label_actions.divisions_of(project.divisions, feature)
        for finding in label_actions.validate_divisions(
            divisions, presence.presence(project, feature)
        ):
            findings.append({**finding, "feature": feature})
    return findings


def undo_state(project: Project, author: str, known: dict | None = None) -> dict:
    """Whether `author` can undo and redo (their own edits only); `known` gives answers the
    caller already has."""
    known = known or {}

    def exists(state: str) -> bool:
        return (
            db.session.execute(
                select(Edit.version)
                .where(
                    Edit.project_id == project.id,
                    Edit.author == author,
                    Edit.kind == "edit",
                    Edit.state == state,
                )
                .limit(1)
            ).first()
            is not None
        )

    return {
        "can_undo": known["can_undo"] if "can_undo" in known else exists("applied"),
        "can_redo": known["can_redo"] if "can_redo" in known else exists("undone"),
    }


def answer(
    project: Project, base_version: int | None, own: list[dict], known: dict, author: str
) -> dict:
    edits = own
    if base_version is not None and base_version < project.version - len(own):
        edits = edits_since(project, base_version)
    return {
        "version": project.version,
        "edits": edits,
        "findings": validation_findings(project),
        **undo_state(project, author, known),
    }


def when(moment: datetime) -> str:
    """A stored (naive, UTC) time as ISO 8601 with its zone."""
    return moment.isoformat(timespec="seconds") + "Z"


def describe_edit(edit: Edit, changes: ChangeSet | None = None) -> dict:
    changes = changes or ChangeSet.decode(edit.changes)
    return {
        "version": edit.version,
        "kind": edit.kind,
        "action": edit.action,
        "target": edit.target,
        "frame": edit.frame,
        "feature": edit.feature,
        "author": edit.author,
        "created": when(edit.created),
        **changes.describe(),
    }


def edits_since(project: Project, since: int) -> list[dict]:
    rows = db.session.execute(
        select(Edit)
        .where(Edit.project_id == project.id, Edit.version > since)
        .order_by(Edit.version)
    ).scalars()
    return [describe_edit(edit) for edit in rows]


def check_base(project: Project, base_version: int | None) -> None:
    if base_version is not None and base_version > project.version:
        raise EditError(
            f"'base_version' {base_version} is newer than the project (version {project.version}). "
            "Reload the project."
        )


def parse_base_version(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EditError(
            "'base_version' must be the project version the client last saw (a whole number ≥ 0)."
        )
    return value


def history(project_id: str, since: int, author: str = ANONYMOUS) -> dict:
    project = get_project(project_id)
    if since < 0:
        raise EditError("'since' must be a version number ≥ 0.")
    return {
        "version": project.version,
        "edits": edits_since(project, since),
        "findings": validation_findings(project),
        **undo_state(project, author),
    }


def history_page(project_id: str, before: int | None = None, limit: int = HISTORY_PAGE) -> dict:
    """Records of the history newest first, `limit` of them older than version `before`:
    who did what, when, where (the boxes of the changed pixels), without the pixels."""
    project = get_project(project_id)
    if not 1 <= limit <= HISTORY_PAGE_MAX:
        raise EditError(f"'limit' must be between 1 and {HISTORY_PAGE_MAX}, not {limit}.")
    query = select(Edit).where(Edit.project_id == project.id)
    if before is not None:
        query = query.where(Edit.version < before)
    rows = list(db.session.execute(query.order_by(Edit.version.desc()).limit(limit + 1)).scalars())
    return {
        "version": project.version,
        "edits": [_summary(edit) for edit in rows[:limit]],
        "more": len(rows) > limit,
    }


def _summary(edit: Edit) -> dict:
    changes = ChangeSet.decode(edit.changes)
    args = edit.args or {}
    return {
        "version": edit.version,
        "kind": edit.kind,
        "action": edit.action,
        # An edit: applied, undone or discarded; an undo or redo: done.
        "state": edit.state,
        "target": edit.target,
        "author": edit.author,
        "created": when(edit.created),
        "frame": edit.frame,
        "feature": edit.feature,
        "cell": args.get("cell") if isinstance(args.get("cell"), int) else None,
        "boxes": [
            {
                "feature": patch.feature,
                "frame": patch.frame,
                "x": patch.box[1],
                "y": patch.box[0],
                "width": patch.box[3] - patch.box[1],
                "height": patch.box[2] - patch.box[0],
            }
            for patch in changes.patches
        ],
        # The project lists it changed (divisions, cell_types, channel_names).
        "lists": sorted(name for name in changes.lists if name != "next_cell"),
    }
