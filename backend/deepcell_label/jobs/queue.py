"""The Celery app made from the settings, and the dispatcher that puts jobs on its queue.

The broker is CELERY_BROKER_URL: Redis or SQS in production; by default a SQLite file beside the
database (kombu's SQLAlchemy transport), so `make run` needs no server. Messages carry only a
job's id: the `jobs` table says what to do, and decides what runs again after a worker died, so
messages are acknowledged when a worker takes them.
"""

from __future__ import annotations

import time

import kombu.transport
from celery import Celery
from kombu.transport import sqlalchemy as sqlalchemy_transport
from kombu.transport.sqlalchemy.models import metadata
from sqlalchemy.exc import IntegrityError, OperationalError

TASK = "deepcell_label.run_job"
# A fresh broker file is made by whichever process opens it first; the others wait this long.
CREATE_ATTEMPTS = 20


class SQLChannel(sqlalchemy_transport.Channel):
    """Kombu's SQL channel, safe when several processes open a fresh broker file at once.

    Kombu creates the broker's tables and a queue's row by checking and then inserting, under a
    lock that only the threads of one process share. When the web workers and the job worker
    open a new file together (the first minutes after `make run`), one of them is told "table
    kombu_queue already exists" or "UNIQUE constraint failed: kombu_queue.name". Kombu's publish
    retry then closes the channel and declares the queue again on a new one, but publishes on the
    channel it closed ("'NoneType' object has no attribute 'client'"): the job is never queued.
    Here the loser of either race simply finds what the winner made.
    """

    def _engine_from_config(self):
        engine = super()._engine_from_config()
        for attempt in range(CREATE_ATTEMPTS):
            try:
                # Kombu's own create_all, run after this, then finds every table in place.
                metadata.create_all(engine)
                return engine
            except OperationalError:
                # Another process created a table between this one's check and its CREATE.
                if attempt == CREATE_ATTEMPTS - 1:
                    raise
                time.sleep(0.05)
        return engine

    def _get_or_create(self, queue):
        try:
            return super()._get_or_create(queue)
        except IntegrityError:
            # Another process added the queue's row first: use that one.
            self.session.rollback()
            return super()._get_or_create(queue)


class SQLTransport(sqlalchemy_transport.Transport):
    """Kombu's SQL transport on `SQLChannel`, polled every 0.1 s instead of every second (a job
    starts sooner).

    The poll interval cannot be passed as a transport option: that transport hands its options
    to SQLAlchemy's `create_engine`.
    """

    Channel = SQLChannel
    polling_interval = 0.1


# `sqla+` and `sqlalchemy+` broker URLs name this transport. (Celery takes the broker from the
# CELERY_BROKER_URL environment variable over the one it is given, so the transport must follow
# from the URL itself.)
for _alias in ("sqla", "sqlalchemy"):
    kombu.transport.TRANSPORT_ALIASES[_alias] = f"{__name__}:SQLTransport"


def make_celery(config: dict) -> Celery:
    celery = Celery("deepcell_label", broker=config["CELERY_BROKER_URL"], set_as_current=False)
    celery.conf.update(
        task_default_queue=config["CELERY_QUEUE"],
        task_ignore_result=True,
        task_acks_late=False,
        worker_prefetch_multiplier=1,
        worker_concurrency=config["WORKER_CONCURRENCY"],
        # On a stop (SIGTERM, remapped to a cold shutdown by scripts/serve.sh), running jobs
        # get this long before their processes are ended; jobs/tasks.py queues them again.
        worker_soft_shutdown_timeout=config["WORKER_STOP_SECONDS"],
        task_time_limit=config["JOB_TIME_LIMIT"],
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        # A fresh process now and then returns what long numpy work left fragmented.
        worker_max_tasks_per_child=100,
        task_serializer="json",
        accept_content=["json"],
    )
    return celery


class CeleryDispatcher:
    """Sends a job's id to the queue the workers listen on."""

    def __init__(self, celery: Celery, queue: str) -> None:
        self.celery = celery
        self.queue = queue

    def send(self, job_id: str) -> None:
        self.celery.send_task(TASK, args=[job_id], queue=self.queue)
