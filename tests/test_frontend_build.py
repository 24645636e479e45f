"""`make run`'s build of the browser app (scripts/build_frontend.sh) beside a server already
serving it: the app answers its page during the whole rebuild, and an up-to-date build is
skipped."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from conftest import build_app
from servers import REPOSITORY

SCRIPT = REPOSITORY / "scripts" / "build_frontend.sh"
DIST = REPOSITORY / "visualizer" / "dist"


def build() -> subprocess.Popen:
    return subprocess.Popen(
        ["bash", str(SCRIPT)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_a_rebuild_never_leaves_the_running_app_without_its_page(tmp_path):
    first = build()
    assert first.wait(timeout=600) == 0, first.stdout.read()[-2000:]
    assert DIST.is_symlink() and (DIST / "index.html").is_file()
    before = DIST.resolve()

    (DIST / ".source-stamp").unlink()  # the build in place no longer matches: build again
    client = build_app(tmp_path, {}).test_client()
    rebuild = build()
    answers = []
    while rebuild.poll() is None:
        answers.append(client.get("/").status_code)
        time.sleep(0.05)
    assert rebuild.returncode == 0, rebuild.stdout.read()[-2000:]
    assert len(answers) > 20 and set(answers) == {200}, sorted(set(answers))
    assert DIST.resolve() != before and (DIST / "index.html").is_file()
    assert client.get("/").status_code == 200

    started = time.monotonic()
    again = build()
    assert again.wait(timeout=60) == 0
    assert "up to date" in again.stdout.read()
    assert time.monotonic() - started < 30
