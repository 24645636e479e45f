"""Exports and submits run by workers: the file written to object storage (an export) or to the
output bucket (a submit), with progress; export files are downloaded from their job and expire.

Small projects (at most EXPORT_INLINE_PIXELS raw pixels) may still be exported and submitted in
the request (`exporting.py`); larger ones only by these jobs. An export's file is kept at
``exports/<job id>/<file name>`` for EXPORT_MAX_AGE_HOURS, then the workers remove it.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from flask import current_app
from sqlalchemy import select

from ..errors import ConflictError, GoneError, NotFoundError, TooLargeError
from ..store.models import Job, Project, db, utcnow
from ..store.projects import get_project, require_ready
from ..store.storage import storage
from . import exporting, jobs
from .jobs import JobContext, JobKind

log = logging.getLogger(__name__)

EXPORT = "export"
SUBMIT = "submit"
PREFIX = "exports/"
WRITING = 0.9  # share of a job's progress spent writing the file; the rest stores it
# Kinds of job whose result is a file kept at PREFIX/<job id>/ (a campaign's dataset too).
DOWNLOADABLE = {EXPORT, "campaign_dataset"}


def pixels(project: Project) -> int:
    return project.frames * project.height * project.width * project.channels


def is_small(project: Project) -> bool:
    """Whether the project may be exported in a request."""
    return pixels(project) <= current_app.config["EXPORT_INLINE_PIXELS"]


def check_small(project: Project) -> Project:
    """The project, or 413 saying how to export it when it is too large for a request."""
    if is_small(project):
        return project
    raise TooLargeError(
        f"This project is too large to export in one request ({pixels(project):,} pixels; "
        f"this server's limit is {current_app.config['EXPORT_INLINE_PIXELS']:,}). Export it as "
        f'a job: POST /api/projects/{project.id}/exports with {{"format": "zip"}}, follow '
        "GET /api/jobs/<job id> until it is done, then download the file from "
        "GET /api/jobs/<job id>/download."
    )


def start_export(project_id: str, kind: str, author: str = "") -> dict:
    """Queue an export job; its description."""
    project = require_ready(get_project(project_id))
    exporting.check_format(kind)
    return jobs.describe(jobs.submit(EXPORT, project.id, {"format": kind}, author))


def submit(project_id: str, kind: str, author: str = "", as_job: bool = False) -> tuple[bool, dict]:
    """Write the export to the output bucket: in the request for a small project (unless
    `as_job`), else by a job. Returns (whether it is a job, the result or the job)."""
    project = require_ready(get_project(project_id))
    exporting.check_format(kind)
    if is_small(project) and not as_job:
        return False, exporting.submit(project, kind)
    return True, jobs.describe(jobs.submit(SUBMIT, project.id, {"format": kind}, author))


# ---------------------------------------------------------------- the jobs


def file_key(job_id: str, filename: str) -> str:
    return f"{PREFIX}{job_id}/{filename}"


def _write(context: JobContext) -> tuple[Project, str, Path, int]:
    """Write the job's export into its folder: (project, file name, path, version)."""
    project = require_ready(get_project(context.project_id))
    kind = context.params["format"]
    filename, _ = exporting.file_name(project, kind)
    path = context.folder() / filename
    context.progress(0.0, "Reading the project", force=True)

    def told(fraction: float, message: str) -> None:
        context.progress(WRITING * fraction, message)

    with path.open("w+b") as fileobj:
        version = exporting.write_export(project, kind, fileobj, told)
    return project, filename, path, version


def run_export(context: JobContext) -> dict:
    """The export job: the file in object storage, named in the result with its size, the route
    that downloads it and when it expires."""
    remove_file(context.id)  # an earlier attempt, whose process died, may have left a part
    project, filename, path, version = _write(context)
    size = path.stat().st_size
    context.progress(WRITING, "Storing the file", force=True)
    store = storage()
    key = file_key(context.id, filename)
    local = store.local_path(key)
    if local is not None:  # local storage: moved (a rename when it is on the same disk)
        local.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, local)
    else:
        with path.open("rb") as fileobj:
            store.put_file(key, fileobj)
    hours = current_app.config["EXPORT_MAX_AGE_HOURS"]
    log.info("exported project %s (%s, %d bytes) in job %s", project.id, filename, size, context.id)
    return {
        "file": filename,
        "name": _download_name(project, filename),
        "format": context.params["format"],
        "bytes": size,
        "version": version,
        "download": f"/api/jobs/{context.id}/download",
        "expires": (utcnow() + timedelta(hours=hours)).isoformat() + "Z",
    }


def run_submit(context: JobContext) -> dict:
    """The submit job: the export written to the configured output bucket."""
    project, filename, path, version = _write(context)
    context.progress(WRITING, "Writing to the output bucket", force=True)
    with path.open("rb") as fileobj:
        result = exporting.deliver(project, filename, fileobj)
    return {**result, "version": version}


def clean_up_export(context: JobContext, reason: str) -> None:
    """An export that failed or was cancelled leaves no file."""
    remove_file(context.id)


def remove_file(job_id: str) -> None:
    """Remove an export job's file (there may be none)."""
    storage().delete_prefix(f"{PREFIX}{job_id}/")


EXPORT_JOB = JobKind(run_export, clean_up_export)
SUBMIT_JOB = JobKind(run_submit)


# ---------------------------------------------------------------- downloads


@dataclass
class Download:
    """How to hand an export's file to the browser: a redirect to `url`, or its bytes (`path`
    on this machine, else `pieces`)."""

    name: str
    content_type: str
    size: int
    disposition: str
    url: str | None = None
    path: Path | None = None
    pieces: Iterator[bytes] | None = None


def _download_name(project: Project, filename: str) -> str:
    """The file name the browser saves: the project's name with the export's ending."""
    ending = filename.split(".", 1)[1]
    base = "".join(c if c.isprintable() and c not in '/\\"' else "_" for c in project.name)
    return f"{base.strip() or project.id}.{ending}"[:200]


def _disposition(name: str) -> str:
    """Content-Disposition for `name`: plain ASCII, and RFC 6266's UTF-8 form for the rest."""
    plain = name.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"


def _expired(job: Job) -> bool:
    hours = current_app.config["EXPORT_MAX_AGE_HOURS"]
    return job.finished is not None and utcnow() - job.finished > timedelta(hours=hours)


def download(job_id: str) -> Download:
    """The finished export job's file, or why it cannot be downloaded."""
    job = jobs.get_job(job_id)
    if job.kind not in DOWNLOADABLE:
        raise NotFoundError(f"Job {job_id} is a {job.kind} job: it has no file to download.")
    if job.state in ("queued", "running"):
        raise ConflictError(
            f"The export is not finished yet ({int(job.progress * 100)}%). Follow "
            f"GET /api/jobs/{job_id} and download when its state is 'done'."
        )
    if job.state == "failed":
        raise ConflictError(f"The export failed, so there is no file: {job.error}")
    if job.state == "cancelled":
        raise ConflictError("The export was cancelled, so there is no file. Export again.")
    hours = current_app.config["EXPORT_MAX_AGE_HOURS"]
    gone = GoneError(
        f"The export's file expired (files are kept {hours:g} hours). Export the project again."
    )
    if _expired(job):
        raise gone
    result = job.result or {}
    key = file_key(job.id, result["file"])
    store = storage()
    content_type = result.get("content_type") or exporting.EXPORT_FORMATS[result["format"]][1]
    try:
        size = store.size(key)
    except KeyError:
        raise gone from None
    disposition = _disposition(result["name"])
    answer = Download(result["name"], content_type, size, disposition)
    config = current_app.config
    if config["EXPORT_PRESIGNED_URLS"]:
        answer.url = store.download_url(key, config["EXPORT_URL_SECONDS"], disposition)
    if answer.url is None:
        answer.path = store.local_path(key)
        if answer.path is None:
            answer.pieces = store.stream(key)
    return answer


# ---------------------------------------------------------------- expiry


def remove_expired() -> list[str]:
    """Remove the files of export jobs that expired, failed or were cancelled (or whose job is
    gone); returns the ids of the jobs whose files were removed. Run now and then by workers.

    Only files still in storage are looked at, so the work follows the exports kept, not every
    export ever made."""
    store = storage()
    found = {key[len(PREFIX) :].split("/", 1)[0] for key in store.keys(PREFIX)}
    if not found:
        return []
    states: dict[str, tuple[str, datetime | None]] = {}
    ids = sorted(found)
    for start in range(0, len(ids), 500):
        rows = db.session.execute(
            select(Job.id, Job.state, Job.finished).where(Job.id.in_(ids[start : start + 500]))
        )
        states.update({row.id: (row.state, row.finished) for row in rows})
    db.session.rollback()  # end the read: nothing was written
    cutoff = utcnow() - timedelta(hours=current_app.config["EXPORT_MAX_AGE_HOURS"])
    removed = []
    for job_id in ids:
        state, finished = states.get(job_id, ("gone", None))
        if state in ("queued", "running"):
            continue
        if state == "done" and finished is not None and finished >= cutoff:
            continue
        remove_file(job_id)
        removed.append(job_id)
    if removed:
        log.info("removed %d expired or unfinished export files", len(removed))
    return removed
