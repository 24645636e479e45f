"""Object storage for raw image chunks, uploaded originals and exports: a local folder or S3."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

from ..errors import StorageError

COPY_BYTES = 1024 * 1024  # what a stream copy holds in memory at once

SAFE_KEY_CHARACTERS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./")


def check_key(key: str) -> str:
    """Keys are made by our code only; refuse anything that could leave the storage root."""
    if not key or key.startswith("/") or ".." in key.split("/") or set(key) - SAFE_KEY_CHARACTERS:
        raise ValueError(f"invalid storage key {key!r}")
    return key


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def put_file(self, key: str, fileobj: BinaryIO) -> None: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def keys(self, prefix: str) -> list[str]: ...
    def delete_prefix(self, prefix: str) -> None: ...
    def get_file(self, key: str, fileobj: BinaryIO) -> None: ...
    def local_path(self, key: str) -> Path | None: ...

    # Handing an object to a browser: its size, a time-limited address to fetch it from (S3), or
    # its bytes in pieces.
    def size(self, key: str) -> int: ...
    def download_url(self, key: str, seconds: int, disposition: str) -> str | None: ...
    def stream(self, key: str) -> Iterator[bytes]: ...

    # An object written in numbered parts, in any order, possibly by different processes.
    def start_parts(self, key: str, size: int) -> str: ...
    def put_part(self, key: str, handle: str, index: int, offset: int, body: BinaryIO) -> None: ...
    def finish_parts(self, key: str, handle: str) -> None: ...
    def abort_parts(self, key: str, handle: str) -> None: ...


class LocalStorage:
    """Objects as files under one folder; writes are atomic (temporary file + rename)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _write(self, key: str, write) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                write(out)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def put(self, key: str, data: bytes) -> None:
        self._write(key, lambda out: out.write(data))

    def put_file(self, key: str, fileobj: BinaryIO) -> None:
        self._write(key, lambda out: shutil.copyfileobj(fileobj, out, COPY_BYTES))

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self, prefix: str) -> list[str]:
        base = self.root / check_key(prefix.rstrip("/"))
        if not base.exists():
            return []
        return sorted(
            str(path.relative_to(self.root))
            for path in base.rglob("*")
            if path.is_file() and not path.name.startswith(".part-")
        )

    def delete_prefix(self, prefix: str) -> None:
        shutil.rmtree(self.root / check_key(prefix.rstrip("/")), ignore_errors=True)

    def get_file(self, key: str, fileobj: BinaryIO) -> None:
        try:
            with self._path(key).open("rb") as source:
                shutil.copyfileobj(source, fileobj, COPY_BYTES)
        except FileNotFoundError:
            raise KeyError(key) from None

    def local_path(self, key: str) -> Path | None:
        """The object's file, for callers that can link it instead of copying it."""
        return self._path(key)

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise KeyError(key) from None

    def download_url(self, key: str, seconds: int, disposition: str) -> str | None:
        """No address of its own: the server sends the file."""
        return None

    def stream(self, key: str) -> Iterator[bytes]:
        if not self.exists(key):
            raise KeyError(key)
        return _chunks_of(self._path(key))

    def start_parts(self, key: str, size: int) -> str:
        """A file of the final size (sparse until written); parts are written at their offsets."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            out.truncate(size)
        return ""

    def put_part(self, key: str, handle: str, index: int, offset: int, body: BinaryIO) -> None:
        try:
            with self._path(key).open("r+b") as out:
                out.seek(offset)
                shutil.copyfileobj(body, out, COPY_BYTES)
        except FileNotFoundError:
            raise KeyError(key) from None

    def finish_parts(self, key: str, handle: str) -> None:
        """Nothing to join: the parts were written in place."""

    def abort_parts(self, key: str, handle: str) -> None:
        self._path(key).unlink(missing_ok=True)


def _chunks_of(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while piece := source.read(COPY_BYTES):
            yield piece


def make_s3_client(endpoint_url: str = "", region: str = "us-east-1"):
    """A boto3 S3 client; `endpoint_url` points at an S3-compatible server (tests, MinIO)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=region,
        config=Config(retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=32),
    )


class S3Storage:
    """Objects in one S3 bucket under an optional prefix."""

    def __init__(self, bucket: str, prefix: str = "", client=None) -> None:
        if not bucket:
            raise StorageError("STORAGE=s3 needs STORAGE_BUCKET to name the bucket.")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client or make_s3_client()

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def put_file(self, key: str, fileobj: BinaryIO) -> None:
        self.client.upload_fileobj(fileobj, self.bucket, self._key(key))

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise

    def _list(self, prefix: str) -> Iterable[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
            for item in page.get("Contents", []):
                yield item["Key"]

    def keys(self, prefix: str) -> list[str]:
        return sorted(key[len(self.prefix) :] for key in self._list(prefix))

    def delete_prefix(self, prefix: str) -> None:
        batch: list[dict] = []
        for key in self._list(prefix):
            batch.append({"Key": key})
            if len(batch) == 1000:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch})
                batch = []
        if batch:
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch})

    def get_file(self, key: str, fileobj: BinaryIO) -> None:
        """Stream the object into `fileobj` (ranged reads; never the whole object in memory)."""
        from botocore.exceptions import ClientError

        try:
            self.client.download_fileobj(self.bucket, self._key(key), fileobj)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                raise KeyError(key) from None
            raise

    def local_path(self, key: str) -> Path | None:
        return None

    def size(self, key: str) -> int:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(key))["ContentLength"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                raise KeyError(key) from None
            raise

    def download_url(self, key: str, seconds: int, disposition: str) -> str:
        """A pre-signed GET of the object for `seconds`, saved by the browser under the name
        in `disposition` (a Content-Disposition value)."""
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self._key(key),
                "ResponseContentDisposition": disposition,
            },
            ExpiresIn=seconds,
        )

    def stream(self, key: str) -> Iterator[bytes]:
        """The object's bytes in pieces of COPY_BYTES, read as they are sent on."""
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except self.client.exceptions.NoSuchKey:
            raise KeyError(key) from None

        def pieces() -> Iterator[bytes]:
            with contextlib.closing(body):
                yield from body.iter_chunks(COPY_BYTES)

        return pieces()

    def start_parts(self, key: str, size: int) -> str:
        answer = self.client.create_multipart_upload(Bucket=self.bucket, Key=self._key(key))
        return answer["UploadId"]

    def put_part(self, key: str, handle: str, index: int, offset: int, body: BinaryIO) -> None:
        """One multipart part (S3 numbers them from 1); the part is held in memory while sent."""
        data = b"".join(iter(lambda: body.read(COPY_BYTES), b""))
        try:
            self.client.upload_part(
                Bucket=self.bucket,
                Key=self._key(key),
                UploadId=handle,
                PartNumber=index + 1,
                Body=data,
            )
        except self.client.exceptions.NoSuchUpload:
            raise KeyError(key) from None

    def finish_parts(self, key: str, handle: str) -> None:
        """Join the parts S3 holds (as it lists them) into the object."""
        parts = []
        paginator = self.client.get_paginator("list_parts")
        for page in paginator.paginate(Bucket=self.bucket, Key=self._key(key), UploadId=handle):
            parts.extend(
                {"PartNumber": part["PartNumber"], "ETag": part["ETag"]}
                for part in page.get("Parts", [])
            )
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self._key(key),
            UploadId=handle,
            MultipartUpload={"Parts": sorted(parts, key=lambda part: part["PartNumber"])},
        )

    def abort_parts(self, key: str, handle: str) -> None:
        """Drop the parts, which S3 keeps (and bills) until the upload is aborted."""
        # NoSuchUpload: already completed or aborted (perhaps by another process).
        with contextlib.suppress(self.client.exceptions.NoSuchUpload):
            if handle:
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=self._key(key), UploadId=handle
                )


def storage_from_config(config: dict) -> Storage:
    kind = config["STORAGE"]
    if kind == "local":
        return LocalStorage(config["STORAGE_DIR"])
    if kind == "s3":
        client = make_s3_client(config["AWS_ENDPOINT_URL"], config["AWS_REGION"])
        return S3Storage(config["STORAGE_BUCKET"], config["STORAGE_PREFIX"], client)
    raise StorageError(f"STORAGE must be 'local' or 's3', not {kind!r}.")


def output_storage_from_config(config: dict) -> tuple[Storage, str]:
    """Where submitted exports go, and a name for it: the configured bucket only, never the client's."""
    if config["OUTPUT_BUCKET"]:
        client = make_s3_client(config["AWS_ENDPOINT_URL"], config["AWS_REGION"])
        return S3Storage(config["OUTPUT_BUCKET"], "", client), config["OUTPUT_BUCKET"]
    return LocalStorage(config["OUTPUT_DIR"]), "local"


def storage() -> Storage:
    """The app's object storage (made from its settings at start-up)."""
    return current_app.extensions["deepcell_storage"]
