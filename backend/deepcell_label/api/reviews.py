"""Review routes: judge a project, list verdicts, download them as CSV."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..services import reviews as service
from .access import annotator, rule
from .inputs import json_body

reviews = Blueprint("reviews", __name__, url_prefix="/api")


@reviews.post("/projects/<project_id>/review")
@rule("review")
def judge(project_id: str):
    """Record a review verdict (`{judgment: accept|reject, comment}`).
    ---
    responses:
      201:
        description: The stored verdict.
    """
    return jsonify(service.judge(project_id, json_body(), annotator())), 201


def _listed_projects() -> list[str]:
    return service.parse_project_ids(request.args.get("projects"))


@reviews.get("/reviews")
@rule("signed_in", projects=_listed_projects)
def verdicts():
    """The latest verdicts of the projects named in `?projects=a,b,c` (`&format=csv` for CSV)."""
    ids = service.parse_project_ids(request.args.get("projects"))
    if request.args.get("format") == "csv":
        response = Response(service.verdicts_csv(ids), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="review.csv"'
        return response
    return jsonify({"reviews": service.verdicts(ids)})
