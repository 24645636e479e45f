"""Presence routes: report that the caller looks at a frame of a project, list who else does,
leave."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ..services import viewers as service
from .access import rule
from .inputs import annotator, json_body

viewers = Blueprint("viewers", __name__, url_prefix="/api/projects")


@viewers.put("/<project_id>/viewers")
@rule("view")
def report(project_id: str):
    return jsonify(service.report(project_id, annotator(), json_body()))


@viewers.get("/<project_id>/viewers")
@rule("view")
def listing(project_id: str):
    return jsonify(service.viewers(project_id, annotator()))


@viewers.delete("/<project_id>/viewers")
@rule("view")
def leave(project_id: str):
    service.leave(project_id, annotator())
    return Response(status=204)
