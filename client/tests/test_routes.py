"""Every route the client calls is in the server's published description of its API."""

from __future__ import annotations

from pathlib import Path

import httpx
from deepcell_label_client.routes import ROUTES


def test_every_route_the_client_calls_is_described(server):
    document = httpx.get(f"{server.url}/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    missing = [
        f"{method} {path}"
        for method, path in ROUTES.values()
        if method.lower() not in document["paths"].get(path, {})
    ]
    assert not missing, f"the client calls routes the server does not describe: {missing}"


def test_the_version_and_docs_are_public(server):
    assert httpx.get(f"{server.url}/api/version").json()["api_version"].startswith("1.")
    page = httpx.get(f"{server.url}/api/docs")
    assert page.status_code == 200 and "/api/uploads" in page.text


def test_the_client_under_test_is_the_one_installed():
    import deepcell_label_client

    from .conftest import CLIENT_VENV, REPOSITORY

    where = Path(deepcell_label_client.__file__).resolve()
    expected = Path(CLIENT_VENV).resolve() if CLIENT_VENV else REPOSITORY / "client" / "src"
    assert where.is_relative_to(expected)
