"""The link route: follow every cell of a feature through a timelapse or stack, as a job."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..services import linking as service
from .access import annotator, rule
from .inputs import json_body

linking = Blueprint("linking", __name__, url_prefix="/api/projects")


@linking.post("/<project_id>/link")
@rule("annotate")
def link(project_id: str):
    """Start linking the cells of a feature through the frames, as a job (JSON `{feature, threshold, max_gap, divisions}`, all optional).
    ---
    requestBody:
      content:
        application/json:
          schema:
            type: object
            properties:
              feature: {type: integer}
              threshold: {type: number}
              max_gap: {type: integer}
              divisions: {type: boolean}
    responses: {202: {$ref: '#/components/responses/Job'}}
    """
    return jsonify(service.start(project_id, json_body(), annotator())), 202
