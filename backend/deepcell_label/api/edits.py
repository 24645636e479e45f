"""Edit routes: apply an edit, undo, redo, and the history since a version."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from .. import editing
from ..errors import EditError

edits = Blueprint("edits", __name__, url_prefix="/api/projects")


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if body is None and request.get_data():
        raise EditError(
            "The request body is not valid JSON. Send a JSON object (Content-Type: application/json)."
        )
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise EditError("Send a JSON object.")
    return body


def _author() -> str:
    return request.headers.get("X-Annotator", "")[:255]


@edits.post("/<project_id>/edits")
def apply(project_id: str):
    return jsonify(editing.apply_edit(project_id, _json_body(), _author()))


@edits.post("/<project_id>/undo")
def undo(project_id: str):
    return jsonify(editing.undo(project_id, _json_body().get("base_version"), _author()))


@edits.post("/<project_id>/redo")
def redo(project_id: str):
    return jsonify(editing.redo(project_id, _json_body().get("base_version"), _author()))


@edits.get("/<project_id>/edits")
def since(project_id: str):
    value = request.args.get("since", "0")
    if not value.isdigit():
        raise EditError("'since' must be a version number ≥ 0, e.g. ?since=12.")
    return jsonify(editing.history(project_id, int(value)))
