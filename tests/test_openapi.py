"""The server describes itself: its versions, an OpenAPI 3 document naming every route, and a page
that reads in a browser under the app's Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from deepcell_label import API_VERSION, __version__
from deepcell_label.api.openapi import openapi_path
from openapi_spec_validator import validate


@pytest.fixture(scope="module")
def described(tmp_path_factory):
    from conftest import build_app

    app = build_app(tmp_path_factory.mktemp("openapi"), {})
    return app, app.test_client()


def test_version_is_public_and_says_both_versions(described):
    app, _ = described
    response = app.test_client(token=None).get("/api/version")  # no token, no session
    assert response.status_code == 200
    assert response.get_json() == {"api_version": API_VERSION, "server_version": __version__}


def test_every_route_of_the_url_map_is_described(described):
    app, _ = described
    response = app.test_client(token=None).get("/api/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)  # a valid OpenAPI 3 document
    assert document["openapi"].startswith("3.")
    assert document["info"]["version"] == API_VERSION
    missing, unsummarised = [], []
    for rule in app.url_map.iter_rules():
        path, _ = openapi_path(rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            item = document["paths"].get(path, {}).get(method.lower())
            if item is None:
                missing.append(f"{method} {rule.rule}")
            elif not item.get("summary"):
                unsummarised.append(f"{method} {rule.rule} ({rule.endpoint}: give it a docstring)")
            elif rule.endpoint != "static":
                # The right each route declares with @rule is published with it.
                assert item["x-access-right"] == app.view_functions[rule.endpoint].access_rule
    assert not missing
    assert not unsummarised
    for path in ("/api/version", "/api/openapi.json", "/api/docs"):
        assert document["paths"][path]["get"]["x-access-right"] == "public"
        assert document["paths"][path]["get"]["security"] == []
    assert document["paths"]["/api/projects/{project_id}"]["get"]["x-access-right"] == "view"
    chunk = document["paths"]["/api/uploads/{upload_id}/chunks/{index}"]["put"]
    assert "application/octet-stream" in chunk["requestBody"]["content"]
    raw = document["paths"]["/api/projects/{project_id}/raw/{frame}/{channel}"]["get"]
    assert [(p["name"], p["schema"]["type"]) for p in raw["parameters"]] == [
        ("project_id", "string"),
        ("frame", "integer"),
        ("channel", "integer"),
    ]


def test_the_docs_page_needs_nothing_the_policy_refuses(described):
    app, _ = described
    response = app.test_client(token=None).get("/api/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy
    page = response.get_data(as_text=True)
    # No script (none is needed) and nothing fetched from another origin.
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<code>/api/uploads/{upload_id}/chunks/{index}</code>" in page
    assert "Start a chunked, resumable upload" in page


def test_a_rule_becomes_a_path_template():
    path, parameters = openapi_path("/api/x/<int:frame>/<path:rest>/<name>")
    assert path == "/api/x/{frame}/{rest}/{name}"
    assert [p["schema"]["type"] for p in parameters] == ["integer", "string", "string"]
