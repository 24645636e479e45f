"""The input files of a project build: what a request names (a file it sent, a finished chunked
upload, a URL), kept where any worker can reach it, and fetched by the build job into local files.

A request only stores what it was sent and checks the form of a URL: downloading, reading and
checking the files is the job's (on a worker, under its memory and time limits).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from ..errors import InputFormatError, URLRefusedError
from ..store.storage import make_s3_client, storage
from . import uploads, urls


@dataclass
class Source:
    """An input file on local disk, fetched for a build."""

    path: Path
    name: str
    origin: str  # "upload" or the URL it came from


@dataclass
class InputRequest:
    """One input as a request names it: a file it sent, a chunked upload's id, or a URL."""

    field: str
    stream: BinaryIO | None = None
    filename: str = ""
    upload_id: str = ""
    url: str = ""


class _Counting:
    """A file object that counts the bytes read through it."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.count += len(data)
        return data


def check_url(url: str, field: str) -> str:
    """Refuse at once a URL that can never be loaded (its form, its bucket); its address is
    checked when the build downloads it."""
    config = current_app.config
    url = url.strip()
    urls.check_form(url)
    if url.lower().startswith("s3://"):
        bucket = url[5:].split("/", 1)[0]
        if bucket not in config["ALLOWED_INPUT_BUCKETS"]:
            raise URLRefusedError(
                f"Loading from bucket {bucket!r} (given as '{field}') is not allowed on this "
                "server. Use an http(s) URL, upload the file, or ask the operator to add the "
                "bucket to ALLOWED_INPUT_BUCKETS."
            )
    return url


def stage(request: InputRequest, key: str) -> dict:
    """Keep a request's input for the build job; returns the job's description of it.

    A file sent with the request is stored at `key` (the project's original); a chunked upload
    is taken for this project (given back if the build fails); a URL is only checked.
    """
    if request.stream is not None:
        counted = _Counting(request.stream)
        storage().put_file(key, counted)
        if counted.count == 0:
            storage().delete_prefix(key)
            raise InputFormatError(
                f"The file sent as '{request.field}' is empty. Choose the file again."
            )
        name = Path(request.filename or "").name
        return {"from": "stored", "key": key, "name": name, "origin": "upload"}
    if request.upload_id:
        upload = uploads.take(request.upload_id, request.field)
        return {"from": "upload", "upload": upload.id, "name": upload.name, "origin": "upload"}
    url = check_url(request.url, request.field)
    return {"from": "url", "url": url, "name": "", "origin": url}


def taken_uploads(inputs: dict[str, dict]) -> list[str]:
    return [spec["upload"] for spec in inputs.values() if spec["from"] == "upload"]


def _link_or_copy(key: str, target: Path) -> None:
    """The stored object as a local file: a second link when storage is a local folder."""
    stored = storage().local_path(key)
    if stored is not None:
        try:
            os.link(stored, target)
            return
        except OSError:  # another file system
            shutil.copyfile(stored, target)
            return
    with target.open("wb") as out:
        storage().get_file(key, out)


def fetch(spec: dict, field: str, folder: Path) -> Source:
    """An input of a build as a local file in `folder` (downloaded, or linked from storage)."""
    target = folder / field
    if spec["from"] == "stored":
        _link_or_copy(spec["key"], target)
        return Source(target, spec["name"], spec["origin"])
    if spec["from"] == "upload":
        _link_or_copy(uploads.data_key(spec["upload"]), target)
        return Source(target, spec["name"], spec["origin"])
    config = current_app.config
    with target.open("wb") as out:
        name = urls.download(
            spec["url"],
            out,
            max_bytes=config["URL_MAX_BYTES"],
            timeout=config["URL_TIMEOUT"],
            allow_private=config["ALLOW_PRIVATE_URLS"],
            s3_client_factory=lambda: make_s3_client(
                config["AWS_ENDPOINT_URL"], config["AWS_REGION"]
            ),
        )
        size = out.tell()
    if size == 0:
        raise InputFormatError(f"The URL given as '{field}' answered with an empty file.")
    return Source(target, name, spec["origin"])
