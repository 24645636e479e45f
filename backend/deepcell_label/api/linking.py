"""The link route: follow every cell of a feature through a timelapse or stack, as a job."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..services import linking as service
from .access import rule
from .inputs import annotator, json_body

linking = Blueprint("linking", __name__, url_prefix="/api/projects")


@linking.post("/<project_id>/link")
@rule("annotate")
def link(project_id: str):
    return jsonify(service.start(project_id, json_body(), annotator())), 202
