"""Exceptions with user-facing messages; the API turns them into JSON 4xx answers."""

from __future__ import annotations


class DeepCellLabelError(Exception):
    """Base of every error whose message is meant for the user.

    ``status`` is the HTTP status the API answers with.
    """

    status: int = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class InputFormatError(DeepCellLabelError):
    """A file could not be read: unknown format, corrupt data or an uninterpretable shape."""

    status = 400


class TooLargeError(DeepCellLabelError):
    """An upload, download or image exceeds a configured limit."""

    status = 413


class NotFoundError(DeepCellLabelError):
    """A project (or something in it) does not exist."""

    status = 404


class EditError(DeepCellLabelError):
    """An edit cannot be applied: unknown action, bad arguments, a missing cell."""

    status = 400


class GoneError(DeepCellLabelError):
    """Something that existed has been removed for good (e.g. an expired export file)."""

    status = 410


class ConflictError(DeepCellLabelError):
    """The request conflicts with the current state (e.g. nothing to undo)."""

    status = 409


class URLRefusedError(DeepCellLabelError):
    """A URL may not be loaded (scheme, address or size)."""

    status = 400


class StorageError(DeepCellLabelError):
    """Object storage refused an operation that the user asked for (e.g. a bucket not allowed)."""

    status = 400


class LearningError(DeepCellLabelError):
    """Cell types cannot be learnt from what was asked: too few cells or types, a bad source,
    vectors that do not fit the cells."""

    status = 400


class SegmentationError(DeepCellLabelError):
    """A segmentation cannot run on this input: a constant image, a box without cells."""

    status = 400
