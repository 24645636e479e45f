"""Job routes: a job's state and progress, cancelling it, and downloading an export job's file."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, redirect, send_file

from ..services import export_jobs
from ..services import jobs as service
from .access import rule

jobs = Blueprint("jobs", __name__, url_prefix="/api/jobs")


@jobs.get("/<job_id>")
@rule("job")
def describe(job_id: str):
    return jsonify(service.status(job_id))


@jobs.post("/<job_id>/cancel")
@rule("job")
def cancel(job_id: str):
    return jsonify(service.cancel(job_id))


@jobs.get("/<job_id>/download")
@rule("job")
def download(job_id: str):
    """The export's file: a redirect to a pre-signed S3 address, or its bytes from here."""
    found = export_jobs.download(job_id)
    if found.url is not None:
        return redirect(found.url, 302)
    if found.path is not None:
        response = send_file(found.path, mimetype=found.content_type, conditional=True)
    else:
        response = Response(found.pieces, mimetype=found.content_type)
        response.headers["Content-Length"] = str(found.size)
    response.headers["Content-Disposition"] = found.disposition
    response.headers["Cache-Control"] = "private, no-store"
    return response
