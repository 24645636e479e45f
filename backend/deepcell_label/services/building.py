"""Creating a project: read and check its files, then write its tiles, pyramid, cells and overviews.

Small inputs are built inside the creating request, in one transaction. Larger ones (more than
CREATE_INLINE_PIXELS raw pixels) are answered at once with status "building" and built by a
thread of their own, which reports its progress in short transactions and marks the project
"ready" at the end, or "failed" with the reason (and removes what it wrote).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import numpy as np
from flask import Flask, current_app
from sqlalchemy import delete, insert, or_, select, update

from .. import formats
from ..errors import DeepCellLabelError, InputFormatError
from ..formats import tiling
from ..formats.arrays import label_dtype
from ..formats.planes import PlaneImages, open_planes
from ..store import pyramid
from ..store.cellindex import index_frame, pack_index
from ..store.cellindex import value_rows as cellindex_rows
from ..store.labelstore import read_frame
from ..store.models import CellValue, FrameCheckpoint, LabelOverview, LabelTile, Project, db, utcnow
from ..store.overviews import overview_rows
from ..store.projects import STALE_MESSAGE
from ..store.rawtiles import project_prefix, raw_frame, raw_key, storage
from ..store.storage import Storage
from .sources import Source

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
class Job:
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


def _add_range(job: Job, channel: int, found: tuple[float, float] | None) -> None:
    if found is not None:
        low, high = job.channel_ranges.get(channel, found)
        job.channel_ranges[channel] = [min(low, found[0]), max(high, found[1])]


def _finished_ranges(job: Job) -> list[list[float]]:
    return [job.channel_ranges.get(channel, [0.0, 1.0]) for channel in range(job.raw.shape[-1])]


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

    def __init__(self, job: Job, report: Report) -> None:
        frames, height, width, channels = job.raw.shape
        raw_plane = sum(
            np.prod(pyramid.level_shape(height, width, level)) for level in range(job.levels)
        )
        self.total = float(
            frames * channels * raw_plane + frames * job.labels.shape[-1] * height * width
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


def write_raw(job: Job, store: Storage, progress: Progress) -> None:
    """Raw view tiles of every frame and channel at every level, one plane at a time."""
    frames, height, width, channels = job.raw.shape
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        for frame in range(frames):
            for channel in range(channels):
                plane = job.raw.plane(frame, channel)
                _add_range(job, channel, _plane_range(plane))
                where = f"frame {frame + 1} of {frames}, channel {channel + 1} of {channels}"
                progress.step(0, f"Writing raw tiles, level 1 of {job.levels} ({where})")
                _put_tiles(pool, store, _plane_tiles(job.project_id, plane, frame, channel, 0))
                progress.step(plane.size, f"Writing raw tiles, level 2 of {job.levels} ({where})")
                for level, smaller in pyramid.levels_of(plane, job.levels):
                    _put_tiles(
                        pool, store, _plane_tiles(job.project_id, smaller, frame, channel, level)
                    )
                    progress.step(
                        smaller.size,
                        f"Writing raw tiles, level {min(level + 2, job.levels)} of {job.levels} "
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


def label_rows(job: Job, feature: int, frame: int) -> LabelRows:
    """Tile rows, cell-value rows, the index checkpoint and the overviews of one label frame."""
    plane = np.ascontiguousarray(job.labels.plane(frame, feature), dtype=np.int32)
    out = LabelRows()
    for tile_y, tile_x, tile in tiling.tiles_of(plane, tiling.LABEL_TILE_SIZE):
        if tile.any():
            out.tiles.append(
                dict(
                    project_id=job.project_id,
                    feature=feature,
                    frame=frame,
                    tile_y=tile_y,
                    tile_x=tile_x,
                    version=0,
                    data=tiling.encode(tile),
                )
            )
    index = index_frame(plane, _cell_map(job.data.cells, feature, frame))
    out.checkpoints.append(
        dict(
            project_id=job.project_id,
            feature=feature,
            frame=frame,
            version=0,
            data=pack_index(index),
        )
    )
    for value, info in index.items():
        out.values += [
            dict(project_id=job.project_id, **row)
            for row in cellindex_rows(feature, frame, value, info)
        ]
    out.overviews = list(overview_rows(job.project_id, feature, frame, plane, job.levels))
    return out


def _next_cell(job: Job, max_cell: int) -> list[int]:
    for division in job.data.divisions:
        max_cell = max(max_cell, division["parent"], *division["daughters"])
    return [max_cell + 1] * job.labels.shape[-1]


def _store_objects(job: Job, store: Storage, progress: Progress) -> None:
    prefix = project_prefix(job.project_id)
    progress.step(0, "Storing the original files")
    for name, path in job.originals:
        with path.open("rb") as handle:
            store.put_file(f"{prefix}original/{name}", handle)
    write_raw(job, store, progress)
    if job.data.spots:
        store.put(f"{prefix}spots.json", json.dumps(job.data.spots).encode())


def _label_frames(job: Job) -> list[tuple[int, int]]:
    frames, _, _, features = job.labels.shape
    return [(feature, frame) for feature in range(features) for frame in range(frames)]


# ---------------------------------------------------------------- creation


def read_input(
    images: Source,
    labels: Source | None,
    axes: str | None,
    labels_axes: str | None,
) -> tuple[formats.ProjectData, RawPlanes, RawPlanes]:
    """Read and check the files; every problem is a user-facing error, before anything is stored.

    A large plain TIFF is only checked from its header here: its planes are read by the build.
    """
    config = current_app.config
    max_pixels = config["MAX_PIXELS"]
    planes = open_planes(images.path, axes or None, max_pixels)
    if planes is not None and planes.size > config["CREATE_INLINE_PIXELS"]:
        data = formats.ProjectData(raw=np.empty((0, 0, 0, 0), planes.dtype))
        data.channel_names = planes.channel_names
        data.physical_size = planes.physical_size
        raw: RawPlanes = planes
    else:
        data = formats.read_images(images.path, axes or None, max_pixels=max_pixels)
        raw = ArrayPlanes(data.raw)
    frames, height, width, _ = raw.shape
    label_planes: RawPlanes | None = None
    if labels is not None:
        lazy = _label_planes_of(labels, labels_axes, raw) if isinstance(raw, PlaneImages) else None
        if lazy is not None:
            label_planes = lazy
        else:
            data.labels = formats.read_labels(
                labels.path, (frames, height, width), labels_axes or None, max_pixels=max_pixels
            )
        data.cells = None
    if label_planes is None:
        if data.labels is None:
            data.labels = np.zeros((frames, height, width, 1), np.int32)
            data.feature_names = ["feature 0"]
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


def _label_planes_of(
    labels: Source, labels_axes: str | None, raw: PlaneImages
) -> LabelFilePlanes | None:
    """The labels file as planes, when it is a plain TIFF of whole numbers that fits the image as
    its own metadata (or the user's axes) describe it; else None (it is read whole)."""
    planes = open_planes(labels.path, labels_axes or None, current_app.config["MAX_PIXELS"])
    if planes is None or planes.shape[:3] != raw.shape[:3] or planes.dtype.kind not in "iu":
        return None
    return LabelFilePlanes(planes)


def create(
    images: Source,
    labels: Source | None = None,
    axes: str | None = None,
    labels_axes: str | None = None,
    name: str | None = None,
) -> Project:
    """Create a project from files; its status is "ready", or "building" for a large input.

    Built here, a failure leaves nothing behind: no row, no stored object.
    """
    data, raw, label_planes = read_input(images, labels, axes, labels_axes)
    frames, height, width, channels = raw.shape
    project_id = secrets.token_urlsafe(ID_BYTES)
    job = Job(project_id, data, raw, label_planes, pyramid.level_count(height, width))
    project = Project(
        id=project_id,
        name=(name or images.name or "untitled")[:255],
        source=images.origin[:1024],
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
        version=0,
        levels=job.levels,
        physical_size=data.physical_size,
        notes="\n".join(data.notes),
    )
    originals = [("images", images)] + ([("labels", labels)] if labels is not None else [])
    if frames * height * width * channels <= current_app.config["CREATE_INLINE_PIXELS"]:
        job.originals = [(name, source.path) for name, source in originals]
        _build_here(job, project)
    else:
        _start_in_background(job, project, originals)
    log.info(
        "created project %s (%s) from %s, %s",
        project_id,
        raw.shape,
        images.origin,
        project.status,
    )
    return project


def _build_here(job: Job, project: Project) -> None:
    store = storage()
    progress = Progress(job, lambda fraction, message, force: None)
    try:
        _store_objects(job, store, progress)
        rows = LabelRows()
        for feature, frame in _label_frames(job):
            plane_rows = label_rows(job, feature, frame)
            for name in ("tiles", "values", "checkpoints", "overviews"):
                getattr(rows, name).extend(getattr(plane_rows, name))
        project.next_cell = _next_cell(job, rows.max_cell)
        project.channel_ranges = _finished_ranges(job)
        project.status, project.progress, project.status_message = "ready", 1.0, ""
        db.session.add(project)
        db.session.flush()
        rows.insert()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        store.delete_prefix(project_prefix(job.project_id))
        raise


def _keep(source: Source, folder: Path, project_id: str) -> Path:
    """A file of the build's own with the source's content (the request removes its files)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"build-{project_id}-{secrets.token_hex(8)}"
    try:
        os.link(source.path, target)
    except OSError:
        shutil.copyfile(source.path, target)
    return target


def _start_in_background(job: Job, project: Project, originals: list[tuple[str, Source]]) -> None:
    clean_interrupted_builds()
    folder = Path(current_app.config["DATA_DIR"]) / "tmp"
    job.originals = [(name, _keep(source, folder, job.project_id)) for name, source in originals]
    # Planes are read from the build's own copies of the files.
    if isinstance(job.raw, PlaneImages):
        job.raw.path = job.originals[0][1]
    if isinstance(job.labels, LabelFilePlanes):
        job.labels.planes.path = job.originals[1][1]
    project.status, project.progress = "building", 0.0
    project.status_message = "Waiting to start"
    project.heartbeat = utcnow()
    try:
        db.session.add(project)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        _remove_files(job)
        raise
    app = current_app._get_current_object()
    thread = threading.Thread(
        target=_build_in_background, args=(app, job), name=f"build-{job.project_id}", daemon=True
    )
    thread.start()


def _remove_files(job: Job) -> None:
    """Close the planes read from the build's files, and remove the files."""
    for planes in (job.raw, job.labels):
        planes.close()
    for _, path in job.originals:
        path.unlink(missing_ok=True)


class BuildAbandoned(Exception):
    """The project stopped being "building" under a running build (it was taken for dead)."""


def _set_status(project_id: str, building_only: bool = False, **values) -> None:
    """Update the project's status row in a short transaction of its own.

    With ``building_only`` the row changes only while the project is still building; a build
    that finds it changed (taken for dead by :func:`clean_interrupted_builds`) stops.
    """
    statement = update(Project).where(Project.id == project_id)
    if building_only:
        statement = statement.where(Project.status == "building")
    try:
        result = db.session.execute(statement.values(heartbeat=utcnow(), **values))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if building_only and result.rowcount == 0:
        raise BuildAbandoned(project_id)


class Reporter:
    """Writes progress at most every REPORT_EVERY seconds (each write is also a heartbeat)."""

    def __init__(self, project_id: str) -> None:
        self.project_id = project_id
        self.last = 0.0

    def __call__(self, fraction: float, message: str, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= REPORT_EVERY:
            self.last = now
            _set_status(
                self.project_id,
                building_only=True,
                progress=fraction,
                status_message=message[:1024],
            )


def _checkpoint(app: Flask, stage: str, project_id: str, progress: Progress) -> None:
    """Reports the progress as each stage starts, and calls the BUILD_HOOK setting if any
    (a function of the stage and project id; tests pause or fail builds with it)."""
    progress.flush()
    hook = app.config.get("BUILD_HOOK")
    if hook is not None:
        hook(stage, project_id)


def _build_in_background(app: Flask, job: Job) -> None:
    with app.app_context():
        try:
            progress = Progress(job, Reporter(job.project_id))
            _checkpoint(app, "start", job.project_id, progress)
            _store_objects(job, storage(), progress)
            _checkpoint(app, "labels", job.project_id, progress)
            max_cell = 0
            planes = _label_frames(job)
            for number, (feature, frame) in enumerate(planes, 1):
                rows = label_rows(job, feature, frame)
                max_cell = max(max_cell, rows.max_cell)
                try:
                    rows.insert()
                    db.session.commit()
                except BaseException:
                    db.session.rollback()
                    raise
                height, width = job.labels.shape[1:3]
                progress.step(
                    height * width, f"Indexing the cells, frame {number} of {len(planes)}"
                )
            _checkpoint(app, "finish", job.project_id, progress)
            _set_status(
                job.project_id,
                building_only=True,
                next_cell=_next_cell(job, max_cell),
                channel_ranges=_finished_ranges(job),
                status="ready",
                progress=1.0,
                status_message="",
            )
            log.info("built project %s", job.project_id)
        except BuildAbandoned:
            log.warning("build of project %s stopped: it was taken for dead", job.project_id)
            db.session.rollback()
            _remove_data(job.project_id)
        except BaseException as error:
            log.exception("building project %s failed", job.project_id)
            _fail(job, error)
        finally:
            _remove_files(job)


def _fail(job: Job, error: BaseException) -> None:
    """Remove what the build wrote and keep the project row with the reason."""
    if isinstance(error, DeepCellLabelError):
        reason = error.message
    else:
        reason = (
            f"The server could not finish building the project ({type(error).__name__}). "
            "Create the project again; if it keeps failing, report the project id."
        )
    db.session.rollback()
    _remove_data(job.project_id)
    _set_status(job.project_id, status="failed", status_message=reason[:1024])


def _remove_data(project_id: str) -> None:
    """Remove the rows and stored objects a build wrote (not the project row)."""
    try:
        for model in (LabelOverview, LabelTile, CellValue, FrameCheckpoint):
            db.session.execute(delete(model).where(model.project_id == project_id))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        log.exception("could not remove the rows of project %s", project_id)
    try:
        storage().delete_prefix(project_prefix(project_id))
    except Exception:
        log.exception("could not remove the stored objects of project %s", project_id)


def clean_interrupted_builds() -> int:
    """Mark builds that stopped giving signs of life (their process died) as failed, and remove
    what they wrote and their copies of the input files. Returns how many there were."""
    limit = timedelta(seconds=current_app.config["BUILD_STALE_SECONDS"])
    stale = db.session.scalars(
        select(Project.id).where(
            Project.status == "building",
            or_(Project.heartbeat.is_(None), Project.heartbeat < utcnow() - limit),
        )
    ).all()
    folder = Path(current_app.config["DATA_DIR"]) / "tmp"
    for project_id in stale:
        log.warning("build of project %s was interrupted; removing what it wrote", project_id)
        _remove_data(project_id)
        _set_status(project_id, status="failed", status_message=STALE_MESSAGE)
        for path in folder.glob(f"build-{project_id}-*"):
            path.unlink(missing_ok=True)
    return len(stale)


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
