"""Presence routes: report that the caller looks at a frame of a project, list who else does,
leave."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ..services import viewers as service
from .access import annotator, rule
from .inputs import json_body

viewers = Blueprint("viewers", __name__, url_prefix="/api/projects")


@viewers.put("/<project_id>/viewers")
@rule("view")
def report(project_id: str):
    """Report that the caller looks at a frame and feature; answers who is there."""
    return jsonify(service.report(project_id, annotator(), json_body()))


@viewers.get("/<project_id>/viewers")
@rule("view")
def listing(project_id: str):
    """Who has the project open, and at which frame."""
    return jsonify(service.viewers(project_id, annotator()))


@viewers.delete("/<project_id>/viewers")
@rule("view")
def leave(project_id: str):
    """The caller no longer has the project open.
    ---
    responses:
      204:
        description: Left.
    """
    service.leave(project_id, annotator())
    return Response(status=204)
