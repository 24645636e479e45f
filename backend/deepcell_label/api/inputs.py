"""What a request names: its input files, URLs and uploads, its axes, its JSON body, its annotator."""

from __future__ import annotations

import re
from urllib.parse import unquote

from flask import request

from ..errors import EditError, InputFormatError
from ..services.editing import ANONYMOUS
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


ANNOTATOR_MAX = 64
# Letters and digits of any script, and the punctuation of names, e-mail addresses and the worker
# ids of crowdsourcing platforms. No control characters, quotes or slashes: the name is shown in
# other people's browsers and written into CSV files.
ANNOTATOR_PUNCTUATION = frozenset(" .-_@+'")
ANNOTATOR_RULE = (
    f"1 to {ANNOTATOR_MAX} letters, digits, spaces or . - _ @ + ' "
    "(other scripts percent-encoded as UTF-8, as encodeURIComponent does)"
)


def annotator() -> str:
    """Who sends the request: the `X-Annotator` header, checked; "anonymous" without one.

    Browsers send only Latin-1 in headers, so the name is percent-encoded UTF-8 (plain ASCII
    names need no encoding). Requests without the header (pipelines, old clients) all act as
    the one annotator "anonymous".
    """
    raw = request.headers.get("X-Annotator")
    if raw is None or not raw.strip():
        return ANONYMOUS
    fix = "Choose another name in the app (the name button), or link with ?annotator=<name>."
    try:
        name = unquote(raw.strip(), errors="strict")
    except UnicodeDecodeError:
        raise EditError(
            f"The annotator name in X-Annotator is not percent-encoded UTF-8. {fix}"
        ) from None
    name = name.strip()
    shown = repr(name[:ANNOTATOR_MAX]) + ("…" if len(name) > ANNOTATOR_MAX else "")
    if len(name) > ANNOTATOR_MAX:
        problem = f"{len(name)} characters is too long"
    else:
        wrong = sorted({c for c in name if not (c.isalnum() or c in ANNOTATOR_PUNCTUATION)})
        problem = f"{''.join(wrong)!r} not allowed" if wrong else ""
    if problem:
        raise EditError(
            f"The annotator name {shown} in X-Annotator is refused ({problem}): a name is "
            f"{ANNOTATOR_RULE}. {fix}"
        )
    return name
