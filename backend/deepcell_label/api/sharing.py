"""Who has a project: the caller's projects, a project's members and its share links."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..errors import InputFormatError
from ..services import access
from .access import current_identity, rule
from .inputs import json_body

sharing = Blueprint("sharing", __name__, url_prefix="/api")

PER_PAGE_MAX = 200


def _page_argument(name: str, default: int, largest: int) -> int:
    value = request.args.get(name, str(default))
    if not value.isdigit() or not 1 <= int(value) <= largest:
        raise InputFormatError(f"'{name}' must be a whole number from 1 to {largest}.")
    return int(value)


@sharing.get("/projects")
@rule("signed_in")
def my_projects():
    """The projects the caller may see, newest first: ?page=1&per_page=50."""
    page = _page_argument("page", 1, 1_000_000)
    per_page = _page_argument("per_page", 50, PER_PAGE_MAX)
    return jsonify(access.visible_projects(current_identity(), page, per_page))


@sharing.get("/projects/<project_id>/members")
@rule("view")
def members(project_id: str):
    return jsonify({"members": access.members(project_id)})


@sharing.post("/projects/<project_id>/members")
@rule("own")
def add_member(project_id: str):
    body = json_body()
    return jsonify(access.add_member(project_id, body.get("username"), body.get("role"))), 201


@sharing.delete("/projects/<project_id>/members/<username>")
@rule("own")
def remove_member(project_id: str, username: str):
    access.remove_member(project_id, username)
    return Response(status=204)


@sharing.post("/projects/<project_id>/links")
@rule("own")
def create_link(project_id: str):
    body = json_body()
    link = access.create_link(
        current_identity(), project_id, body.get("role"), body.get("expires_in_days")
    )
    return jsonify(link), 201


@sharing.get("/projects/<project_id>/links")
@rule("own")
def links(project_id: str):
    return jsonify({"links": access.links(project_id)})


@sharing.delete("/projects/<project_id>/links/<link_id>")
@rule("own")
def revoke_link(project_id: str, link_id: str):
    access.revoke_link(project_id, link_id)
    return Response(status=204)


@sharing.post("/links/<token>")
@rule("signed_in")
def open_link(token: str):
    """Open a share link: the caller gets its role on its project → {project, role}."""
    return jsonify(access.open_link(current_identity(), token))
