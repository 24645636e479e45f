"""Kinds of jobs that exist only in the tests' workers (JOB_EXTRA_KINDS=job_kinds:KINDS): they
exercise the job machinery itself (progress, cancel, failures, crashes, memory, time)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from deepcell_label.errors import InputFormatError
from deepcell_label.services.jobs import JobContext, JobKind
from fake_dns import divert_from_environment
from flask import current_app

divert_from_environment()  # the worker of the SSRF tests: see fake_dns


def count(context: JobContext) -> dict:
    steps = int(context.params.get("steps", 5))
    pause = float(context.params.get("pause", 0.1))
    for step in range(steps):
        context.progress(step / steps, f"Step {step + 1} of {steps}", force=True)
        time.sleep(pause)
    return {"counted": steps, "attempt": context.attempt}


def refuse(context: JobContext) -> None:
    raise InputFormatError("The file is not an image this test accepts. Send another file.")


def abort(context: JobContext) -> None:
    """A reader that crashes its process (as a native decoder might on a hostile file)."""
    context.progress(0.1, "Reading", force=True)
    os.abort()


def balloon(context: JobContext) -> None:
    """A reader that asks for far more memory than a job may have."""
    context.progress(0.1, "Decoding", force=True)
    blocks = [np.empty(2**30, np.uint8) for _ in range(256)]  # 256 GiB, never reached
    return {"blocks": len(blocks)}


def loop(context: JobContext) -> None:
    """A decoder stuck in a loop: no progress, never ends."""
    context.progress(0.1, "Decoding", force=True)
    while True:
        time.sleep(0.05)


def mark_cleaned(context: JobContext, reason: str) -> None:
    folder = Path(current_app.config["DATA_DIR"]) / "cleaned"
    folder.mkdir(exist_ok=True)
    (folder / context.id).write_text(reason)


KINDS = {
    name: JobKind(function, mark_cleaned)
    for name, function in {
        "count": count,
        "refuse": refuse,
        "abort": abort,
        "balloon": balloon,
        "loop": loop,
    }.items()
}
