"""`Campaign`: images handed out as tasks to annotators and reviewers; its members, progress,
agreement, and its accepted labels as a training set (a zip of npz splits) or numpy arrays."""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import numpy as np

from .project import download

if TYPE_CHECKING:
    from .client import Client, ImageInput

SPLITS = ("train", "val", "test")
DATASET_FORMATS = ("npz", "zarr")
ROLES = ("manager", "reviewer", "annotator")


class Campaign:
    """A campaign on the server; every method asks the server afresh."""

    def __init__(self, client: Client, campaign_id: str) -> None:
        self.client = client
        self.id = campaign_id

    def __repr__(self) -> str:
        return f"Campaign({self.id!r} on {self.client.url})"

    def _parts(self) -> dict[str, str]:
        return {"campaign_id": self.id}

    def status(self) -> dict[str, Any]:
        """Its settings (``name``, ``replicas``, ``review_share`` …) and ``counts``: how many
        tasks are in each state (``new``, ``in_progress``, ``submitted``, ``accepted`` …)."""
        answer: dict[str, Any] = self.client.request("campaign", parts=self._parts()).json()
        return answer

    def add_images(
        self,
        images: Sequence[ImageInput],
        labels: Sequence[ImageInput] | None = None,
        *,
        gold: bool = False,
        progress: bool | None = None,
    ) -> list[dict]:
        """Add images (arrays or files), each given to `replicas` annotators as a task.

        `labels` (predictions to correct, or a gold image's reference labels) are matched to
        images by file-name stem, as the server does: labels given as arrays are named after
        the image at the same position; label files keep their own names. Images go up in
        resumable chunks; the add-images job is followed. Returns one entry per image:
        ``{"image", "id", "tasks", "error"}``.
        """
        labels = list(labels or [])
        if any(isinstance(label, np.ndarray) for label in labels[len(images) :]):
            raise ValueError(
                f"{len(labels)} labels for {len(images)} images: labels given as arrays are "
                "matched to the image at the same position, so give one per image."
            )
        with ExitStack() as stack:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dcl-")))
            image_paths = [
                stack.enter_context(as_file(image, folder / f"image-{n}.npy"))
                for n, image in enumerate(images)
            ]
            label_paths = [
                stack.enter_context(
                    as_file(label, folder / "labels" / f"{stem(image_paths[n])}.npy")
                )
                if isinstance(label, np.ndarray)
                else stack.enter_context(as_file(label, folder))
                for n, label in enumerate(labels)
            ]
            uploads = [self.client.upload(path, progress=progress) for path in image_paths]
            fields: list[tuple[str, Any]] = [("images_upload", (None, u)) for u in uploads]
            fields.append(("gold", (None, "true" if gold else "false")))
            for path in label_paths:
                fields.append(("labels", (path.name, stack.enter_context(path.open("rb")))))
            answer = self.client.request(
                "add_campaign_images", parts=self._parts(), files=fields
            ).json()
        job = self.client.wait(answer["job"], progress=progress)
        images_added: list[dict] = job["result"]["images"]
        return images_added

    def add_member(self, username: str, role: str = "annotator") -> dict:
        """Make `username` a ``manager``, ``reviewer`` or ``annotator`` of the campaign."""
        answer: dict = self.client.request(
            "add_campaign_member", parts=self._parts(), json={"username": username, "role": role}
        ).json()
        return answer

    def tasks(self, state: str | None = None, annotator: str | None = None) -> list[dict]:
        """Its tasks (``id``, ``image``, ``replica``, ``project``, ``state``, ``annotator`` …),
        only those in `state` or held by `annotator` when named."""
        params = {
            key: value
            for key, value in (("state", state), ("annotator", annotator))
            if value is not None
        }
        answer = self.client.request("campaign_tasks", parts=self._parts(), params=params)
        found: list[dict] = answer.json()["tasks"]
        return found

    def agreement(self) -> dict[str, Any]:
        """Agreement between replicas per image and per annotator (F1, mean IoU, missed,
        extra, merges, splits) and gold scores."""
        answer: dict[str, Any] = self.client.request(
            "campaign_agreement", parts=self._parts()
        ).json()
        return answer

    def export_dataset(
        self,
        path: str | os.PathLike,
        format: str = "npz",
        *,
        split: tuple[float, float, float] = (0.8, 0.1, 0.1),
        seed: int = 0,
        progress: bool | None = None,
    ) -> Path:
        """Export the accepted labels as a training set (a job) and write its zip to `path` (a
        folder gets the server's file name).

        The zip holds ``train.npz``, ``val.npz``, ``test.npz`` (``X`` images, ``y`` labels;
        `format` ``"npz"``) or one OME-Zarr zip per image (``"zarr"``), and a manifest. Images
        are split at random by `seed` in the shares `split` (train, val, test).
        """
        if format not in DATASET_FORMATS:
            raise ValueError(f"format must be npz or zarr, not {format!r}.")
        body = {"format": format, "split": [float(share) for share in split], "seed": seed}
        answer = self.client.request("export_campaign", parts=self._parts(), json=body).json()
        job = self.client.wait(answer["job"], progress=progress)
        return download(self.client, "job_download", {"job_id": job["id"]}, path)

    def dataset(
        self,
        *,
        split: tuple[float, float, float] = (0.8, 0.1, 0.1),
        seed: int = 0,
        progress: bool | None = None,
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The accepted labels as arrays: ``{split: (X, y)}``, X ``(images, height, width,
        channels)``, y int32 ``(images, height, width, 1)``; a split without images is left out.
        Images smaller than the largest are padded with zeros at the bottom and right."""
        with tempfile.TemporaryDirectory(prefix="dcl-") as folder:
            path = self.export_dataset(
                Path(folder) / "dataset.zip", "npz", split=split, seed=seed, progress=progress
            )
            return read_dataset(path)


def read_dataset(path: str | os.PathLike) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{split: (X, y)}`` from a campaign's npz training-set zip."""
    found = {}
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        for part in SPLITS:
            if f"{part}.npz" in names:
                with archive.open(f"{part}.npz") as member, np.load(member) as arrays:
                    found[part] = (arrays["X"], arrays["y"])
    return found


def stem(path: PurePath) -> str:
    """A file's name without its suffix (``.ome.tif`` counts as one suffix, as on the server)."""
    for suffix in (".ome.tiff", ".ome.tif", ".ome.zarr"):
        if path.name.lower().endswith(suffix):
            return path.name[: -len(suffix)]
    return path.stem


@contextmanager
def as_file(data: ImageInput, target: Path) -> Iterator[Path]:
    """A file for `data`: its own path, or an array written as `.npy` to `target`."""
    if not isinstance(data, np.ndarray):
        path = Path(data)
        if not path.is_file():
            raise FileNotFoundError(f"No file at {path}")
        yield path
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    np.save(target, np.ascontiguousarray(data), allow_pickle=False)
    yield target
