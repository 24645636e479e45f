"""Edit routes: apply an edit, undo, redo (the caller's own), the history since a version, and a
page of the history newest first."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..errors import EditError
from ..services import editing
from .access import annotator, rule
from .inputs import json_body

edits = Blueprint("edits", __name__, url_prefix="/api/projects")


def _version_argument(name: str, default: str | None, example: str) -> int | None:
    value = request.args.get(name, default)
    if value is None:
        return None
    if not value.isdigit() or len(value) > 12:
        raise EditError(f"'{name}' must be a version number ≥ 0, e.g. ?{name}={example}.")
    return int(value)


@edits.post("/<project_id>/edits")
@rule("annotate")
def apply(project_id: str):
    """Apply one edit (JSON `{action, args, frame, feature, write_mode, base_version}`)."""
    return jsonify(editing.apply_edit(project_id, json_body(), annotator()))


@edits.post("/<project_id>/undo")
@rule("annotate")
def undo(project_id: str):
    """Undo the caller's latest edit still in effect."""
    return jsonify(editing.undo(project_id, json_body().get("base_version"), annotator()))


@edits.post("/<project_id>/redo")
@rule("annotate")
def redo(project_id: str):
    """Redo the edit the caller undid last."""
    return jsonify(editing.redo(project_id, json_body().get("base_version"), annotator()))


@edits.get("/<project_id>/edits")
@rule("view")
def since(project_id: str):
    """The edits after version `since`, with the caller's undo and redo state."""
    return jsonify(editing.history(project_id, _version_argument("since", "0", "12"), annotator()))


@edits.get("/<project_id>/history")
@rule("view")
def history(project_id: str):
    """A page of the history, newest first (`before`, `limit`)."""
    before = _version_argument("before", None, "120")
    limit = _version_argument("limit", str(editing.HISTORY_PAGE), "50")
    return jsonify(editing.history_page(project_id, before, limit))
