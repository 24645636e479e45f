"""What a request names: its input files, URLs and uploads, its axes, its JSON body, its author."""

from __future__ import annotations

import re

from flask import request

from ..errors import EditError, InputFormatError
from ..services.projects import InputRequest

AXES_PATTERN = re.compile(r"^[TZCYXSQI]{2,6}$")


def axes_field(name: str) -> str | None:
    value = (request.form.get(name) or "").strip().upper()
    if not value:
        return None
    if not AXES_PATTERN.fullmatch(value) or len(set(value)) != len(value):
        raise InputFormatError(
            f"'{name}' must be 2 to 6 distinct letters from T, Z, C, Y, X (e.g. 'TYXC' or 'ZYX'), "
            f"not {value[:40]!r}."
        )
    return value


def source(
    file_field: str,
    url_fields: tuple[str, ...],
    required: bool,
    upload_field: str | None = None,
) -> InputRequest | None:
    """The input named by a file field, a finished chunked upload's id or one of the URL fields."""
    upload = request.files.get(file_field)
    if upload is not None and upload.filename is not None:
        return InputRequest(file_field, stream=upload.stream, filename=upload.filename)
    if file_field not in url_fields and request.form.get(file_field):
        hint = f"; to give a URL, send it as '{url_fields[0]}'" if url_fields else ""
        raise InputFormatError(f"'{file_field}' must be a file, not a text field{hint}.")
    upload_id = (request.form.get(upload_field) or "").strip() if upload_field else ""
    if upload_id:
        return InputRequest(upload_field, upload_id=upload_id)
    for field in url_fields:
        url = request.form.get(field)
        if url:
            return InputRequest(field, url=url)
    if required:
        names = " or ".join(
            [
                f"a file '{file_field}'",
                *([f"an upload id '{upload_field}'"] if upload_field else []),
                *[f"a URL '{f}'" for f in url_fields],
            ]
        )
        raise InputFormatError(f"Send {names} with the request (multipart/form-data).")
    return None


def json_body() -> dict:
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        raise EditError("The JSON body is nested too deeply. Send a flat JSON object.") from None
    if body is None and request.get_data():
        raise EditError(
            "The request body is not valid JSON. Send a JSON object (Content-Type: application/json)."
        )
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise EditError("Send a JSON object.")
    return body
