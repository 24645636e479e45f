"""The monitoring dashboard: off unless configured, and then only for site admins who also know
the configured user's password."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The dashboard keeps module-level state, so each check runs in a fresh interpreter.
SCRIPT = textwrap.dedent(
    """
    import json, sys
    from flask_migrate import upgrade
    from deepcell_label.app import create_app, first_start
    token = "dcl_dashboard_test_" + "t" * 40
    app = create_app({"DATA_DIR": sys.argv[1], "ADMIN_TOKEN": token})
    with app.app_context():
        upgrade()
    first_start(app)
    results = {"anonymous": app.test_client().get("/dashboard/overview").status_code}
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer " + token
    results["admin_before_login"] = client.get("/dashboard/overview").status_code
    results["login_page"] = client.get("/dashboard/login").status_code
    bad = client.post("/dashboard/login", data={"name": "admin", "password": "admin"})
    results["wrong_password_then"] = client.get("/dashboard/api/users").status_code
    good = client.post("/dashboard/login", data={"name": "curator", "password": "s3cret-pass"})
    results["login_redirect"] = good.status_code
    results["after_login"] = client.get("/dashboard/api/users").status_code
    results["api_still_works"] = client.get("/health").status_code
    print(json.dumps(results))
    """
)


def _run(tmp_path: Path, env: dict) -> dict:
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "backend"), **env}
    environment.pop("USERNAME", None)
    environment.pop("PASSWORD", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_dashboard_refuses_strangers_and_admits_the_configured_user(tmp_path):
    results = _run(
        tmp_path,
        {
            "DASHBOARD_CONFIG": str(ROOT / "fmd_config.cfg"),
            "FMD_USERNAME": "curator",
            "FMD_PASSWORD": "s3cret-pass",
            "FMD_DATABASE": f"sqlite:///{tmp_path / 'fmd.db'}",
            "SECRET_KEY": "test-secret",
        },
    )
    assert results["anonymous"] == 401  # no account: not even the dashboard's login page
    assert results["admin_before_login"] in (302, 401)
    assert results["login_page"] == 200
    # The library's default admin/admin does not get in.
    assert results["wrong_password_then"] in (302, 401)
    assert results["login_redirect"] == 302
    assert results["after_login"] == 200
    assert results["api_still_works"] == 200


def test_dashboard_is_off_without_credentials(tmp_path):
    results = _run(tmp_path, {"DASHBOARD_CONFIG": str(ROOT / "fmd_config.cfg")})
    assert results["anonymous"] == 404
    assert results["after_login"] == 404
