"""Accounts for tests: every app and server of the tests has a site admin whose API token
(`ADMIN_TOKEN`) the Flask test clients and `signed_in_session()` send by default; `make_user`
and `user_headers` make more accounts, with a role on a project when asked."""

from __future__ import annotations

import secrets

import requests
from flask.testing import FlaskClient

# The test process's admin token: the apps and servers it starts register it at first start.
ADMIN_TOKEN = "dcl_test_" + secrets.token_urlsafe(32)
PASSWORD = "correct horse battery staple"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class SignedInClient(FlaskClient):
    """The Flask test client, signed in as the admin by its API token unless told otherwise
    (`app.test_client(token=None)` is anonymous, `token=...` another account)."""

    def __init__(self, *args, token: str | None = ADMIN_TOKEN, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if token is not None:
            self.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"


def signed_in_session(token: str = ADMIN_TOKEN) -> requests.Session:
    """A requests session that sends `token` (the admin's by default) with every request."""
    session = requests.Session()
    session.headers.update(bearer(token))
    return session


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> str:
    """Sign a test client in by password (the browser's way); answers the CSRF token."""
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["csrf_token"]


def make_user(
    app, username: str, project_id: str | None = None, role: str | None = None, admin: bool = False
) -> str:
    """A new account made through the API (by the admin), signed in by password, which makes
    itself an API token; given `role` on `project_id` when both are named. Answers the token."""
    admin_client = app.test_client()
    made = admin_client.post(
        "/api/users", json={"username": username, "password": PASSWORD, "admin": admin}
    )
    assert made.status_code in (201, 409), made.get_json()
    browser = app.test_client(token=None)
    csrf = sign_in(browser, username)
    token = browser.post(
        "/api/auth/tokens", json={"name": "tests"}, headers={"X-CSRF-Token": csrf}
    ).get_json()["token"]
    if project_id is not None and role is not None:
        share(app, project_id, username, role)
    return token


def share(app, project_id: str, username: str, role: str) -> None:
    answer = app.test_client().post(
        f"/api/projects/{project_id}/members", json={"username": username, "role": role}
    )
    assert answer.status_code == 201, answer.get_json()


_people: dict[tuple[int, str], dict[str, str]] = {}


def person(app, name: str) -> dict[str, str]:
    """Headers of a site-admin account `name` (made once per app): for tests of several
    people working on one project, where roles are not the point."""
    key = (id(app), name)
    if key not in _people:
        _people[key] = bearer(make_user(app, name, admin=True))
    return _people[key]


def http_user(url: str, username: str, admin: bool = False) -> str:
    """A new account on a real server (made by the admin over HTTP); answers its API token."""
    with signed_in_session() as session:
        made = session.post(
            f"{url}/api/users",
            json={"username": username, "password": PASSWORD, "admin": admin},
            timeout=(5, 60),
        )
        assert made.status_code in (201, 409), made.text
    with requests.Session() as browser:
        signed = browser.post(
            f"{url}/api/auth/login",
            json={"username": username, "password": PASSWORD},
            timeout=(5, 60),
        )
        assert signed.status_code == 200, signed.text
        made = browser.post(
            f"{url}/api/auth/tokens",
            json={"name": "tests"},
            headers={"X-CSRF-Token": signed.json()["csrf_token"]},
            timeout=(5, 60),
        )
        assert made.status_code == 201, made.text
        return made.json()["token"]
