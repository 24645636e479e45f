"""The exceptions the client raises: each carries the server's own words and the HTTP status."""

from __future__ import annotations


class DeepCellLabelError(Exception):
    """A request the server refused or could not do; `message` is the server's explanation."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message if status is None else f"{message} (HTTP {status})")
        self.message = message
        self.status = status


class BadRequestError(DeepCellLabelError):
    """The server refused what was sent (a file it cannot read, wrong axes, too large): 400, 413, 422."""


class AuthenticationError(DeepCellLabelError):
    """No token, or one the server does not accept (401)."""


class PermissionDeniedError(DeepCellLabelError):
    """The token is good but lacks the right for this project or action (403)."""


class NotFoundError(DeepCellLabelError):
    """No such project, upload or job (404)."""


class ConflictError(DeepCellLabelError):
    """Not now: the project is still being built, an upload is in use (409)."""


class ServerError(DeepCellLabelError):
    """A fault of the server (5xx); the message carries its request id to report."""


class JobFailedError(DeepCellLabelError):
    """A job (a build, an export, linking) failed or was cancelled; `job` is its description."""

    def __init__(self, message: str, status: int | None = None, job: dict | None = None) -> None:
        super().__init__(message, status)
        self.job = job or {}


class IncompatibleServerError(DeepCellLabelError):
    """The server speaks an API version this client does not understand."""


class ConnectionFailedError(DeepCellLabelError):
    """The server could not be reached (or the connection kept dropping)."""


BY_STATUS: dict[int, type[DeepCellLabelError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: NotFoundError,
    413: BadRequestError,
    422: BadRequestError,
}


def error_class(status: int) -> type[DeepCellLabelError]:
    """The exception for an HTTP status."""
    if status >= 500:
        return ServerError
    return BY_STATUS.get(status, DeepCellLabelError)
