"""Malformed and hostile input through the HTTP API: damaged and lying files, unsafe archives,
wrong form fields, bad edit bodies and dangerous URLs.

Each must be refused with a 4xx JSON `{"error": ...}` that says what is wrong without a
traceback, SQL or the server's file paths; the server stays healthy; and nothing is left
behind: no project row, no stored object, no temporary upload. Inputs that are valid after
all (a 1×1 image, a bool image) are checked to be accepted correctly instead.

These come on top of the cases of test_api_bad_input.py and repeat none of them.
"""

from __future__ import annotations

import io
import json
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import tifffile
from conftest import free_port
from PIL import Image

# ---------------------------------------------------------------- file builders


def tiff(array: np.ndarray, **kwargs) -> bytes:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array, **kwargs)
    return buffer.getvalue()


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def npy_header(header: str, data: bytes = b"", version: int = 1) -> bytes:
    """An .npy file with a hand-written header (padded as numpy pads it)."""
    text = header.encode("latin1")
    size = struct.calcsize("<H" if version == 1 else "<I")
    padding = -(len(b"\x93NUMPY") + 2 + size + len(text) + 1) % 64
    text += b" " * padding + b"\n"
    length = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + length + text + data


def classic_tiff(entries: list[tuple[int, int, int]], data: bytes = b"", next_ifd=0) -> bytes:
    """A little-endian TIFF: header, `data` at byte 8, then one IFD of (tag, type, value)
    entries (type 3 SHORT or 4 LONG, one value each); `next_ifd` may point anywhere."""
    ifd_offset = 8 + len(data) + len(data) % 2
    ifd = struct.pack("<H", len(entries))
    for tag, kind, value in sorted(entries):
        value_bytes = struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, 1) + value_bytes
    if next_ifd == "self":
        next_ifd = ifd_offset
    ifd += struct.pack("<I", next_ifd)
    return b"II*\x00" + struct.pack("<I", ifd_offset) + data + b"\x00" * (len(data) % 2) + ifd


def gray_tiff_entries(
    width: int, height: int, offset: int = 8, compression: int = 1
) -> list[tuple[int, int, int]]:
    return [
        (256, 4, width),
        (257, 4, height),
        (258, 3, 8),
        (259, 3, compression),
        (262, 3, 1),
        (273, 4, offset),
        (277, 3, 1),
        (278, 4, height),
        (279, 4, width * height),
    ]


def big_tiff_declaring(width: int, height: int) -> bytes:
    """A BigTIFF whose one IFD declares width × height 16-bit pixels and holds none."""
    entries = [
        (256, 16, width),
        (257, 16, height),
        (258, 3, 16),
        (259, 3, 1),
        (262, 3, 1),
        (273, 16, 64),
        (277, 3, 1),
        (278, 16, height),
        (279, 16, width * height * 2),
    ]
    ifd = struct.pack("<Q", len(entries))
    for tag, kind, value in entries:
        ifd += struct.pack("<HHQ", tag, kind, 1)
        ifd += struct.pack("<HHHH", value, 0, 0, 0) if kind == 3 else struct.pack("<Q", value)
    ifd += struct.pack("<Q", 0)
    return b"II+\x00" + struct.pack("<HHQ", 8, 0, 16) + ifd


def png_chunk(kind: bytes, data: bytes, crc: int | None = None) -> bytes:
    crc = zlib.crc32(kind + data) if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_declaring(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def png_with_bad_crc(chunk: bytes) -> bytes:
    """A 16×16 PNG whose `chunk` keeps its data but carries a wrong CRC."""
    data = bytearray(png(np.arange(256, dtype=np.uint8).reshape(16, 16)))
    at = data.index(chunk)
    length = struct.unpack(">I", data[at - 4 : at])[0]
    crc_at = at + 4 + length
    data[crc_at : crc_at + 4] = bytes(b ^ 0xFF for b in data[crc_at : crc_at + 4])
    return bytes(data)


def png_with_damaged_pixels() -> bytes:
    """A PNG whose compressed pixel stream is garbage (with a correct CRC)."""
    header = struct.pack(">IIBBBBB", 16, 16, 8, 0, 0, 0, 0)
    idat = b"\x78\x9c" + bytes(range(7, 250, 3))
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def zip_of(entries: dict[str, bytes], *, symlinks: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in symlinks:
                info.create_system = 3  # unix
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def nested_zip_bomb() -> bytes:
    """A zip holding a zip whose one .npy member inflates to 200 MB of zeros."""
    inner = zip_of(
        {
            "X.npy": npy_header(
                "{'descr': '|u1', 'fortran_order': False, 'shape': (200, 1024, 1024), }"
            )
            + b"\x00" * (200 * 2**20)
        }
    )
    return zip_of({"inner.zip": inner})


def zip_with_many_entries(count: int = 10_001) -> bytes:
    return zip_of({f"{n}.npy": b"" for n in range(count)})


def tar_of(members: list[tarfile.TarInfo], contents: dict[str, bytes], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for info in members:
            content = contents.get(info.name)
            if content is not None:
                info.size = len(content)
            archive.addfile(info, io.BytesIO(content) if content is not None else None)
    return buffer.getvalue()


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


SMALL = npy(np.zeros((1, 8, 8, 1), np.uint8))
GOOD = tiff(np.arange(32 * 24, dtype=np.uint16).reshape(32, 24))
FRAMES = tiff(np.zeros((3, 32, 24), np.uint16), photometric="minisblack")

# ---------------------------------------------------------------- upload cases

Form = dict[str, object]


def files(images: bytes | None = None, labels: bytes | None = None, **fields) -> Form:
    form: Form = {}
    if images is not None:
        form["images"] = (io.BytesIO(images), "upload")
    if labels is not None:
        form["labels"] = (io.BytesIO(labels), "labels")
    form.update(fields)
    return form


# name -> builder of the multipart form (called lazily: some build large files)
REFUSED_UPLOADS: dict[str, Callable[[], Form]] = {
    # TIFF
    "tiff with unknown compression": lambda: files(
        classic_tiff(gray_tiff_entries(8, 8, compression=9999), b"\x01" * 64)
    ),
    "tiff with strip offset past the end": lambda: files(
        classic_tiff(gray_tiff_entries(8, 8, offset=10**6), b"\x01" * 64)
    ),
    "tiff with an IFD of zero entries": lambda: files(classic_tiff([])),
    "tiff with an IFD that points to itself and no image": lambda: files(
        classic_tiff([(254, 4, 0)], next_ifd="self")
    ),
    "tiff with width 0": lambda: files(classic_tiff(gray_tiff_entries(0, 8), b"\x01" * 64)),
    "tiff whose IFD claims 65535 entries": lambda: files(
        b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 65535) + b"\x00" * 24
    ),
    "bigtiff declaring 100000x100000": lambda: files(big_tiff_declaring(100_000, 100_000)),
    "bigtiff header only": lambda: files(b"II+\x00" + struct.pack("<HHQ", 8, 0, 16)),
    # PNG
    "png declaring 2^31-1 x 2^31-1": lambda: files(png_declaring(2**31 - 1, 2**31 - 1)),
    "png with a bad IHDR CRC": lambda: files(png_with_bad_crc(b"IHDR")),
    "png with a damaged pixel stream": lambda: files(png_with_damaged_pixels()),
    "png cut inside IDAT": lambda: files(png(np.ones((64, 64), np.uint8) * 7)[:-40]),
    "png with width 0": lambda: files(png_declaring(0, 16)),
    # zip
    "zip bomb inside a zip": lambda: files(nested_zip_bomb()),
    "zip with an absolute path": lambda: files(zip_of({"/X.npy": SMALL})),
    "zip with a drive letter path": lambda: files(zip_of({"C:\\data\\X.npy": SMALL})),
    "zip with a symlink member": lambda: files(
        zip_of({"X.npy": b"/etc/passwd"}, symlinks=("X.npy",))
    ),
    "zip with over 10000 entries": lambda: files(zip_with_many_entries()),
    # tar
    "tar with an absolute name": lambda: files(
        tar_of([tar_member("/raw.npy")], {"/raw.npy": SMALL})
    ),
    "gzip tar with ../ inside a folder": lambda: files(
        tar_of([tar_member("trk/../../raw.npy")], {"trk/../../raw.npy": SMALL}, "w:gz")
    ),
    "tar with a symlink raw.npy": lambda: files(
        tar_of([tar_member("raw.npy", tarfile.SYMTYPE, "/etc/passwd")], {})
    ),
    "tar with a device raw.npy": lambda: files(
        tar_of([tar_member("raw.npy", tarfile.CHRTYPE)], {})
    ),
    "tar with a hard link raw.npy": lambda: files(
        tar_of([tar_member("raw.npy", tarfile.LNKTYPE, "/etc/shadow")], {})
    ),
    # NumPy
    "npz with a pickled object as y": lambda: files(
        npz(X=np.zeros((8, 8), np.uint8), y=np.array([{"cell": 1}], dtype=object))
    ),
    "npy declaring a huge shape": lambda: files(
        npy_header("{'descr': '<u2', 'fortran_order': False, 'shape': (100000, 100000, 100), }")
    ),
    "npy of dtype object": lambda: files(npy(np.array([[object(), None]], dtype=object))),
    "npy with a negative shape": lambda: files(
        npy_header("{'descr': '<u2', 'fortran_order': False, 'shape': (-8, 8), }", b"\0" * 128)
    ),
    "npy whose header is code": lambda: files(npy_header("__import__('os').getcwd()")),
    "npy of complex numbers": lambda: files(npy(np.ones((8, 8), np.complex64))),
    "npy of strings": lambda: files(npy(np.array([["a", "b"], ["c", "d"]]))),
    "npy version 3 header": lambda: files(
        npy_header("{'descr': '<u2', 'fortran_order': False, 'shape': (2, 2), }", b"\0" * 8, 3)
    ),
    "npy with a 0-sized dimension": lambda: files(npy(np.zeros((0, 16), np.uint8))),
    # labels
    "int64 labels above 2^31": lambda: files(GOOD, tiff(np.full((32, 24), 2**31 + 5, np.int64))),
    "float labels with NaN": lambda: files(
        GOOD, tiff(np.where(np.eye(32, 24) > 0, np.nan, 1).astype(np.float32))
    ),
    "labels with the wrong number of frames": lambda: files(
        FRAMES, tiff(np.zeros((2, 32, 24), np.int32))
    ),
    "labels with a 0-sized dimension": lambda: files(GOOD, npy(np.zeros((0, 32, 24), np.int32))),
    # form fields
    "images sent as a text field": lambda: {"images": "X.tif"},
    "images_url sent as a file": lambda: {"images_url": (io.BytesIO(b"http://x/y"), "url.txt")},
    "axes with a NUL byte": lambda: files(GOOD, axes="Y\x00X"),
    "axes in Greek letters": lambda: files(GOOD, axes="ΥΧ"),
    "labels_axes not matching the labels": lambda: files(
        GOOD, tiff(np.zeros((32, 24), np.int32)), labels_axes="TYX"
    ),
}

REFUSED_URLS = {
    "file URL": "file:///etc/passwd",
    "gopher URL": "gopher://127.0.0.1:70/1",
    "ftp URL": "ftp://127.0.0.1/pub/x.tif",
    "data URL": "data:image/tiff;base64," + __import__("base64").b64encode(GOOD).decode(),
    "javascript URL": "javascript:alert(1)",
    "URL with user and password": "http://user:secret@127.0.0.1:{port}/x.tif",
    "URL with only a user": "http://admin@127.0.0.1:{port}/x.tif",
    "overlong URL": "http://127.0.0.1:{port}/" + "a" * 100_000 + ".tif",
    "URL with CR LF": "http://127.0.0.1:{port}/x.tif\r\nHost: elsewhere",
    "URL without a host": "http:///x.tif",
    "URL with port 0": "http://127.0.0.1:0/x.tif",
    "URL with a port out of range": "http://127.0.0.1:99999/x.tif",
    "s3 URL with credentials": "s3://key:secret@bucket/x.tif",
}


def closed_port() -> int:
    return free_port()  # nothing listens there once the probe socket is closed


# Cases the server refused wrongly once: name -> why (strict xfail, so a regression shows).
KNOWN_BUGS: dict[str, str] = {}


def cases(names) -> list:
    """The names as parameters, those of known bugs marked as expected to fail."""
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name]))
        if name in KNOWN_BUGS
        else name
        for name in names
    ]


# ---------------------------------------------------------------- what must hold


SERVER_LEAKS = ("Traceback", "site-packages", "sqlalchemy", "pymysql", "SELECT ", "INSERT ", ".py")


def leftovers(app) -> tuple[int, int, int]:
    """Project rows, stored objects under projects/, and temporary upload files."""
    from deepcell_label.store.models import Project, db
    from sqlalchemy import func, select

    with app.app_context():
        rows = db.session.execute(select(func.count()).select_from(Project)).scalar_one()
        objects = len(app.extensions["deepcell_storage"].keys("projects"))
    temporary = Path(app.config["DATA_DIR"]) / "tmp"
    uploads = len(list(temporary.iterdir())) if temporary.is_dir() else 0
    return rows, objects, uploads


def assert_refused(app, client, response, name: str) -> str:
    assert 400 <= response.status_code < 500, (name, response.status_code, response.data[:300])
    body = response.get_json(silent=True)
    assert isinstance(body, dict) and isinstance(body.get("error"), str), response.data[:300]
    message = body["error"]
    assert len(message) > 15, message
    assert len(message) < 1000, f"{name}: a {len(message)}-character message"
    for leak in (*SERVER_LEAKS, app.config["DATA_DIR"], str(Path(__file__).parents[1])):
        assert leak not in message, (name, leak, message)
    assert client.get("/health").get_json() == {"message": "success"}
    return message


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("name", cases(REFUSED_UPLOADS))
def test_hostile_upload_is_refused(app, client, name):
    before = leftovers(app)
    response = client.post(
        "/api/projects", data=REFUSED_UPLOADS[name](), content_type="multipart/form-data"
    )
    assert_refused(app, client, response, name)
    assert leftovers(app) == before


@pytest.mark.parametrize("name", cases(REFUSED_URLS))
@pytest.mark.parametrize("field", ["images_url", "labels_url"])
def test_hostile_url_is_refused(app, client, name, field):
    url = REFUSED_URLS[name].replace("{port}", str(closed_port()))
    form = {"images_url": url} if field == "images_url" else files(GOOD, labels_url=url)
    before = leftovers(app)
    response = client.post("/api/projects", data=form, content_type="multipart/form-data")
    message = assert_refused(app, client, response, name)
    assert "secret" not in message
    assert leftovers(app) == before


def test_hostile_compat_url_is_refused(app, client):
    """The compatible route takes its URL in the `images` form field."""
    before = leftovers(app)
    for url in ("file:///etc/passwd", "gopher://127.0.0.1:70/1", "http://u:secret@127.0.0.1/x"):
        response = client.post("/api/project", data={"images": url})
        assert "secret" not in assert_refused(app, client, response, url)
    assert leftovers(app) == before


def test_body_that_is_not_multipart(app, client):
    before = leftovers(app)
    for content_type in ("image/tiff", "multipart/form-data", "multipart/form-data; boundary=x"):
        response = client.post("/api/projects", data=GOOD, content_type=content_type)
        assert_refused(app, client, response, content_type)
    assert leftovers(app) == before


# Valid after all: accepted, and read right.


def test_one_pixel_image_is_accepted(client):
    response = client.post(
        "/api/projects",
        data=files(tiff(np.array([[7]], np.uint16))),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    project = response.get_json()
    assert (project["frames"], project["height"], project["width"], project["channels"]) == (
        1,
        1,
        1,
        1,
    )
    assert project["dtype"] == "uint16" and project["channel_ranges"] == [[7, 7]]


def test_bool_image_is_accepted_as_uint8(client):
    image = np.zeros((16, 20), bool)
    image[4:9, 3:12] = True
    response = client.post(
        "/api/projects", data=files(npy(image)), content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.get_json()
    project = response.get_json()
    assert project["dtype"] == "uint8" and (project["height"], project["width"]) == (16, 20)
    assert project["channel_ranges"] == [[0, 1]]


def test_png_with_a_bad_pixel_crc_but_intact_pixels_is_read(client):
    """Like most readers, Pillow checks the CRC of the header, not of the pixel chunks; the
    pixels themselves are intact, so the image is accepted as it is."""
    response = client.post(
        "/api/projects",
        data=files(png_with_bad_crc(b"IDAT")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    project = response.get_json()
    assert (project["height"], project["width"], project["channel_ranges"]) == (16, 16, [[0, 255]])


def test_float_image_with_infinity_gives_valid_json(client):
    image = np.ones((8, 8), np.float32)
    image[0, 0] = np.inf
    image[1, 1] = -np.inf
    response = client.post(
        "/api/projects", data=files(tiff(image)), content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.data[:300]
    text = response.get_data(as_text=True)
    json.loads(text, parse_constant=lambda constant: pytest.fail(f"{constant} in {text[:300]}"))
    assert response.get_json()["channel_ranges"] == [[1.0, 1.0]]


def test_labels_sent_as_a_text_field_are_not_silently_dropped(app, client):
    before = leftovers(app)
    form = files(GOOD)
    form["labels"] = "labels.tif"
    response = client.post("/api/projects", data=form, content_type="multipart/form-data")
    assert_refused(app, client, response, "labels as a text field")
    assert leftovers(app) == before


# ---------------------------------------------------------------- edits


@pytest.fixture(scope="module")
def project_id(app) -> str:
    labels = np.zeros((32, 24), np.int32)
    labels[4:12, 4:12] = 1
    labels[16:28, 8:20] = 2
    response = app.test_client().post(
        "/api/projects", data=files(GOOD, tiff(labels)), content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def brush(**args) -> dict:
    return {
        "action": "brush",
        "args": {"points": [[5, 5]], "brush_size": 2, "cell": 1, **args},
        "write_mode": "overwrite",
    }


def body(value) -> bytes:
    return json.dumps(value).encode()


def nested(depth: int) -> bytes:
    return b'{"action": "brush", "args": ' + b"[" * depth + b"]" * depth + b"}"


# name -> (raw request body, Content-Type)
REFUSED_EDITS: dict[str, Callable[[], tuple[bytes, str]]] = {
    "body not UTF-8": lambda: (b'{"action": "\xff\xfe brush"}', "application/json"),
    "body in UTF-16": lambda: ('{"action": "brush"}'.encode("utf-16"), "application/json"),
    "invalid JSON": lambda: (b'{"action": "brush", args: }', "application/json"),
    "JSON with a trailing comma": lambda: (b'{"action": "brush",}', "application/json"),
    "10 MB JSON body": lambda: (
        body(brush(points=[[1, 1]] * 1_500_000)),
        "application/json",
    ),
    "JSON array instead of an object": lambda: (body([brush()]), "application/json"),
    "JSON as text/plain": lambda: (body(brush()), "text/plain"),
    "args as a list": lambda: (
        body({"action": "brush", "args": [[5, 5], 2, 1]}),
        "application/json",
    ),
    "unknown field": lambda: (body({**brush(), "admin": True}), "application/json"),
    "20000 stroke points": lambda: (body(brush(points=[[1, 1]] * 20_000)), "application/json"),
    "point at 1e308": lambda: (body(brush(points=[[1e308, 1]])), "application/json"),
    "point at -1": lambda: (body(brush(points=[[-1, 3]])), "application/json"),
    "point at 2**70": lambda: (body(brush(points=[[3, 2**70]])), "application/json"),
    "point with three numbers": lambda: (body(brush(points=[[1, 2, 3]])), "application/json"),
    "point as strings": lambda: (body(brush(points=[["1", "2"]])), "application/json"),
    "brush size -1": lambda: (body(brush(brush_size=-1)), "application/json"),
    "brush size 1e308": lambda: (body(brush(brush_size=1e308)), "application/json"),
    "brush size NaN": lambda: (
        b'{"action": "brush", "args": {"points": [[1, 1]], "brush_size": NaN, "cell": 1}}',
        "application/json",
    ),
    "brush size Infinity": lambda: (
        b'{"action": "brush", "args": {"points": [[1, 1]], "brush_size": Infinity, "cell": 1}}',
        "application/json",
    ),
    "cell -1": lambda: (body(brush(cell=-1)), "application/json"),
    "cell as true": lambda: (body(brush(cell=True)), "application/json"),
    "frame 2**70": lambda: (body({**brush(), "frame": 2**70}), "application/json"),
    "feature -1": lambda: (body({**brush(), "feature": -1}), "application/json"),
    "base_version -1": lambda: (body({**brush(), "base_version": -1}), "application/json"),
    "base_version 1e308": lambda: (body({**brush(), "base_version": 1e308}), "application/json"),
    "write_mode as an object": lambda: (
        body({**brush(), "write_mode": {"$ne": 1}}),
        "application/json",
    ),
    "action as a number": lambda: (body({"action": 7, "args": {}}), "application/json"),
    "action named like a method": lambda: (body({"action": "__class__"}), "application/json"),
    "nesting 100000 deep": lambda: (nested(100_000), "application/json"),
    "cell 2**31": lambda: (body(brush(cell=2**31)), "application/json"),
    "cell 2**70": lambda: (body(brush(cell=2**70)), "application/json"),
    "cell 1e308": lambda: (body(brush(cell=1e308)), "application/json"),
    "action name of 1 MB": lambda: (body({"action": "x" * 2**20, "args": {}}), "application/json"),
}


def version(client, project_id: str) -> int:
    return client.get(f"/api/projects/{project_id}").get_json()["version"]


def send_refused_edit(app, client, project_id: str, name: str, case) -> None:
    data, content_type = case()
    before = version(client, project_id), leftovers(app)
    response = client.post(
        f"/api/projects/{project_id}/edits", data=data, content_type=content_type
    )
    assert_refused(app, client, response, name)
    assert (version(client, project_id), leftovers(app)) == before


@pytest.mark.parametrize("name", cases(REFUSED_EDITS))
def test_hostile_edit_is_refused(app, client, project_id, name):
    send_refused_edit(app, client, project_id, name, REFUSED_EDITS[name])


def test_undo_redo_and_history_with_hostile_bodies(app, client, project_id):
    for route in ("undo", "redo"):
        for data in (
            b"\xff\xfe",
            b"[1, 2]",
            body({"base_version": -5}),
            body({"base_version": "7"}),
        ):
            response = client.post(
                f"/api/projects/{project_id}/{route}", data=data, content_type="application/json"
            )
            assert_refused(app, client, response, f"{route} {data[:20]!r}")
    for since in ("-1", "1e9", "abc", "%00"):
        response = client.get(f"/api/projects/{project_id}/edits?since={since}")
        assert_refused(app, client, response, f"since={since}")


@pytest.mark.parametrize("name", cases(["since with 5000 digits"]))
def test_history_since_a_huge_number(app, client, project_id, name):
    response = client.get(f"/api/projects/{project_id}/edits?since={'9' * 5000}")
    assert_refused(app, client, response, name)
