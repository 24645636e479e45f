"""The one task of the workers: run a job by its id, with the use case of its kind.

Each job runs in a child process of the worker (Celery's prefork pool) under a memory limit
(JOB_MEMORY_LIMIT, `resource.setrlimit`) and a time limit (JOB_TIME_LIMIT): a file reader that
crashes, loops or balloons on a hostile file ends that process only. The worker's main process
sees the loss and queues the job again, or gives it up with the reason.
"""

from __future__ import annotations

import importlib
import logging
import resource
import threading
import time

from billiard.exceptions import TimeLimitExceeded, WorkerLostError
from celery import Celery, signals
from flask import Flask

from ..services import building, export_jobs, jobs, learning, linking, segmenting
from ..services.campaigns import dataset as campaign_dataset
from ..services.campaigns import images as campaign_images
from ..services.campaigns import presegment as campaign_presegment
from ..services.campaigns import tasks as campaign_tasks
from ..services.jobs import JobKind
from ..store.models import db
from .queue import TASK

log = logging.getLogger(__name__)


def job_kinds(config: dict) -> dict[str, JobKind]:
    """Every kind of job and what runs it; JOB_EXTRA_KINDS (`module:name` of a dict) adds more."""
    kinds: dict[str, JobKind] = {
        "build": building.BUILD,
        export_jobs.EXPORT: export_jobs.EXPORT_JOB,
        export_jobs.SUBMIT: export_jobs.SUBMIT_JOB,
        **learning.KINDS,
        "link": linking.LINK,
        "segment": segmenting.SEGMENT,
        campaign_images.KIND: campaign_images.ADD_IMAGES,
        campaign_dataset.KIND: campaign_dataset.EXPORT_DATASET,
        campaign_presegment.KIND: campaign_presegment.PRESEGMENT,
    }
    if config["JOB_EXTRA_KINDS"]:
        module, _, name = config["JOB_EXTRA_KINDS"].partition(":")
        kinds.update(getattr(importlib.import_module(module), name))
    return kinds


def register(celery: Celery, app: Flask) -> None:
    """Define the task and the worker's signal handlers on `celery`, running jobs in `app`."""
    kinds = job_kinds(app.config)

    @celery.task(name=TASK)
    def run_job(job_id: str) -> None:
        with app.app_context():
            try:
                jobs.run(job_id, kinds)
            finally:
                db.session.remove()

    @signals.worker_process_init.connect(weak=False)
    def limit_child(**_kwargs) -> None:
        """In each pool process: its own database connections, and the memory limit."""
        with app.app_context():
            db.engine.dispose(close=False)  # connections opened before the fork stay the parent's
        limit = app.config["JOB_MEMORY_LIMIT"]
        if limit > 0:
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))

    @signals.task_failure.connect(weak=False)
    def process_lost(sender=None, task_id=None, exception=None, args=None, **_kwargs) -> None:
        """In the main process: a pool process died running a job, or ran past the time limit."""
        if getattr(sender, "name", None) != TASK or not args:
            return
        with app.app_context():
            if isinstance(exception, TimeLimitExceeded):
                limit = app.config["JOB_TIME_LIMIT"]
                jobs.process_lost(args[0], f"it ran longer than the limit of {limit:.0f} s", False)
            elif isinstance(exception, WorkerLostError):
                jobs.process_lost(args[0], _lost_reason(exception))

    @signals.task_retry.connect(weak=False)
    def queue_stopped_job(sender=None, request=None, **_kwargs) -> None:
        """In the main process, told to stop: a job still running after WORKER_STOP_SECONDS
        is ended by Celery and announced as a retry; it runs again on another worker (or this
        one, started again) at once, not after the silence of JOB_STALE_SECONDS."""
        if getattr(sender, "name", None) != TASK or not getattr(request, "args", None):
            return
        with app.app_context():
            jobs.process_lost(request.args[0], "its worker was stopped")
            db.session.remove()

    @signals.worker_ready.connect(weak=False)
    def watch_stale_jobs(**_kwargs) -> None:
        """Now and then, queue again the jobs of workers that went silent (on any machine),
        remove the export files that expired and the temporary folders of jobs that ended
        (on this machine), return to the pool campaign tasks whose lease ran out, and queue the
        pre-segmentation of campaigns that have more accepted images to learn from."""
        every = max(app.config["JOB_STALE_SECONDS"] / 2, 1.0)
        # Expired exports are looked for a few times per EXPORT_MAX_AGE_HOURS, at most every
        # 10 minutes (each look lists the stored exports).
        sweep_every = min(600.0, app.config["EXPORT_MAX_AGE_HOURS"] * 3600 / 4)
        last_sweep = -float("inf")

        def watch() -> None:
            nonlocal last_sweep
            while True:
                try:
                    with app.app_context():
                        jobs.recover_stale_jobs()
                        campaign_presegment.sweep()
                        if time.monotonic() - last_sweep >= sweep_every:
                            last_sweep = time.monotonic()
                            export_jobs.remove_expired()
                            jobs.remove_leftovers_of_ended_jobs()
                            # Leases are also checked on every `next`; this frees tasks of
                            # campaigns nobody is asking in.
                            campaign_tasks.expire_all_leases()
                        db.session.remove()
                except Exception:
                    log.exception("looking for stale jobs or expired exports failed")
                stop.wait(min(every, sweep_every))

        stop = threading.Event()
        threading.Thread(target=watch, name="stale-jobs", daemon=True).start()


def _lost_reason(error: Exception) -> str:
    text = str(error)  # e.g. "Worker exited prematurely: signal 11 (SIGSEGV) Job: 3."
    detail = text.split(":", 1)[-1].split(" Job:")[0].strip().rstrip(".")
    return f"its process stopped ({detail}): it crashed, ran out of memory or was killed"
