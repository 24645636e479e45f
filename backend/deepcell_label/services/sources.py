"""Input files on local disk: an upload saved to a temporary file, a download, a finished
chunked upload."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from ..errors import InputFormatError, URLRefusedError
from ..store.storage import make_s3_client
from . import urls


@dataclass
class Source:
    """An input file on local disk (an upload saved to a temporary file, or a download)."""

    path: Path
    name: str
    origin: str  # "upload" or the URL it came from


@contextmanager
def temporary_file() -> Iterator[tuple[Path, io.BufferedWriter]]:
    folder = Path(current_app.config["DATA_DIR"]) / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, prefix="upload-")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            yield path, out
    finally:
        path.unlink(missing_ok=True)


def download_source(stack: ExitStack, url: str, field: str) -> Source:
    """A user-given URL (http, https or an allowed s3:// bucket) downloaded to a temporary file."""
    config = current_app.config
    url = url.strip()
    if url.lower().startswith("s3://"):
        bucket = url[5:].split("/", 1)[0]
        if "@" in bucket or ":" in bucket:
            raise URLRefusedError(
                "s3:// URLs may not carry credentials or ports. Give s3://<bucket>/<key>; the "
                "server uses its own credentials."
            )
        if bucket not in config["ALLOWED_INPUT_BUCKETS"]:
            raise URLRefusedError(
                f"Loading from bucket {bucket!r} is not allowed on this server. "
                "Use an http(s) URL, upload the file, or ask the operator to add the bucket to ALLOWED_INPUT_BUCKETS."
            )
    path, out = stack.enter_context(temporary_file())
    name = urls.download(
        url,
        out,
        max_bytes=config["URL_MAX_BYTES"],
        timeout=config["URL_TIMEOUT"],
        allow_private=config["ALLOW_PRIVATE_URLS"],
        s3_client_factory=lambda: make_s3_client(config["AWS_ENDPOINT_URL"], config["AWS_REGION"]),
    )
    out.flush()
    if out.tell() == 0:
        raise InputFormatError(f"The URL given as '{field}' answered with an empty file.")
    return Source(path, name, url)
