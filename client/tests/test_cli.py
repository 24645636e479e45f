"""The `deepcell-label` command against a real server: login, upload, download, campaigns,
exit codes."""

from __future__ import annotations

import os
import re
import stat
import zipfile

import httpx
import numpy as np
import tifffile

from .conftest import run_cli
from .test_campaigns import blobs


def test_login_upload_and_download(server, admin_token, tmp_path):
    config = tmp_path / "config" / "login.json"
    env = {"DEEPCELL_LABEL_CONFIG": str(config)}
    for variable in ("DEEPCELL_LABEL_URL", "DEEPCELL_LABEL_TOKEN"):
        env[variable] = ""
    done = run_cli("login", "--url", server.url, "--token", admin_token, env=env)
    assert done.returncode == 0, done.stderr
    assert "as admin (API 1.0" in done.stdout
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600  # the token is the owner's only

    image = np.random.default_rng(1).integers(0, 255, (2, 50, 60), dtype=np.uint8)
    labels = np.zeros((2, 50, 60), np.int32)
    labels[:, 10:30, 10:40] = 5
    tifffile.imwrite(tmp_path / "movie.tif", image)
    tifffile.imwrite(tmp_path / "labels.tif", labels)
    done = run_cli(
        "--no-progress",
        "upload",
        str(tmp_path / "movie.tif"),
        "--labels",
        str(tmp_path / "labels.tif"),
        "--axes",
        "TYX",
        "--name",
        "from the command line",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    project_id = done.stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]+", project_id), done.stdout

    target = tmp_path / "out.npz"
    done = run_cli("download", project_id, "--format", "npz", "--output", str(target), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(target)
    with np.load(target) as exported:
        np.testing.assert_array_equal(exported["X"][..., 0], image)
        assert set(np.unique(exported["y"])) == {0, int(exported["y"][0, 20, 20, 0])}


def test_exit_codes_say_what_went_wrong(server, admin_token, tmp_path):
    env = {"DEEPCELL_LABEL_URL": server.url, "DEEPCELL_LABEL_TOKEN": admin_token}
    missing = run_cli("download", "noSuchProject", "--output", str(tmp_path / "x.zip"), env=env)
    assert missing.returncode == 4
    words = httpx.get(
        f"{server.url}/api/projects/noSuchProject",
        headers={"Authorization": f"Bearer {admin_token}"},
    ).json()["error"]
    assert words in missing.stderr

    (tmp_path / "notes.tif").write_text("not an image")
    refused = run_cli("--no-progress", "upload", str(tmp_path / "notes.tif"), env=env)
    assert refused.returncode == 5
    assert "format was not recognised" in refused.stderr

    unreachable = run_cli("--url", "http://127.0.0.1:9", "upload", str(tmp_path / "notes.tif"))
    assert unreachable.returncode == 7
    assert "Could not reach http://127.0.0.1:9" in unreachable.stderr

    refused = run_cli("login", "--url", server.url, "--token", "not-a-token", env=env)
    assert refused.returncode == 3
    assert "token" in refused.stderr.lower()

    usage = run_cli("download", "abc", env=env)  # --output is required
    assert usage.returncode == 2


def test_every_command_has_help():
    for command in ([], ["login"], ["upload"], ["download"]):
        done = run_cli(*command, "--help")
        assert done.returncode == 0, done.stderr
        assert "Usage:" in done.stdout


def test_the_campaign_commands(server, admin_token, tmp_path):
    env = {"DEEPCELL_LABEL_URL": server.url, "DEEPCELL_LABEL_TOKEN": admin_token}
    for n in range(2):
        image, labels = blobs(n)
        tifffile.imwrite(tmp_path / f"cells{n}.tif", image)
        np.save(tmp_path / f"cells{n}.npy", labels)
    made = run_cli(
        "--no-progress",
        "campaign",
        "create",
        "from the command line",
        str(tmp_path / "cells0.tif"),
        "--labels",
        str(tmp_path / "cells0.npy"),
        "--replicas",
        "2",
        env=env,
    )
    assert made.returncode == 0, made.stderr
    campaign_id = made.stdout.strip()
    added = run_cli(
        "--no-progress",
        "campaign",
        "add",
        campaign_id,
        str(tmp_path / "cells1.tif"),
        "--labels",
        str(tmp_path / "cells1.npy"),
        env=env,
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip().endswith("cells1.tif")
    status = run_cli("campaign", "status", campaign_id, env=env)
    assert status.returncode == 0, status.stderr
    assert '"new": 4' in status.stdout
    exported = run_cli(
        "--no-progress", "campaign", "export", campaign_id, "-o", str(tmp_path), env=env
    )
    assert exported.returncode == 0, exported.stderr
    assert zipfile.is_zipfile(exported.stdout.strip())

    assert run_cli("campaign", "status", "no-such-campaign", env=env).returncode == 4
    refused = run_cli(
        "campaign", "export", campaign_id, "--split", "1", "1", "-1", "-o", "x", env=env
    )
    assert refused.returncode == 5 and "'split' must be" in refused.stderr
    assert run_cli("campaign", "add", campaign_id, env=env).returncode == 2
    helped = run_cli("campaign", "--help").stdout
    assert all(command in helped for command in ("create", "add", "status", "export"))
    assert "--replicas" in run_cli("campaign", "create", "--help").stdout
