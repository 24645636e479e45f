"""Single sign-on against a real OpenID Connect provider on this machine (pytest-iam's Canaille
server): a browser goes there, signs in, comes back signed in to an account made at first
sign-in where the operator allows it, and refused where not."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from conftest import build_app
from oidc_provider import register_client

CALLBACK = "http://localhost/api/auth/oidc/callback"


@pytest.fixture(scope="module")
def provider(iam_server):
    """The provider with this server registered as a client, and a person signed in there who
    consented to share their profile."""
    client = register_client(iam_server, "deepcell-label", "client secret", CALLBACK)
    person = iam_server.random_user(user_name="Sandra.Lee", emails=["sandra@lab.example"])
    iam_server.login(person)
    iam_server.consent(person, client)
    return iam_server


def sso_app(tmp_path, provider, signup: bool):
    return build_app(
        tmp_path,
        {
            "OIDC_ISSUER": provider.url,
            "OIDC_CLIENT_ID": "deepcell-label",
            "OIDC_CLIENT_SECRET": "client secret",
            "OIDC_ALLOW_SIGNUP": signup,
        },
    )


def round_trip(browser, next_path: str = "/project?projectId=abc"):
    """The browser's way: our redirect to the provider, the provider's back with a code, and
    our answer to that."""
    went = browser.get(f"/api/auth/oidc/login?next={next_path}")
    assert went.status_code == 302, went.get_json()
    back = requests.get(went.headers["Location"], allow_redirects=False, timeout=30)
    assert back.status_code == 302, back.text[:300]
    location = back.headers["Location"]
    assert location.startswith(CALLBACK), location
    parts = urlsplit(location)
    return browser.get(f"{parts.path}?{parts.query}")


def test_sign_in_by_sso_makes_the_account_once(tmp_path, provider):
    app = sso_app(tmp_path, provider, signup=True)
    browser = app.test_client(token=None)
    offered = browser.get("/api/auth/oidc").get_json()
    assert offered["enabled"] is True and offered["provider"] == "localhost"
    answer = round_trip(browser)
    assert answer.status_code == 303 and answer.headers["Location"] == "/project?projectId=abc"
    me = browser.get("/api/auth/me").get_json()
    # No preferred_username from this provider: the e-mail address's local part names it.
    assert me["username"] == "sandra" and me["csrf_token"]
    # The second sign-in finds the same account.
    again = app.test_client(token=None)
    assert round_trip(again, "//evil.example").headers["Location"] == "/"
    assert again.get("/api/auth/me").get_json()["username"] == "sandra"
    users = app.test_client().get("/api/users").get_json()["users"]
    (account,) = [u for u in users if u["username"] == "sandra"]
    assert account["sso"] is True and account["email"] == "sandra@lab.example"
    # It has no password to sign in with.
    refused = app.test_client(token=None).post(
        "/api/auth/login", json={"username": "sandra", "password": "anything at all"}
    )
    assert refused.status_code == 401


def test_without_signup_a_stranger_is_refused(tmp_path, provider):
    app = sso_app(tmp_path, provider, signup=False)
    browser = app.test_client(token=None)
    answer = round_trip(browser)
    assert answer.status_code == 403 and "OIDC_ALLOW_SIGNUP" in answer.get_json()["error"]
    assert browser.get("/api/auth/me").status_code == 401


def test_a_forged_callback_signs_nobody_in(tmp_path, provider):
    app = sso_app(tmp_path, provider, signup=True)
    browser = app.test_client(token=None)
    browser.get("/api/auth/oidc/login")
    forged = browser.get("/api/auth/oidc/callback?code=guessed&state=guessed")
    assert forged.status_code == 401 and "failed" in forged.get_json()["error"]
    assert browser.get("/api/auth/me").status_code == 401


def test_sso_off_without_an_issuer(tmp_path):
    app = build_app(tmp_path, {})
    browser = app.test_client(token=None)
    assert browser.get("/api/auth/oidc").get_json() == {
        "enabled": False,
        "provider": None,
        "login": "/api/auth/oidc/login",
    }
    assert browser.get("/api/auth/oidc/login").status_code == 404
