"""Job routes: a job's state and progress, and cancelling it."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..services import jobs as service

jobs = Blueprint("jobs", __name__, url_prefix="/api/jobs")


@jobs.get("/<job_id>")
def describe(job_id: str):
    return jsonify(service.status(job_id))


@jobs.post("/<job_id>/cancel")
def cancel(job_id: str):
    return jsonify(service.cancel(job_id))
