"""The whole URL map, walked with every kind of caller: anonymous, a stranger, a viewer, an
annotator, a reviewer, the owner and a site admin. Each route must have declared its right, and
each caller must get exactly what that right gives (401 without identity, 404 for a project, job
or upload the caller may not see, 403 naming the role needed)."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
import tifffile
from accounts import bearer, make_user
from conftest import app_with_worker
from deepcell_label.services.access import PROJECT_RIGHTS, ROLES

CALLERS = ("anonymous", "stranger", "viewer", "annotator", "reviewer", "admin", "owner")
HIDDEN = ("There is no project", "There is no job", "There is no upload")
# Bodies that every route refuses or handles without lasting work (no job is started): the
# point is who gets past the access check, not what the route then does.
BODY = {"feature": 99, "format": "nope", "role": "nope", "judgment": "nope", "frames": "nope"}


@pytest.fixture(scope="module")
def world(request, tmp_path_factory):
    """One app, one project with a member of each role, the project's build job and an upload
    of its owner's; the headers of each caller."""
    with app_with_worker(request, tmp_path_factory.mktemp("matrix"), "sqlite-local", {}) as app:
        owner = make_user(app, "owner")
        project = new_project(app, bearer(owner))
        callers = {"anonymous": {}, "admin": None, "owner": bearer(owner)}
        callers["stranger"] = bearer(make_user(app, "stranger"))
        for role in ("viewer", "annotator", "reviewer"):
            callers[role] = bearer(make_user(app, role, project["id"], role))
        yield app, project, callers


def new_project(app, headers) -> dict:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, np.arange(32 * 48, dtype=np.uint16).reshape(32, 48))
    made = app.test_client(token=None).post(
        "/api/projects",
        data={"images": (io.BytesIO(buffer.getvalue()), "m.tif")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def fresh_upload(app, headers) -> str:
    answer = app.test_client(token=None).post(
        "/api/uploads", json={"name": "a.tif", "size": 10}, headers=headers
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def address(rule, project: dict, upload_id: str) -> str:
    values = {
        "project_id": project["id"],
        "job_id": project["job"]["id"],
        "upload_id": upload_id,
        "username": "nobody",
        "token_id": "999999",
        "link_id": "nolink",
        "token": "not-a-link",
        "index": "0",
        "path": "api/nothing",
    }
    url = rule.rule
    for name in rule.arguments:
        value = values.get(name, "0")
        url = re.sub(rf"<(?:[a-z]+:)?{name}>", value, url)
    return url


def expected(right: str, caller: str) -> str:
    """'allowed', the status a refusal has, or 'any' where the route itself decides (a public
    route: signing in refuses a wrong password with 401 whoever asks)."""
    if right == "public":
        return "any"
    if caller == "anonymous":
        return "401"
    if caller == "admin" or right == "signed_in":
        return "allowed"
    if right == "admin":
        return "403"
    if right == "upload":
        return "allowed" if caller == "owner" else "404"
    if caller == "stranger":
        return "404"
    if right == "job":
        return "allowed"
    have = ROLES.index(caller)
    return "allowed" if have >= ROLES.index(PROJECT_RIGHTS[right]) else "403"


def outcome(response) -> str:
    body = response.get_json(silent=True)
    assert isinstance(body, dict) or response.status_code < 400, (response.status_code, body)
    if response.status_code in (401, 403):
        assert body and body["error"], body
        return str(response.status_code)
    if response.status_code == 404 and body and body["error"].startswith(HIDDEN):
        return "404"
    return "allowed"


def test_every_route_declares_its_right(world):
    app, _, _ = world
    missing = [
        f"{rule.rule} ({rule.endpoint})"
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "access_rule", None) is None
    ]
    assert not missing, f"routes without an access rule (@rule(...)): {missing}"


def test_every_caller_gets_what_the_rule_gives(world):
    app, project, callers = world
    admin_headers = bearer(make_user(app, "second-admin", admin=True))
    callers["admin"] = admin_headers
    shared_upload = fresh_upload(app, callers["owner"])
    wrong = []
    checked = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions[rule.endpoint]
        right = view.access_rule
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for caller in CALLERS:
                upload_id = shared_upload
                if "upload_id" in rule.arguments and method == "DELETE":
                    upload_id = fresh_upload(app, callers["owner"])
                # Deleting the project itself: those who may do it delete one of their own.
                target = project
                deleting = rule.endpoint == "projects.remove"
                if deleting and expected(right, caller) == "allowed":
                    target = new_project(app, callers["owner"])
                client = app.test_client(token=None)
                response = client.open(
                    address(rule, target, upload_id),
                    method=method,
                    json=BODY if method in ("POST", "PUT") else None,
                    headers=callers[caller],
                )
                assert response.status_code < 500, (rule.rule, method, caller, response.data)
                got, want = outcome(response), expected(right, caller)
                checked += 1
                if got != want and want != "any":
                    wrong.append(f"{method} {rule.rule} [{right}] as {caller}: {got}, not {want}")
                if want == "403" and right in PROJECT_RIGHTS:
                    message = response.get_json()["error"]
                    assert PROJECT_RIGHTS[right] in message, message
    assert not wrong, "\n".join(wrong)
    assert checked > 400


def test_a_route_without_a_rule_is_for_admins_only(world):
    """A route someone forgot to declare is refused to everyone but site admins."""
    from deepcell_label.app import create_app

    app, _, callers = world
    other = create_app({k: app.config[k] for k in ("DATA_DIR", "SQLALCHEMY_DATABASE_URI")})
    other.add_url_rule("/api/forgotten", "forgotten", lambda: {"secret": 1})
    assert (
        other.test_client(token=None).get("/api/forgotten", headers=callers["owner"]).status_code
        == 403
    )
    assert other.test_client().get("/api/forgotten").get_json() == {"secret": 1}
