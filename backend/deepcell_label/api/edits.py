"""Edit routes: apply an edit, undo, redo, and the history since a version."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..errors import EditError
from ..services import editing
from .inputs import annotator, json_body

edits = Blueprint("edits", __name__, url_prefix="/api/projects")


@edits.post("/<project_id>/edits")
def apply(project_id: str):
    return jsonify(editing.apply_edit(project_id, json_body(), annotator()))


@edits.post("/<project_id>/undo")
def undo(project_id: str):
    return jsonify(editing.undo(project_id, json_body().get("base_version"), annotator()))


@edits.post("/<project_id>/redo")
def redo(project_id: str):
    return jsonify(editing.redo(project_id, json_body().get("base_version"), annotator()))


@edits.get("/<project_id>/edits")
def since(project_id: str):
    value = request.args.get("since", "0")
    if not value.isdigit() or len(value) > 12:
        raise EditError("'since' must be a version number ≥ 0, e.g. ?since=12.")
    return jsonify(editing.history(project_id, int(value)))
