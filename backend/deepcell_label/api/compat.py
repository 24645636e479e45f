"""Routes kept compatible with the original service's public creation API (pipelines post here)."""

from __future__ import annotations

from contextlib import ExitStack

from flask import Blueprint, jsonify, request

from ..services import projects as service
from .inputs import axes_field, source
from .projects import download_response, ready_project

compat = Blueprint("compat", __name__)


@compat.get("/health")
def health():
    return jsonify({"message": "success"})


@compat.post("/api/project")
def create_from_urls():
    with ExitStack() as stack:
        images = source(stack, "__no_file__", ("images",), required=True)
        labels = source(stack, "__no_file__", ("labels",), required=False)
        project = service.create_project(
            images, labels, axes_field("axes"), axes_field("labels_axes")
        )
    return jsonify(project.id)


@compat.post("/api/project/dropped")
def create_from_upload():
    with ExitStack() as stack:
        images = source(stack, "images", (), required=True)
        labels = source(stack, "labels", (), required=False)
        project = service.create_project(
            images, labels, axes_field("axes"), axes_field("labels_axes")
        )
    return jsonify(project.id)


@compat.get("/api/project/<project_id>")
def download_project(project_id: str):
    return download_response(ready_project(project_id), request.args.get("format", "zip"))
