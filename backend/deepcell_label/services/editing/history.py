"""What the history says: edits since a version, whether undo and redo are possible, division
findings, and the answer every edit, undo and redo gives."""

from __future__ import annotations

from sqlalchemy import select

from ... import labels as label_actions
from ...errors import EditError
from ...store import presence
from ...store.history import ChangeSet
from ...store.models import Edit, Project, db
from ...store.projects import get_project


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


def undo_state(project: Project, known: dict | None = None) -> dict:
    """Whether undo and redo are possible; `known` gives answers the caller already has."""
    known = known or {}

    def exists(state: str) -> bool:
        return (
            db.session.execute(
                select(Edit.version)
                .where(Edit.project_id == project.id, Edit.kind == "edit", Edit.state == state)
                .limit(1)
            ).first()
            is not None
        )

    return {
        "can_undo": known["can_undo"] if "can_undo" in known else exists("applied"),
        "can_redo": known["can_redo"] if "can_redo" in known else exists("undone"),
    }


def answer(project: Project, base_version: int | None, own: list[dict], known: dict) -> dict:
    edits = own
    if base_version is not None and base_version < project.version - len(own):
        edits = edits_since(project, base_version)
    return {
        "version": project.version,
        "edits": edits,
        "findings": validation_findings(project),
        **undo_state(project, known),
    }


def describe_edit(edit: Edit, changes: ChangeSet | None = None) -> dict:
    changes = changes or ChangeSet.decode(edit.changes)
    return {
        "version": edit.version,
        "kind": edit.kind,
        "action": edit.action,
        "target": edit.target,
        "frame": edit.frame,
        "feature": edit.feature,
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


def history(project_id: str, since: int) -> dict:
    project = get_project(project_id)
    if since < 0:
        raise EditError("'since' must be a version number ≥ 0.")
    return {
        "version": project.version,
        "edits": edits_since(project, since),
        "findings": validation_findings(project),
        **undo_state(project),
    }
