"""A request id on every log line and every error answer, so a report can be matched to the log."""

from __future__ import annotations

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
