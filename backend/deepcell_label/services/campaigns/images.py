"""Adding images to a campaign: the request keeps the files and checks their names; a job on a
worker reads and checks each image and its labels, then starts one project build per task (one
task per image and replica), which the workers run in parallel.

A label file of another shape refuses the whole request (nothing is made); an image that cannot
be read is recorded with its reason and the others go on.
"""

from __future__ import annotations

import contextlib
import io
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import numpy as np
from flask import current_app
from sqlalchemy import select

from ...errors import DeepCellLabelError, InputFormatError
from ...formats.archives import is_junk
from ...store.campaigns import CampaignImage, Task
from ...store.models import Project, db
from ...store.storage import storage
from .. import building, jobs, uploads
from ..jobs import JobContext, JobKind
from ..sources import InputRequest, fetch, stage, taken_uploads
from .manage import require_role

KIND = "campaign_images"


@dataclass
class ImageRequest:
    """The inputs of one add-images request, as the API parsed them."""

    images: list[InputRequest]
    labels: list[InputRequest]
    gold: bool = False


def _stem(name: str) -> str:
    base = PurePosixPath(name).name
    for suffix in (".ome.tiff", ".ome.tif", ".ome.zarr"):
        if base.lower().endswith(suffix):
            return base[: -len(suffix)]
    return PurePosixPath(base).stem


def _expanded(images: list[InputRequest]) -> list[InputRequest]:
    """Zips of images opened into one input per image."""
    found = []
    for request in images:
        if request.stream is not None and request.filename.lower().endswith(".zip"):
            data = io.BytesIO(request.stream.read())
            try:
                archive = zipfile.ZipFile(data)
            except zipfile.BadZipFile:
                raise InputFormatError(
                    f"{request.filename!r} is not a readable zip. Send a zip of image files."
                ) from None
            for member in archive.namelist():
                if not is_junk(member):
                    found.append(
                        InputRequest(
                            "images",
                            stream=io.BytesIO(archive.read(member)),
                            filename=PurePosixPath(member).name,
                        )
                    )
        else:
            found.append(request)
    return found


def _name(spec: dict) -> str:
    if spec["name"]:
        return spec["name"]
    return PurePosixPath(urlsplit(spec.get("url", "")).path).name or "image"


def add_images(campaign_id: str, request: ImageRequest, username: str) -> dict:
    """Keep the files and queue the job that adds them; waits up to CREATE_WAIT_SECONDS for
    it, so a refused request answers with its reason."""
    campaign = require_role(campaign_id, username, "manager")
    images = _expanded(request.images)
    if not images:
        raise InputFormatError(
            "Send one or more 'images' files, zips of images, 'images_url' lines or finished "
            "upload ids 'images_upload'."
        )
    prefix = f"campaigns/{campaign.id}/inputs/{secrets.token_hex(6)}/"
    staged: dict[str, dict] = {}
    try:
        image_specs = [stage(r, f"{prefix}images/{i}") for i, r in enumerate(images)]
        label_specs = [stage(r, f"{prefix}labels/{i}") for i, r in enumerate(request.labels)]
        staged = {f"i{i}": s for i, s in enumerate(image_specs + label_specs)}
        names = [_name(s) for s in image_specs]
        by_stem = {_stem(n): i for i, n in enumerate(names)}
        unmatched = [_name(s) for s in label_specs if _stem(_name(s)) not in by_stem]
        if unmatched:
            raise InputFormatError(
                f"These labels match no image by file name: {', '.join(unmatched)}. Name each "
                f"labels file after its image (images: {', '.join(names[:20])})."
            )
        if request.gold and len(label_specs) != len(image_specs):
            raise InputFormatError(
                "Gold images need reference labels: send one 'labels' file per image."
            )
        entries = [
            {"name": n, "image": s, "labels": None} for n, s in zip(names, image_specs, strict=True)
        ]
        for spec in label_specs:
            entries[by_stem[_stem(_name(spec))]]["labels"] = spec
        params = {"campaign": campaign.id, "gold": request.gold, "entries": entries}
        job = jobs.submit(KIND, None, params, username)
    except BaseException:
        storage().delete_prefix(prefix)
        uploads.release(taken_uploads(staged))
        raise
    job = jobs.wait(job.id, current_app.config["CREATE_WAIT_SECONDS"])
    if job.state in ("failed", "cancelled"):
        jobs.raise_failure(job)
    return jobs.describe(job)


def run_add_images(context: JobContext) -> dict:
    """The job: check every image and its labels, then start the builds of its tasks."""
    params = context.params
    campaign_id = params["campaign"]
    from ...store.campaigns import Campaign

    campaign = db.session.get(Campaign, campaign_id)
    entries = params["entries"]
    checked = []
    wrong_shapes = []
    for n, entry in enumerate(entries):
        context.progress(0.5 * n / len(entries), f"Reading {entry['name']}")
        folder = context.folder() / str(n)
        folder.mkdir()
        try:
            image = fetch(entry["image"], "images", folder)
            labels = fetch(entry["labels"], "labels", folder) if entry["labels"] else None
            reference = None
            try:
                # Plain TIFFs are checked from their headers: their pixels are read by the
                # builds, on every worker at once, not here one after another.
                _, raw, label_planes = building.read_input(image, labels, None, None, lazy=True)
            except InputFormatError as error:
                if labels is None or "shape" not in error.message:
                    raise
                wrong_shapes.append(f"{labels.name} (for {entry['name']}): {error.message}")
                continue
            try:
                if labels is not None and params["gold"]:
                    reference = np.array(label_planes.plane(0, 0))
            finally:
                raw.close()
                label_planes.close()
            checked.append((entry, image, labels, reference, None))
        except DeepCellLabelError as error:
            checked.append((entry, None, None, None, error.message))
    if wrong_shapes:
        raise InputFormatError(
            "Labels of another shape than their image (frames, height, width): "
            + " ".join(wrong_shapes)
        )
    results = []
    for n, (entry, image, labels, reference, error) in enumerate(checked):
        context.progress(0.5 + 0.5 * n / len(checked), f"Starting {entry['name']}")
        row = CampaignImage(
            campaign_id=campaign_id,
            name=entry["name"][:255],
            source=entry["image"]["origin"][:1024],
            gold=bool(params["gold"]),
            error=error,
        )
        db.session.add(row)
        db.session.commit()
        tasks = []
        if error is None:
            if reference is not None:
                row.reference_key = f"campaigns/{campaign_id}/gold/{row.id}.npy"
                buffer = io.BytesIO()
                np.save(buffer, reference)
                buffer.seek(0)
                storage().put_file(row.reference_key, buffer)
            for replica in range(1, campaign.replicas + 1):
                tasks.append(_start_task(campaign_id, row, replica, image.path, labels))
            db.session.commit()
        results.append({"image": row.name, "id": row.id, "tasks": tasks, "error": error})
    return {"images": results}


def _start_task(campaign_id: str, image: CampaignImage, replica: int, path: Path, labels) -> int:
    """A task and the build of its project: the image, with the predictions to correct (a gold
    task starts empty: its labels are the reference)."""
    with contextlib.ExitStack() as files:
        stream = files.enter_context(open(path, "rb"))
        predictions = None
        if not image.gold and labels is not None:
            predictions = InputRequest(
                "labels", stream=files.enter_context(open(labels.path, "rb")), filename=labels.name
            )
        project, _ = building.start(
            InputRequest("images", stream=stream, filename=image.name),
            predictions,
            name=f"{image.name} ({replica})",
        )
    task = Task(
        campaign_id=campaign_id,
        image_id=image.id,
        replica=replica,
        gold=image.gold,
        project_id=project.id,
        state="new",
    )
    db.session.add(task)
    db.session.flush()
    return task.id


ADD_IMAGES = JobKind(run_add_images)


def list_images(campaign_id: str, username: str) -> list[dict]:
    """The campaign's images, with the reason of any that could not be added or built."""
    require_role(campaign_id, username, "reviewer")
    rows = db.session.execute(
        select(CampaignImage, Task, Project.status, Project.status_message)
        .join(Task, Task.image_id == CampaignImage.id, isouter=True)
        .join(Project, Project.id == Task.project_id, isouter=True)
        .where(CampaignImage.campaign_id == campaign_id)
        .order_by(CampaignImage.id, Task.id)
    ).all()
    images: dict[int, dict] = {}
    for image, task, status, message in rows:
        found = images.setdefault(
            image.id,
            {
                "id": image.id,
                "image": image.name,
                "source": image.source,
                "gold": image.gold,
                "error": image.error,
                "agreement": image.agreement,
                "tasks": [],
            },
        )
        if task is not None:
            found["tasks"].append({"id": task.id, "state": task.state, "build": status})
            if status == "failed" and not found["error"]:
                found["error"] = message
    return list(images.values())
