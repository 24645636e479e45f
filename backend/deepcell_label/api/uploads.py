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
    """Start a chunked, resumable upload (JSON `{name, size}`).
    ---
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            required: [name, size]
            properties:
              name: {type: string}
              size: {type: integer, description: bytes}
    responses: {201: {$ref: '#/components/responses/Upload'}}
    """
    body = json_body()
    upload = service.create_upload(body.get("name"), body.get("size"), current_identity().user_id)
    return jsonify(service.describe(upload)), 201


@uploads.get("/<upload_id>")
@rule("upload")
def describe(upload_id: str):
    """An upload's state: its chunk size and the chunks received.
    ---
    responses: {200: {$ref: '#/components/responses/Upload'}}
    """
    return jsonify(service.describe(service.get_upload(upload_id)))


@uploads.put("/<upload_id>/chunks/<index>")
@rule("upload")
def put_chunk(upload_id: str, index: str):
    """Store chunk `index` of an upload (exactly `chunk_size` bytes, the last one the rest); again to replace it.
    ---
    requestBody:
      required: true
      content:
        application/octet-stream:
          schema: {type: string, format: binary}
    responses: {200: {$ref: '#/components/responses/Upload'}}
    """
    return jsonify(service.put_chunk(upload_id, index, request.stream, request.content_length))


@uploads.delete("/<upload_id>")
@rule("upload")
def remove(upload_id: str):
    """Drop an upload and its stored chunks.
    ---
    responses:
      204:
        description: Removed.
    """
    service.delete_upload(upload_id)
    return Response(status=204)
