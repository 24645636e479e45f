"""Shared fixtures: the app on SQLite + local storage and on MariaDB + S3 (moto's server)."""

from __future__ import annotations

import os
import secrets
import socket
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from accounts import SignedInClient
from flask import Flask

# Every Flask test client of the tests (of any app they make) sends the admin's API token unless
# made with token=None or another token (tests/accounts.py).
Flask.test_client_class = SignedInClient

MYSQL_URL = os.environ.get("TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")


def _required(variable: str) -> bool:
    return os.environ.get(variable, "").lower() in {"1", "true", "yes"}


def skip_or_fail(variable: str, reason: str) -> None:
    """Skip loudly; when CI sets `variable`, the missing service is a failure instead."""
    if _required(variable):
        pytest.fail(f"{reason} ({variable} is set, so this cannot be skipped)")
    warnings.warn(f"SKIPPED: {reason}", stacklevel=2)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's standalone S3 server on loopback, reached like AWS through an endpoint URL."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        skip_or_fail("REQUIRE_S3", "moto[server] is not installed; S3 tests need it")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def make_bucket(endpoint: str, name: str | None = None) -> str:
    from deepcell_label.store.storage import make_s3_client

    name = name or f"test-{secrets.token_hex(6)}"
    make_s3_client(endpoint).create_bucket(Bucket=name)
    return name


@contextmanager
def mysql_database() -> Iterator[str]:
    """A new, empty database on the local MariaDB (skipped when unreachable), dropped after."""
    import pymysql

    try:
        connection = pymysql.connect(
            host="127.0.0.1", port=3306, user="root", password="", connect_timeout=3
        )
    except pymysql.err.OperationalError as error:
        skip_or_fail("REQUIRE_MYSQL", f"MariaDB/MySQL on 127.0.0.1:3306 is not reachable: {error}")
    name = f"dcl_test_{secrets.token_hex(4)}"
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
        yield f"{MYSQL_URL}/{name}"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.close()


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[str]:
    """A fresh database on the local MariaDB for this test session, dropped afterwards."""
    with mysql_database() as url:
        yield url


def build_app(tmp: Path, overrides: dict):
    """The app on a migrated database whose first start made the admin of `ADMIN_TOKEN`: its
    test clients send that token (tests/accounts.py)."""
    from accounts import ADMIN_TOKEN
    from deepcell_label.app import create_app, first_start
    from flask_migrate import upgrade
    from workers import job_settings

    app = create_app(
        {
            "DATA_DIR": str(tmp),
            "ALLOW_PRIVATE_URLS": True,
            "TESTING": True,
            "ADMIN_TOKEN": ADMIN_TOKEN,
            **job_settings(tmp),
            **overrides,
        }
    )
    with app.app_context():
        upgrade()
    first_start(app)
    return app


def start_worker(app, request, name: str = "worker", **settings):
    """A real Celery worker on `app`'s settings (changed by `settings`), stopped after the test
    (or the session, for a session-wide app)."""
    from workers import Worker

    config = {**app.config, **settings}
    worker = Worker(
        config, Path(app.config["DATA_DIR"]).parent / f"{name}-{config['CELERY_QUEUE']}.log"
    )
    worker.start()
    request.addfinalizer(worker.stop)
    app.extensions.setdefault("test_workers", []).append(worker)
    return worker


@contextmanager
def app_with_worker(request, tmp: Path, backend: str, overrides: dict) -> Iterator:
    """An app of a module's own, on "sqlite-local" or on "mysql-s3" (a fresh MariaDB database
    and a bucket of moto's), with a worker on its settings; stopped and dropped after."""
    if backend == "sqlite-local":
        app = build_app(tmp, overrides)
        start_worker(app, request)
        yield app
        return
    endpoint = request.getfixturevalue("moto_endpoint")
    with mysql_database() as url:
        app = build_app(
            tmp,
            {
                **overrides,
                "SQLALCHEMY_DATABASE_URI": url,
                "STORAGE": "s3",
                "STORAGE_BUCKET": make_bucket(endpoint),
                "AWS_ENDPOINT_URL": endpoint,
            },
        )
        worker = start_worker(app, request)
        yield app
        worker.stop()


def pytest_collection_modifyitems(config, items):
    """A test marked `configuration(name)` is kept only with that configuration of `app`, so
    what only one configuration can check is neither run twice nor reported as skipped."""
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("configuration")
        params = getattr(item, "callspec", None)
        chosen = params.params.get("app") if params else None
        if marker and chosen is not None and chosen != marker.args[0]:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session", params=["sqlite-local", "mysql-s3"])
def app(request, tmp_path_factory):
    """The application, once on SQLite with local storage and once on MariaDB with S3."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite-local":
        overrides = {}
    else:
        endpoint = request.getfixturevalue("moto_endpoint")
        overrides = {
            "SQLALCHEMY_DATABASE_URI": request.getfixturevalue("mysql_url"),
            "STORAGE": "s3",
            "STORAGE_BUCKET": make_bucket(endpoint),
            "OUTPUT_BUCKET": make_bucket(endpoint),
            "AWS_ENDPOINT_URL": endpoint,
        }
    app = build_app(tmp, overrides)
    start_worker(app, request)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def sqlite_app(tmp_path):
    """A private app on its own SQLite file, for tests that need a clean database."""
    return build_app(tmp_path, {})
