"""Server-side request forgery through POST /api/projects: with ALLOW_PRIVATE_URLS off, URLs
that reach this machine are refused, directly (127.0.0.1, [::1], localhost) or through a
redirect from a host that looks public; with it on, the same URLs load.

All traffic stays on loopback: the "public" host is a name this test resolves to a
public address, and every connection to that address is diverted to the
test's own HTTP server on 127.0.0.1; any other connection outside loopback fails the test.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import numpy as np
import pytest
import tifffile
from conftest import build_app, start_worker
from fake_dns import divert
from helpers import serve_in_thread

PUBLIC_HOST = "cells.example.org"
PUBLIC_ADDRESS = "93.184.215.14"  # a global unicast address; never actually contacted


def _tiff() -> bytes:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, np.arange(30 * 40, dtype=np.uint16).reshape(30, 40))
    return buffer.getvalue()


IMAGE = _tiff()


class Files(BaseHTTPRequestHandler):
    """/cells.tif is the image; /to/<url> redirects there."""

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        if self.path == "/cells.tif":
            self.send_response(200)
            self.send_header("Content-Type", "image/tiff")
            self.send_header("Content-Length", str(len(IMAGE)))
            self.end_headers()
            self.wfile.write(IMAGE)
        elif self.path.startswith("/to/"):
            self.send_response(302)
            self.send_header("Location", unquote(self.path[len("/to/") :]))
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_error(404)

    def log_message(self, *args):
        pass


class IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


@contextmanager
def serving(server_class, host: str) -> Iterator[int]:
    yield from serve_in_thread(server_class((host, 0), Files))


@pytest.fixture
def ipv4_port() -> Iterator[int]:
    with serving(ThreadingHTTPServer, "127.0.0.1") as port:
        yield port


@pytest.fixture
def ipv6_port() -> Iterator[int]:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError as error:
        pytest.skip(f"IPv6 loopback is not available here: {error}")
    with serving(IPv6Server, "::1") as port:
        yield port


@pytest.fixture
def public_name(monkeypatch, ipv4_port) -> str:
    """PUBLIC_HOST resolves to PUBLIC_ADDRESS, and connections there reach the local server (in
    this process, and in the workers that `worker_app` starts)."""

    def outside(host, port):
        pytest.fail(f"the server tried to connect to {host}:{port}, outside loopback")

    divert(monkeypatch.setattr, PUBLIC_HOST, PUBLIC_ADDRESS, ipv4_port, outside)
    monkeypatch.setenv("TEST_PUBLIC_NAME", f"{PUBLIC_HOST}={PUBLIC_ADDRESS}>{ipv4_port}")
    return f"http://{PUBLIC_HOST}:{ipv4_port}"


def worker_app(tmp_path, request, allow_private: bool):
    """An app with a worker of its own (which reads the diverted public name, if any)."""
    app = build_app(tmp_path, {"ALLOW_PRIVATE_URLS": allow_private})
    start_worker(app, request)
    return app


def _post(app, url: str):
    return app.test_client().post("/api/projects", data={"images_url": url})


def _project_count(app) -> int:
    from deepcell_label.store.models import Project, db
    from sqlalchemy import func, select

    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Project)).scalar_one()


def _loopback_urls(ipv4_port: int, ipv6_port: int | None, public: str) -> dict[str, str]:
    found = {
        "127.0.0.1": f"http://127.0.0.1:{ipv4_port}/cells.tif",
        "127.0.0.1 as a decimal number": f"http://2130706433:{ipv4_port}/cells.tif",
        "localhost": f"http://localhost:{ipv4_port}/cells.tif",
        "::ffff:127.0.0.1": f"http://[::ffff:127.0.0.1]:{ipv4_port}/cells.tif",
        "public name redirecting to 127.0.0.1": (
            f"{public}/to/http://127.0.0.1:{ipv4_port}/cells.tif"
        ),
        "public name redirecting to localhost": (
            f"{public}/to/http://localhost:{ipv4_port}/cells.tif"
        ),
        "public name redirecting twice": (
            f"{public}/to/{public}/to/http://127.0.0.1:{ipv4_port}/cells.tif"
        ),
    }
    if ipv6_port is not None:
        found["[::1]"] = f"http://[::1]:{ipv6_port}/cells.tif"
        found["public name redirecting to [::1]"] = (
            f"{public}/to/http://[::1]:{ipv6_port}/cells.tif"
        )
    return found


def test_loopback_urls_are_refused_by_default(tmp_path, request, ipv4_port, ipv6_port, public_name):
    app = worker_app(tmp_path, request, allow_private=False)
    for name, url in _loopback_urls(ipv4_port, ipv6_port, public_name).items():
        response = _post(app, url)
        assert 400 <= response.status_code < 500, (name, response.status_code)
        message = response.get_json()["error"]
        assert "refused" in message or "loopback" in message, (name, message)
    # Labels from a loopback URL are refused the same way.
    response = app.test_client().post(
        "/api/projects",
        data={
            "images": (io.BytesIO(IMAGE), "cells.tif"),
            "labels_url": f"{public_name}/to/http://127.0.0.1:{ipv4_port}/cells.tif",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "127.0.0.1" in response.get_json()["error"]
    # The compatible route too.
    response = app.test_client().post(
        "/api/project", data={"images": f"http://127.0.0.1:{ipv4_port}/cells.tif"}
    )
    assert response.status_code == 400
    assert _project_count(app) == 0


def test_a_public_name_that_stays_public_loads(tmp_path, request, public_name):
    """The diversion itself works: a public-looking host without a redirect is loaded."""
    app = worker_app(tmp_path, request, allow_private=False)
    response = _post(app, f"{public_name}/cells.tif")
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["height"], response.get_json()["width"]) == (30, 40)


def test_loopback_urls_load_when_private_urls_are_allowed(
    tmp_path, request, ipv4_port, ipv6_port, public_name
):
    app = worker_app(tmp_path, request, allow_private=True)
    for name, url in _loopback_urls(ipv4_port, ipv6_port, public_name).items():
        response = _post(app, url)
        assert response.status_code == 201, (name, response.get_json())
        project = response.get_json()
        assert (project["height"], project["width"]) == (30, 40), name
        assert project["channel_ranges"] == [[0, 30 * 40 - 1]], name
