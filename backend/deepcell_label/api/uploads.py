"""Chunked, resumable uploads: start one, send its chunks (in any order, again if need be),
ask which arrived, or drop it."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..services import uploads as service
from .access import current_identity, rule
from .inputs import json_body

uploads = Blueprint("uploads", __name__, url_prefix="/api/uploads")


@uploads.post("")
@rule("signed_in")
def create():
    body = json_body()
    upload = service.create_upload(body.get("name"), body.get("size"), current_identity().user_id)
    return jsonify(service.describe(upload)), 201


@uploads.get("/<upload_id>")
@rule("upload")
def describe(upload_id: str):
    return jsonify(service.describe(service.get_upload(upload_id)))


@uploads.put("/<upload_id>/chunks/<index>")
@rule("upload")
def put_chunk(upload_id: str, index: str):
    return jsonify(service.put_chunk(upload_id, index, request.stream, request.content_length))


@uploads.delete("/<upload_id>")
@rule("upload")
def remove(upload_id: str):
    service.delete_upload(upload_id)
    return Response(status=204)
