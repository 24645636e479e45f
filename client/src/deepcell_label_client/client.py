"""`Client`: one server, its API version checked once; creating projects (arrays or files, sent in
resumable chunks) and following jobs."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
from tqdm.auto import tqdm

from . import errors
from .routes import route
from .settings import resolve

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .campaign import Campaign
    from .project import Project

__all__ = ["Client", "SUPPORTED_API_VERSIONS", "ImageInput"]

# Major versions of the server's API this client understands.
SUPPORTED_API_VERSIONS = (1,)
ImageInput = np.ndarray | str | os.PathLike
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
# One request per frame up to 4096² pixels: far fewer requests than tiles, each answer ≤ 64 MiB.
WHOLE_FRAME_PIXELS = 4096 * 4096
RETRIES = 5  # attempts per chunk or request when the connection drops


class Client:
    """A DeepCell Label server.

    Parameters
    ----------
    url : str, optional
        The server, e.g. ``"https://label.example.org"``; default ``$DEEPCELL_LABEL_URL``, else the
        URL saved by ``deepcell-label login``.
    token : str, optional
        An API token, sent as ``Authorization: Bearer <token>``; default
        ``$DEEPCELL_LABEL_TOKEN``, else the saved login's.
    progress : bool
        Show progress bars for uploads and jobs (each call may override it).
    workers : int
        How many frames or tiles are fetched at once when reading pixels.
    whole_frame_pixels : int
        Frames of up to this many pixels are fetched whole; larger ones tile by tile.

    Raises
    ------
    IncompatibleServerError
        The server speaks an API version this client does not understand.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        progress: bool = True,
        workers: int = 8,
        whole_frame_pixels: int = WHOLE_FRAME_PIXELS,
        timeout: float | httpx.Timeout = TIMEOUT,
    ) -> None:
        self.url, token = resolve(url, token)
        self.progress = progress
        self.workers = workers
        self.whole_frame_pixels = whole_frame_pixels
        headers = {"User-Agent": "deepcell-label-client"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=timeout,
            follow_redirects=True,  # an export on S3 is a redirect; httpx drops the token there
            limits=httpx.Limits(max_connections=max(workers, 4)),
        )
        self.versions = self._check_version()

    # ------------------------------------------------------------------ requests

    def request(self, name: str, *, parts: dict | None = None, **options: Any) -> httpx.Response:
        """Send the named route's request; a refusal raises the exception for its status."""
        method, path = route(name, **(parts or {}))
        try:
            response = self.http.request(method, path, **options)
        except httpx.TransportError as error:
            raise errors.ConnectionFailedError(f"Could not reach {self.url}: {error}") from error
        raise_for_answer(response)
        return response

    def _check_version(self) -> dict:
        try:
            answer = self.request("version").json()
        except errors.NotFoundError:
            answer = {}
        major = str(answer.get("api_version", "0")).split(".")[0]
        if not major.isdigit() or int(major) not in SUPPORTED_API_VERSIONS:
            works = ", ".join(f"{version}.x" for version in SUPPORTED_API_VERSIONS)
            said = answer.get("api_version") or "no version (a server older than API 1.0)"
            raise errors.IncompatibleServerError(
                f"The server at {self.url} speaks API {said}; this client "
                f"(deepcell-label-client) works with API {works}. Install the client that matches "
                "the server (pip install --upgrade deepcell-label-client), or ask its operator."
            )
        return answer

    def me(self) -> dict[str, Any]:
        """Who the token belongs to: ``{"username", "display_name", "admin"}``.

        Raises `AuthenticationError` for a missing or refused token.
        """
        answer: dict[str, Any] = self.request("me").json()
        return answer

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ uploads

    def upload(self, path: str | os.PathLike, *, progress: bool | None = None) -> str:
        """Send a file in resumable chunks; the upload's id (give it to `create_project`).

        A dropped connection is retried: the server is asked which chunks arrived and only the
        missing ones are sent again.
        """
        path = Path(path)
        size = path.stat().st_size
        state = self.request("create_upload", json={"name": path.name, "size": size}).json()
        show = self.progress if progress is None else progress
        with (
            path.open("rb") as file,
            tqdm(
                total=size,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=f"Uploading {path.name}",
                disable=not show,
            ) as bar,
        ):
            for attempt in range(RETRIES + 1):
                missing = sorted(set(range(state["chunks"])) - set(state["received"]))
                if not missing:
                    return state["id"]
                try:
                    for index in missing:
                        file.seek(index * state["chunk_size"])
                        data = file.read(state["chunk_size"])
                        self._put_chunk(state["id"], index, data)
                        bar.update(len(data))
                    return state["id"]
                except errors.DeepCellLabelError as error:
                    if attempt == RETRIES or not transient(error):
                        raise
                    time.sleep(min(0.5 * 2**attempt, 8))
                    state = self._upload_state(state["id"])
                    bar.reset()
                    bar.update(sum(chunk_bytes(state, index) for index in state["received"]))
        return state["id"]

    def _put_chunk(self, upload_id: str, index: int, data: bytes) -> None:
        self.request(
            "put_chunk",
            parts={"upload_id": upload_id, "index": index},
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )

    def _upload_state(self, upload_id: str) -> dict:
        return self.read_retrying("upload", {"upload_id": upload_id})

    def read_retrying(self, name: str, parts: dict) -> dict[str, Any]:
        """GET a named route's JSON, trying again while the connection drops or a proxy in
        front of the server answers that it is briefly unavailable."""
        for attempt in range(RETRIES + 1):
            try:
                answer: dict[str, Any] = self.request(name, parts=parts).json()
                return answer
            except errors.DeepCellLabelError as error:
                if attempt == RETRIES or not transient(error):
                    raise
                time.sleep(min(0.5 * 2**attempt, 8))
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ jobs

    def wait(
        self, job: dict, *, progress: bool | None = None, timeout: float | None = None
    ) -> dict:
        """Follow a job until it is done; its final description (`result` holds its answer).

        Raises `JobFailedError` (with the server's reason) when it fails or is cancelled.
        """
        show = self.progress if progress is None else progress
        started = time.monotonic()
        interval = 0.05
        with tqdm(total=100, desc=job.get("kind", "job"), disable=not show, unit="%") as bar:
            while True:
                bar.n = round(100 * float(job.get("progress") or 0), 1)
                bar.set_postfix_str(job.get("message") or "", refresh=False)
                bar.refresh()
                if job["state"] == "done":
                    return job
                if job["state"] in ("failed", "cancelled"):
                    status = job.get("error_status")
                    message = (
                        job.get("error") or f"The {job.get('kind', '')} job was {job['state']}."
                    )
                    raise job_error(status)(message, status, job)
                if timeout is not None and time.monotonic() - started > timeout:
                    raise TimeoutError(
                        f"The {job.get('kind')} job {job['id']} is still {job['state']} after "
                        f"{timeout:g} s; follow it with client.wait(...) again."
                    )
                time.sleep(interval)
                interval = min(interval * 1.5, 1.0)
                job = self.read_retrying("job", {"job_id": job["id"]})

    # ------------------------------------------------------------------ projects

    def project(self, project_id: str) -> Project:
        """A project by its id (raises `NotFoundError` when there is none)."""
        from .project import Project

        project = Project(self, project_id)
        project.metadata()
        return project

    def create_project(
        self,
        image: ImageInput,
        labels: ImageInput | None = None,
        *,
        axes: str | None = None,
        labels_axes: str | None = None,
        name: str | None = None,
        progress: bool | None = None,
        timeout: float | None = None,
    ) -> Project:
        """A new project from arrays or files, once the server has built it.

        Parameters
        ----------
        image : numpy.ndarray or path
            The image. An array is sent as a ``.npy`` file; one of more than two dimensions needs
            `axes` (letters T, Z, C, Y, X, e.g. ``"TYXC"``, ``"ZYX"``, ``"CYX"``). A file may be any
            format the server reads (TIFF, OME-TIFF, ``.npy``, ``.npz``, zip, OME-Zarr zip).
        labels : numpy.ndarray or path, optional
            Integer labels with the image's frames, height and width (an extra dimension holds
            features). For an array, its axes are `labels_axes`, else `axes` (without ``C`` when the
            labels have one dimension fewer).
        name : str, optional
            The project's name (default: the file's name).

        Every file goes up in resumable chunks with a progress bar; then the build job is followed.
        A file the server refuses raises `BadRequestError` with its reason.
        """
        with ExitStack() as stack:
            image_path, image_axes = stack.enter_context(staged(image, axes, "image"))
            labels_path = None
            if labels is not None:
                if labels_axes is None and isinstance(labels, np.ndarray):
                    labels_axes = labels_axes_for(labels, image_axes)
                labels_path, labels_axes = stack.enter_context(
                    staged(labels, labels_axes, "labels")
                )
            form = {"name": name or image_path.name}
            if image_axes:
                form["axes"] = image_axes
            if labels_axes:
                form["labels_axes"] = labels_axes
            uploads = {"images_upload": self.upload(image_path, progress=progress)}
            if labels_path is not None:
                uploads["labels_upload"] = self.upload(labels_path, progress=progress)
            return self._create(form, uploads, progress, timeout)

    def _create(
        self, form: dict, uploads: dict, progress: bool | None, timeout: float | None
    ) -> Project:
        from .project import Project

        try:
            # The form as multipart (the route reads files or upload ids from a form).
            fields = {key: (None, value) for key, value in {**form, **uploads}.items()}
            answer = self.request("create_project", files=fields).json()
        except errors.DeepCellLabelError:
            self._drop_uploads(uploads)  # a refused creation leaves the uploads to try again
            raise
        if answer.get("status") != "ready":
            self.wait(answer["job"], progress=progress, timeout=timeout)
        return Project(self, answer["id"])

    # ------------------------------------------------------------------ campaigns

    def campaign(self, campaign_id: str) -> Campaign:
        """A campaign by its id (raises `NotFoundError` when there is none or you are not a
        member)."""
        from .campaign import Campaign

        campaign = Campaign(self, campaign_id)
        campaign.status()
        return campaign

    def create_campaign(
        self,
        name: str,
        images: Sequence[ImageInput] | None = None,
        labels: Sequence[ImageInput] | None = None,
        *,
        replicas: int = 1,
        instructions: str = "",
        review_share: float = 1.0,
        lease_minutes: float = 60,
        agreement_threshold: float = 0.8,
        gold_rate: float | None = None,
        progress: bool | None = None,
    ) -> Campaign:
        """A new campaign, which you manage; with `images` (and `labels`, matched by file-name
        stem) added as by `Campaign.add_images`.

        `replicas` annotators label each image; a share `review_share` of submitted tasks (and
        every task whose agreement is below `agreement_threshold`) goes to review; a task not
        submitted within `lease_minutes` returns to the pool; `gold_rate` is the share of gold
        images mixed into an annotator's tasks (the server's default when left out).
        """
        from .campaign import Campaign

        if labels and not images:
            raise ValueError("Labels need their images: give `images` too.")
        body: dict[str, Any] = {
            "name": name,
            "instructions": instructions,
            "replicas": replicas,
            "review_share": review_share,
            "lease_minutes": lease_minutes,
            "agreement_threshold": agreement_threshold,
        }
        if gold_rate is not None:
            body["gold_rate"] = gold_rate
        campaign = Campaign(self, self.request("create_campaign", json=body).json()["id"])
        if images:
            campaign.add_images(images, labels, progress=progress)
        return campaign

    def _drop_uploads(self, uploads: dict) -> None:
        for upload_id in uploads.values():
            with suppress(errors.DeepCellLabelError):
                self.request("delete_upload", parts={"upload_id": upload_id})


def raise_for_answer(response: httpx.Response) -> None:
    """Raise the exception for a refused answer, with the server's message."""
    if response.status_code < 400:
        return
    try:
        response.read()
        message = response.json().get("error") or response.text
    except (ValueError, AttributeError):
        message = response.text.strip() or response.reason_phrase
    raise errors.error_class(response.status_code)(message, response.status_code)


def transient(error: errors.DeepCellLabelError) -> bool:
    """A failure worth trying again: a dropped connection, or a gateway's 502, 503 or 504."""
    return isinstance(error, errors.ConnectionFailedError) or error.status in (502, 503, 504)


def job_error(status: int | None) -> type[errors.JobFailedError]:
    """A failed job's exception: a JobFailedError that is also the kind its status names, so a
    refused file is a `BadRequestError` whether the server said so at once or in its build job."""
    base = errors.error_class(status) if status else errors.DeepCellLabelError
    if base is errors.DeepCellLabelError:
        return errors.JobFailedError
    return type(f"JobFailed{base.__name__}", (errors.JobFailedError, base), {})


def chunk_bytes(state: dict, index: int) -> int:
    return min(state["chunk_size"], state["size"] - index * state["chunk_size"])


def labels_axes_for(labels: np.ndarray, image_axes: str | None) -> str | None:
    """Label axes that follow from the image's: the same, or the same without channels."""
    if image_axes is None:
        return "YX" if labels.ndim == 2 else None
    if labels.ndim == len(image_axes):
        return image_axes
    if labels.ndim == len(image_axes) - 1 and "C" in image_axes:
        return image_axes.replace("C", "")
    return None


@contextmanager
def staged(data: ImageInput, axes: str | None, stem: str) -> Iterator[tuple[Path, str | None]]:
    """A file for `data` (an array is written as `.npy` in a temporary folder) and its axes."""
    if not isinstance(data, np.ndarray):
        path = Path(data)
        if not path.is_file():
            raise FileNotFoundError(f"No file at {path}")
        yield path, axes.upper() if axes else None
        return
    if axes is None:
        if data.ndim != 2:
            raise ValueError(
                f"A {data.ndim}-D array could be frames, z-slices or channels: say which with "
                "axes=, e.g. 'ZYX', 'TYX', 'YXC' or 'TYXC' (letters T, Z, C, Y, X)."
            )
        axes = "YX"
    axes = axes.upper()
    if len(axes) != data.ndim:
        raise ValueError(f"axes={axes!r} has {len(axes)} letters for a {data.ndim}-D array.")
    with tempfile.TemporaryDirectory(prefix="deepcell-label-") as folder:
        path = Path(folder) / f"{stem}.npy"
        np.save(path, np.ascontiguousarray(data), allow_pickle=False)
        yield path, axes
