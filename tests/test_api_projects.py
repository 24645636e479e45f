"""Projects through the HTTP API: every real test file in, read back, exported, re-imported."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
import tifffile
from helpers import create, label_frame, raw_frame, upload
from PIL import Image
from testdata import testdata_path as shared_file

# What each file holds, written down from inspecting the files (tifffile/PIL and their README),
# not from running our reader: (path, axes, frames, height, width, channels, dtype, channel names).
IMAGES = [
    ("stardist/img2d.tif", None, 1, 512, 512, 1, "uint16", None),
    ("stardist/img3d.tif", "ZYX", 31, 61, 57, 1, "uint16", None),
    ("galaxy-image-analysis/zcyx_confocal_hyperstack.tiff", None, 25, 50, 50, 2, "uint8", None),
    ("galaxy-image-analysis/sample_ovule_zyx.tiff", None, 32, 128, 128, 1, "uint8", None),
    (
        "intro-to-deepcell/example_input_combined.tif",
        "CYX",  # ImageJ says slices=2; the user's axes make them the (labelled) channels
        1,
        512,
        512,
        2,
        "float32",
        ["DNA", "Membrane"],
    ),
    ("intro-to-deepcell/img_000000000_FITC_001.png", None, 1, 1080, 1280, 1, "uint16", None),
    ("intro-to-deepcell/img_000000000_Phase_000.png", None, 1, 1080, 1280, 1, "uint16", None),
    (
        "ome-tiff/170918_tn_neutrophil_migration_wave.ome.tif",
        None,
        1,
        1024,
        1024,
        1,
        "uint16",
        ["488 TIRF left"],
    ),
    ("ome-tiff/multi-channel-time-series.ome.tif", None, 7, 167, 439, 3, "int8", None),
    ("scikit-image/cell.png", None, 1, 660, 550, 1, "uint8", None),
    ("deepcell-label-zips/oneDivision.zip", None, 2, 52, 29, 1, "uint8", None),
    ("deepcell-label-zips/rgb.zip", None, 1, 10, 10, 3, "uint8", None),
    ("deepcell-label-zips/spots.zip", None, 1, 100, 100, 3, "uint8", None),
]


@pytest.mark.parametrize(
    ("name", "axes", "frames", "height", "width", "channels", "dtype", "names"), IMAGES
)
def test_every_test_file_is_created_and_read_back(
    client, name, axes, frames, height, width, channels, dtype, names
):
    path = shared_file(name)
    meta = create(client, path, axes=axes)
    assert (meta["frames"], meta["height"], meta["width"], meta["channels"]) == (
        frames,
        height,
        width,
        channels,
    )
    assert meta["dtype"] == dtype
    assert len(meta["id"]) == 12
    if names:
        assert [n.removesuffix(".tif") for n in meta["channel_names"]] == names
    else:
        assert len(meta["channel_names"]) == channels
    again = client.get(f"/api/projects/{meta['id']}").get_json()
    assert again["id"] == meta["id"] and again["version"] == 0
    # The last raw frame's last channel comes back with the file's dtype and size.
    last = raw_frame(client, meta["id"], frames - 1, channels - 1)
    assert last.shape == (height, width) and last.dtype == np.dtype(dtype)


def test_plain_tiff_raw_pixels_are_exact(client):
    path = shared_file("stardist/img2d.tif")
    meta = create(client, path)
    np.testing.assert_array_equal(raw_frame(client, meta["id"]), tifffile.imread(path))


def test_png_image_with_tiff_labels(client):
    image = shared_file("intro-to-deepcell/img_000000000_FITC_001.png")
    labels = shared_file("intro-to-deepcell/watershedseg.tif")
    meta = create(client, image, labels=labels)
    expected = tifffile.imread(labels)
    np.testing.assert_array_equal(label_frame(client, meta["id"]), expected)
    np.testing.assert_array_equal(raw_frame(client, meta["id"]), np.asarray(Image.open(image)))
    assert len({c["cell"] for c in meta["cells"]}) == 145
    assert all(c["value"] == c["cell"] and c["t"] == 0 and c["c"] == 0 for c in meta["cells"])


def test_stardist_3d_labels(client):
    meta = create(
        client,
        shared_file("stardist/img3d.tif"),
        labels=shared_file("stardist/mask3d.tif"),
        axes="ZYX",
    )
    expected = tifffile.imread(shared_file("stardist/mask3d.tif"))
    assert len({c["cell"] for c in meta["cells"]}) == 51
    for frame in (0, 15, 30):
        np.testing.assert_array_equal(label_frame(client, meta["id"], 0, frame), expected[frame])


def test_one_division_zip(client):
    meta = create(client, shared_file("deepcell-label-zips/oneDivision.zip"))
    assert meta["divisions"] == [{"parent": 31, "daughters": [134, 135], "t": 1}]
    cells = {(c["cell"], c["t"]) for c in meta["cells"]}
    assert cells == {(23, 0), (23, 1), (31, 0), (134, 1), (135, 1)}
    values = set(np.unique(label_frame(client, meta["id"], 0, 0))) | set(
        np.unique(label_frame(client, meta["id"], 0, 1))
    )
    assert values == {0, 23, 31, 134, 135}


def test_spots_zip(client):
    meta = create(client, shared_file("deepcell-label-zips/spots.zip"))
    assert meta["features"] == 2
    assert meta["spots"]["count"] == 26
    spots = client.get(f"/api/projects/{meta['id']}/spots").get_json()
    assert spots["columns"][:2] == ["x", "y"] and len(spots["spots"]) == 26


def test_rgb_zip_cells(client):
    meta = create(client, shared_file("deepcell-label-zips/rgb.zip"))
    assert {(c["value"], c["cell"]) for c in meta["cells"]} == {(1, 1), (2, 2)}
    assert meta["cellTypes"] == []


def _zip_contents(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        out = {}
        for name in archive.namelist():
            content = archive.read(name)
            if name.endswith(".tiff"):
                out[name] = tifffile.imread(io.BytesIO(content))
            elif name.endswith(".json"):
                out[name] = json.loads(content)
            else:
                out[name] = content
        return out


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        if isinstance(a[name], np.ndarray):
            np.testing.assert_array_equal(a[name], b[name])
            assert a[name].dtype == b[name].dtype
        else:
            assert a[name] == b[name], name


@pytest.mark.parametrize(
    "name",
    [
        "deepcell-label-zips/oneDivision.zip",
        "deepcell-label-zips/spots.zip",
        "deepcell-label-zips/rgb.zip",
        "ome-tiff/multi-channel-time-series.ome.tif",
    ],
)
def test_zip_round_trip_is_identical(client, name):
    meta = create(client, shared_file(name))
    first = client.get(f"/api/projects/{meta['id']}/export?format=zip")
    assert first.status_code == 200
    again = create(client, data=first.data, name="export.zip")
    second = client.get(f"/api/projects/{again['id']}/export?format=zip")
    _assert_same(_zip_contents(first.data), _zip_contents(second.data))


def test_npz_round_trip_is_identical(client):
    meta = create(
        client, shared_file("stardist/img2d.tif"), labels=shared_file("stardist/mask2d.tif")
    )
    first = client.get(f"/api/projects/{meta['id']}/export?format=npz")
    again = create(client, data=first.data, name="export.npz")
    second = client.get(f"/api/projects/{again['id']}/export?format=npz")
    a, b = np.load(io.BytesIO(first.data)), np.load(io.BytesIO(second.data))
    for key in ("X", "y"):
        np.testing.assert_array_equal(a[key], b[key])
    np.testing.assert_array_equal(
        a["y"][0, :, :, 0], tifffile.imread(shared_file("stardist/mask2d.tif"))
    )


def test_compatible_routes(client):
    assert client.get("/health").get_json() == {"message": "success"}
    path = shared_file("deepcell-label-zips/rgb.zip")
    response = upload(client, path, route="/api/project/dropped")
    assert response.status_code == 200
    project_id = response.get_json()
    assert isinstance(project_id, str) and len(project_id) == 12
    download = client.get(f"/api/project/{project_id}")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert "X.ome.tiff" in zipfile.ZipFile(io.BytesIO(download.data)).namelist()


def test_tiles_cover_the_frame(client):
    path = shared_file("intro-to-deepcell/img_000000000_FITC_001.png")
    meta = create(client, path)
    whole = np.asarray(Image.open(path))
    size = meta["tile_size"]
    from helpers import pixels

    for tile_y in range(-(-meta["height"] // size)):
        for tile_x in range(-(-meta["width"] // size)):
            tile = pixels(client.get(f"/api/projects/{meta['id']}/raw/0/0/tiles/{tile_y}/{tile_x}"))
            np.testing.assert_array_equal(
                tile,
                whole[tile_y * size : (tile_y + 1) * size, tile_x * size : (tile_x + 1) * size],
            )
    missing = client.get(f"/api/projects/{meta['id']}/raw/0/0/tiles/9/9")
    assert missing.status_code == 404 and "tile" in missing.get_json()["error"]


def test_submit_writes_to_the_configured_output(client, app):
    meta = create(client, shared_file("deepcell-label-zips/rgb.zip"))
    response = client.post(
        f"/api/projects/{meta['id']}/submit", json={"format": "zip", "bucket": "elsewhere"}
    )
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["key"].startswith(meta["id"])
    if app.config["OUTPUT_BUCKET"]:
        assert answer["bucket"] == app.config["OUTPUT_BUCKET"]
        from deepcell_label.store.storage import make_s3_client

        body = (
            make_s3_client(app.config["AWS_ENDPOINT_URL"])
            .get_object(Bucket=answer["bucket"], Key=answer["key"])["Body"]
            .read()
        )
    else:
        from pathlib import Path

        body = (Path(app.config["OUTPUT_DIR"]) / answer["key"]).read_bytes()
    assert "X.ome.tiff" in zipfile.ZipFile(io.BytesIO(body)).namelist()


@pytest.fixture
def file_server():
    """Serves the shared test data over HTTP on loopback for URL loading."""
    import functools
    import http.server
    import threading

    folder = shared_file("scikit-image/cell.png").parent.parent
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_create_from_urls(client, file_server):
    response = client.post(
        "/api/project",
        data={
            "images": f"{file_server}/stardist/img2d.tif",
            "labels": f"{file_server}/stardist/mask2d.tif",
        },
    )
    assert response.status_code == 200, response.get_json()
    project_id = response.get_json()
    meta = client.get(f"/api/projects/{project_id}").get_json()
    assert meta["source"].endswith("/stardist/img2d.tif")
    assert len({c["cell"] for c in meta["cells"]}) == 125
    response = client.post(
        "/api/projects",
        data={"images_url": f"{file_server}/scikit-image/cell.png", "name": "phase"},
    )
    assert response.status_code == 201 and response.get_json()["name"] == "phase"
    missing = client.post("/api/projects", data={"images_url": f"{file_server}/nothing.tif"})
    assert missing.status_code == 400 and "404" in missing.get_json()["error"]


def test_expression_matches_a_direct_computation(client):
    image = shared_file("stardist/img2d.tif")
    mask = shared_file("stardist/mask2d.tif")
    meta = create(client, image, labels=mask)
    table = client.get(f"/api/projects/{meta['id']}/expression?feature=0&frame=0").get_json()
    raw, labels = tifffile.imread(image).astype(np.float64), tifffile.imread(mask)
    assert table["cells"] == sorted(int(v) for v in np.unique(labels) if v)
    for row in (0, len(table["cells"]) // 2, -1):
        cell = table["cells"][row]
        pixels = raw[labels == cell]
        assert table["area"][row] == pixels.size
        assert table["total"][row][0] == pytest.approx(pixels.sum())
        assert table["mean"][row][0] == pytest.approx(pixels.mean(), rel=1e-6)
    everything = client.get(f"/api/projects/{meta['id']}/expression?frame=all").get_json()
    assert everything["frame"] == "all" and everything["total"] == table["total"]
    csv_text = client.get(f"/api/projects/{meta['id']}/expression?format=csv").get_data(
        as_text=True
    )
    assert csv_text.splitlines()[0] == "cell,area,channel 0 mean,channel 0 total"
    assert len(csv_text.splitlines()) == len(table["cells"]) + 1
    assert client.get(f"/api/projects/{meta['id']}/expression?frame=x").status_code == 400


@pytest.mark.parametrize("kind", ["ctc", "trk"])
def test_tracking_exports_reimport_with_their_division(client, kind):
    meta = create(client, shared_file("deepcell-label-zips/oneDivision.zip"))
    download = client.get(f"/api/projects/{meta['id']}/export?format={kind}")
    assert download.status_code == 200
    again = create(client, data=download.data, name=f"export.{kind}")
    assert again["divisions"] == [{"parent": 31, "daughters": [134, 135], "t": 1}]
    for frame in (0, 1):
        np.testing.assert_array_equal(
            label_frame(client, again["id"], 0, frame), label_frame(client, meta["id"], 0, frame)
        )


@pytest.mark.configuration("mysql-s3")
def test_create_from_an_allowed_s3_url(app, client):
    """A few-MB object in an allowed bucket becomes a project with the object's pixels."""
    assert app.config["STORAGE"] == "s3"
    from conftest import make_bucket
    from deepcell_label.store.storage import make_s3_client

    image = np.random.default_rng(3).integers(0, 65535, (1500, 1400), dtype=np.uint16)
    body = io.BytesIO()
    tifffile.imwrite(body, image)
    assert body.tell() > 4_000_000
    bucket = make_bucket(app.config["AWS_ENDPOINT_URL"])
    make_s3_client(app.config["AWS_ENDPOINT_URL"]).put_object(
        Bucket=bucket, Key="runs/big cells.tif", Body=body.getvalue()
    )
    before = app.config["ALLOWED_INPUT_BUCKETS"]
    app.config["ALLOWED_INPUT_BUCKETS"] = [bucket]
    try:
        response = client.post(
            "/api/projects", data={"images_url": f"s3://{bucket}/runs/big cells.tif"}
        )
    finally:
        app.config["ALLOWED_INPUT_BUCKETS"] = before
    assert response.status_code in (201, 202), response.get_json()
    project = response.get_json()
    assert project["name"] == "big_cells.tif"
    np.testing.assert_array_equal(raw_frame(client, project["id"]), image)
