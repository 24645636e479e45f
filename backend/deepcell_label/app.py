"""The application factory: settings, database, storage, routes and commands in one Flask app."""

from __future__ import annotations

import logging
import os
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, has_request_context, request
from flask_migrate import Migrate
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from .api import register
from .api.dashboard import init_dashboard
from .api.requestid import configure_logging
from .commands import add_pyramids, publish_frontend, users
from .config import REPOSITORY_ROOT, load_config
from .jobs.queue import CeleryDispatcher, make_celery
from .services import access
from .store import connections, snapshot
from .store.models import db
from .store.storage import storage_from_config


def create_app(overrides: dict | None = None) -> Flask:
    """Application factory; `overrides` replace settings read from the environment."""
    app = Flask(__name__, instance_path=str(REPOSITORY_ROOT / "instance"))
    app.config.update(load_config(overrides))
    Path(app.config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    mariadb = database.startswith(("mysql", "mariadb"))
    if database.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"timeout": 60},
        }
    elif mariadb:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            **connections.ENGINE_OPTIONS,
        }
    db.init_app(app)
    with app.app_context():
        event.listen(db.engine, "begin", _begin)
        if mariadb:
            connections.keep_connections(db.engine)
    Migrate(app, db, directory=str(REPOSITORY_ROOT / "migrations"))
    app.extensions["deepcell_storage"] = storage_from_config(app.config)
    app.extensions["celery"] = make_celery(app.config)
    app.extensions["deepcell_jobs"] = CeleryDispatcher(
        app.extensions["celery"], app.config["CELERY_QUEUE"]
    )
    app.secret_key = app.config["SECRET_KEY"] or _kept_secret(Path(app.config["DATA_DIR"]))
    register(app)
    app.cli.add_command(publish_frontend)
    app.cli.add_command(add_pyramids)
    app.cli.add_command(users)
    init_dashboard(app)
    command = click.get_current_context(silent=True)
    if command is not None and command.command.name == "run":
        # `flask run` (the development server) starts like `make run` and gunicorn (wsgi.py).
        host, port = command.params.get("host"), command.params.get("port")
        first_start(app, f"http://{host}:{port}" if host and port else None)
    return app


def _kept_secret(data_dir: Path) -> str:
    """Without SECRET_KEY, a random one kept in DATA_DIR: sessions and share links survive a
    restart, and every process of one server signs alike."""
    path = data_dir / "secret_key"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_hex(32))
    return path.read_text().strip()


def first_start(app: Flask, address: str | None = None) -> None:
    """When no account exists, make the admin (ADMIN_USERNAME, ADMIN_PASSWORD, ADMIN_TOKEN);
    without a password, print a one-time sign-in link on the console (to PUBLIC_URL, else
    `address`, else HOST and PORT)."""
    config = app.config
    with app.app_context():
        try:
            secret = access.first_start(
                config["ADMIN_USERNAME"],
                config["ADMIN_PASSWORD"],
                config["ADMIN_TOKEN"],
                config["SIGN_IN_LINK_MINUTES"],
            )
        except DBAPIError as error:  # no tables yet: `flask db upgrade` has not run
            logging.getLogger(__name__).warning("first start skipped: %s", error.orig)
            return
    if secret is None:
        return
    base = (
        config["PUBLIC_URL"]
        or address
        or f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
    )
    minutes = config["SIGN_IN_LINK_MINUTES"]
    message = (
        f"\n    Account {access.normalise_username(config['ADMIN_USERNAME'])!r} (site admin) "
        f"created. Sign in once with this link (valid {minutes:g} minutes, used once):\n\n"
        f"        {base.rstrip('/')}/api/auth/link?token={secret}\n\n"
        "    Then set a password (`flask users set-password`) or make API tokens in the app.\n"
    )
    print(message, file=sys.stderr, flush=True)
    logging.getLogger(__name__).info("first start: one-time sign-in link printed")


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
