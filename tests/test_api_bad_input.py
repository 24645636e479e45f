"""Bad input gets a clear JSON 4xx and leaves no project row and no stored object behind."""

from __future__ import annotations

import io
import struct
import zipfile

import numpy as np
import pytest
import tifffile
from helpers import upload


def _tiff(array: np.ndarray, **kwargs) -> bytes:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array, **kwargs)
    return buffer.getvalue()


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _huge_tiff_header() -> bytes:
    """A classic TIFF whose one IFD declares 100000 x 100000 16-bit pixels and nothing else."""
    entries = [
        (256, 4, 1, 100000),  # width
        (257, 4, 1, 100000),  # height
        (258, 3, 1, 16),  # bits per sample
        (259, 3, 1, 1),  # no compression
        (262, 3, 1, 1),  # min-is-black
        (273, 4, 1, 8),  # strip offset
        (277, 3, 1, 1),
        (278, 4, 1, 100000),
        (279, 4, 1, 100000 * 100000 * 2 % (1 << 32)),
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        packed = struct.pack("<HHI", tag, kind, count)
        packed += struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
        ifd += packed
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 16) + b"\x00" * 8 + ifd


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("X.npy", b"\x00" * (300 * 1024 * 1024))
    return buffer.getvalue()


GOOD = _tiff(np.arange(64 * 48, dtype=np.uint16).reshape(64, 48))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# (name, images bytes, extra form fields, labels bytes or None)
CASES = [
    ("empty file", b"", {}, None),
    ("plain text", b"hello, these are not pixels\n" * 10, {}, None),
    ("json", b'{"images": [1, 2, 3]}', {}, None),
    ("truncated tiff", GOOD[: len(GOOD) // 3], {}, None),
    ("tiff header only", GOOD[:8], {}, None),
    ("tiff with corrupt ifd offset", GOOD[:4] + struct.pack("<I", 10**9) + GOOD[8:], {}, None),
    ("tiff declaring 100000x100000", _huge_tiff_header(), {}, None),
    ("png signature only", PNG_SIGNATURE, {}, None),
    ("png with garbage chunks", PNG_SIGNATURE + b"\x00\x00\x00\x0dIHDR" + b"\xff" * 40, {}, None),
    ("jpeg header only", b"\xff\xd8\xff\xe0" + b"\x00" * 20, {}, None),
    ("zip with no images", _zip({"notes.txt": b"nothing here"}), {}, None),
    ("zip with ../ entry", _zip({"../../etc/X.npy": b"\x93NUMPY"}), {}, None),
    ("zip bomb", _zip_bomb(), {}, None),
    ("corrupt zip", b"PK\x03\x04" + b"\x00" * 100, {}, None),
    ("npz with pickled object", _npz(X=np.array([{"a": 1}], dtype=object)), {}, None),
    ("npy truncated", b"\x93NUMPY\x01\x00" + b"\x00" * 10, {}, None),
    ("1-D array", _npz(X=np.arange(100, dtype=np.uint8)), {}, None),
    ("7-D array", _npz(X=np.zeros((1, 1, 1, 1, 2, 2, 2), np.uint8)), {}, None),
    ("axes too long", GOOD, {"axes": "TZCYXQQQ"}, None),
    ("huge axes string", GOOD, {"axes": "Y" * 100000}, None),
    ("axes with repeated letters", GOOD, {"axes": "YY"}, None),
    ("axes not matching the shape", GOOD, {"axes": "TYX"}, None),
    ("axes with unknown letters", GOOD, {"axes": "AB"}, None),
    ("labels of the wrong shape", GOOD, {}, _tiff(np.zeros((10, 10), np.int32))),
    ("negative labels", GOOD, {}, _tiff(np.full((64, 48), -3, np.int32))),
    ("float labels", GOOD, {}, _tiff(np.full((64, 48), 1.5, np.float32))),
    ("labels that are text", GOOD, {}, b"not labels"),
    ("tar with ../ entry", b"", {}, None),
]


def _tar_with_escape() -> bytes:
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        content = io.BytesIO()
        np.save(content, np.zeros((4, 4), np.uint8))
        info = tarfile.TarInfo("../raw.npy")
        info.size = len(content.getvalue())
        archive.addfile(info, io.BytesIO(content.getvalue()))
    return buffer.getvalue()


CASES[-1] = ("tar with ../ entry", _tar_with_escape(), {}, None)


def _counts(app) -> tuple[int, int]:
    from deepcell_label.store.models import Project, db
    from sqlalchemy import func, select

    with app.app_context():
        rows = db.session.execute(select(func.count()).select_from(Project)).scalar_one()
        objects = len(app.extensions["deepcell_storage"].keys("projects"))
    return rows, objects


@pytest.mark.parametrize(
    ("name", "images", "fields", "labels"), CASES, ids=[case[0] for case in CASES]
)
def test_bad_input_is_refused_cleanly(app, client, name, images, fields, labels):
    before = _counts(app)
    response = upload(client, data=images, name="file", labels=labels, **fields)
    assert 400 <= response.status_code < 500, (name, response.status_code, response.data[:300])
    body = response.get_json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and len(body["error"]) > 15
    assert "Traceback" not in body["error"]
    assert _counts(app) == before
    assert client.get("/health").status_code == 200


def test_missing_file_field(client):
    response = client.post(
        "/api/projects",
        data={"picture": (io.BytesIO(GOOD), "x.tif")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "images" in response.get_json()["error"]


def test_upload_over_the_size_limit_is_413(tmp_path):
    from conftest import build_app

    app = build_app(tmp_path, {"MAX_CONTENT_LENGTH": 10_000})
    response = upload(app.test_client(), data=b"\0" * 20_000, name="big.tif")
    assert response.status_code == 413
    assert "limit" in response.get_json()["error"]


def test_pixel_limit(tmp_path, request):
    from conftest import build_app, start_worker

    app = build_app(tmp_path, {"MAX_PIXELS": 1000})
    start_worker(app, request)
    response = upload(app.test_client(), data=GOOD, name="a.tif")
    assert response.status_code == 413
    assert "pixel" in response.get_json()["error"] and "limit" in response.get_json()["error"]


def test_unknown_project_and_routes(client):
    assert client.get("/api/projects/doesnotexist").status_code == 404
    assert "no project" in client.get("/api/projects/doesnotexist").get_json()["error"]
    assert client.get("/api/nothing-here").status_code == 404
    assert client.delete("/api/projects").status_code == 405
    export = client.get("/api/projects/doesnotexist/export?format=zip")
    assert export.status_code == 404


def test_url_loading_refuses_loopback_by_default(tmp_path, request):
    from conftest import build_app, start_worker

    app = build_app(tmp_path, {"ALLOW_PRIVATE_URLS": False})
    start_worker(app, request)
    response = app.test_client().post(
        "/api/projects", data={"images_url": "http://127.0.0.1:9/x.tif"}
    )
    assert response.status_code == 400
    assert "127.0.0.1" in response.get_json()["error"]
    response = app.test_client().post(
        "/api/projects", data={"images_url": "s3://someone-elses-bucket/x.tif"}
    )
    assert response.status_code == 400 and "bucket" in response.get_json()["error"]
