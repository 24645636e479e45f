"""Chunked, resumable uploads of large files: chunks go straight to object storage, their
arrival is recorded in the database (so any server process may receive any chunk), and a
finished upload becomes the input of a new project."""

from __future__ import annotations

import logging
import math
import re
import secrets
from datetime import timedelta
from pathlib import PurePosixPath
from typing import BinaryIO

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..errors import ConflictError, DeepCellLabelError, NotFoundError, TooLargeError
from ..store.models import Upload, UploadChunk, db, utcnow
from ..store.storage import storage

log = logging.getLogger(__name__)

ID_BYTES = 9
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
S3_MIN_PART_BYTES = 5 * 1024 * 1024  # S3 refuses smaller multipart parts, except the last
S3_MAX_PARTS = 10_000
EXPIRE_BATCH = 100  # uploads removed per cleanup, so one request never does unbounded work
MIB = 1024 * 1024


class UploadError(DeepCellLabelError):
    """A chunked upload request that cannot be honoured as sent."""

    status = 400


def data_key(upload_id: str) -> str:
    return f"uploads/{upload_id}/data"


def chunk_count(upload: Upload) -> int:
    return math.ceil(upload.size / upload.chunk_size)


def _chunk_size(size: int) -> int:
    """The configured chunk size, raised where S3 needs it: parts of at least 5 MiB, and at
    most 10 000 of them."""
    config = current_app.config
    chunk_size = max(1, int(config["UPLOAD_CHUNK_BYTES"]))
    if config["STORAGE"] == "s3":
        chunk_size = max(chunk_size, S3_MIN_PART_BYTES)
    if size > chunk_size * S3_MAX_PARTS:
        chunk_size = math.ceil(size / S3_MAX_PARTS / MIB) * MIB
    return chunk_size


def _clean_name(name: object) -> str:
    if name is None:
        return "upload"
    if not isinstance(name, str):
        raise UploadError("'name' must be the file's name as a string, e.g. \"cells.tif\".")
    base = PurePosixPath(name.replace("\\", "/")).name.strip()
    base = "".join(character for character in base if character.isprintable())
    return base[:255] or "upload"


def _check_size(size: object) -> int:
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if isinstance(size, bool) or not isinstance(size, int):
        raise UploadError("'size' must be the file's size in bytes, a whole number.")
    if size <= 0:
        raise UploadError("'size' must be more than 0 bytes; an empty file cannot be uploaded.")
    if size > limit:
        raise TooLargeError(
            f"The file is {size} bytes; this server accepts uploads up to {limit} bytes "
            f"({limit / 1024**3:.1f} GiB). Split the data into several projects, or ask the "
            "operator to raise MAX_UPLOAD_BYTES."
        )
    return size


def _expired_before():
    return utcnow() - timedelta(hours=current_app.config["UPLOAD_MAX_AGE_HOURS"])


def _remove(upload: Upload) -> None:
    """Drop the upload's stored bytes, then its rows (one transaction)."""
    storage().abort_parts(data_key(upload.id), upload.storage_handle)
    storage().delete_prefix(f"uploads/{upload.id}/")
    db.session.execute(delete(UploadChunk).where(UploadChunk.upload_id == upload.id))
    db.session.execute(delete(Upload).where(Upload.id == upload.id))
    db.session.commit()


def expire_old_uploads() -> int:
    """Remove uploads idle for longer than UPLOAD_MAX_AGE_HOURS; the number removed."""
    old = db.session.scalars(
        select(Upload).where(Upload.updated < _expired_before()).limit(EXPIRE_BATCH)
    ).all()
    for upload in old:
        log.info("removing upload %s, idle since %s", upload.id, upload.updated)
        _remove(upload)
    return len(old)


def create_upload(name: object, size: object, owner_id: int | None = None) -> Upload:
    """Start an upload of `size` bytes for the account `owner_id` (only they may send its
    chunks or make a project of it); its storage is prepared before the row is written."""
    size = _check_size(size)
    name = _clean_name(name)
    expire_old_uploads()
    upload_id = secrets.token_urlsafe(ID_BYTES)
    handle = storage().start_parts(data_key(upload_id), size)
    upload = Upload(
        id=upload_id,
        name=name,
        size=size,
        chunk_size=_chunk_size(size),
        storage_handle=handle,
        assembled=False,
        owner_id=owner_id,
    )
    try:
        db.session.add(upload)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        storage().abort_parts(data_key(upload_id), handle)
        raise
    return upload


def get_upload(upload_id: str) -> Upload:
    upload = db.session.get(Upload, upload_id) if ID_PATTERN.fullmatch(upload_id or "") else None
    if upload is None:
        raise NotFoundError(
            f"There is no upload {upload_id[:40]!r}. It may have been used for a project, deleted "
            "or expired; start the upload again."
        )
    if upload.updated < _expired_before():
        _remove(upload)
        raise NotFoundError(
            f"The upload {upload_id!r} expired after "
            f"{current_app.config['UPLOAD_MAX_AGE_HOURS']:g} hours without a new chunk; "
            "start the upload again."
        )
    return upload


def received(upload: Upload) -> list[int]:
    return list(
        db.session.scalars(
            select(UploadChunk.chunk)
            .where(UploadChunk.upload_id == upload.id)
            .order_by(UploadChunk.chunk)
        )
    )


def describe(upload: Upload) -> dict:
    chunks = received(upload)
    return {
        "id": upload.id,
        "name": upload.name,
        "size": upload.size,
        "chunk_size": upload.chunk_size,
        "chunks": chunk_count(upload),
        "received": chunks,
        "complete": len(chunks) == chunk_count(upload),
    }


def _chunk_index(upload: Upload, index: str) -> int:
    count = chunk_count(upload)
    if not index.isdigit() or int(index) >= count:
        raise UploadError(
            f"Chunk {index[:20]!r} does not exist; this upload has chunks 0 to {count - 1} "
            f"of {upload.chunk_size} bytes (the last one shorter)."
        )
    return int(index)


def chunk_length(upload: Upload, index: int) -> int:
    return min(upload.chunk_size, upload.size - index * upload.chunk_size)


class ExactBody:
    """A request body read in pieces that must hold exactly `length` bytes."""

    def __init__(self, stream: BinaryIO, length: int) -> None:
        self.stream = stream
        self.length = length
        self.remaining = length

    def read(self, size: int = -1) -> bytes:
        if self.remaining == 0:
            return b""
        wanted = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self.stream.read(wanted)
        if not data:
            raise UploadError(
                f"The chunk's body ended after {self.length - self.remaining} of {self.length} "
                "bytes (the connection was interrupted?). Send the chunk again."
            )
        self.remaining -= len(data)
        return data


def put_chunk(upload_id: str, index: str, stream: BinaryIO, content_length: int | None) -> dict:
    """Write one chunk to storage, then record that it arrived; the upload's state after it."""
    upload = get_upload(upload_id)
    number = _chunk_index(upload, index)
    expected = chunk_length(upload, number)
    if content_length is None:
        raise UploadError(
            f"Send chunk {number} with a Content-Length header of {expected} bytes "
            "(not chunked transfer encoding)."
        )
    if content_length != expected:
        raise UploadError(
            f"Chunk {number} must be exactly {expected} bytes, but {content_length} were sent. "
            f"Every chunk is {upload.chunk_size} bytes (the file's byte range "
            f"index*{upload.chunk_size} onwards), except the last, which holds the rest."
        )
    if upload.assembled:
        raise ConflictError(
            "This upload is complete and was already joined for a project; its chunks can no "
            "longer change. Start a new upload to send different data."
        )
    # A re-sent chunk counts as missing until it has arrived whole again.
    db.session.execute(
        delete(UploadChunk).where(UploadChunk.upload_id == upload.id, UploadChunk.chunk == number)
    )
    db.session.commit()
    key = data_key(upload.id)
    try:
        storage().put_part(
            key,
            upload.storage_handle,
            number,
            number * upload.chunk_size,
            ExactBody(stream, expected),
        )
    except KeyError:
        raise NotFoundError(
            f"The upload {upload.id!r} was removed while chunk {number} arrived; start the "
            "upload again."
        ) from None
    try:
        db.session.add(UploadChunk(upload_id=upload.id, chunk=number))
        upload.updated = utcnow()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same chunk arrived twice at once; one record is enough
    return describe(get_upload(upload_id))


def delete_upload(upload_id: str) -> None:
    _remove(get_upload(upload_id))


def _ranges(indices: list[int]) -> str:
    """'0-3, 7, 9-12' for people; long lists are cut short."""
    parts: list[str] = []
    start = previous = None
    for index in [*indices, None]:
        if start is not None and (index is None or index != previous + 1):
            parts.append(str(start) if start == previous else f"{start}-{previous}")
            start = None
        if index is not None and start is None:
            start = index
        previous = index
    shown = ", ".join(parts[:10])
    return shown + (f" and {len(parts) - 10} more ranges" if len(parts) > 10 else "")


def take(upload_id: str, field: str) -> Upload:
    """The upload with its chunks joined into one stored object, taken for this request;
    refused when chunks are missing or another request is making a project from it.

    The row is locked while joining, so two requests using the same upload join it once, and
    only one of them takes it (:func:`release` gives it back if the creation fails).
    """
    upload = get_upload(upload_id)
    upload = db.session.scalars(
        select(Upload)
        .where(Upload.id == upload.id)
        .with_for_update()
        .execution_options(populate_existing=True)  # another process may have joined it
    ).one()
    if upload.in_use:
        db.session.rollback()
        raise ConflictError(
            f"The upload given as '{field}' ({upload.name}) is already being made into a project "
            "by another request. Wait for that project, or upload the file again."
        )
    if not upload.assembled:
        present = set(received(upload))
        missing = [i for i in range(chunk_count(upload)) if i not in present]
        if missing:
            db.session.rollback()
            raise UploadError(
                f"The upload given as '{field}' ({upload.name}) is not complete: chunks "
                f"{_ranges(missing)} of 0-{chunk_count(upload) - 1} are missing. Send them "
                f"(PUT /api/uploads/{upload.id}/chunks/<index>) and try again."
            )
        storage().finish_parts(data_key(upload.id), upload.storage_handle)
        upload.assembled = True
        upload.updated = utcnow()
    upload.in_use = True
    db.session.commit()
    return upload


def release(upload_ids: list[str]) -> None:
    """Give back uploads this request took, after its creation failed (to try again).

    Called while the creation's own error is on its way to the user: a failure here is logged,
    not raised over it (the upload then stays taken until it expires).
    """
    if not upload_ids:
        return
    try:
        db.session.rollback()
        for upload_id in dict.fromkeys(upload_ids):
            upload = db.session.get(Upload, upload_id)
            if upload is not None:
                upload.in_use = False
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not give back uploads %s", upload_ids)


def discard_used(upload_ids: list[str]) -> None:
    """Remove uploads that became a project (an upload is used once)."""
    for upload_id in dict.fromkeys(upload_ids):
        upload = db.session.get(Upload, upload_id)
        if upload is not None:
            _remove(upload)
