"""Segmentation routes: the methods this server has, a cell diameter measured from the cells
drawn on a frame, and the segment job."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..errors import SegmentationError
from ..services import segmenting as service
from .access import annotator, rule
from .inputs import json_body

segmenting = Blueprint("segmenting", __name__, url_prefix="/api")


def _number(name: str) -> int:
    value = request.args.get(name, "0")
    if not value.isdigit() or len(value) > 9:
        raise SegmentationError(f"'{name}' must be a whole number ≥ 0, e.g. ?{name}=0.")
    return int(value)


@segmenting.get("/segmenters")
@rule("signed_in")
def methods():
    """The segmentation methods this server has (built-in and plug-ins), with their settings."""
    return jsonify({"methods": service.methods()})


@segmenting.get("/projects/<project_id>/diameter")
@rule("view")
def diameter(project_id: str):
    """The median diameter of the cells drawn on a frame (`?feature=&frame=`), in pixels."""
    return jsonify(service.measure_diameter(project_id, _number("feature"), _number("frame")))


@segmenting.post("/projects/<project_id>/segment")
@rule("annotate")
def segment(project_id: str):
    """Propose cells as a job (JSON `{method, feature, frames, frame, channel, diameter, box}`); the proposal is one undoable edit.
    ---
    responses: {202: {$ref: '#/components/responses/Job'}}
    """
    return jsonify(service.start(project_id, json_body(), annotator())), 202
