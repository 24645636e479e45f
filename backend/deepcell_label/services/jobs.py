"""Jobs: long work (builds, exports, embeddings, training, linking) run by workers, not requests.

The `jobs` table is the truth about every job. A request submits one (a row, then a message on
the queue) and answers at once; a worker claims the row, runs the job's use case with a
`JobContext` (progress, cancellation, a heartbeat) and writes the outcome. A job whose worker
died (no heartbeat for JOB_STALE_SECONDS, or a crashed process) is queued again, at most
JOB_MAX_ATTEMPTS times in all; then it fails with the reason. Which function runs each kind of
job is decided by the entry layer (`jobs/`), which passes it to :func:`run`.

Job rows are written on connections of their own, never in the session of the work itself, so
reporting progress never commits (or rolls back) half of a use case's transaction.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy import select, update

from ..errors import ConflictError, DeepCellLabelError, NotFoundError
from ..store.models import Job, db, utcnow

log = logging.getLogger(__name__)

ID_BYTES = 9
STATES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")
COLUMNS = tuple(column.name for column in Job.__table__.columns)
REPORT_EVERY = 0.25  # seconds between progress writes (each also checks for a cancel)
# Messages of a job queued again after its process died; the next worker reads them back.
STARTING_AGAIN = "Starting again: "
GIVING_UP = "Stopping: "


class JobCancelled(Exception):
    """Raised at a progress point of a job whose cancellation was asked for."""


class JobAbandoned(Exception):
    """Raised at a progress point of an attempt that is no longer the job's (taken for dead)."""


class Dispatcher(Protocol):
    """Puts a job on the queue (the Celery app, wired by the application factory)."""

    def send(self, job_id: str) -> None: ...


def _dispatcher() -> Dispatcher:
    return current_app.extensions["deepcell_jobs"]


def _engine():
    return db.engine


def _update(job_id: str, *conditions, **values) -> int:
    """Change a job row in a short transaction of its own; returns how many rows changed."""
    with _engine().begin() as connection:
        result = connection.execute(
            update(Job).where(Job.id == job_id, *conditions).values(**values)
        )
        return result.rowcount


def _read(job_id: str) -> Job | None:
    with _engine().connect() as connection:
        row = connection.execute(select(Job).where(Job.id == job_id)).first()
    if row is None:
        return None
    return Job(**{column: getattr(row, column) for column in COLUMNS})


# ---------------------------------------------------------------- requests


def _new(kind: str, project_id: str | None, params: dict, author: str, **values) -> Job:
    """A new job (queued unless `values` say otherwise), not yet written."""
    job = Job(
        id=secrets.token_urlsafe(ID_BYTES),
        kind=kind,
        project_id=project_id,
        state="queued",
        progress=0.0,
        message="Waiting for a worker",
        params=params,
        error="",
        error_status=500,
        author=author[:255],
        attempts=0,
        cancel_requested=False,
        worker="",
        created=utcnow(),
    )
    for name, value in values.items():
        setattr(job, name, value)
    return job


def _insert(kind: str, project_id: str | None, params: dict, author: str, **values) -> Job:
    """Write a new job row (queued unless `values` say otherwise)."""
    job = _new(kind, project_id, params, author, **values)
    with _engine().begin() as connection:
        connection.execute(Job.__table__.insert().values(**_columns(job)))
    return job


def add_queued(kind: str, project_id: str | None, params: dict, author: str = "") -> Job:
    """A queued job's row added to the session: written when the caller's transaction commits,
    with whatever that transaction checked (e.g. that no such job is running). Put it on the
    queue with `send` after the commit."""
    job = _new(kind, project_id, params, author)
    db.session.add(job)
    return job


def send(job_id: str) -> None:
    """Put a job whose row is committed on the queue."""
    _send(job_id)


def submit(kind: str, project_id: str | None, params: dict, author: str = "") -> Job:
    """Record a queued job and put it on the queue."""
    job = _insert(kind, project_id, params, author)
    _send(job.id)
    return job


def record_done(
    kind: str, project_id: str | None, params: dict, result: Any, author: str = ""
) -> Job:
    """Record a job whose result was already known (e.g. kept from an earlier run): done at
    once, with no worker involved, so clients follow it like any other."""
    now = utcnow()
    return _insert(
        kind,
        project_id,
        params,
        author,
        state="done",
        progress=1.0,
        message="Done (kept from an earlier run)",
        result=result,
        created=now,
        started=now,
        finished=now,
    )


def _columns(job: Job) -> dict:
    return {column: getattr(job, column) for column in COLUMNS}


def _send(job_id: str) -> None:
    try:
        _dispatcher().send(job_id)
    except Exception as error:
        log.exception("could not queue job %s", job_id)
        _update(
            job_id,
            Job.state == "queued",
            state="failed",
            finished=utcnow(),
            error="The job queue is unreachable; try again in a minute.",
            error_status=503,
        )
        raise DeepCellLabelError(
            "The job queue is unreachable, so the work could not start. Try again in a minute; "
            "if it keeps happening, tell the operator (CELERY_BROKER_URL).",
            503,
        ) from error


def get_job(job_id: str) -> Job:
    job = _read(job_id) if job_id and len(job_id) <= 16 else None
    if job is None:
        raise NotFoundError(f"There is no job {job_id[:40]!r}. Check the id the server gave.")
    return job


def describe(job: Job) -> dict:
    def moment(value):
        return value.isoformat() + "Z" if value is not None else None

    return {
        "id": job.id,
        "kind": job.kind,
        "project": job.project_id,
        "state": job.state,
        "progress": round(float(job.progress), 4),
        "message": job.message,
        "result": job.result if job.state == "done" else None,
        "error": job.error or None,
        # The HTTP status a request would have answered the error with (400 for a bad file).
        "error_status": job.error_status if job.state == "failed" else None,
        "author": job.author,
        "attempts": job.attempts,
        "created": moment(job.created),
        "started": moment(job.started),
        "finished": moment(job.finished),
    }


def status(job_id: str) -> dict:
    """A job's description; a running job whose worker went silent is queued again first."""
    job = get_job(job_id)
    if job.state == "running" and _stale(job):
        recover_stale_jobs([job.id])
        job = get_job(job_id)
    return describe(job)


def cancel(job_id: str) -> dict:
    """Cancel a queued job at once, a running one at its next progress point."""
    job = get_job(job_id)
    if job.state in FINISHED:
        raise ConflictError(f"The job is already {job.state}; there is nothing to cancel.")
    _update(
        job_id,
        Job.state == "queued",
        state="cancelled",
        message="Cancelled before it started",
        finished=utcnow(),
    )
    _update(job_id, Job.state == "running", cancel_requested=True, message="Cancelling…")
    return describe(get_job(job_id))


def wait(job_id: str, seconds: float, interval: float = 0.02) -> Job:
    """The job once it has finished, or as it is after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        job = get_job(job_id)
        if job.state in FINISHED or time.monotonic() >= deadline:
            return job
        time.sleep(interval)
        interval = min(interval * 1.5, 0.25)


def latest(
    project_id: str,
    kind: str,
    wanted: Callable[[dict], bool],
    states: tuple[str, ...] = ("done",),
    look_at: int = 50,
) -> Job | None:
    """The most recent job of this kind of the project, in one of `states`, whose parameters are
    `wanted` (among the last `look_at` of them; only the chosen one's result is read)."""
    with _engine().connect() as connection:
        rows = connection.execute(
            select(Job.id, Job.params)
            .where(Job.project_id == project_id, Job.kind == kind, Job.state.in_(states))
            .order_by(Job.created.desc())
            .limit(look_at)
        ).all()
    for job_id, params in rows:
        if wanted(dict(params or {})):
            return _read(job_id)
    return None


def raise_failure(job: Job) -> None:
    """For a request that waited on a job: the job's failure as the request's own error."""
    if job.state == "failed":
        raise DeepCellLabelError(job.error, job.error_status)
    if job.state == "cancelled":
        raise ConflictError("The job was cancelled.")


# ---------------------------------------------------------------- workers


def _stale(job: Job) -> bool:
    limit = timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])
    last = job.heartbeat or job.started or job.created
    return last is None or utcnow() - last > limit


def recover_stale_jobs(
    only: list[str] | None = None, reason: str = "", retry: bool = True
) -> list[str]:
    """Queue again the running jobs whose worker went silent (or, with `only` and a `reason`,
    those jobs whatever their heartbeat says: their process is known to have died).

    A worker takes each such job again: it runs it once more, or (past JOB_MAX_ATTEMPTS, or
    without `retry`) removes its partial work and fails it with the reason.
    """
    if only is not None:
        ids = list(only)
    else:
        limit = utcnow() - timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])
        with _engine().connect() as connection:
            ids = list(
                connection.execute(
                    select(Job.id).where(Job.state == "running", Job.heartbeat < limit)
                ).scalars()
            )
    requeued = []
    for job_id in ids:
        job = _read(job_id)
        if job is None or job.state != "running" or (not reason and not _stale(job)):
            continue
        why = reason or "its worker stopped answering"
        changed = _update(
            job_id,
            Job.state == "running",
            Job.worker == job.worker,
            state="queued",
            worker="",
            message=(f"{STARTING_AGAIN if retry else GIVING_UP}{why}")[:1024],
        )
        if changed:
            log.warning("job %s (%s) queued again: %s", job_id, job.kind, why)
            requeued.append(job_id)
            _send(job_id)
    return requeued


@dataclass
class JobKind:
    """What runs a kind of job, and what removes the partial work of an attempt that did not
    finish (failed, cancelled, or given up after its worker died)."""

    run: Callable[[JobContext], Any]
    clean_up: Callable[[JobContext, str], None] | None = None


class JobContext:
    """What a job's use case sees: its parameters, a progress reporter that also stops the job
    when it was cancelled, and a private temporary folder removed at the end."""

    def __init__(self, job: Job, worker: str) -> None:
        self.id = job.id
        self.kind = job.kind
        self.project_id = job.project_id
        self.params = dict(job.params or {})
        self.author = job.author
        self.attempt = job.attempts
        self.worker = worker
        self.last_report = 0.0
        self._folder: Path | None = None

    def progress(self, fraction: float, message: str = "", force: bool = False) -> None:
        """Report progress (at most every REPORT_EVERY seconds unless forced); raises
        JobCancelled when the job was cancelled, JobAbandoned when this attempt was given up."""
        now = time.monotonic()
        if not force and now - self.last_report < REPORT_EVERY:
            return
        self.last_report = now
        values: dict = {"progress": min(max(float(fraction), 0.0), 1.0), "heartbeat": utcnow()}
        if message:
            values["message"] = message[:1024]
        changed = _update(self.id, Job.state == "running", Job.worker == self.worker, **values)
        if not changed:
            raise JobAbandoned(self.id)
        with _engine().connect() as connection:
            cancelled = connection.execute(
                select(Job.cancel_requested).where(Job.id == self.id)
            ).scalar()
        if cancelled:
            raise JobCancelled(self.id)

    def folder(self) -> Path:
        """A temporary folder of this attempt, on this machine, removed when the job ends."""
        if self._folder is None:
            base = Path(current_app.config["DATA_DIR"]) / "tmp"
            base.mkdir(parents=True, exist_ok=True)
            self._folder = Path(tempfile.mkdtemp(prefix=f"job-{self.id}-", dir=base))
        return self._folder

    def remove_folder(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


class Heartbeat:
    """Writes the job's heartbeat every JOB_HEARTBEAT_SECONDS on a thread, however long a
    single step of the work takes."""

    def __init__(self, app: Flask, job_id: str, worker: str) -> None:
        self.app = app
        self.job_id = job_id
        self.worker = worker
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stopped.set()
        self.thread.join(5)

    def _beat(self) -> None:
        seconds = self.app.config["JOB_HEARTBEAT_SECONDS"]
        with self.app.app_context():
            while not self.stopped.wait(seconds):
                try:
                    _update(
                        self.job_id,
                        Job.state == "running",
                        Job.worker == self.worker,
                        heartbeat=utcnow(),
                    )
                except Exception:
                    log.exception("heartbeat of job %s failed", self.job_id)


def _claim(job_id: str) -> tuple[Job, str] | None:
    """Take a queued job for this process; None if another took it or it was cancelled."""
    job = _read(job_id)
    if job is None or job.state != "queued":
        return None
    worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    now = utcnow()
    changed = _update(
        job_id,
        Job.state == "queued",
        Job.attempts == job.attempts,
        state="running",
        worker=worker,
        attempts=job.attempts + 1,
        started=now,
        heartbeat=now,
        cancel_requested=False,
        message="Starting",
    )
    if not changed:
        return None
    job.attempts += 1
    return job, worker


def _finish(job_id: str, worker: str, **values) -> None:
    _update(job_id, Job.state == "running", Job.worker == worker, finished=utcnow(), **values)


def run(job_id: str, kinds: dict[str, JobKind]) -> None:
    """Run a queued job in this (worker) process: claim it, run its kind, record the outcome."""
    claimed = _claim(job_id)
    if claimed is None:
        return
    job, worker = claimed
    kind = kinds.get(job.kind)
    context = JobContext(job, worker)
    _remove_leftovers(job_id)
    if kind is None:
        _finish(job_id, worker, state="failed", error=f"No worker here runs {job.kind!r} jobs.")
        return
    if job.message.startswith(GIVING_UP) or job.attempts > current_app.config["JOB_MAX_ATTEMPTS"]:
        if job.message.startswith(GIVING_UP):
            error = f"The job stopped: {job.message.removeprefix(GIVING_UP)}."
        else:
            reason = job.message.removeprefix(STARTING_AGAIN) or "its worker stopped"
            error = (
                f"The job was given up after {job.attempts - 1} attempts: {reason}. "
                "Try again; if it keeps failing, report the job id."
            )
        _clean_up(kind, context, error)
        _finish(job_id, worker, state="failed", error=error[:2000], error_status=500)
        return
    app = current_app._get_current_object()
    outcome: dict
    try:
        with Heartbeat(app, job_id, worker):
            result = kind.run(context)
        db.session.commit()
        outcome = dict(state="done", progress=1.0, message="Done", result=result)
    except JobAbandoned:
        db.session.rollback()
        context.remove_folder()
        log.warning("job %s: this attempt was given up; stopping", job_id)
        return
    except JobCancelled:
        db.session.rollback()
        _clean_up(kind, context, "cancelled")
        outcome = dict(state="cancelled", message="Cancelled")
    except DeepCellLabelError as error:
        db.session.rollback()
        _clean_up(kind, context, error.message)
        outcome = dict(state="failed", error=error.message[:2000], error_status=error.status)
    except MemoryError:
        db.session.rollback()
        limit = current_app.config["JOB_MEMORY_LIMIT"]
        message = (
            f"The job ran out of memory (this server allows a job {limit / 2**30:.1f} GiB). "
            "Try a smaller file, or ask the operator to raise JOB_MEMORY_LIMIT."
        )
        _clean_up(kind, context, message)
        outcome = dict(state="failed", error=message, error_status=413)
    except Exception as error:
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, job.kind)
        message = (
            f"The server could not finish the job ({type(error).__name__}). Try again; if it "
            f"keeps failing, report the job id {job_id}."
        )
        _clean_up(kind, context, message)
        outcome = dict(state="failed", error=message, error_status=500)
    # Temporary files go before the outcome is written: whoever waits on it finds them gone.
    context.remove_folder()
    _finish(job_id, worker, **outcome)


def _remove_leftovers(job_id: str) -> None:
    """Temporary folders of earlier attempts of this job whose process died on this machine."""
    base = Path(current_app.config["DATA_DIR"]) / "tmp"
    for folder in base.glob(f"job-{job_id}-*"):
        shutil.rmtree(folder, ignore_errors=True)


def remove_leftovers_of_ended_jobs() -> list[str]:
    """Temporary folders on this machine of jobs that are not running (any more): what the
    attempts of a killed worker left, when their job ended or went on elsewhere. Returns the
    ids of their jobs. Run by the workers when they start and now and then."""
    base = Path(current_app.config["DATA_DIR"]) / "tmp"
    # "job-<id>-<mkdtemp's suffix, which has no dash>"
    folders = {path: path.name[4:].rsplit("-", 1)[0] for path in base.glob("job-*-*")}
    if not folders:
        return []
    with _engine().connect() as connection:
        running = set(
            connection.execute(
                select(Job.id).where(Job.id.in_(set(folders.values())), Job.state == "running")
            ).scalars()
        )
    removed = []
    for folder, job_id in folders.items():
        if job_id not in running:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(job_id)
    return removed


def _clean_up(kind: JobKind, context: JobContext, reason: str) -> None:
    if kind.clean_up is None:
        return
    try:
        kind.clean_up(context, reason)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("cleaning up after job %s failed", context.id)


def process_lost(job_id: str, reason: str, retry: bool = True) -> None:
    """The process running a job died (a signal, a time limit): run it again, or give up."""
    recover_stale_jobs([job_id], reason=reason, retry=retry)
