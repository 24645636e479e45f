"""A build hook for the tests' workers (BUILD_HOOK=build_hooks:hook): the test, in another process,
stops builds at a stage, lets them go on, makes them fail there, or crashes the build's process
there (as a native reader might on a hostile file), through files in DATA_DIR/hooks/."""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import current_app

WAIT = 120.0


def folder() -> Path:
    path = Path(current_app.config["DATA_DIR"]) / "hooks"
    path.mkdir(exist_ok=True)
    return path


def hook(stage: str, project_id: str) -> None:
    here = folder()
    (here / f"arrived-{project_id}-{stage}").touch()
    failure = here / f"fail-{stage}"
    if failure.exists():
        raise RuntimeError(failure.read_text())
    deadline = time.monotonic() + WAIT
    while (here / f"stop-{stage}").exists() and not (here / f"go-{project_id}-{stage}").exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the test never let the build pass {stage}")
        time.sleep(0.02)
    if (here / f"abort-{project_id}-{stage}").exists():
        os.abort()
