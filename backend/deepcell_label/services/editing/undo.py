"""Undo and redo: apply a stored change record backwards or forwards, as a new history record."""

from __future__ import annotations

from sqlalchemy import select

from ...errors import ConflictError
from ...store.history import ChangeSet
from ...store.models import Edit, db
from .history import answer, check_base, describe_edit, parse_base_version
from .unit import EditContext, record, transaction


def _replay(context: EditContext, changes: ChangeSet) -> None:
    """Apply a stored change set (forwards); used by undo (with its inverse) and redo."""
    for patch in changes.patches:
        tileset = context.tileset(patch.feature, patch.frame, patch.box)
        tileset.write(patch.box, patch.values("after"))
        context.changes.patches.append(patch)
    for (feature, frame, value), (before, after) in changes.cells.items():
        context.changes.set_cell((feature, frame, value), before, after)
        context.changing(feature, frame).set(value, after)
    for name, (_, after) in changes.lists.items():
        context.set_list(name, after)


def _step(project_id: str, direction: str, base_version: int | None, author: str) -> dict:
    def work(context: EditContext) -> dict:
        project = context.project
        check_base(project, base_version)
        state = "applied" if direction == "undo" else "undone"
        order = Edit.version.desc() if direction == "undo" else Edit.version.asc()
        target = db.session.execute(
            select(Edit)
            .where(Edit.project_id == project.id, Edit.kind == "edit", Edit.state == state)
            .order_by(order)
            .limit(1)
        ).scalar_one_or_none()
        if target is None:
            raise ConflictError(f"There is nothing to {direction}.")
        changes = ChangeSet.decode(target.changes)
        _replay(context, changes.inverse() if direction == "undo" else changes)
        target.state = "undone" if direction == "undo" else "applied"
        edit = record(
            project,
            context,
            direction,
            target.action,
            {},
            target.frame,
            target.feature,
            target.write_mode,
            target.version,
            author,
        )
        known = {"can_redo": True} if direction == "undo" else {"can_undo": True}
        return answer(project, base_version, [describe_edit(edit, context.changes)], known)

    return transaction(project_id, work)


def undo(project_id: str, base_version: int | None = None, author: str = "") -> dict:
    return _step(project_id, "undo", parse_base_version(base_version), author)


def redo(project_id: str, base_version: int | None = None, author: str = "") -> dict:
    return _step(project_id, "redo", parse_base_version(base_version), author)
