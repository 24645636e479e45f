"""The Python client against a real server: arrays in, the same arrays out; jobs; exports; the
server's refusals as typed exceptions carrying its words."""

from __future__ import annotations

import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import numpy as np
import pytest
import tifffile
from deepcell_label_client import (
    AuthenticationError,
    BadRequestError,
    Client,
    IncompatibleServerError,
    JobFailedError,
    NotFoundError,
)

RNG = np.random.default_rng(7)


def random_image(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    if np.dtype(dtype).kind == "f":
        return (RNG.standard_normal(shape) * 100).astype(dtype)
    info = np.iinfo(dtype)
    return RNG.integers(info.min, info.max, shape, endpoint=True, dtype=dtype)


def random_labels(shape: tuple[int, ...]) -> np.ndarray:
    """Blocks of cells (8×8 pixels each) so that values form real cells."""
    small = RNG.integers(0, 12, (*shape[:-2], -(-shape[-2] // 8), -(-shape[-1] // 8)))
    big = small.repeat(8, axis=-2).repeat(8, axis=-1)
    return np.ascontiguousarray(big[..., : shape[-2], : shape[-1]]).astype(np.int32)


CASES = {
    # name: (image shape, axes, dtype, the image as (frames, height, width, channels))
    "2-D uint8": ((60, 90), None, "uint8", lambda a: a[None, :, :, None]),
    "3-D z-stack uint16": ((4, 40, 56), "ZYX", "uint16", lambda a: a[..., None]),
    "multichannel int16": ((48, 64, 3), "YXC", "int16", lambda a: a[None]),
    "channels first uint32": ((2, 40, 40), "CYX", "uint32", lambda a: a.transpose(1, 2, 0)[None]),
    "timelapse float32": ((5, 32, 48, 2), "TYXC", "float32", lambda a: a),
    "timelapse int8": ((3, 40, 40), "TYX", "int8", lambda a: a[..., None]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_arrays_in_are_the_arrays_out(client, case):
    shape, axes, dtype, canonical = CASES[case]
    image = random_image(shape, dtype)
    channel_free = [n for n, letter in enumerate(axes or "YX") if letter != "C"]
    labels = random_labels(tuple(shape[n] for n in channel_free))
    project = client.create_project(image, labels, axes=axes, name=case)

    metadata = project.metadata()
    assert metadata["status"] == "ready"
    assert metadata["name"] == case
    expected = canonical(image)
    out = project.image()
    assert out.dtype == np.dtype(dtype)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)
    out_labels = project.labels()
    assert out_labels.dtype == np.int32
    np.testing.assert_array_equal(out_labels, labels.reshape(out_labels.shape))
    listed = {(cell["t"], cell["value"]) for cell in project.cells()}
    present = {
        (t, value) for t in range(out_labels.shape[0]) for value in np.unique(out_labels[t])
    } - {(t, 0) for t in range(out_labels.shape[0])}
    assert listed == present


def test_a_timelapse_is_linked_and_exported_by_jobs(client, tmp_path):
    """A project above the server's inline export size (100 000 pixels here) goes through an
    export job; linking is a job whose result comes back."""
    frames = np.zeros((3, 128, 160), np.int32)
    for t in range(3):  # two cells drifting right, with values changing each frame
        frames[t, 20:40, 10 + 5 * t : 30 + 5 * t] = 1 + 10 * t
        frames[t, 80:100, 60 + 5 * t : 80 + 5 * t] = 2 + 10 * t
    image = random_image((3, 128, 160, 2), "uint16")
    project = client.create_project(image, frames, axes="TYXC")
    inline = client.http.get(f"/api/projects/{project.id}/export", params={"format": "npz"})
    assert inline.status_code == 413  # too large for this server's inline export

    result = project.link()
    assert result["tracks"] == 2
    # Linking changes which cell each value encodes: one cell per track across the frames.
    cell_of = {(entry["t"], entry["value"]): entry["cell"] for entry in project.cells()}
    assert len({cell_of[t, 1 + 10 * t] for t in range(3)}) == 1
    assert len({cell_of[t, 2 + 10 * t] for t in range(3)}) == 1
    linked = project.labels()
    np.testing.assert_array_equal(linked, frames)
    assert project.divisions() == []
    assert project.cell_types() == []

    path = project.export(tmp_path / "out.npz", "npz")
    with np.load(path) as exported:
        np.testing.assert_array_equal(exported["X"], image)
        # The npz holds one id per cell: each value as the cell it encodes, linked across frames.
        cells = np.zeros_like(linked)
        for (t, value), cell in cell_of.items():
            cells[t][linked[t] == value] = cell
        np.testing.assert_array_equal(exported["y"][..., 0], cells)
    zipped = project.export(tmp_path)  # a folder: the server's file name
    assert zipped.parent == tmp_path and zipfile.is_zipfile(zipped)


def test_a_missing_project_is_not_found_in_the_servers_words(client, server, admin_token):
    with pytest.raises(NotFoundError) as caught:
        client.project("noSuchProject")
    direct = httpx.get(
        f"{server.url}/api/projects/noSuchProject",
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert caught.value.status == 404
    assert caught.value.message == direct.json()["error"]


def test_a_refused_file_is_a_bad_request_in_the_servers_words(client, tmp_path):
    path = tmp_path / "cells.tif"
    path.write_bytes(b"this is no TIFF at all" * 10)
    with pytest.raises(BadRequestError) as caught:
        client.create_project(path)
    assert caught.value.status == 400
    assert "format was not recognised" in caught.value.message


def test_an_ambiguous_array_asks_for_axes(client):
    with pytest.raises(ValueError, match="axes="):
        client.create_project(np.zeros((3, 30, 30), np.uint8))


def test_a_refused_token_is_an_authentication_error(server):
    direct = httpx.get(
        f"{server.url}/api/projects/anything", headers={"Authorization": "Bearer not-a-token"}
    )
    assert direct.status_code == 401
    with (
        Client(server.url, "not-a-token", progress=False) as stranger,
        pytest.raises(AuthenticationError) as caught,
    ):
        stranger.project("anything")
    assert caught.value.status == 401
    assert caught.value.message == direct.json()["error"]


class FutureServer(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = json.dumps({"api_version": "2.0", "server_version": "9.0.0"}).encode()
        self.send_response(200 if self.path == "/api/version" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


def test_a_server_of_another_api_version_is_refused_saying_which_work():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FutureServer)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(IncompatibleServerError) as caught:
            Client(f"http://127.0.0.1:{httpd.server_port}", progress=False)
    finally:
        httpd.shutdown()
    assert "API 2.0" in caught.value.message
    assert "1.x" in caught.value.message


def test_a_failed_job_carries_its_reason(client):
    job = {
        "id": "x",
        "kind": "build",
        "state": "failed",
        "error": "Too many pixels.",
        "error_status": 413,
        "progress": 0.2,
    }
    with pytest.raises(BadRequestError) as caught:
        client.wait(job, progress=False)
    assert isinstance(caught.value, JobFailedError)
    assert caught.value.message == "Too many pixels." and caught.value.status == 413


def test_tiff_files_are_sent_as_they_are(client, tmp_path):
    image = random_image((2, 70, 50), "uint16")
    path = tmp_path / "stack.tif"
    tifffile.imwrite(path, image, metadata={"axes": "ZYX"})
    project = client.create_project(path)
    assert project.metadata()["name"] == "stack.tif"
    np.testing.assert_array_equal(project.image()[..., 0], image)


def test_large_frames_come_tile_by_tile_and_are_assembled(client, server, admin_token):
    """Frames above `whole_frame_pixels` are fetched as tiles (cut at the image's edges)."""
    image = random_image((2, 700, 1100, 2), "uint16")
    labels = random_labels((2, 700, 1100))
    project = client.create_project(image, labels, axes="TYXC")
    with Client(server.url, admin_token, progress=False, whole_frame_pixels=0) as tiled:
        again = tiled.project(project.id)
        np.testing.assert_array_equal(again.image(), image)
        np.testing.assert_array_equal(again.labels(), labels)
