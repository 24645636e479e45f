"""The application factory: settings, database, storage, routes and commands in one Flask app."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, has_request_context, request
from flask_migrate import Migrate
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .api import register
from .api.dashboard import init_dashboard
from .api.requestid import configure_logging
from .commands import add_pyramids, publish_frontend
from .config import REPOSITORY_ROOT, load_config
from .jobs.queue import CeleryDispatcher, make_celery
from .store import snapshot
from .store.models import db
from .store.storage import storage_from_config


def create_app(overrides: dict | None = None) -> Flask:
    """Application factory; `overrides` replace settings read from the environment."""
    app = Flask(__name__, instance_path=str(REPOSITORY_ROOT / "instance"))
    app.config.update(load_config(overrides))
    Path(app.config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"timeout": 60},
        }
    db.init_app(app)
    with app.app_context():
        event.listen(db.engine, "begin", _begin)
    Migrate(app, db, directory=str(REPOSITORY_ROOT / "migrations"))
    app.extensions["deepcell_storage"] = storage_from_config(app.config)
    app.extensions["celery"] = make_celery(app.config)
    app.extensions["deepcell_jobs"] = CeleryDispatcher(
        app.extensions["celery"], app.config["CELERY_QUEUE"]
    )
    app.secret_key = app.config["SECRET_KEY"] or secrets.token_hex(32)
    register(app)
    app.cli.add_command(publish_frontend)
    app.cli.add_command(add_pyramids)
    init_dashboard(app)
    return app


def _begin(connection) -> None:
    """Reads of one GET or HEAD request see one snapshot of the database (store/snapshot.py)."""
    if has_request_context() and request.method in {"GET", "HEAD"}:
        with snapshot.reading():
            snapshot.begin(connection)
    else:
        snapshot.begin(connection)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: write-ahead log (readers never block the writer) and enforced foreign keys."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
