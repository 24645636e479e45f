"""Chunked, resumable uploads: on SQLite + a local file and on MariaDB + S3 multipart (moto),
and through gunicorn for bounded memory."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import timedelta

import numpy as np
import pytest
from deepcell_label.store.models import Project, Upload, db, utcnow
from deepcell_label.store.storage import storage
from helpers import pixels, raw_frame
from servers import TIMEOUT, Server, migrate, running, signed_in_session, tiff_bytes


@pytest.fixture
def small_chunks(app):
    """1 MiB chunks where storage allows it (S3 raises them to its 5 MiB minimum part)."""
    before = app.config["UPLOAD_CHUNK_BYTES"]
    app.config["UPLOAD_CHUNK_BYTES"] = 1024 * 1024
    yield
    app.config["UPLOAD_CHUNK_BYTES"] = before


def start(client, size: int, name: str = "cells.tif"):
    response = client.post("/api/uploads", json={"name": name, "size": size})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def send(client, upload: dict, index: int, data: bytes):
    size = upload["chunk_size"]
    return client.put(
        f"/api/uploads/{upload['id']}/chunks/{index}",
        data=data[index * size : (index + 1) * size],
        content_type="application/octet-stream",
    )


def upload_all(client, data: bytes, name: str = "cells.tif") -> dict:
    upload = start(client, len(data), name)
    for index in range(upload["chunks"]):
        assert send(client, upload, index, data).status_code == 200
    return upload


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return db.session.query(Project).count(), db.session.query(Upload).count()


def stored_upload_keys(app, upload_id: str) -> list[str]:
    with app.app_context():
        return storage().keys(f"uploads/{upload_id}/")


def open_multipart_ids(app) -> set[str]:
    """S3 multipart uploads not yet completed or aborted (the parts S3 keeps and bills)."""
    with app.app_context():
        store = storage()
        answer = store.client.list_multipart_uploads(Bucket=store.bucket)
    return {item["UploadId"] for item in answer.get("Uploads", [])}


def noisy_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 65535, (height, width), dtype=np.uint16)


def test_resumed_upload_out_of_order_becomes_a_project_with_the_same_pixels(
    app, client, small_chunks
):
    image = noisy_image(2400, 2400)
    data = tiff_bytes(image)
    upload = start(client, len(data), "big cells.tif")
    chunk_size = upload["chunk_size"]
    assert chunk_size == (5 if app.config["STORAGE"] == "s3" else 1) * 1024 * 1024
    assert upload["chunks"] == -(-len(data) // chunk_size) >= 3
    assert (upload["received"], upload["complete"]) == ([], False)

    # The first session sends the first and the last chunk, then stops.
    last = upload["chunks"] - 1
    assert send(client, upload, 0, data).status_code == 200
    answer = send(client, upload, last, data).get_json()
    assert (answer["received"], answer["complete"]) == ([0, last], False)

    # Resuming: ask what arrived, send the rest backwards, and one chunk again.
    state = client.get(f"/api/uploads/{upload['id']}").get_json()
    assert state["received"] == [0, last]
    for index in reversed([i for i in range(upload["chunks"]) if i not in state["received"]]):
        assert send(client, upload, index, data).status_code == 200
    answer = send(client, upload, 1, data)
    assert answer.status_code == 200
    assert answer.get_json()["received"] == list(range(upload["chunks"]))
    assert answer.get_json()["complete"] is True

    response = client.post(
        "/api/projects", data={"images_upload": upload["id"]}, content_type="multipart/form-data"
    )
    assert response.status_code in (201, 202), response.get_json()
    project = response.get_json()
    assert (project["name"], project["source"]) == ("big cells.tif", "upload")
    assert (project["height"], project["width"], project["dtype"]) == (2400, 2400, "uint16")
    np.testing.assert_array_equal(raw_frame(client, project["id"]), image)

    # Used once: the upload and its stored bytes are gone.
    gone = client.get(f"/api/uploads/{upload['id']}")
    assert gone.status_code == 404 and "no upload" in gone.get_json()["error"]
    assert stored_upload_keys(app, upload["id"]) == []
    if app.config["STORAGE"] == "s3":
        assert open_multipart_ids(app).isdisjoint({upload["id"]})


def test_labels_from_an_upload_and_a_failed_creation_keeps_the_upload(app, client):
    image = noisy_image(40, 30, seed=1)
    labels = np.zeros((40, 30), np.int32)
    labels[5:15, 3:9] = 4
    images_upload = upload_all(client, tiff_bytes(image), "raw.tif")
    labels_upload = upload_all(client, tiff_bytes(labels), "labels.tif")
    before = counts(app)

    wrong = client.post(
        "/api/projects",
        data={
            "images_upload": images_upload["id"],
            "labels_upload": labels_upload["id"],
            "axes": "ZYXC",
        },
        content_type="multipart/form-data",
    )
    assert 400 <= wrong.status_code < 500, wrong.get_json()
    assert "error" in wrong.get_json()
    assert counts(app) == before
    for upload in (images_upload, labels_upload):
        assert client.get(f"/api/uploads/{upload['id']}").get_json()["complete"] is True

    right = client.post(
        "/api/projects",
        data={"images_upload": images_upload["id"], "labels_upload": labels_upload["id"]},
        content_type="multipart/form-data",
    )
    assert right.status_code in (201, 202), right.get_json()
    project_id = right.get_json()["id"]
    np.testing.assert_array_equal(raw_frame(client, project_id), image)
    label_answer = client.get(f"/api/projects/{project_id}/labels/0/0")

    np.testing.assert_array_equal(pixels(label_answer), labels)
    for upload in (images_upload, labels_upload):
        assert client.get(f"/api/uploads/{upload['id']}").status_code == 404
    assert counts(app) == (before[0] + 1, before[1] - 2)


def test_an_upload_makes_one_project_even_when_two_requests_use_it(app, client):
    image = noisy_image(20, 30, seed=2)
    upload = upload_all(client, tiff_bytes(image), "raw.tif")
    with app.app_context():  # another request is making a project from it right now
        db.session.get(Upload, upload["id"]).in_use = True
        db.session.commit()
    before = counts(app)
    second = client.post(
        "/api/projects", data={"images_upload": upload["id"]}, content_type="multipart/form-data"
    )
    assert_refused(second, 409, "already being made into a project")
    assert counts(app) == before
    with app.app_context():  # that request failed and gave it back
        db.session.get(Upload, upload["id"]).in_use = False
        db.session.commit()
    again = client.post(
        "/api/projects", data={"images_upload": upload["id"]}, content_type="multipart/form-data"
    )
    assert again.status_code == 201, again.get_json()
    np.testing.assert_array_equal(raw_frame(client, again.get_json()["id"]), image)


def assert_refused(response, status: int, *words: str) -> None:
    assert response.status_code == status, (response.status_code, response.get_data()[:300])
    message = response.get_json()["error"]
    for word in words:
        assert word in message, message


def test_bad_upload_requests_are_refused_and_create_nothing(app, client, small_chunks):
    data = b"\x01\x02" * (3 * 1024 * 1024 + 500)  # two chunks on S3, seven locally
    before = counts(app)
    for body, status, words in [
        ({"name": "a.tif", "size": 0}, 400, ["more than 0"]),
        ({"name": "a.tif", "size": -5}, 400, ["more than 0"]),
        ({"name": "a.tif", "size": "12"}, 400, ["whole number"]),
        ({"name": "a.tif", "size": True}, 400, ["whole number"]),
        ({"name": "a.tif"}, 400, ["whole number"]),
        ({"name": 7, "size": 10}, 400, ["'name'"]),
        ({"name": "a.tif", "size": app.config["MAX_UPLOAD_BYTES"] + 1}, 413, ["MAX_UPLOAD_BYTES"]),
    ]:
        assert_refused(client.post("/api/uploads", json=body), status, *words)
    assert_refused(client.post("/api/uploads", data="size=3"), 400)
    assert counts(app) == before

    upload = start(client, len(data))
    url = f"/api/uploads/{upload['id']}/chunks"
    size = upload["chunk_size"]
    for index in ["-1", "x", str(upload["chunks"]), "1e3"]:
        assert_refused(client.put(f"{url}/{index}", data=data[:size]), 400, "does not exist")
    assert_refused(client.put(f"{url}/0", data=data[: size - 1]), 400, "exactly", str(size))
    assert_refused(client.put(f"{url}/0", data=data[: size + 1]), 400, "exactly")
    last = upload["chunks"] - 1
    assert_refused(client.put(f"{url}/{last}", data=data[:size]), 400, "exactly")
    assert client.get(f"/api/uploads/{upload['id']}").get_json()["received"] == []

    for response in [
        client.get("/api/uploads/nosuchupload"),
        client.put("/api/uploads/nosuchupload/chunks/0", data=b"abc"),
        client.delete("/api/uploads/nosuchupload"),
        client.get("/api/uploads/bad%20id!"),
    ]:
        assert_refused(response, 404, "no upload")

    # Not complete: refused, saying which chunks are missing; nothing created, upload kept.
    assert send(client, upload, 0, data).status_code == 200
    incomplete = client.post(
        "/api/projects", data={"images_upload": upload["id"]}, content_type="multipart/form-data"
    )
    missing = "1" if last == 1 else f"1-{last}"
    assert_refused(incomplete, 400, "not complete", f"chunks {missing} of 0-{last}")
    unknown = client.post(
        "/api/projects", data={"images_upload": "nosuchupload"}, content_type="multipart/form-data"
    )
    assert_refused(unknown, 404, "no upload")
    assert counts(app) == (before[0], before[1] + 1)
    assert client.get(f"/api/uploads/{upload['id']}").get_json()["received"] == [0]

    assert client.delete(f"/api/uploads/{upload['id']}").status_code == 204
    assert client.get(f"/api/uploads/{upload['id']}").status_code == 404
    assert stored_upload_keys(app, upload["id"]) == []
    assert counts(app) == before


def test_chunks_of_a_used_upload_cannot_change(app, client):
    data = tiff_bytes(noisy_image(20, 20))
    upload = upload_all(client, data)
    wrong = client.post(
        "/api/projects",
        data={"images_upload": upload["id"], "axes": "ZYXC"},
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 400
    assert_refused(send(client, upload, 0, data), 409, "new upload")


def test_idle_uploads_expire(app, client):
    old = start(client, 100)
    assert client.put(f"/api/uploads/{old['id']}/chunks/0", data=b"x" * 100).status_code == 200
    idle = start(client, 10)
    with app.app_context():
        handles = {
            upload_id: db.session.get(Upload, upload_id).storage_handle
            for upload_id in (old["id"], idle["id"])
        }
        long_ago = utcnow() - timedelta(hours=app.config["UPLOAD_MAX_AGE_HOURS"] + 1)
        for upload_id in handles:
            db.session.get(Upload, upload_id).updated = long_ago
        db.session.commit()

    # Asking for an expired upload removes it.
    assert_refused(client.get(f"/api/uploads/{idle['id']}"), 404, "expired")
    # Starting a new upload removes the others that expired.
    fresh = start(client, 10)
    assert client.get(f"/api/uploads/{fresh['id']}").status_code == 200
    assert_refused(client.get(f"/api/uploads/{old['id']}"), 404, "no upload")
    for upload_id in handles:
        assert stored_upload_keys(app, upload_id) == []
    if app.config["STORAGE"] == "s3":
        assert open_multipart_ids(app).isdisjoint(handles.values())
        assert fresh_handle(app, fresh["id"]) in open_multipart_ids(app)
    client.delete(f"/api/uploads/{fresh['id']}")


def fresh_handle(app, upload_id: str) -> str:
    with app.app_context():
        return db.session.get(Upload, upload_id).storage_handle


# ---------------------------------------------------------------- memory through gunicorn


def server_rss(server: Server) -> int:
    import psutil

    master = psutil.Process(server.process.pid)
    return sum(p.memory_info().rss for p in [master, *master.children(recursive=True)])


@pytest.mark.slow
def test_a_200_mb_upload_keeps_server_memory_bounded(tmp_path):
    data_dir = tmp_path / "data"
    migrate(data_dir, None)
    size = 200 * 1024 * 1024
    with running(Server(data_dir)) as server, signed_in_session() as session:
        answer = session.post(
            f"{server.url}/api/uploads", json={"name": "big.bin", "size": size}, timeout=TIMEOUT
        )
        assert answer.status_code == 201, answer.text
        upload = answer.json()
        chunk_size = upload["chunk_size"]
        baseline = server_rss(server)
        peak = baseline
        stop = threading.Event()

        def watch() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, server_rss(server))
                time.sleep(0.02)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        digest = hashlib.sha256()
        started = time.perf_counter()
        try:
            for index in range(upload["chunks"]):
                chunk = np.random.default_rng(index).bytes(
                    min(chunk_size, size - index * chunk_size)
                )
                digest.update(chunk)
                response = session.put(
                    f"{server.url}/api/uploads/{upload['id']}/chunks/{index}",
                    data=chunk,
                    headers={"Content-Type": "application/octet-stream"},
                    timeout=TIMEOUT,
                )
                assert response.status_code == 200, response.text
        finally:
            stop.set()
            watcher.join()
        seconds = time.perf_counter() - started
        state = session.get(f"{server.url}/api/uploads/{upload['id']}", timeout=TIMEOUT).json()
        assert state["complete"] is True
        assert server.errors() == []

    stored = data_dir / "storage" / "uploads" / upload["id"] / "data"
    with stored.open("rb") as stored_file:
        assert hashlib.file_digest(stored_file, "sha256").hexdigest() == digest.hexdigest()
    growth = peak - baseline
    print(f"200 MiB in {seconds:.1f} s; server RSS growth {growth / 2**20:.1f} MiB")
    assert growth < 40 * 1024 * 1024, f"server memory grew by {growth / 2**20:.0f} MiB"
