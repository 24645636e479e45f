"""Hostile files through the real build on a real worker: a PNG of zeros whose decoded pixels
are allowed by MAX_PIXELS but not by the job's memory limit, and a reader that crashes its
process. Each build fails with a clear reason on its project and its job; the server answers
throughout, another build goes on, and nothing is left in the temporary folder or in storage."""

from __future__ import annotations

import functools
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import app_with_worker
from helpers import follow, upload
from test_building import Stages

MEMORY_LIMIT = 3 * 2**29  # 1.5 GiB for each of the worker's job processes
SIDE = 40_000  # a 40000² grey PNG: 1.6e9 pixels (under MAX_PIXELS), 1.6 GB decoded, 1.6 MB sent


@functools.cache
def png_of_zeros(side: int) -> bytes:
    """A valid 8-bit grey PNG of side × side zeros, compressed as far as deflate goes (made
    once: deflating 1.6 GB takes seconds)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    packer = zlib.compressobj(9)
    row = bytes(side + 1)  # filter byte 0, then the row's zeros
    pixels = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module", params=["sqlite-local", "mysql-s3"])
def hostile_app(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"hostile-{request.param}")
    overrides = {
        "CREATE_WAIT_SECONDS": 0,  # answer at once: the test follows the builds
        "BUILD_HOOK": "build_hooks:hook",
        "JOB_MEMORY_LIMIT": MEMORY_LIMIT,
    }
    with app_with_worker(request, tmp, request.param, overrides) as app:
        yield app


def _start(client, data: bytes, name: str) -> dict:
    answer = upload(client, data=data, name=name)
    assert answer.status_code == 202, answer.get_json()
    return answer.get_json()


def _until_built(client, project_ids: list[str], seconds: float = 120) -> dict[str, dict]:
    """Each project's metadata once its build ended, asking /health between polls."""
    deadline = time.monotonic() + seconds
    ended: dict[str, dict] = {}
    while len(ended) < len(project_ids):
        assert time.monotonic() < deadline, f"builds still running: {set(project_ids) - set(ended)}"
        health = client.get("/health")
        assert health.status_code == 200 and health.get_json() == {"message": "success"}
        for pid in set(project_ids) - set(ended):
            meta = client.get(f"/api/projects/{pid}").get_json()
            if meta["status"] in ("ready", "failed"):
                ended[pid] = meta
        time.sleep(0.1)
    return ended


def _leftovers(app, project_ids: list[str]) -> tuple[list[Path], list[str]]:
    store = app.extensions["deepcell_storage"]
    keys = [key for pid in project_ids for key in store.keys(f"projects/{pid}/")]
    return list((Path(app.config["DATA_DIR"]) / "tmp").iterdir()), keys


def _good_image() -> bytes:
    import io

    import tifffile

    buffer = io.BytesIO()
    tifffile.imwrite(buffer, np.arange(64 * 48, dtype=np.uint16).reshape(64, 48))
    return buffer.getvalue()


def test_a_decoder_past_the_memory_limit_fails_its_build_only(hostile_app):
    client = hostile_app.test_client()
    Stages(hostile_app)  # no stops, no failures
    bomb = _start(client, png_of_zeros(SIDE), "zeros.png")
    good = _start(client, _good_image(), "good.tif")
    ended = _until_built(client, [bomb["id"], good["id"]])
    assert ended[good["id"]]["status"] == "ready"
    failed = ended[bomb["id"]]
    assert failed["status"] == "failed"
    message = failed["status_message"]
    # The reader meets the memory limit as a MemoryError of its own and says so.
    assert message == "The image is too large to read into memory; split it into smaller files."
    job = follow(client, bomb["job"]["id"])[-1]
    assert job["state"] == "failed" and job["error"] == message and job["attempts"] == 1
    refused = client.get(f"/api/projects/{bomb['id']}/raw/0/0")
    assert refused.status_code == 409 and message in refused.get_json()["error"]
    assert _leftovers(hostile_app, [bomb["id"]]) == ([], [])


def test_a_reader_that_crashes_fails_its_build_after_a_second_try(hostile_app):
    """os.abort() while reading (twice: a crashed process is given one more attempt)."""
    client = hostile_app.test_client()
    stages = Stages(hostile_app, stop_at={"read"})
    crash = _start(client, _good_image(), "crash.tif")
    good = _start(client, _good_image(), "good.tif")
    for meta in (crash, good):
        stages.reach(meta["id"], "read")
    (stages.folder / f"abort-{crash['id']}-read").touch()
    for meta in (crash, good):
        stages.release(meta["id"], "read")
    ended = _until_built(client, [crash["id"], good["id"]])
    assert ended[good["id"]]["status"] == "ready"
    failed = ended[crash["id"]]
    assert failed["status"] == "failed"
    message = failed["status_message"]
    assert message.startswith("The job was given up after 2 attempts: its process stopped (")
    assert "SIGABRT" in message and "crashed, ran out of memory or was killed" in message
    job = follow(client, crash["job"]["id"])[-1]
    assert job["state"] == "failed" and job["error"] == message and job["attempts"] == 3
    assert _leftovers(hostile_app, [crash["id"]]) == ([], [])
    pixels = client.get(f"/api/projects/{good['id']}/raw/0/0")
    assert pixels.status_code == 200
