"""Building a project: its inputs kept and queued by the request, then read, checked and written
(tiles, pyramid, cells, overviews) by the build job on a worker.

A small project's rows are written in one transaction with its status "ready"; a large one (more
than CREATE_INLINE_PIXELS raw pixels) frame by frame, reporting its progress. A build that fails
removes what it wrote and keeps the project row, "failed", with the reason.
"""

from __future__ import annotations

import importlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from flask import current_app
from sqlalchemy import delete, insert, select, update

from .. import formats
from ..errors import InputFormatError
from ..formats import tiling
from ..formats.arrays import label_dtype
from ..formats.planes import PlaneImages, open_planes
from ..formats.streams import BAND_ROWS
from ..formats.zip_planes import ZipPlanes, open_zip_planes
from ..store import pyramid
from ..store.cellindex import index_bands, pack_index
from ..store.cellindex import value_rows as cellindex_rows
from ..store.labelstore import read_frame
from ..store.models import (
    CellValue,
    FrameCheckpoint,
    FrameRelabel,
    Job,
    LabelOverview,
    LabelTile,
    Project,
    db,
    utcnow,
)
from ..store.overviews import OverviewStrips, overview_rows
from ..store.rawtiles import project_prefix, raw_frame, raw_key
from ..store.storage import Storage, storage
from . import jobs, learning, uploads
from .jobs import JobContext, JobKind
from .sources import InputRequest, Source, fetch, stage, taken_uploads

log = logging.getLogger(__name__)

ID_BYTES = 9  # 72 bits of randomness, 12 URL-safe characters
REPORT_EVERY = 0.5  # seconds between progress writes of a background build
WRITERS = 4  # threads encoding and writing tiles: zlib and I/O release the GIL

Report = Callable[[float, str, bool], None]  # (fraction done, message, write now)


class RawPlanes(Protocol):
    """The raw image, (frames, height, width, channels), handed out one plane at a time."""

    shape: tuple[int, int, int, int]
    dtype: np.dtype

    def plane(self, frame: int, channel: int) -> np.ndarray: ...

    def close(self) -> None: ...


@dataclass
class ArrayPlanes:
    """Planes of an image already in memory."""

    array: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return self.array.shape

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    def plane(self, frame: int, channel: int) -> np.ndarray:
        return self.array[frame, :, :, channel]

    def close(self) -> None:
        pass


@dataclass
class Build:
    """What a build needs: the checked annotations, the raw and label planes, and where the
    original files are. ``channel_ranges`` is filled in as the raw planes are written."""

    project_id: str
    data: formats.ProjectData
    raw: RawPlanes
    labels: RawPlanes  # (frames, height, width, features); planes are int32
    levels: int
    originals: list[tuple[str, Path]] = field(default_factory=list)  # (name, file)
    channel_ranges: dict[int, list[float]] = field(default_factory=dict)  # channel: [low, high]


def _plane_range(values: np.ndarray) -> tuple[float, float] | None:
    """Lowest and highest value of a plane (None for a float plane with no finite value)."""
    if np.issubdtype(values.dtype, np.floating):
        finite = values[np.isfinite(values)]  # NaN and ±inf have no place on a display range
        return (float(finite.min()), float(finite.max())) if finite.size else None
    return int(values.min()), int(values.max())


def _add_range(build: Build, channel: int, found: tuple[float, float] | None) -> None:
    if found is not None:
        low, high = build.channel_ranges.get(channel, found)
        build.channel_ranges[channel] = [min(low, found[0]), max(high, found[1])]


def _finished_ranges(build: Build) -> list[list[float]]:
    return [build.channel_ranges.get(channel, [0.0, 1.0]) for channel in range(build.raw.shape[-1])]


def _cell_map(cells: list[dict] | None, feature: int, frame: int) -> dict[int, set[int]] | None:
    if cells is None:
        return None
    mapping: dict[int, set[int]] = {}
    for item in cells:
        if item.get("c", 0) == feature and item.get("t", 0) == frame:
            mapping.setdefault(int(item["value"]), set()).add(int(item["cell"]))
    return mapping


# ---------------------------------------------------------------- the work, in steps


class Progress:
    """Counts the work done (in pixels written) and passes it on as a fraction."""

    def __init__(self, build: Build, report: Report) -> None:
        frames, height, width, channels = build.raw.shape
        raw_plane = sum(
            np.prod(pyramid.level_shape(height, width, level)) for level in range(build.levels)
        )
        self.total = float(
            frames * channels * raw_plane + frames * build.labels.shape[-1] * height * width
        )
        self.done = 0.0
        self.message = "Starting"
        self.report = report

    def step(self, pixels: float, message: str, force: bool = False) -> None:
        self.done += pixels
        self.message = message
        self.report(min(self.done / self.total, 0.99), message, force)

    def flush(self) -> None:
        """Report where the build stands now, however recently it last did."""
        self.step(0, self.message, force=True)


def _plane_tiles(project_id: str, plane: np.ndarray, frame: int, channel: int, level: int):
    """(storage key, pixels) of every raw view tile of one plane of one level."""
    for tile_y, tile_x, tile in tiling.tiles_of(plane):
        yield raw_key(project_id, frame, channel, tile_y, tile_x, level), tile


def _put_tiles(pool: ThreadPoolExecutor, store: Storage, tiles) -> None:
    """Deflate and store tiles on the pool's threads (zlib and I/O release the GIL)."""
    list(pool.map(lambda item: store.put(item[0], tiling.encode_image(item[1])), tiles))


def write_raw(build: Build, store: Storage, progress: Progress) -> None:
    """Raw view tiles of every frame and channel at every level, one plane at a time."""
    frames, height, width, channels = build.raw.shape
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        for frame in range(frames):
            for channel in range(channels):
                plane = build.raw.plane(frame, channel)
                _add_range(build, channel, _plane_range(plane))
                where = f"frame {frame + 1} of {frames}, channel {channel + 1} of {channels}"
                progress.step(0, f"Writing raw tiles, level 1 of {build.levels} ({where})")
                _put_tiles(pool, store, _plane_tiles(build.project_id, plane, frame, channel, 0))
                progress.step(plane.size, f"Writing raw tiles, level 2 of {build.levels} ({where})")
                for level, smaller in pyramid.levels_of(plane, build.levels):
                    _put_tiles(
                        pool, store, _plane_tiles(build.project_id, smaller, frame, channel, level)
                    )
                    progress.step(
                        smaller.size,
                        f"Writing raw tiles, level {min(level + 2, build.levels)} of {build.levels} "
                        f"({where})",
                    )


@dataclass
class LabelRows:
    tiles: list[dict] = field(default_factory=list)
    values: list[dict] = field(default_factory=list)
    checkpoints: list[dict] = field(default_factory=list)
    overviews: list[dict] = field(default_factory=list)

    def insert(self) -> None:
        for model, rows, batch in (
            (LabelTile, self.tiles, 2000),
            (CellValue, self.values, 2000),
            (FrameCheckpoint, self.checkpoints, 50),
            (LabelOverview, self.overviews, 200),
        ):
            for start in range(0, len(rows), batch):
                db.session.execute(insert(model), rows[start : start + batch])

    @property
    def max_cell(self) -> int:
        return max((row["cell"] for row in self.values), default=0)


def label_rows(build: Build, feature: int, frame: int) -> LabelRows:
    """Tile rows, cell-value rows, the index checkpoint and the overviews of one label frame,
    made band by band (see _label_bands), so a frame of any size is held a band at a time."""
    out = LabelRows()
    overviews = OverviewStrips(build.project_id, feature, frame, build.levels)

    def bands() -> Iterator[tuple[int, np.ndarray]]:
        for y0, band in _label_bands(build.labels, frame, feature):
            band = np.ascontiguousarray(band, dtype=np.int32)
            first_row = y0 // tiling.LABEL_TILE_SIZE
            for tile_y, tile_x, tile in tiling.tiles_of(band, tiling.LABEL_TILE_SIZE):
                if tile.any():
                    out.tiles.append(
                        dict(
                            project_id=build.project_id,
                            feature=feature,
                            frame=frame,
                            tile_y=first_row + tile_y,
                            tile_x=tile_x,
                            version=0,
                            data=tiling.encode(tile),
                        )
                    )
            out.overviews += overviews.add(y0, band)
            yield y0, band

    index = index_bands(bands(), _cell_map(build.data.cells, feature, frame))
    out.overviews += overviews.finish()
    out.checkpoints.append(
        dict(
            project_id=build.project_id,
            feature=feature,
            frame=frame,
            version=0,
            data=pack_index(index),
        )
    )
    for value, info in index.items():
        out.values += [
            dict(project_id=build.project_id, **row)
            for row in cellindex_rows(feature, frame, value, info)
        ]
    return out


def _label_bands(labels: RawPlanes, frame: int, feature: int) -> Iterator[tuple[int, np.ndarray]]:
    """A label plane as bands of BAND_ROWS rows (first row, band): read band by band when the
    planes can (``band(frame, feature, y0, y1)``), else cut from the whole plane."""
    height = labels.shape[1]
    band = getattr(labels, "band", None)
    plane = None if band is not None else labels.plane(frame, feature)
    for y0 in range(0, height, BAND_ROWS):
        y1 = min(y0 + BAND_ROWS, height)
        yield y0, band(frame, feature, y0, y1) if band is not None else plane[y0:y1]


def _next_cell(build: Build, max_cell: int) -> list[int]:
    for division in build.data.divisions:
        max_cell = max(max_cell, division["parent"], *division["daughters"])
    return [max_cell + 1] * build.labels.shape[-1]


def _store_objects(build: Build, store: Storage, progress: Progress) -> None:
    prefix = project_prefix(build.project_id)
    progress.step(0, "Storing the original files")
    for name, path in build.originals:
        with path.open("rb") as handle:
            store.put_file(f"{prefix}original/{name}", handle)
    write_raw(build, store, progress)
    if build.data.spots:
        store.put(f"{prefix}spots.json", json.dumps(build.data.spots).encode())


def _label_frames(build: Build) -> list[tuple[int, int]]:
    frames, _, _, features = build.labels.shape
    return [(feature, frame) for feature in range(features) for frame in range(frames)]


# ---------------------------------------------------------------- creation


def read_input(
    images: Source,
    labels: Source | None,
    axes: str | None,
    labels_axes: str | None,
    lazy: bool = False,
) -> tuple[formats.ProjectData, RawPlanes, RawPlanes]:
    """Read and check the files; every problem is a user-facing error, before anything is stored.

    A large plain TIFF (any plain TIFF when `lazy`) is only checked from its header here: its
    planes are read by the build.
    """
    config = current_app.config
    max_pixels = config["MAX_PIXELS"]
    planes = open_planes(images.path, axes or None, max_pixels)
    zipped = None
    if planes is None:
        zipped = open_zip_planes(images.path, max_pixels, config["CREATE_INLINE_PIXELS"])
    label_planes: RawPlanes | None = None
    if zipped is not None:
        data, raw = zipped.data, ArchivePlanes(zipped)
        if labels is None and zipped.labels is not None:
            label_planes = zipped.labels
    elif planes is not None and (lazy or planes.size > config["CREATE_INLINE_PIXELS"]):
        data = formats.ProjectData(raw=np.empty((0, 0, 0, 0), planes.dtype))
        data.channel_names = planes.channel_names
        data.physical_size = planes.physical_size
        raw = planes
    else:
        data = formats.read_images(images.path, axes or None, max_pixels=max_pixels)
        raw = ArrayPlanes(data.raw)
    frames, height, width, _ = raw.shape
    if labels is not None:
        large = not isinstance(raw, ArrayPlanes)
        streamed = _label_planes_of(labels, labels_axes, raw) if large else None
        if streamed is not None:
            label_planes = streamed
        else:
            data.labels = formats.read_labels(
                labels.path, (frames, height, width), labels_axes or None, max_pixels=max_pixels
            )
        data.cells = None
    if label_planes is None and data.labels is None:
        label_planes = BlankLabels((frames, height, width, 1))
        data.feature_names = ["feature 0"]
    if label_planes is None:
        label_planes = ArrayPlanes(data.labels)
    if labels is not None:
        data.feature_names = [f"feature {i}" for i in range(label_planes.shape[-1])]
    if label_planes.shape[:3] != (frames, height, width):
        raise InputFormatError(
            f"The labels have shape {label_planes.shape[:3]} (frames, height, width) but the "
            f"image has {(frames, height, width)}. Give labels of the same size as the image."
        )
    return data, raw, label_planes


@dataclass
class LabelFilePlanes:
    """A large labels file read plane by plane; each plane is checked and made int32 when read
    (so a bad value fails the build with the reason, not the request)."""

    planes: PlaneImages

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return self.planes.shape

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.int32)

    def plane(self, frame: int, feature: int) -> np.ndarray:
        return label_dtype(self.planes.plane(frame, feature))

    def close(self) -> None:
        self.planes.close()


@dataclass
class BlankLabels:
    """One feature without cells, made band by band (never a whole array of zeros)."""

    shape: tuple[int, int, int, int]
    dtype: np.dtype = field(default_factory=lambda: np.dtype(np.int32))

    def plane(self, frame: int, feature: int) -> np.ndarray:
        return np.zeros(self.shape[1:3], np.int32)

    def band(self, frame: int, feature: int, y0: int, y1: int) -> np.ndarray:
        return np.zeros((y1 - y0, self.shape[2]), np.int32)

    def close(self) -> None:
        pass


@dataclass
class ArchivePlanes:
    """The raw planes of a large OME-Zarr or CTC zip; closing them closes the zip."""

    zipped: ZipPlanes

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return self.zipped.raw.shape

    @property
    def dtype(self) -> np.dtype:
        return self.zipped.raw.dtype

    def plane(self, frame: int, channel: int) -> np.ndarray:
        return self.zipped.raw.plane(frame, channel)

    def close(self) -> None:
        for planes in (self.zipped.raw, self.zipped.labels):
            if planes is not None:
                planes.close()
        self.zipped.close()


def _label_planes_of(
    labels: Source, labels_axes: str | None, raw: RawPlanes
) -> LabelFilePlanes | None:
    """The labels file as planes, when it is a plain TIFF of whole numbers that fits the image as
    its own metadata (or the user's axes) describe it; else None (it is read whole)."""
    planes = open_planes(labels.path, labels_axes or None, current_app.config["MAX_PIXELS"])
    if planes is None or planes.shape[:3] != raw.shape[:3] or planes.dtype.kind not in "iu":
        return None
    return LabelFilePlanes(planes)


# ---------------------------------------------------------------- creation: the request


def start(
    images: InputRequest,
    labels: InputRequest | None = None,
    axes: str | None = None,
    labels_axes: str | None = None,
    name: str | None = None,
    author: str = "",
    owner_id: int | None = None,
) -> tuple[Project, Job]:
    """Keep the inputs, record the project as "building" and queue the job that builds it.

    Reading and checking the files is the job's; a failed build removes what it wrote and keeps
    the project row with the reason.
    """
    project_id = secrets.token_urlsafe(ID_BYTES)
    prefix = project_prefix(project_id)
    inputs: dict[str, dict] = {}
    try:
        for field, request in (("images", images), ("labels", labels)):
            if request is not None:
                inputs[field] = stage(request, f"{prefix}original/{field}")
        project = Project(
            id=project_id,
            name=(name or inputs["images"]["name"] or "untitled")[:255],
            source=inputs["images"]["origin"][:1024],
            frames=0,
            height=0,
            width=0,
            channels=0,
            features=0,
            dtype="",
            channel_names=[],
            feature_names=[],
            channel_ranges=[],
            next_cell=[],
            divisions=[],
            cell_types=[],
            spot_columns=[],
            spot_count=0,
            version=0,
            levels=1,
            status="building",
            progress=0.0,
            status_message="Waiting for a worker",
            heartbeat=utcnow(),
            owner_id=owner_id,
        )
        db.session.add(project)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        storage().delete_prefix(prefix)
        uploads.release(taken_uploads(inputs))
        raise
    params = {"inputs": inputs, "axes": axes, "labels_axes": labels_axes, "named": bool(name)}
    try:
        job = jobs.submit("build", project_id, params, author)
    except BaseException as error:
        _fail(project_id, inputs, getattr(error, "message", "The job queue is unreachable."))
        raise
    return project, job


# ---------------------------------------------------------------- creation: the job


def run_build(context: JobContext) -> dict:
    """The build job: fetch and read the inputs, then write the tiles, pyramid, cells and
    overviews, reporting progress on the job and on the project row."""
    project_id = context.project_id
    params = context.params
    if context.attempt > 1:  # an attempt whose process died may have written part of it
        _remove_data(project_id, keep_originals=True)
    progress_of_job = Reporter(context)
    progress_of_job(0.0, "Reading the files", True)
    sources = {
        field: fetch(spec, field, context.folder()) for field, spec in params["inputs"].items()
    }
    _hook("read", project_id)
    data, raw, label_planes = read_input(
        sources["images"], sources.get("labels"), params["axes"], params["labels_axes"]
    )
    try:
        frames, height, width, channels = raw.shape
        build = Build(project_id, data, raw, label_planes, pyramid.level_count(height, width))
        build.originals = [
            (field, source.path)
            for field, source in sources.items()
            if params["inputs"][field]["from"] != "stored"
        ]
        described = dict(
            frames=frames,
            height=height,
            width=width,
            channels=channels,
            features=label_planes.shape[-1],
            dtype=str(raw.dtype),
            channel_names=list(data.channel_names),
            feature_names=list(data.feature_names),
            channel_ranges=[[0.0, 1.0]] * channels,  # known once the planes are written
            next_cell=[1] * label_planes.shape[-1],
            divisions=list(data.divisions),
            cell_types=list(data.cell_types),
            spot_columns=list(data.spot_columns),
            spot_count=len(data.spots),
            levels=build.levels,
            physical_size=data.physical_size,
            notes="\n".join(data.notes),
        )
        if not params.get("named") and params["inputs"]["images"]["from"] == "url":
            described["name"] = (sources["images"].name or "untitled")[:255]
        _set_status(project_id, **described)
        if frames * height * width * channels <= current_app.config["CREATE_INLINE_PIXELS"]:
            _build_at_once(build, progress_of_job)
        else:
            _build_in_steps(build, progress_of_job)
    finally:
        for planes in (raw, label_planes):
            planes.close()
    learning.keep_imported(project_id, data.embeddings, data.markers)
    uploads.discard_used(taken_uploads(params["inputs"]))
    log.info("built project %s (%s) from %s", project_id, raw.shape, sources["images"].origin)
    return {"project": project_id}


def clean_up_build(context: JobContext, reason: str) -> None:
    """A build that failed, was cancelled or was given up: remove what it wrote, give back the
    uploads it took, and keep the project row with the reason."""
    _fail(context.project_id, context.params["inputs"], reason)


BUILD = JobKind(run_build, clean_up_build)


def _build_at_once(build: Build, report: Reporter) -> None:
    """A small project: every row in one transaction, with its status "ready"."""
    progress = Progress(build, report)
    _hook("start", build.project_id)
    _store_objects(build, storage(), progress)
    _hook("labels", build.project_id)
    rows = LabelRows()
    for feature, frame in _label_frames(build):
        plane_rows = label_rows(build, feature, frame)
        for name in ("tiles", "values", "checkpoints", "overviews"):
            getattr(rows, name).extend(getattr(plane_rows, name))
    _hook("finish", build.project_id)
    try:
        rows.insert()
        db.session.execute(
            update(Project)
            .where(Project.id == build.project_id)
            .values(
                next_cell=_next_cell(build, rows.max_cell),
                channel_ranges=_finished_ranges(build),
                status="ready",
                progress=1.0,
                status_message="",
                heartbeat=utcnow(),
            )
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _build_in_steps(build: Build, report: Reporter) -> None:
    """A large project: raw tiles, then one transaction per label frame, reporting progress."""
    progress = Progress(build, report)
    progress.flush()
    _hook("start", build.project_id)
    _store_objects(build, storage(), progress)
    progress.flush()
    _hook("labels", build.project_id)
    max_cell = 0
    planes = _label_frames(build)
    for number, (feature, frame) in enumerate(planes, 1):
        rows = label_rows(build, feature, frame)
        max_cell = max(max_cell, rows.max_cell)
        try:
            rows.insert()
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        height, width = build.labels.shape[1:3]
        progress.step(height * width, f"Indexing the cells, frame {number} of {len(planes)}")
    progress.flush()
    _hook("finish", build.project_id)
    _set_status(
        build.project_id,
        next_cell=_next_cell(build, max_cell),
        channel_ranges=_finished_ranges(build),
        status="ready",
        progress=1.0,
        status_message="",
    )


def _set_status(project_id: str, **values) -> None:
    """Update the project's row in a short transaction of its own."""
    try:
        db.session.execute(
            update(Project).where(Project.id == project_id).values(heartbeat=utcnow(), **values)
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


class Reporter:
    """Passes a build's progress to its job (which stops it if it was cancelled) and writes it
    on the project row, for the compatible status and the app's building page."""

    def __init__(self, context: JobContext) -> None:
        self.context = context
        self.last = 0.0

    def __call__(self, fraction: float, message: str, force: bool = False) -> None:
        self.context.progress(fraction, message, force)
        now = time.monotonic()
        if force or now - self.last >= REPORT_EVERY:
            self.last = now
            _set_status(self.context.project_id, progress=fraction, status_message=message[:1024])


def _hook(stage: str, project_id: str) -> None:
    """Calls the BUILD_HOOK setting (`module:function` of the stage and project id) if set:
    tests pause or fail builds at a stage with it."""
    hook = current_app.config.get("BUILD_HOOK")
    if hook:
        module, _, name = hook.partition(":")
        getattr(importlib.import_module(module), name)(stage, project_id)


def _fail(project_id: str, inputs: dict[str, dict], reason: str) -> None:
    """Remove what the build wrote and its inputs, give back its uploads, keep the project row
    with the reason."""
    db.session.rollback()
    _remove_data(project_id)
    uploads.release(taken_uploads(inputs))
    _set_status(project_id, status="failed", status_message=reason[:1024])


def _remove_data(project_id: str, keep_originals: bool = False) -> None:
    """Remove the rows and stored objects a build wrote (not the project row)."""
    try:
        for model in (LabelOverview, LabelTile, CellValue, FrameCheckpoint, FrameRelabel):
            db.session.execute(delete(model).where(model.project_id == project_id))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        log.exception("could not remove the rows of project %s", project_id)
    prefix = project_prefix(project_id)
    try:
        if keep_originals:
            storage().delete_prefix(f"{prefix}raw/")
            storage().delete_prefix(f"{prefix}spots.json")
        else:
            storage().delete_prefix(prefix)
    except Exception:
        log.exception("could not remove the stored objects of project %s", project_id)


# ---------------------------------------------------------------- projects made before pyramids


def add_pyramid(project: Project) -> bool:
    """Write the raw levels >= 1 and the label overviews of a project that has none yet.

    Projects created before pyramids existed have only level 0. Returns whether it wrote anything.
    """
    if project.status != "ready" or project.levels <= 1:
        return False
    store = storage()
    last = raw_key(project.id, project.frames - 1, project.channels - 1, 0, 0, project.levels - 1)
    if store.exists(last):  # written last: the raw levels are complete
        return False
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        for frame in range(project.frames):
            for channel in range(project.channels):
                plane = raw_frame(project, frame, channel)
                for level, smaller in pyramid.levels_of(plane, project.levels):
                    _put_tiles(
                        pool, store, _plane_tiles(project.id, smaller, frame, channel, level)
                    )
    try:
        # Lock the project row as edits do, so that none changes the labels while they are read.
        db.session.execute(
            update(Project).where(Project.id == project.id).values(version=Project.version)
        )
        db.session.refresh(project)
        db.session.execute(delete(LabelOverview).where(LabelOverview.project_id == project.id))
        for feature in range(project.features):
            for frame in range(project.frames):
                rows = LabelRows()
                plane = read_frame(project, feature, frame)
                rows.overviews = list(
                    overview_rows(
                        project.id, feature, frame, plane, project.levels, project.version
                    )
                )
                rows.insert()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return True


def add_missing_pyramids() -> Iterator[tuple[str, int]]:
    """Add pyramids to every project made before they existed; yields (project id, levels)."""
    ids = db.session.execute(select(Project.id).where(Project.levels > 1)).scalars().all()
    for project_id in ids:
        project = db.session.get(Project, project_id)
        if add_pyramid(project):
            yield project_id, project.levels
