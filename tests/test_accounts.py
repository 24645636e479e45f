"""Accounts through the HTTP API and the command line: signing in and out in a browser (cookie,
CSRF), API tokens, the first start, members, share links, the caller's projects."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
import tifffile
from accounts import ADMIN_TOKEN, PASSWORD, bearer, make_user, sign_in
from conftest import app_with_worker, build_app


@pytest.fixture(scope="module")
def app(request, tmp_path_factory):
    with app_with_worker(request, tmp_path_factory.mktemp("accounts"), "sqlite-local", {}) as app:
        yield app


def new_project(app, token: str | None = ADMIN_TOKEN, name: str = "cells") -> dict:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, np.arange(20 * 30, dtype=np.uint16).reshape(20, 30))
    made = app.test_client(token=token).post(
        "/api/projects",
        data={"images": (io.BytesIO(buffer.getvalue()), f"{name}.tif"), "name": name},
        content_type="multipart/form-data",
    )
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def cookie(client, name: str = "session"):
    return client.get_cookie(name)


def test_browser_sign_in_cookie_csrf_and_sign_out(app):
    make_user(app, "carla")
    browser = app.test_client(token=None)
    assert browser.get("/api/auth/me").status_code == 401
    answer = browser.post("/api/auth/login", json={"username": "Carla", "password": PASSWORD})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["user"]["username"] == "carla" and body["csrf_token"] and body["next"] == "/"
    header = answer.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header
    me = browser.get("/api/auth/me").get_json()
    assert me == {
        "username": "carla",
        "display_name": "carla",
        "admin": False,
        "csrf_token": body["csrf_token"],
    }
    # A change without the CSRF header is refused, with it accepted.
    refused = browser.post("/api/auth/tokens", json={"name": "x"})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.get_json()["error"]
    made = browser.post(
        "/api/auth/tokens", json={"name": "x"}, headers={"X-CSRF-Token": body["csrf_token"]}
    )
    assert made.status_code == 201
    # A second sign-in gets a new session; signing out ends it on the server.
    old = cookie(browser).value
    again = sign_in(browser, "carla")
    assert cookie(browser).value != old and again != body["csrf_token"]
    replay = app.test_client(token=None)
    replay.set_cookie("session", cookie(browser).value)
    assert replay.get("/api/auth/me").status_code == 200
    out = browser.post("/api/auth/logout", headers={"X-CSRF-Token": again})
    assert out.status_code == 204
    assert browser.get("/api/auth/me").status_code == 401
    assert replay.get("/api/auth/me").status_code == 401


def test_secure_cookie_behind_https(tmp_path):
    app = build_app(tmp_path, {"SESSION_COOKIE_SECURE": True, "ADMIN_PASSWORD": PASSWORD})
    answer = app.test_client(token=None).post(
        "/api/auth/login", json={"username": "admin", "password": PASSWORD}
    )
    assert answer.status_code == 200 and "Secure" in answer.headers["Set-Cookie"]


def test_next_goes_only_to_this_site(app):
    make_user(app, "nina")
    for wanted, went in [
        ("/project?projectId=abc", "/project?projectId=abc"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ]:
        answer = app.test_client(token=None).post(
            "/api/auth/login", json={"username": "nina", "password": PASSWORD, "next": wanted}
        )
        assert answer.get_json()["next"] == went


def test_api_tokens_shown_once_listed_and_revoked_at_once(app):
    token = make_user(app, "tomas")
    client = app.test_client(token=token)
    made = client.post("/api/auth/tokens", json={"name": "pipeline", "expires_in_days": 30})
    assert made.status_code == 201
    second = made.get_json()
    assert second["token"].startswith("dcl_") and len(second["token"]) >= 40
    assert second["expires"].endswith("Z")
    listed = client.get("/api/auth/tokens").get_json()["tokens"]
    assert {t["name"] for t in listed} == {"tests", "pipeline"}
    assert all("token" not in t for t in listed)
    assert app.test_client(token=second["token"]).get("/api/auth/me").status_code == 200
    assert client.delete(f"/api/auth/tokens/{second['id']}").status_code == 204
    assert app.test_client(token=second["token"]).get("/api/auth/me").status_code == 401
    # Another person's token cannot be revoked by id.
    other = app.test_client().get("/api/auth/tokens").get_json()["tokens"][0]["id"]
    assert client.delete(f"/api/auth/tokens/{other}").status_code == 404
    bad = client.post("/api/auth/tokens", json={"name": "x", "expires_in_days": -1})
    assert bad.status_code == 400 and "expires_in_days" in bad.get_json()["error"]


def test_an_expired_token_opens_nothing(app):
    client = app.test_client(token=make_user(app, "eva"))
    short = client.post("/api/auth/tokens", json={"name": "short", "expires_in_days": 1e-5})
    secret = short.get_json()["token"]
    time.sleep(1.2)
    answer = app.test_client(token=secret).get("/api/auth/me")
    assert answer.status_code == 401 and "expired" in answer.get_json()["error"]


def test_usernames_are_normalised_and_checked(app):
    admin = app.test_client()
    made = admin.post("/api/users", json={"username": "ÅNGSTRÖM", "password": PASSWORD})
    assert made.status_code == 201 and made.get_json()["username"] == "ångström"
    # Full-width letters and another case are the same name.
    again = admin.post(
        "/api/users", json={"username": "ＡＮＧＳＴＲＯＭ".replace("Ｏ", "Ö"), "password": PASSWORD}
    )
    assert again.status_code in (201, 409)
    same = admin.post("/api/users", json={"username": "ångström", "password": PASSWORD})
    assert same.status_code == 409 and "exists" in same.get_json()["error"]
    for name, problem in [
        ("", "empty"),
        ("x" * 65, "at most 64"),
        ("tab\there", "U+0009"),
        ("semi;colon", "';'"),
    ]:
        answer = admin.post("/api/users", json={"username": name, "password": PASSWORD})
        assert answer.status_code == 400 and problem in answer.get_json()["error"], name
    short = admin.post("/api/users", json={"username": "shorty", "password": "abc"})
    assert short.status_code == 400 and "at least 8" in short.get_json()["error"]


def test_admin_lists_deactivates_and_resets(app):
    token = make_user(app, "dora")
    admin = app.test_client()
    users = admin.get("/api/users").get_json()["users"]
    assert {"admin", "dora"} <= {u["username"] for u in users}
    assert app.test_client(token=token).get("/api/users").status_code == 403
    assert admin.post("/api/users/dora/deactivate").get_json()["active"] is False
    assert app.test_client(token=token).get("/api/auth/me").status_code == 401
    refused = app.test_client(token=None).post(
        "/api/auth/login", json={"username": "dora", "password": PASSWORD}
    )
    assert refused.status_code == 401
    assert admin.post("/api/users/dora/activate").get_json()["active"] is True
    assert (
        admin.post("/api/users/dora/password", json={"password": "a new password"}).status_code
        == 204
    )
    assert app.test_client(token=token).get("/api/auth/me").status_code == 200
    browser = app.test_client(token=None)
    sign_in(browser, "dora", "a new password")
    assert admin.post("/api/users/nobody/deactivate").status_code == 404


def test_the_creator_owns_members_and_my_projects(app):
    owner = make_user(app, "olga")
    first = new_project(app, owner, "first")
    second = new_project(app, owner, "second")
    mine = app.test_client(token=owner).get("/api/projects").get_json()
    assert [p["id"] for p in mine["projects"]] == [second["id"], first["id"]]
    assert mine["projects"][0]["role"] == "owner" and mine["total"] == 2
    assert mine["projects"][0]["size"] == {
        "frames": 1,
        "height": 20,
        "width": 30,
        "channels": 1,
        "features": 1,
    }
    paged = app.test_client(token=owner).get("/api/projects?per_page=1&page=2").get_json()
    assert [p["id"] for p in paged["projects"]] == [first["id"]]
    viewer = make_user(app, "victor")
    client = app.test_client(token=owner)
    added = client.post(
        f"/api/projects/{first['id']}/members", json={"username": "Victor", "role": "viewer"}
    )
    assert added.status_code == 201 and added.get_json()["role"] == "viewer"
    members = client.get(f"/api/projects/{first['id']}/members").get_json()["members"]
    assert [(m["username"], m["role"]) for m in members] == [
        ("olga", "owner"),
        ("victor", "viewer"),
    ]
    # The project's description tells each caller their own role.
    annotator = make_user(app, "anna", first["id"], "annotator")
    for token, role in [(viewer, "viewer"), (annotator, "annotator"), (owner, "owner")]:
        described = app.test_client(token=token).get(f"/api/projects/{first['id']}")
        assert described.get_json()["role"] == role
    assert app.test_client().get(f"/api/projects/{first['id']}").get_json()["role"] == "admin"
    theirs = app.test_client(token=viewer).get("/api/projects").get_json()["projects"]
    assert [(p["id"], p["role"]) for p in theirs] == [(first["id"], "viewer")]
    edit = app.test_client(token=viewer).post(f"/api/projects/{first['id']}/edits", json={})
    assert edit.status_code == 403 and "annotator" in edit.get_json()["error"]
    assert client.delete(f"/api/projects/{first['id']}/members/victor").status_code == 204
    assert app.test_client(token=viewer).get(f"/api/projects/{first['id']}").status_code == 404
    creator = client.delete(f"/api/projects/{first['id']}/members/olga")
    assert creator.status_code == 409
    # The admin sees every project.
    everything = app.test_client().get("/api/projects?per_page=200").get_json()["projects"]
    assert {first["id"], second["id"]} <= {p["id"] for p in everything}


def test_share_links_give_a_role_until_revoked_or_expired(app):
    owner = make_user(app, "sam")
    project = new_project(app, owner)
    client = app.test_client(token=owner)
    link = client.post(
        f"/api/projects/{project['id']}/links", json={"role": "annotator", "expires_in_days": 7}
    ).get_json()
    assert link["role"] == "annotator" and link["token"] in link["url"]
    guest = make_user(app, "gail")
    assert app.test_client(token=guest).get(f"/api/projects/{project['id']}").status_code == 404
    opened = app.test_client(token=guest).post(f"/api/links/{link['token']}")
    assert opened.get_json() == {"project": project["id"], "role": "annotator"}
    assert app.test_client(token=guest).get(f"/api/projects/{project['id']}").status_code == 200
    listed = client.get(f"/api/projects/{project['id']}/links").get_json()["links"]
    assert [(x["id"], x["uses"]) for x in listed] == [(link["id"], 1)]
    assert client.delete(f"/api/projects/{project['id']}/links/{link['id']}").status_code == 204
    late = make_user(app, "luis")
    refused = app.test_client(token=late).post(f"/api/links/{link['token']}")
    assert refused.status_code == 404 and "revoked" in refused.get_json()["error"]
    forged = app.test_client(token=late).post(f"/api/links/{link['token'][:-2]}xx")
    assert forged.status_code == 404
    assert app.test_client(token=late).get(f"/api/projects/{project['id']}").status_code == 404
    owner_link = client.post(f"/api/projects/{project['id']}/links", json={"role": "owner"})
    assert owner_link.status_code == 400


def test_first_start_with_a_password_and_a_token(tmp_path):
    app = build_app(
        tmp_path,
        {"ADMIN_USERNAME": "Boss", "ADMIN_PASSWORD": PASSWORD, "ADMIN_TOKEN": "dcl_" + "x" * 40},
    )
    assert (
        app.test_client(token="dcl_" + "x" * 40).get("/api/auth/me").get_json()["username"]
        == "boss"
    )
    browser = app.test_client(token=None)
    sign_in(browser, "boss")
    assert browser.get("/api/auth/me").get_json()["admin"] is True


def test_first_start_without_a_password_prints_a_one_time_link(tmp_path, capfd):
    from deepcell_label.app import create_app, first_start
    from flask_migrate import upgrade

    app = create_app({"DATA_DIR": str(tmp_path), "ADMIN_TOKEN": "", "PUBLIC_URL": "http://x"})
    with app.app_context():
        upgrade()
    capfd.readouterr()
    first_start(app)
    printed = capfd.readouterr().err
    (line,) = [word for word in printed.split() if "/api/auth/link?token=" in word]
    path = line.removeprefix("http://x")
    browser = app.test_client(token=None)
    went = browser.get(path)
    assert went.status_code == 303 and went.headers["Location"] == "/"
    assert browser.get("/api/auth/me").get_json()["username"] == "admin"
    again = app.test_client(token=None).get(path)
    assert again.status_code == 401 and "used up" in again.get_json()["error"]
    # A second start prints nothing: the account exists.
    first_start(app)
    assert "/api/auth/link" not in capfd.readouterr().err


def test_projects_made_before_accounts_belong_to_the_first_admin(tmp_path):
    from deepcell_label.app import create_app, first_start
    from deepcell_label.store.models import Project, db
    from flask_migrate import upgrade

    app = create_app({"DATA_DIR": str(tmp_path), "ADMIN_TOKEN": ADMIN_TOKEN})
    with app.app_context():
        upgrade()
        fields = dict(frames=1, height=1, width=1, channels=1, features=1, dtype="uint8")
        lists = dict.fromkeys(
            ("channel_names", "feature_names", "channel_ranges", "next_cell", "divisions"), []
        )
        db.session.add(Project(id="old", cell_types=[], spot_columns=[], **fields, **lists))
        db.session.commit()
    first_start(app)
    listed = app.test_client().get("/api/projects").get_json()["projects"]
    assert [(p["id"], p["role"]) for p in listed] == [("old", "owner")]


def test_command_line_create_set_password_token(tmp_path):
    app = build_app(tmp_path, {})
    runner = app.test_cli_runner()
    made = runner.invoke(args=["users", "create", "Cli", "--password", PASSWORD, "--admin"])
    assert made.exit_code == 0 and "created 'cli' (site admin)" in made.output
    again = runner.invoke(args=["users", "create", "cli", "--password", PASSWORD])
    assert again.exit_code != 0 and "exists" in again.output
    reset = runner.invoke(args=["users", "set-password", "cli", "--password", "another one"])
    assert reset.exit_code == 0
    printed = runner.invoke(args=["users", "token", "cli", "--name", "robot"])
    token = printed.output.strip()
    assert app.test_client(token=token).get("/api/auth/me").get_json()["username"] == "cli"
    link = runner.invoke(args=["users", "link", "cli"])
    assert "/api/auth/link?token=" in link.output
    browser = app.test_client(token=None)
    sign_in(browser, "cli", "another one")


def test_pipelines_create_with_a_token_and_own_the_project(app):
    token = make_user(app, "robot")
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, np.zeros((8, 8), np.uint8))
    anonymous = app.test_client(token=None).post(
        "/api/project/dropped",
        data={"images": (io.BytesIO(buffer.getvalue()), "a.tif")},
        content_type="multipart/form-data",
    )
    assert anonymous.status_code == 401
    made = app.test_client(token=token).post(
        "/api/project/dropped",
        data={"images": (io.BytesIO(buffer.getvalue()), "a.tif")},
        content_type="multipart/form-data",
    )
    assert made.status_code == 200
    listed = app.test_client(token=token).get("/api/projects").get_json()["projects"]
    assert [(p["id"], p["role"]) for p in listed] == [(made.get_json(), "owner")]
    assert app.test_client(token=token).get(f"/api/project/{made.get_json()}").status_code == 200
    assert bearer(token)  # the same token works as a header for any HTTP client


def test_the_owner_deletes_a_project_for_everyone(app):
    from deepcell_label.store.storage import storage

    owner = make_user(app, "otto")
    project = new_project(app, owner, "to delete")
    pid = project["id"]
    annotator = make_user(app, "annie", pid, "annotator")
    stranger = make_user(app, "stan")
    with app.app_context():
        assert list(storage().keys(f"projects/{pid}/"))
    edit = app.test_client(token=owner).post(
        f"/api/projects/{pid}/edits",
        json={"action": "delete", "feature": 0, "frame": 0, "args": {"cell": 1}},
    )
    assert edit.status_code < 500

    refused = app.test_client(token=annotator).delete(f"/api/projects/{pid}")
    assert refused.status_code == 403 and "You are annotator" in refused.get_json()["error"]
    assert "owner" in refused.get_json()["error"]
    hidden = app.test_client(token=stranger).delete(f"/api/projects/{pid}")
    assert hidden.status_code == 404 and "There is no project" in hidden.get_json()["error"]
    assert app.test_client(token=owner).get(f"/api/projects/{pid}").status_code == 200

    assert app.test_client(token=owner).delete(f"/api/projects/{pid}").status_code == 204
    for token in (owner, annotator, stranger, ADMIN_TOKEN):
        gone = app.test_client(token=token).get(f"/api/projects/{pid}")
        assert gone.status_code == 404 and "There is no project" in gone.get_json()["error"]
        listed = app.test_client(token=token).get("/api/projects?per_page=200").get_json()
        assert pid not in [p["id"] for p in listed["projects"]]
    assert app.test_client(token=owner).delete(f"/api/projects/{pid}").status_code == 404
    with app.app_context():
        assert not list(storage().keys(f"projects/{pid}/"))


def test_flask_run_makes_the_admin_and_prints_the_link(tmp_path):
    """`flask run`, the development server, starts like `make run`: the admin, and the link."""
    import os
    import subprocess
    import sys

    import requests
    from conftest import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADMIN_", "DATABASE_"))}
    env.update(
        DATA_DIR=str(tmp_path),
        PUBLIC_URL="",
        FLASK_APP="deepcell_label.app:create_app",
        PYTHONPATH="backend",
    )
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [*flask, "run", "--port", str(port), "--no-reload"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        link = None
        for line in server.stderr:
            if "/api/auth/link?token=" in line:
                link = line.strip()
                break
        assert link is not None and link.startswith(f"http://127.0.0.1:{port}/"), link
        browser = requests.Session()
        for _ in range(100):  # the link is printed just before the server listens
            try:
                went = browser.get(link, allow_redirects=False, timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert went.status_code == 303, went.text
        me = browser.get(f"http://127.0.0.1:{port}/api/auth/me", timeout=5).json()
        assert me["username"] == "admin" and me["admin"] is True
    finally:
        server.terminate()
        server.wait(timeout=30)
