"""A request id on every log line and every error answer, so a report can be matched to the log."""

from __future__ import annotations

import json
import logging
import secrets

from flask import g, has_request_context, request


def current_request_id() -> str:
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = (
            incoming if incoming.isalnum() and len(incoming) <= 64 else secrets.token_hex(8)
        )
    return g.request_id


def install_request_ids() -> None:
    """Give every log record a `request_id` attribute (once per process)."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "adds_request_id", False):
        return

    def record_with_request_id(*args, **kwargs):
        record = make_record(*args, **kwargs)
        record.request_id = current_request_id()
        return record

    record_with_request_id.adds_request_id = True
    logging.setLogRecordFactory(record_with_request_id)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors (LOG_FORMAT=json)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(level: str, style: str) -> None:
    """Request ids on every record; plain text lines, or JSON lines with LOG_FORMAT=json."""
    install_request_ids()
    logging.basicConfig(level=level, format=TEXT_FORMAT)
    if style == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
