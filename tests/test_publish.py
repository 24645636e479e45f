"""Publishing the built app to S3 (moto's server): content types and cache headers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import make_bucket
from deepcell_label.store.storage import make_s3_client

ROOT = Path(__file__).resolve().parents[1]
IMMUTABLE = "public, max-age=31536000, immutable"


def _dist(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><script src=/assets/app-1a2b.js></script>")
    (dist / "assets" / "app-1a2b.js").write_text("console.log(1)")
    (dist / "assets" / "app-3c4d.css").write_text("body{}")
    (dist / "favicon.svg").write_text("<svg/>")
    return dist


def _publish_command(tmp_path: Path, endpoint: str, *args: str) -> subprocess.CompletedProcess:
    """`flask publish-frontend ...` in a fresh process, against the S3 server at `endpoint`."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "backend"),
        "AWS_ENDPOINT_URL": endpoint,
        "DATA_DIR": str(tmp_path / "data"),
    }
    command = [sys.executable, "-m", "flask", "--app", "deepcell_label.app:create_app"]
    return subprocess.run(
        [*command, "publish-frontend", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_flask_publish_frontend_command(tmp_path, moto_endpoint):
    bucket = make_bucket(moto_endpoint)
    done = _publish_command(
        tmp_path, moto_endpoint, "--bucket", bucket, "--dist", str(_dist(tmp_path))
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "uploaded 4 files" in done.stdout
    client = make_s3_client(moto_endpoint)
    expected = {
        "index.html": ("text/html; charset=utf-8", "no-cache"),
        "favicon.svg": ("image/svg+xml", "no-cache"),
        "assets/app-1a2b.js": ("text/javascript; charset=utf-8", IMMUTABLE),
        "assets/app-3c4d.css": ("text/css; charset=utf-8", IMMUTABLE),
    }
    for key, (kind, cache) in expected.items():
        head = client.head_object(Bucket=bucket, Key=key)
        assert (head["ContentType"], head["CacheControl"]) == (kind, cache), key
    body = client.get_object(Bucket=bucket, Key="assets/app-1a2b.js")["Body"].read()
    assert body == b"console.log(1)"


def test_publish_refuses_an_unbuilt_app(tmp_path, moto_endpoint):
    done = _publish_command(tmp_path, moto_endpoint, "--bucket", "any", "--dist", str(tmp_path))
    assert done.returncode != 0 and "build the app first" in done.stderr
