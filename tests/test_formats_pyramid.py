"""The project zip's images are tiled, pyramidal OME-TIFFs (formats/ome_tiff.py), written
from arrays or from a project's stored tiles: tifffile reads their sub-resolutions, our own
reader imports them again, and export -> import -> export gives the same arrays and JSON."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from dataclasses import replace

import numpy as np
import pytest
import tifffile
from deepcell_label.formats import ProjectData, Renumbering, read_images, write_project_zip
from deepcell_label.formats.levels import every_other, level_shapes, mean_2x2
from deepcell_label.formats.ome_tiff import array_planes, write_ome_tiff
from deepcell_label.services import exporting
from deepcell_label.services.projects import get_project
from helpers import create
from test_formats import overlapping_project, round_trip

SIZE = {"x": 0.325, "y": 0.325, "z": 2.0, "unit": "µm"}


def large_project(frames: int = 2, height: int = 1300, width: int = 1100) -> ProjectData:
    """Three pyramid levels (1300 x 1100, 650 x 550, 325 x 275), edge tiles on both sides,
    two channels, two features with overlapping cells and a division."""
    rng = np.random.default_rng(3)
    raw = rng.integers(0, 4000, (frames, height, width, 2), dtype=np.uint16)
    labels = np.zeros((frames, height, width, 2), np.int32)
    labels[:, 100:700, 200:900, 0] = 5
    labels[:, 400:500, 300:400, 0] = 9  # cells 5 and 7 overlap here
    labels[frames - 1, 1000:1290, 50:1090, 0] = 6
    labels[:, 1200:1300, 1000:1100, 1] = 3
    cells = [{"value": 9, "cell": c, "t": t, "c": 0} for t in range(frames) for c in (5, 7)]
    cells += [{"value": 5, "cell": 5, "t": t, "c": 0} for t in range(frames)]
    # The names, cell types and spots of the small project of test_formats.
    return replace(
        overlapping_project(),
        raw=raw,
        labels=labels,
        cells=cells,
        divisions=[{"parent": 5, "daughters": [6], "t": 1}],
        physical_size=SIZE,
    )


def members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def export(data: ProjectData) -> bytes:
    buffer = io.BytesIO()
    write_project_zip(data, buffer)
    return buffer.getvalue()


def levels_of(tiff: bytes) -> list[np.ndarray]:
    with tifffile.TiffFile(io.BytesIO(tiff)) as tif:
        return [level.asarray() for level in tif.series[0].levels]


def test_tifffile_reads_the_sub_resolutions():
    data = large_project()
    content = export(data)
    zipped = zipfile.ZipFile(io.BytesIO(content))
    assert zipped.getinfo("X.ome.tiff").compress_type == zipfile.ZIP_STORED
    files = members(content)
    with tifffile.TiffFile(io.BytesIO(files["X.ome.tiff"])) as tif:
        series = tif.series[0]
        assert tif.is_ome and series.axes == "TCYX" and len(tif.series) == 1
        assert [level.shape[2:] for level in series.levels] == level_shapes(1300, 1100)
        page = series.pages[0]
        assert page.is_tiled and (page.tilelength, page.tilewidth) == (512, 512)
        assert page.compression == tifffile.COMPRESSION.ADOBE_DEFLATE
        assert page.tags["ResolutionUnit"].value == tifffile.RESUNIT.CENTIMETER
        assert page.tags["XResolution"].value[0] / page.tags["XResolution"].value[1] == (
            pytest.approx(1e4 / 0.325, rel=1e-4)
        )
        assert 'PhysicalSizeX="0.325"' in tif.ome_metadata
        assert 'PhysicalSizeZ="2.0"' in tif.ome_metadata
    raw_levels = levels_of(files["X.ome.tiff"])
    expected = np.moveaxis(data.raw, 3, 1)
    for level in raw_levels:  # each level is the mean of 2 x 2 blocks of the one before
        np.testing.assert_array_equal(level, expected)
        expected = np.array([[mean_2x2(plane) for plane in planes] for planes in expected])
    with tifffile.TiffFile(io.BytesIO(files["y.ome.tiff"])) as tif:
        assert tif.series[0].pages[0].tilewidth == 256
    label_levels = levels_of(files["y.ome.tiff"])
    assert len(label_levels) == 3 and label_levels[0].dtype == np.int32
    for level, labels in enumerate(label_levels[1:], start=1):  # nearest: no new values
        sampled = label_levels[0]
        for _ in range(level):
            sampled = np.array([[every_other(plane) for plane in planes] for planes in sampled])
        np.testing.assert_array_equal(labels, sampled)


def test_large_project_round_trips(tmp_path):
    data = large_project()
    again = round_trip(tmp_path, data)
    assert again.physical_size == SIZE
    np.testing.assert_array_equal(again.raw, data.raw)
    assert again.divisions == data.divisions
    assert {(c["value"], c["cell"]) for c in again.cells if c["c"] == 0} == {
        (5, 5),
        (6, 6),
        (8, 5),  # the overlap gets a value above every cell id
        (8, 7),
    }


def test_writer_tells_its_progress():
    data = large_project(frames=1)
    told: list[tuple[float, str]] = []
    write_project_zip(
        data, io.BytesIO(), lambda fraction, message: told.append((fraction, message))
    )
    fractions = [fraction for fraction, _ in told]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert told[0][1].startswith("X.ome.tiff: Writing level 1 of 3, frame 1 of 1, channel 1 of 2")
    assert told[-2][1].startswith("y.ome.tiff: Writing level 3 of 3, frame 1 of 1, channel 2 of 2")
    assert told[-1][1] == "y.ome.tiff: Written 3 levels"


def test_stored_full_tiles_are_copied_as_they_are():
    """A full tile given as deflated bytes goes into the file unchanged; partial ones are
    padded (zarr chunks and TIFF tiles are always whole)."""
    pixels = np.arange(600 * 700, dtype=np.uint16).reshape(1, 600, 700, 1)
    planes = array_planes(pixels, 512, mean_2x2)
    marker = b"stored bytes"
    from_array = planes.tile_row

    def tile_row(level, frame, channel, tile_y):
        row = from_array(level, frame, channel, tile_y)
        if (level, tile_y) == (0, 0):
            row[0] = marker
        return row

    planes.tile_row = tile_row
    buffer = io.BytesIO()
    write_ome_tiff(planes, buffer, ["channel 0"])
    with tifffile.TiffFile(io.BytesIO(buffer.getvalue())) as tif:
        page = tif.series[0].pages[0]
        offset, count = page.dataoffsets[0], page.databytecounts[0]
    assert buffer.getvalue()[offset : offset + count] == marker


# --- from a stored project, through the API ------------------------------------------------


def test_stored_project_exports_the_same_zip_as_its_arrays(client, tmp_path):
    data = large_project()
    project = create(client, data=export(data), name="large.zip")
    assert project["levels"] == 3 and project["physical_size"] == SIZE
    download = client.get(f"/api/projects/{project['id']}/export?format=zip")
    assert download.status_code == 200
    stored, expected = members(download.data), members(export(read_images(save(tmp_path, data))))
    for name in ("cells.json", "divisions.json", "cellTypes.json", "channels.json"):
        assert stored[name] == expected[name], name
    for name in ("X.ome.tiff", "y.ome.tiff"):
        for mine, theirs in zip(levels_of(stored[name]), levels_of(expected[name]), strict=True):
            np.testing.assert_array_equal(mine, theirs)
    # Export -> import -> export: the same arrays and JSON.
    again = create(client, data=download.data, name="export.zip")
    second = client.get(f"/api/projects/{again['id']}/export?format=zip")
    assert again["notes"] == ""
    texts = {n: c for n, c in members(second.data).items() if n.endswith(".json")}
    assert texts == {n: c for n, c in stored.items() if n.endswith(".json")}
    for name in ("X.ome.tiff", "y.ome.tiff"):
        for one, two in zip(
            levels_of(stored[name]), levels_of(members(second.data)[name]), strict=True
        ):
            np.testing.assert_array_equal(one, two)


def save(tmp_path, data: ProjectData):
    path = tmp_path / "project.zip"
    path.write_bytes(export(data))
    return path


def test_export_reports_progress_and_holds_no_whole_movie(app, client):
    rng = np.random.default_rng(5)
    raw = rng.integers(0, 60000, (2, 2048, 2048, 2), dtype=np.uint16)
    labels = np.zeros((2, 2048, 2048, 1), np.int32)
    labels[:, ::64, ::64] = 1
    project = create(client, data=export(ProjectData(raw=raw, labels=labels)), name="big.zip")
    told: list[float] = []
    with app.app_context():
        stored = get_project(project["id"])
        tracemalloc.start()
        try:
            fileobj, name, kind = exporting.export(
                stored, "zip", lambda fraction, message: told.append(fraction)
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    with fileobj:
        content = fileobj.read()
    assert (name, kind) == (f"{project['id']}.zip", "application/zip")
    assert told == sorted(told) and told[-1] == pytest.approx(1.0)
    # The movie is 32 MB of raw and 32 MB of labels; the export holds rows of tiles and a
    # temporary file's first 4 MB, never a whole movie.
    assert peak < (raw.nbytes + labels.nbytes) / 2
    np.testing.assert_array_equal(
        levels_of(members(content)["X.ome.tiff"])[0], np.moveaxis(raw, 3, 1)
    )
    assert json.loads(members(content)["cells.json"]) == [
        {"value": 1, "cell": 1, "t": t, "c": 0} for t in range(2)
    ]


def test_project_made_before_pyramids_exports_full_resolution_only(app, client):
    """Its raw levels were never written (`flask add-pyramids` adds them)."""
    data = large_project(frames=1)
    project = create(client, data=export(data), name="old.zip")
    with app.app_context():
        store = exporting.storage()
        for channel in range(2):
            for level in (1, 2):
                store.delete_prefix(f"projects/{project['id']}/raw/0/{channel}/L{level}/")
    download = client.get(f"/api/projects/{project['id']}/export?format=zip")
    files = members(download.data)
    for name in ("X.ome.tiff", "y.ome.tiff"):
        assert len(levels_of(files[name])) == 1
    stored = levels_of(files["X.ome.tiff"])[0]  # one frame: tifffile gives (channels, y, x)
    np.testing.assert_array_equal(stored, np.moveaxis(data.raw, 3, 1)[0])


def test_renumbering_refuses_values_it_does_not_list():
    renumbering = Renumbering({(0, 0): np.array([0, 9])}, [{"value": 9, "cell": 4, "t": 0, "c": 0}])
    np.testing.assert_array_equal(renumbering.apply(0, 0, np.array([[0, 9]])), [[0, 4]])
    with pytest.raises(ValueError, match="does not list"):
        renumbering.apply(0, 0, np.array([[0, 7]]))
