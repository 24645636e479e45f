"""The OpenAPI 3 description of the HTTP API, made from the app's own routes, and its HTML page.

Every rule of `app.url_map` is one path: its parameters come from the rule's converters, its summary
and description from the view's docstring, and the operation's details (request body, answers) from
YAML after a `---` line in that docstring (apispec reads it). apispec builds and checks the document;
the small routes-to-paths step is written here because apispec's Flask plugin lives in another
package that this repository does not otherwise need.
"""

from __future__ import annotations

import re
from html import escape

from apispec import APISpec
from apispec.yaml_utils import load_yaml_from_docstring
from flask import Flask

from .. import API_VERSION, __version__

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
CONVERTER_SCHEMAS = {
    "int": {"type": "integer", "minimum": 0},
    "float": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
    "path": {"type": "string"},
    "default": {"type": "string"},
    "string": {"type": "string"},
    "any": {"type": "string"},
}
RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
# Views that are not ours carry no docstring of their own: Flask's static files, the dashboard.
FOREIGN_SUMMARIES = {
    "static": "A file of the server's static folder.",
    "dashboard": "A page of the monitoring dashboard (on only when an operator configures it).",
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "What is wrong and how to fix it."},
        "request_id": {"type": "string"},
    },
    "required": ["error"],
}
JOB_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "kind": {"type": "string", "example": "build"},
        "project": {"type": "string", "nullable": True},
        "state": {"type": "string", "enum": ["queued", "running", "done", "failed", "cancelled"]},
        "progress": {"type": "number", "minimum": 0, "maximum": 1},
        "message": {"type": "string"},
        "result": {"type": "object", "nullable": True},
        "error": {"type": "string", "nullable": True},
        "error_status": {"type": "integer", "nullable": True},
    },
}
UPLOAD_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "size": {"type": "integer"},
        "chunk_size": {"type": "integer"},
        "chunks": {"type": "integer"},
        "received": {"type": "array", "items": {"type": "integer"}},
        "complete": {"type": "boolean"},
    },
}


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    """A werkzeug rule as an OpenAPI path template and its path parameters.

    Parameters
    ----------
    rule : str
        A rule such as ``/api/projects/<project_id>/raw/<int:frame>``.

    Returns
    -------
    tuple of (str, list of dict)
        ``/api/projects/{project_id}/raw/{frame}`` and one parameter object per argument.
    """
    parameters = []
    for match in RULE_ARGUMENT.finditer(rule):
        converter = match.group("converter") or "default"
        parameters.append(
            {
                "name": match.group("name"),
                "in": "path",
                "required": True,
                "schema": dict(CONVERTER_SCHEMAS.get(converter, {"type": "string"})),
            }
        )
    return RULE_ARGUMENT.sub(lambda match: "{" + match.group("name") + "}", rule), parameters


def docstring_parts(doc: str | None) -> tuple[str, str, dict]:
    """A view's docstring as (summary, description, YAML details after `---`)."""
    text = (doc or "").split("\n---", 1)[0].strip()
    summary, _, rest = "\n".join(line.strip() for line in text.splitlines()).partition("\n\n")
    details = load_yaml_from_docstring(doc or "") or {}
    return " ".join(summary.split()), " ".join(rest.split()), details


def operation(view, endpoint: str, method: str, parameters: list[dict], tag: str) -> dict:
    summary, description, details = docstring_parts(view.__doc__)
    summary = summary or FOREIGN_SUMMARIES.get(endpoint.split(".", 1)[0], "")
    # A view serving several methods may give details per method (`get:`, `post:`).
    if any(key in HTTP_METHODS for key in details):
        details = details.get(method, {})
    answer: dict = {"tags": [tag], "operationId": f"{endpoint}.{method}"}
    if summary:
        answer["summary"] = summary
    if description:
        answer["description"] = description
    if parameters or details.get("parameters"):
        answer["parameters"] = parameters + details.get("parameters", [])
    if "requestBody" in details:
        answer["requestBody"] = details["requestBody"]
    responses = {str(code): value for code, value in details.get("responses", {}).items()}
    if not any(code.startswith("2") or code.startswith("3") for code in responses):
        responses["200"] = {"description": "Done."}
    responses.setdefault("default", {"$ref": "#/components/responses/Error"})
    answer["responses"] = responses
    if details.get("deprecated"):
        answer["deprecated"] = True
    # The right the route declares with @rule (api/access.py): public routes need no identity.
    right = getattr(view, "access_rule", None)
    if right is not None:
        answer["x-access-right"] = right
        answer["security"] = [] if right == "public" else [{"token": []}, {"session": []}]
    return answer


def json_answer(description: str, schema: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def describe(app: Flask) -> dict:
    """The OpenAPI 3 document of every route of `app`."""
    spec = APISpec(
        title="DeepCell Label",
        version=API_VERSION,
        openapi_version="3.0.3",
        info={
            "description": "Label single cells in microscopy images. Errors are JSON "
            '`{"error": "..."}` with a 4xx status for a request to fix, 5xx for a fault of the '
            f"server. Server version {__version__}.",
        },
    )
    spec.components.schema("Error", ERROR_SCHEMA)
    spec.components.security_scheme(
        "token", {"type": "http", "scheme": "bearer", "description": "An API token."}
    )
    spec.components.security_scheme(
        "session",
        {
            "type": "apiKey",
            "in": "cookie",
            "name": "session",
            "description": "The browser's session cookie; requests that change something also "
            "send its CSRF token in X-CSRF-Token.",
        },
    )
    for name, schema in (("Job", JOB_SCHEMA), ("Upload", UPLOAD_SCHEMA)):
        spec.components.schema(name, schema)
        spec.components.response(name, json_answer(f"The {name.lower()}.", name))
    spec.components.response(
        "Pixels",
        {
            "description": "Deflated little-endian pixels, C order; `X-Shape` (`height,width`) "
            "and `X-Dtype` (numpy name) say how to read them; labels also carry `X-Version`.",
            "content": {"application/octet-stream": {}},
        },
    )
    spec.components.response(
        "Error", json_answer("Refused or failed: the message says why and what to do.", "Error")
    )
    paths: dict[str, dict] = {}
    seen: set[str] = set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        path, parameters = openapi_path(rule.rule)
        view = app.view_functions[rule.endpoint]
        tag = rule.endpoint.split(".", 1)[0] if "." in rule.endpoint else "app"
        methods = sorted(method.lower() for method in rule.methods or ())
        operations = paths.setdefault(path, {})
        for method in methods:
            if method in HTTP_METHODS:
                item = operation(view, rule.endpoint, method, parameters, tag)
                # One view may serve several rules (the app's pages): name each operation once.
                while item["operationId"] in seen:
                    item["operationId"] += "_"
                seen.add(item["operationId"])
                operations[method] = item
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def answer_text(document: dict, answer: dict) -> str:
    """An answer's description, looked up when it refers to a shared one."""
    if "$ref" in answer:
        answer = document["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    return answer.get("description", "")


def docs_page(document: dict) -> str:
    """A self-contained HTML page listing every operation of `document` (no script, no CDN)."""
    sections: dict[str, list[str]] = {}
    for path, operations in document["paths"].items():
        for method, item in operations.items():
            parameters = "".join(
                f"<li><code>{escape(p['name'])}</code> ({escape(p['in'])}, "
                f"{escape(str(p.get('schema', {}).get('type', '')))})"
                f"{' — ' + escape(p['description']) if p.get('description') else ''}</li>"
                for p in item.get("parameters", [])
            )
            body = item.get("requestBody", {}).get("content", {})
            answers = "".join(
                f"<li><code>{escape(code)}</code> {escape(answer_text(document, value))}</li>"
                for code, value in item["responses"].items()
            )
            sections.setdefault(item["tags"][0], []).append(
                f'<section id="{escape(item["operationId"])}"><h3><span class="m {method}">'
                f"{method.upper()}</span> <code>{escape(path)}</code></h3>"
                f"<p>{escape(item.get('summary', ''))}</p>"
                + (
                    f"<p>Right needed: <b>{escape(item['x-access-right'])}</b></p>"
                    if "x-access-right" in item
                    else ""
                )
                + (f"<p>{escape(item['description'])}</p>" if item.get("description") else "")
                + (f"<h4>Parameters</h4><ul>{parameters}</ul>" if parameters else "")
                + (
                    f"<h4>Body</h4><p>{escape(', '.join(body))}</p>"
                    + "".join(
                        f"<pre>{escape(str(media.get('schema', '')))}</pre>"
                        for media in body.values()
                    )
                    if body
                    else ""
                )
                + f"<h4>Answers</h4><ul>{answers}</ul></section>"
            )
    contents = "".join(
        f'<li><a href="#tag-{escape(tag)}">{escape(tag)}</a></li>' for tag in sorted(sections)
    )
    body = "".join(
        f'<h2 id="tag-{escape(tag)}">{escape(tag)}</h2>{"".join(items)}'
        for tag, items in sorted(sections.items())
    )
    info = document["info"]
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(info['title'])} API {escape(info['version'])}</title>"
        "<style>body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:2rem auto;"
        "padding:0 1rem}section{border-top:1px solid #ddd;padding:.3rem 0}h3{font-size:1rem}"
        "h4{font-size:.85rem;margin:.4rem 0}.m{display:inline-block;min-width:4rem;color:#fff;"
        "border-radius:3px;text-align:center;background:#555}.get{background:#2a7}"
        ".post{background:#27c}.put{background:#c82}.delete{background:#c33}"
        "pre{background:#f5f5f5;padding:.4rem;white-space:pre-wrap}</style></head><body>"
        f"<h1>{escape(info['title'])} API {escape(info['version'])}</h1>"
        f"<p>{escape(info.get('description', ''))}</p>"
        '<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3).</p>'
        f"<ul>{contents}</ul>{body}</body></html>"
    )
