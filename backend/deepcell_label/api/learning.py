"""Cell types that learn: embedding, training and prediction jobs, and imported vectors."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..errors import InputFormatError
from ..services import learning as service
from .access import annotator, rule
from .inputs import json_body

learning = Blueprint("learning", __name__, url_prefix="/api/projects")


@learning.post("/<project_id>/embedding")
@rule("annotate")
def embedding(project_id: str):
    """Start an embedding job (UMAP of the cells' features).
    ---
    responses: {202: {$ref: '#/components/responses/Job'}}
    """
    return jsonify(service.start_embedding(project_id, json_body(), annotator())), 202


@learning.post("/<project_id>/classifier")
@rule("annotate")
def classifier(project_id: str):
    """Start training the cell type classifier, as a job.
    ---
    responses: {202: {$ref: '#/components/responses/Job'}}
    """
    return jsonify(service.start_classifier(project_id, json_body(), annotator())), 202


@learning.post("/<project_id>/predictions")
@rule("annotate")
def predictions(project_id: str):
    """Start predicting the cell types of untyped cells, as a job.
    ---
    responses: {202: {$ref: '#/components/responses/Job'}}
    """
    return jsonify(service.start_predictions(project_id, json_body(), annotator())), 202


@learning.get("/<project_id>/learning")
@rule("view")
def kept(project_id: str):
    """The latest embedding, classifier report and predictions of a feature (`?feature=<n>`,
    0 by default), each with the labels version it was made at and `out_of_date` when the
    labels changed since; with the feature's cell count and the channels that carry signal.
    ---
    parameters:
      - {name: feature, in: query, schema: {type: integer, default: 0}}
    responses:
      200:
        description: What the Learn panel shows when it opens.
    """
    return jsonify(service.kept_results(project_id, _feature()))


def _feature() -> int:
    feature = request.args.get("feature", "0")
    if not feature.isdigit() or len(feature) > 6:
        raise InputFormatError("Use ?feature=<n> (a feature number) or leave it out for feature 0.")
    return int(feature)


@learning.post("/<project_id>/embeddings")
@rule("annotate")
def import_embeddings(project_id: str):
    """An embeddings.json as the multipart file `embeddings` or as the JSON body."""
    feature = _feature()
    upload = request.files.get("embeddings")
    data = upload.read() if upload is not None else request.get_data()
    if not data:
        raise InputFormatError(
            'Send an embeddings.json ({"<cell>": [numbers...]}) as the file "embeddings" or as '
            "the JSON body."
        )
    return jsonify(service.import_embeddings(project_id, data, feature))


@learning.delete("/<project_id>/embeddings")
@rule("annotate")
def remove_embeddings(project_id: str):
    """Remove the imported embeddings.
    ---
    responses:
      204:
        description: Removed.
    """
    service.remove_embeddings(project_id)
    return "", 204
