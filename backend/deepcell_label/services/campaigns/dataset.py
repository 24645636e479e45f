"""A campaign's training set, made by a job: for every image with accepted labels (its accepted
consensus if there is one, else its first accepted replica), the image and its labels split
into train, val and test at random (by `seed`), as DeepCell-style npz (`X`, `y` per split) or
OME-Zarr per image, with a manifest (image, source file, annotators, reviewer, agreement,
split), in one zip downloaded from the job.

Images of different sizes in one split are padded to the largest with zeros (labels 0,
background), as one npz array needs one shape; the manifest gives each image's own size.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

import numpy as np
from flask import current_app
from sqlalchemy import select

from ...errors import EditError
from ...store.campaigns import CampaignImage, Task
from ...store.models import Project, db
from ...store.storage import storage
from .. import export_jobs, exporting, jobs
from ..jobs import JobContext, JobKind
from .manage import require_role

KIND = "campaign_dataset"
SPLITS = ("train", "val", "test")
FORMATS = ("npz", "zarr")
# Entries compressed already (npz, zipped OME-Zarr) are stored as they are, not deflated again.
STORED = zipfile.ZIP_STORED
MANIFEST = ("image", "source", "annotators", "reviewer", "agreement", "split", "height", "width")


def start_export(campaign_id: str, body: dict, username: str) -> dict:
    require_role(campaign_id, username, "manager")
    kind = body.get("format", "npz")
    if kind not in FORMATS:
        raise EditError(f"'format' must be npz or zarr, not {kind!r}.")
    split = body.get("split", [0.8, 0.1, 0.1])
    if (
        not isinstance(split, list)
        or len(split) != 3
        or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in split)
        or min(split) < 0
        or sum(split) <= 0
    ):
        raise EditError("'split' must be three shares [train, val, test], e.g. [0.8, 0.1, 0.1].")
    seed = body.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise EditError("'seed' must be a whole number.")
    params = {"campaign": campaign_id, "format": kind, "split": split, "seed": seed}
    return jobs.describe(jobs.submit(KIND, None, params, username))


def _chosen(campaign_id: str) -> list[tuple[CampaignImage, Task, list[Task]]]:
    """Each image with accepted labels: the task whose labels are kept, and its replicas."""
    chosen = []
    images = db.session.scalars(
        select(CampaignImage)
        .where(CampaignImage.campaign_id == campaign_id, CampaignImage.gold.is_(False))
        .order_by(CampaignImage.id)
    ).all()
    for image in images:
        tasks = db.session.scalars(
            select(Task).where(Task.image_id == image.id).order_by(Task.id)
        ).all()
        accepted = [t for t in tasks if t.state == "accepted"]
        consensus = [t for t in accepted if t.replica == 0]
        if accepted:
            chosen.append((image, (consensus or accepted)[0], [t for t in tasks if t.replica]))
    return chosen


def _splits(count: int, shares: list[float], seed: int) -> list[str]:
    order = np.random.default_rng(seed).permutation(count)
    shares_array = np.asarray(shares, float) / float(sum(shares))
    ends = np.round(np.cumsum(shares_array) * count).astype(int)
    split = [""] * count
    for rank, index in enumerate(order.tolist()):
        split[index] = SPLITS[int(np.searchsorted(ends, rank, side="right"))]
    return split


def _padded(arrays: list[np.ndarray]) -> np.ndarray:
    height = max(a.shape[1] for a in arrays)
    width = max(a.shape[2] for a in arrays)
    out = np.zeros((len(arrays), height, width, arrays[0].shape[-1]), arrays[0].dtype)
    for i, array in enumerate(arrays):
        out[i, : array.shape[1], : array.shape[2]] = array[0]
    return out


def run_export(context: JobContext) -> dict:
    params = context.params
    chosen = _chosen(params["campaign"])
    split = _splits(len(chosen), params["split"], params["seed"])
    rows = []
    arrays: dict[str, dict[str, list[np.ndarray]]] = {s: {"X": [], "y": []} for s in SPLITS}
    path = context.folder() / "dataset.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, ((image, task, replicas), part) in enumerate(zip(chosen, split, strict=True)):
            context.progress(0.9 * n / max(len(chosen), 1), f"Reading {image.name}")
            project = db.session.get(Project, task.project_id)
            if params["format"] == "npz":
                data = exporting.project_data(project)
                channels = data.raw[:1]
                arrays[part]["X"].append(channels)
                arrays[part]["y"].append(data.labels[:1, :, :, :1])
            else:
                buffer = io.BytesIO()
                exporting.write_export(project, "ome-zarr", buffer)
                archive.writestr(
                    f"{part}/{image.id}-{image.name}.ome.zarr.zip",
                    buffer.getvalue(),
                    compress_type=STORED,
                )
            annotators = sorted({t.annotator for t in replicas if t.annotator})
            agreement = (image.agreement or {}).get("f1")
            rows.append(
                {
                    "image": image.name,
                    "source": image.source,
                    "annotators": " ".join(annotators),
                    "reviewer": task.reviewer or "",
                    "agreement": "" if agreement is None else round(agreement, 4),
                    "split": part,
                    "height": project.height,
                    "width": project.width,
                }
            )
        if params["format"] == "npz":
            for part in SPLITS:
                if arrays[part]["X"]:
                    buffer = io.BytesIO()
                    np.savez_compressed(
                        buffer,
                        X=_padded(arrays[part]["X"]),
                        y=_padded(arrays[part]["y"]).astype(np.int32),
                    )
                    archive.writestr(f"{part}.npz", buffer.getvalue(), compress_type=STORED)
        table = io.StringIO()
        writer = csv.DictWriter(table, MANIFEST)
        writer.writeheader()
        writer.writerows(rows)
        archive.writestr("manifest.csv", table.getvalue())
        archive.writestr("manifest.json", json.dumps(rows, indent=1))
    context.progress(0.9, "Storing the file", force=True)
    with path.open("rb") as fileobj:
        storage().put_file(export_jobs.file_key(context.id, "dataset.zip"), fileobj)
    hours = current_app.config["EXPORT_MAX_AGE_HOURS"]
    return {
        "file": "dataset.zip",
        "name": f"campaign-{params['campaign']}-{params['format']}.zip",
        "format": params["format"],
        "content_type": "application/zip",
        "images": len(rows),
        "bytes": path.stat().st_size,
        "download": f"/api/jobs/{context.id}/download",
        "expires_in_hours": hours,
    }


EXPORT_DATASET = JobKind(run_export)
