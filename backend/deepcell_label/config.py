"""Settings from the environment (and `.env`), with defaults that need no cloud account."""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]

TRUE_WORDS = {"1", "true", "yes", "on"}


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in TRUE_WORDS


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def load_config(overrides: dict | None = None) -> dict:
    """Read every setting; `.env.example` documents each one with its default."""
    load_dotenv(REPOSITORY_ROOT / ".env", override=False)
    overrides = dict(overrides or {})
    data_dir = Path(
        overrides.pop("DATA_DIR", None)
        or os.environ.get("DATA_DIR")
        or REPOSITORY_ROOT / "instance"
    ).resolve()
    config = {
        "DATA_DIR": str(data_dir),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("SQLALCHEMY_DATABASE_URI")
        or f"sqlite:///{data_dir / 'deepcell_label.db'}",
        "STORAGE": os.environ.get("STORAGE", "local"),
        "STORAGE_DIR": os.environ.get("STORAGE_DIR") or str(data_dir / "storage"),
        "STORAGE_BUCKET": os.environ.get("STORAGE_BUCKET", ""),
        "STORAGE_PREFIX": os.environ.get("STORAGE_PREFIX", ""),
        "OUTPUT_BUCKET": os.environ.get("OUTPUT_BUCKET", ""),
        "OUTPUT_DIR": os.environ.get("OUTPUT_DIR") or str(data_dir / "output"),
        "ALLOWED_INPUT_BUCKETS": _list("ALLOWED_INPUT_BUCKETS"),
        "AWS_ENDPOINT_URL": os.environ.get("AWS_ENDPOINT_URL", ""),
        "AWS_REGION": os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or "us-east-1",
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 1024 * 1024 * 1024),
        "MAX_PIXELS": _int("MAX_PIXELS", 4_000_000_000),
        "MAX_UPLOAD_BYTES": _int("MAX_UPLOAD_BYTES", 64 * 1024**3),
        "UPLOAD_CHUNK_BYTES": _int("UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024),
        "UPLOAD_MAX_AGE_HOURS": _float("UPLOAD_MAX_AGE_HOURS", 48.0),
        "CREATE_INLINE_PIXELS": _int("CREATE_INLINE_PIXELS", 32 * 1024 * 1024),
        # Exports: larger projects are exported by a job only; files of export jobs expire.
        "EXPORT_INLINE_PIXELS": _int(
            "EXPORT_INLINE_PIXELS", _int("CREATE_INLINE_PIXELS", 32 * 1024 * 1024)
        ),
        "EXPORT_MAX_AGE_HOURS": _float("EXPORT_MAX_AGE_HOURS", 24.0),
        "EXPORT_PRESIGNED_URLS": _flag("EXPORT_PRESIGNED_URLS", True),
        "EXPORT_URL_SECONDS": _int("EXPORT_URL_SECONDS", 900),
        "CREATE_WAIT_SECONDS": _float("CREATE_WAIT_SECONDS", 5.0),
        # Embeddings: UMAP is fitted on at most this many cells; the others are placed by it.
        "EMBEDDING_FIT_CELLS": _int("EMBEDDING_FIT_CELLS", 50_000),
        "BUILD_HOOK": os.environ.get("BUILD_HOOK", ""),
        "FLOOD_MAX_PIXELS": _int("FLOOD_MAX_PIXELS", 4096 * 4096),
        "URL_MAX_BYTES": _int("URL_MAX_BYTES", 1024 * 1024 * 1024),
        "URL_TIMEOUT": _float("URL_TIMEOUT", 60.0),
        "ALLOW_PRIVATE_URLS": _flag("ALLOW_PRIVATE_URLS"),
        "CORS_ORIGINS": _list("CORS_ORIGINS"),
        "DEBUG": _flag("FLASK_DEBUG"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text"),
        "FRONTEND_DIR": os.environ.get("FRONTEND_DIR")
        or str(REPOSITORY_ROOT / "visualizer" / "dist"),
        "DASHBOARD_CONFIG": os.environ.get("DASHBOARD_CONFIG", ""),
        "SECRET_KEY": os.environ.get("SECRET_KEY", ""),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # At start, the main server process loads this many recently edited frames (edited in
        # the last WARM_HOURS) for the workers it forks.
        "WARM_FRAMES": _int("WARM_FRAMES", 64),
        "WARM_HOURS": _float("WARM_HOURS", 24.0),
        # Jobs (Celery): the broker, the queue's name, and what a job may use.
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL")
        or f"sqla+sqlite:///{data_dir / 'jobs-broker.sqlite'}",
        "CELERY_QUEUE": os.environ.get("CELERY_QUEUE", "deepcell-label"),
        "WORKER_CONCURRENCY": _int("WORKER_CONCURRENCY", 2),
        # A worker told to stop lets its running jobs go on this long, then stops them and
        # queues them again (keep it below the time a deploy waits before killing).
        "WORKER_STOP_SECONDS": _float("WORKER_STOP_SECONDS", 10.0),
        "JOB_MEMORY_LIMIT": _int("JOB_MEMORY_LIMIT", 8 * 1024**3),
        "JOB_TIME_LIMIT": _float("JOB_TIME_LIMIT", 6 * 3600.0),
        "JOB_HEARTBEAT_SECONDS": _float("JOB_HEARTBEAT_SECONDS", 2.0),
        "JOB_STALE_SECONDS": _float("JOB_STALE_SECONDS", 30.0),
        "JOB_MAX_ATTEMPTS": _int("JOB_MAX_ATTEMPTS", 2),
        "JOB_EXTRA_KINDS": os.environ.get("JOB_EXTRA_KINDS", ""),
        # Accounts and access (SPEC section 11).
        "ADMIN_USERNAME": os.environ.get("ADMIN_USERNAME") or "admin",
        "ADMIN_PASSWORD": os.environ.get("ADMIN_PASSWORD", ""),
        "ADMIN_TOKEN": os.environ.get("ADMIN_TOKEN", ""),
        "SIGN_IN_LINK_MINUTES": _float("SIGN_IN_LINK_MINUTES", 15.0),
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", ""),
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE"),
        "SESSION_HOURS": _float("SESSION_HOURS", 336.0),
        "SIGN_IN_LIMIT_ACCOUNT": os.environ.get("SIGN_IN_LIMIT_ACCOUNT") or "5 per minute",
        "SIGN_IN_LIMIT_ADDRESS": os.environ.get("SIGN_IN_LIMIT_ADDRESS") or "20 per minute",
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or "memory://",
        # Single sign-on (OpenID Connect): the provider's issuer URL (empty = off), this server's
        # client id and secret there, and whether a first sign-in makes an account.
        "OIDC_ISSUER": os.environ.get("OIDC_ISSUER", ""),
        "OIDC_CLIENT_ID": os.environ.get("OIDC_CLIENT_ID", ""),
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET", ""),
        "OIDC_SCOPES": os.environ.get("OIDC_SCOPES") or "openid profile email",
        "OIDC_ALLOW_SIGNUP": _flag("OIDC_ALLOW_SIGNUP"),
        "OIDC_PROVIDER_NAME": os.environ.get("OIDC_PROVIDER_NAME", ""),
    }
    config.update(overrides)
    return config
