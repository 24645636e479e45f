"""What the server says about itself: its versions, its OpenAPI description and a page to read it."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from .. import API_VERSION, __version__
from .access import rule
from .openapi import describe, docs_page

meta = Blueprint("meta", __name__, url_prefix="/api")


def document() -> dict:
    """The app's OpenAPI document, made once per process (the routes do not change)."""
    if "deepcell_openapi" not in current_app.extensions:
        current_app.extensions["deepcell_openapi"] = describe(current_app)
    return current_app.extensions["deepcell_openapi"]


@meta.get("/version")
@rule("public")
def version():
    """The API version this server speaks and the server's own version.

    Clients compare `api_version`'s major number with the ones they speak.
    ---
    responses:
      200:
        description: The versions.
        content:
          application/json:
            schema:
              type: object
              properties:
                api_version: {type: string, example: "1.0"}
                server_version: {type: string, example: "0.1.0"}
    """
    return jsonify(
        {
            "api_version": API_VERSION,
            "server_version": __version__,
        }
    )


@meta.get("/openapi.json")
@rule("public")
def openapi():
    """This API's description (OpenAPI 3), made from the routes themselves.
    ---
    responses:
      200:
        description: The OpenAPI 3 document.
        content:
          application/json: {}
    """
    return jsonify(document())


@meta.get("/docs")
@rule("public")
def docs():
    """A page to read this API's description in a browser.
    ---
    responses:
      200:
        description: An HTML page.
        content:
          text/html: {}
    """
    return Response(docs_page(document()), mimetype="text/html")
