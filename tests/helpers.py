"""Small helpers shared by the API tests: upload files, read pixel answers."""

from __future__ import annotations

import io
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from testdata import testdata_path


def upload(
    client,
    path: Path | None = None,
    *,
    data: bytes | None = None,
    name: str = "image",
    labels: Path | bytes | None = None,
    axes: str | None = None,
    route: str = "/api/projects",
    **fields,
):
    form: dict = {}
    content = data if data is not None else Path(path).read_bytes()
    form["images"] = (io.BytesIO(content), path.name if path is not None else name)
    if labels is not None:
        label_bytes = labels if isinstance(labels, bytes) else Path(labels).read_bytes()
        form["labels"] = (io.BytesIO(label_bytes), "labels")
    if axes is not None:
        form["axes"] = axes
    form.update(fields)
    return client.post(route, data=form, content_type="multipart/form-data")


def create(client, path: Path | None = None, **kwargs) -> dict:
    response = upload(client, path, **kwargs)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def stardist_project(client) -> str:
    """The id of a new project of the StarDist 2-D image and its mask."""
    return create(
        client,
        testdata_path("stardist/img2d.tif"),
        labels=testdata_path("stardist/mask2d.tif"),
    )["id"]


def brush(client, project_id: str, point: list[int], cell: int, size: int = 6, action="brush"):
    """Brush (or erase) one point; the answer's JSON, after checking it succeeded."""
    answer = client.post(
        f"/api/projects/{project_id}/edits",
        json={"action": action, "args": {"points": [point], "brush_size": size, "cell": cell}},
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def pixels(response) -> np.ndarray:
    assert response.status_code == 200, response.data[:500]
    assert response.headers["Content-Encoding"] == "deflate"
    shape = tuple(int(n) for n in response.headers["X-Shape"].split(","))
    dtype = np.dtype(response.headers["X-Dtype"]).newbyteorder("<")
    return np.frombuffer(zlib.decompress(response.data), dtype).reshape(shape)


def label_frame(client, project_id: str, feature: int = 0, frame: int = 0) -> np.ndarray:
    return pixels(client.get(f"/api/projects/{project_id}/labels/{feature}/{frame}"))


def raw_frame(client, project_id: str, frame: int = 0, channel: int = 0) -> np.ndarray:
    return pixels(client.get(f"/api/projects/{project_id}/raw/{frame}/{channel}"))


def serve_in_thread(server) -> Iterator[int]:
    """Run a socketserver-style server on a thread; yields its port, then shuts it down."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def follow(client, job_id: str, until=("done", "failed", "cancelled"), seconds: float = 60):
    """The job's descriptions, polled until its state is one of `until`."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = client.get(f"/api/jobs/{job_id}")
        assert response.status_code == 200, response.get_json()
        seen.append(response.get_json())
        if seen[-1]["state"] in until:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {seen[-1]['state']} after {seconds} s: {seen[-1]}")
