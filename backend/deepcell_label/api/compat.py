"""Routes kept compatible with the original service's public creation API (pipelines post here)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..services import projects as service
from .access import annotator, current_identity, rule
from .inputs import axes_field, source
from .projects import download_response, ready_project

compat = Blueprint("compat", __name__)


@compat.get("/health")
@rule("public")
def health():
    """Whether the server answers: `{"message": "success"}`. Public."""
    return jsonify({"message": "success"})


@compat.post("/api/project")
@rule("signed_in")
def create_from_urls():
    """Create a project from URLs (form `images`, optional `labels`, `axes`); the compatible creation API.

    Answers the new project's id as a JSON string.
    """
    project, _ = service.create_project(
        source("__no_file__", ("images",), required=True),
        source("__no_file__", ("labels",), required=False),
        axes_field("axes"),
        axes_field("labels_axes"),
        author=annotator(),
        owner_id=current_identity().user_id,
    )
    return jsonify(project.id)


@compat.post("/api/project/dropped")
@rule("signed_in")
def create_from_upload():
    """Create a project from dropped files (multipart `images`, optional `labels`, `axes`); the compatible creation API.

    Answers the new project's id as a JSON string.
    """
    project, _ = service.create_project(
        source("images", (), required=True),
        source("labels", (), required=False),
        axes_field("axes"),
        axes_field("labels_axes"),
        author=annotator(),
        owner_id=current_identity().user_id,
    )
    return jsonify(project.id)


@compat.get("/api/project/<project_id>")
@rule("view")
def download_project(project_id: str):
    """A small project's export (`?format=`, default `zip`); the compatible download."""
    return download_response(ready_project(project_id), request.args.get("format", "zip"))
