"""Headers, CORS, the served app, and errors that never show a traceback."""

from __future__ import annotations

import logging

import pytest
from conftest import build_app


@pytest.fixture
def served(tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>DeepCell Label</title>")
    (dist / "assets" / "index-abc123.js").write_text("export {}")
    app = build_app(
        tmp_path / "data",
        {"FRONTEND_DIR": str(dist), "CORS_ORIGINS": ["https://label.example.org"]},
    )
    return app


def test_pages_and_assets(served):
    client = served.test_client()
    for path in ("/", "/project?projectId=abc"):
        page = client.get(path)
        assert page.status_code == 200 and b"DeepCell Label" in page.data
        assert page.headers["Cache-Control"] == "no-cache"
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Content-Type-Options"] == "nosniff"
    asset = client.get("/assets/index-abc123.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["Cache-Control"]
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "nothing at" in missing.get_json()["error"]


def test_cors_only_for_configured_origins(served):
    client = served.test_client()
    allowed = client.get("/health", headers={"Origin": "https://label.example.org"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://label.example.org"
    other = client.get("/health", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_debug_is_off_and_faults_answer_json_without_details(served, caplog):
    assert not served.debug

    def broken():
        raise RuntimeError("SELECT secret FROM table at /srv/app/x.py")

    served.add_url_rule("/api/broken", view_func=broken)
    with caplog.at_level(logging.ERROR):
        response = served.test_client().get("/api/broken", headers={"X-Request-Id": "abc123"})
    assert response.status_code == 500
    body = response.get_json()
    assert (
        "SELECT" not in body["error"]
        and "Traceback" not in body["error"]
        and "/srv" not in body["error"]
    )
    assert body["request_id"] == "abc123" and "abc123" in body["error"]
    assert response.headers["X-Request-Id"] == "abc123"
    # The fault is in the log, with its request id, for the operator.
    assert any(getattr(record, "request_id", None) == "abc123" for record in caplog.records)


def test_json_log_lines_carry_the_request_id():
    import json

    from deepcell_label.api.requestid import JsonFormatter

    record = logging.LogRecord(
        "deepcell_label", logging.WARNING, __file__, 1, "refused %s", ("x",), None
    )
    record.request_id = "feed01"
    line = json.loads(JsonFormatter().format(record))
    assert (
        line["request_id"] == "feed01"
        and line["message"] == "refused x"
        and line["level"] == "WARNING"
    )
