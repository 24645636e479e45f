"""Attacks on accounts and access: each is answered with a clear JSON 4xx, and nothing changes."""

from __future__ import annotations

import io
import secrets

import numpy as np
import pytest
import tifffile
from accounts import PASSWORD, bearer, make_user, sign_in
from conftest import app_with_worker


@pytest.fixture(scope="module")
def app(request, tmp_path_factory):
    with app_with_worker(request, tmp_path_factory.mktemp("attacks"), "sqlite-local", {}) as app:
        yield app


@pytest.fixture(scope="module")
def project(app) -> dict:
    """A project of Olive's, with Anna as its annotator."""
    owner = make_user(app, "olive")
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, np.zeros((16, 16), np.uint16))
    made = app.test_client(token=owner).post(
        "/api/projects",
        data={"images": (io.BytesIO(buffer.getvalue()), "a.tif")},
        content_type="multipart/form-data",
    )
    assert made.status_code == 201, made.get_json()
    annotator = make_user(app, "anna", made.get_json()["id"], "annotator")
    return {**made.get_json(), "owner": owner, "annotator": annotator}


BRUSH = {"action": "brush", "args": {"points": [[5, 5]], "brush_size": 2, "cell": 1}}


def refused(response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.get_data()[:300])
    body = response.get_json()
    assert isinstance(body, dict) and body["error"], body
    return body["error"]


def version(app, project) -> int:
    return app.test_client().get(f"/api/projects/{project['id']}").get_json()["version"]


def test_guessed_and_malformed_tokens(app, project):
    address = f"/api/projects/{project['id']}/edits"
    guesses = [
        "dcl_" + secrets.token_urlsafe(32),
        secrets.token_hex(32),
        project["owner"][:-1] + ("A" if project["owner"][-1] != "A" else "B"),
        "x" * 10_000,
        "ü" * 50,
        "",
    ]
    for guess in guesses:
        client = app.test_client(token=None)
        answer = client.post(address, json=BRUSH, headers={"Authorization": f"Bearer {guess}"})
        assert "not valid" in refused(answer, 401) or "Sign in" in answer.get_json()["error"]
    basic = app.test_client(token=None).get("/api/auth/me", headers={"Authorization": "Basic eDp5"})
    assert "Bearer" in refused(basic, 401)
    assert version(app, project) == 0


def test_revoked_token_and_deactivated_account(app, project):
    token = make_user(app, "rita", project["id"], "annotator")
    client = app.test_client(token=token)
    mine = client.get("/api/auth/tokens").get_json()["tokens"][0]
    assert client.delete(f"/api/auth/tokens/{mine['id']}").status_code == 204
    refused(
        app.test_client(token=token).post(f"/api/projects/{project['id']}/edits", json=BRUSH), 401
    )
    second = make_user(app, "dave", project["id"], "annotator")
    assert app.test_client().post("/api/users/dave/deactivate").status_code == 200
    answer = app.test_client(token=second).post(f"/api/projects/{project['id']}/edits", json=BRUSH)
    assert "deactivated" in refused(answer, 401)
    assert version(app, project) == 0


def test_forged_and_replayed_cookies(app, project):
    browser = app.test_client(token=None)
    csrf = sign_in(browser, "anna")
    real = browser.get_cookie("session").value
    forger = app.test_client(token=None)
    for value in (
        real[:-3] + "abc",
        "eyJfdXNlcl9pZCI6IjEifQ.forged.sig",
        secrets.token_urlsafe(40),
    ):
        forger.set_cookie("session", value)
        answer = forger.post(
            f"/api/projects/{project['id']}/edits", json=BRUSH, headers={"X-CSRF-Token": csrf}
        )
        refused(answer, 401)
    assert browser.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    replay = app.test_client(token=None)
    replay.set_cookie("session", real)
    answer = replay.post(
        f"/api/projects/{project['id']}/edits", json=BRUSH, headers={"X-CSRF-Token": csrf}
    )
    refused(answer, 401)
    assert version(app, project) == 0


def test_cross_origin_request_without_the_csrf_token(app, project):
    browser = app.test_client(token=None)
    sign_in(browser, "anna")
    for headers in ({"Origin": "https://evil.example"}, {"X-CSRF-Token": "guessed"}):
        answer = browser.post(f"/api/projects/{project['id']}/edits", json=BRUSH, headers=headers)
        assert "X-CSRF-Token" in refused(answer, 403)
        form = browser.post(f"/api/projects/{project['id']}/undo", data={"x": "1"}, headers=headers)
        refused(form, 403)
    assert version(app, project) == 0
    # Reading needs no CSRF token (SameSite=Lax keeps the cookie off other sites' requests).
    assert browser.get(f"/api/projects/{project['id']}").status_code == 200


def test_sign_in_flood_is_throttled_per_account_and_per_address(app):
    make_user(app, "flo")
    client = app.test_client(token=None)
    client.environ_base["REMOTE_ADDR"] = "10.9.9.9"  # the flood's own address
    answers = [
        client.post("/api/auth/login", json={"username": "flo", "password": "guess " + str(n)})
        for n in range(8)
    ]
    assert [a.status_code for a in answers[:5]] == [401] * 5
    last = answers[-1]
    assert "Too many failed attempts" in refused(last, 429)
    assert int(last.headers["Retry-After"]) > 0
    # The right password is throttled too, until the wait is over: guessing gains nothing.
    right = client.post("/api/auth/login", json={"username": "flo", "password": PASSWORD})
    refused(right, 429)
    # From one address, many accounts: stopped after the address's limit.
    statuses = [
        client.post(
            "/api/auth/login", json={"username": f"nobody{n}", "password": "x" * 8}
        ).status_code
        for n in range(25)
    ]
    assert statuses.count(429) >= 4 and 500 not in statuses


def test_unknown_account_and_wrong_password_answer_alike(app):
    make_user(app, "wanda")
    a = app.test_client(token=None).post(
        "/api/auth/login",
        json={"username": "wanda", "password": "wrong password"},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    b = app.test_client(token=None).post(
        "/api/auth/login",
        json={"username": "nosuchuser", "password": "wrong password"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert refused(a, 401) == refused(b, 401)


def test_open_redirect_through_next(app):
    make_user(app, "rex")
    for target in ("https://evil.example", "//evil.example", "/\\evil.example", "\t//evil"):
        answer = app.test_client(token=None).post(
            "/api/auth/login",
            json={"username": "rex", "password": PASSWORD, "next": target},
            environ_base={"REMOTE_ADDR": "10.0.1.1"},
        )
        assert answer.get_json()["next"] == "/"


def test_an_annotator_cannot_change_the_members(app, project):
    client = app.test_client(token=project["annotator"])
    before = client.get(f"/api/projects/{project['id']}/members").get_json()
    answer = client.post(
        f"/api/projects/{project['id']}/members", json={"username": "anna", "role": "owner"}
    )
    assert "owner" in refused(answer, 403)
    refused(client.delete(f"/api/projects/{project['id']}/members/olive"), 403)
    refused(client.post(f"/api/projects/{project['id']}/links", json={"role": "viewer"}), 403)
    assert client.get(f"/api/projects/{project['id']}/members").get_json() == before


def test_one_user_cannot_read_anothers_job_or_upload(app, project):
    owner = app.test_client(token=project["owner"])
    job_id = project["job"]["id"]
    upload = owner.post("/api/uploads", json={"name": "a.tif", "size": 100}).get_json()
    other = app.test_client(token=make_user(app, "ivan"))
    assert "There is no job" in refused(other.get(f"/api/jobs/{job_id}"), 404)
    refused(other.post(f"/api/jobs/{job_id}/cancel"), 404)
    assert "There is no upload" in refused(other.get(f"/api/uploads/{upload['id']}"), 404)
    refused(other.put(f"/api/uploads/{upload['id']}/chunks/0", data=b"x" * 100), 404)
    refused(other.delete(f"/api/uploads/{upload['id']}"), 404)
    # Nor make a project of it.
    taken = other.post(
        "/api/projects", data={"images_upload": upload["id"]}, content_type="multipart/form-data"
    )
    refused(taken, 404)
    assert owner.get(f"/api/uploads/{upload['id']}").status_code == 200
    # The project's annotator sees its jobs.
    assert app.test_client(token=project["annotator"]).get(f"/api/jobs/{job_id}").status_code == 200


def test_long_and_look_alike_usernames(app):
    admin = app.test_client()
    huge = admin.post("/api/users", json={"username": "a" * 10_000, "password": PASSWORD})
    assert "at most 64" in refused(huge, 400)
    login = app.test_client(token=None).post(
        "/api/auth/login",
        json={"username": "a" * 10_000, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.2.1"},
    )
    refused(login, 401)
    assert (
        admin.post("/api/users", json={"username": "paypal", "password": PASSWORD}).status_code
        == 201
    )
    for look_alike, status in [
        ("PayPal", 409),  # another case
        ("ｐａｙｐａｌ", 409),  # full-width letters
        ("pаypal", 400),  # a Cyrillic а among Latin letters
        ("pay\u200bpal", 400),  # a zero-width space
    ]:
        answer = admin.post("/api/users", json={"username": look_alike, "password": PASSWORD})
        refused(answer, status)
    # Names in one script whose letters look like an existing name's (the same skeleton).
    assert (
        admin.post("/api/users", json={"username": "coca", "password": PASSWORD}).status_code == 201
    )
    for look_alike, existing in [
        ("paypa1", "paypal"),  # the digit one for the letter l
        ("раураl", None),  # Cyrillic р, а, у among Latin: mixed scripts, refused as such
        ("соса", "coca"),  # all Cyrillic: one script, but it reads "coca"
        ("cоса", None),  # Latin c, then Cyrillic: mixed
    ]:
        answer = admin.post("/api/users", json={"username": look_alike, "password": PASSWORD})
        if existing is None:
            assert "mixes the scripts" in refused(answer, 400), look_alike
        else:
            message = refused(answer, 409)
            assert f"looks like the existing account {existing!r}" in message, message
    # Names that only share letters, and a Japanese name (Han with kana), are fine.
    for fine in ("pay-pal", "paypal2", "山田たろう", "ångström-2"):
        made = admin.post("/api/users", json={"username": fine, "password": PASSWORD})
        assert made.status_code == 201, (fine, made.get_json())
    names = [u["username"] for u in admin.get("/api/users").get_json()["users"]]
    assert names.count("paypal") == 1 and "paypa1" not in names and "соса" not in names
    assert bearer("x")
