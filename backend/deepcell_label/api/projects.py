"""The product's own project routes: create, describe, pixel data, export and submit."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, send_file

from ..errors import InputFormatError
from ..services import access, deleting, export_jobs, exporting, measurements, pixels
from ..services import projects as service
from .access import annotator, current_identity, rule
from .inputs import axes_field, source

projects = Blueprint("projects", __name__, url_prefix="/api/projects")

IMMUTABLE = "public, max-age=31536000, immutable"


@projects.post("")
@rule("signed_in", uploads=("images_upload", "labels_upload"))
def create():
    """Create a project from a file, a finished chunked upload or a URL, built by a job.

    Answers 201 when built within `CREATE_WAIT_SECONDS`, 202 while the build goes on (follow `job`).
    ---
    requestBody:
      required: true
      content:
        multipart/form-data:
          schema:
            type: object
            properties:
              images: {type: string, format: binary}
              images_upload: {type: string, description: id of a finished chunked upload}
              images_url: {type: string}
              labels: {type: string, format: binary}
              labels_upload: {type: string}
              labels_url: {type: string}
              axes: {type: string, example: TYXC}
              labels_axes: {type: string}
              name: {type: string}
    responses:
      201:
        description: Built; the project's metadata with `job`.
      202:
        description: Building; the project's metadata with `job`.
    """
    project, job = service.create_project(
        source("images", ("images_url",), True, "images_upload"),
        source("labels", ("labels_url",), False, "labels_upload"),
        axes_field("axes"),
        axes_field("labels_axes"),
        (request.form.get("name") or "").strip() or None,
        annotator(),
        current_identity().user_id,
    )
    answer = {**service.metadata(project), "job": job}
    return jsonify(answer), 201 if project.status == "ready" else 202


@projects.get("/<project_id>")
@rule("view")
def describe(project_id: str):
    """A project's metadata: shape, dtype, cells, divisions, cell types, status, and the caller's role.
    ---
    responses:
      200:
        description: The metadata (docs/API.md), with the caller's `role` on the project.
        content:
          application/json:
            schema:
              type: object
              required: [id, role]
              properties:
                id: {type: string}
                role:
                  type: string
                  enum: [viewer, annotator, reviewer, owner, admin]
                  description: "What the caller may do here: viewer looks and exports; annotator
                    also edits, learns, links and segments; reviewer also reviews; owner also
                    shares, renames channels and deletes; admin is a site admin (everything)."
              additionalProperties: true
    """
    role = access.role_on(current_identity(), project_id)
    return jsonify({**service.metadata(service.get_project(project_id), annotator()), "role": role})


@projects.delete("/<project_id>")
@rule("own")
def remove(project_id: str):
    """Delete a project (its owner, or a site admin): its labels, history, members, links and files.

    From then on it answers 404 to everyone. A campaign's task answers 409: the campaign owns it.
    ---
    responses:
      204: {description: Deleted.}
    """
    deleting.delete_project(project_id)
    return Response(status=204)


def ready_project(project_id: str):
    """The project, or 409 while it is being built (and after its build failed)."""
    return service.ready_project(project_id)


@projects.get("/<project_id>/spots")
@rule("view")
def spots(project_id: str):
    """The project's spots table."""
    return jsonify(service.spots(ready_project(project_id)))


def pixels_response(
    deflated: bytes, shape: tuple[int, int], dtype: str, cache: str, etag: str | None = None
):
    if etag is not None and request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(deflated, mimetype="application/octet-stream")
        response.headers["Content-Encoding"] = "deflate"
    response.headers["X-Shape"] = f"{shape[0]},{shape[1]}"
    response.headers["X-Dtype"] = dtype
    response.headers["Cache-Control"] = cache
    if etag is not None:
        response.set_etag(etag)
        response.headers["X-Version"] = etag
    return response


@projects.get("/<project_id>/raw/<int:frame>/<int:channel>")
@rule("view")
def raw_frame(project_id: str, frame: int, channel: int):
    """One channel of one raw frame: deflated little-endian pixels, shape and dtype in `X-Shape` and `X-Dtype`.
    ---
    responses: {200: {$ref: '#/components/responses/Pixels'}}
    """
    project = ready_project(project_id)
    data, shape = pixels.raw_frame_deflated(project, frame, channel)
    return pixels_response(data, shape, project.dtype, IMMUTABLE)


@projects.get("/<project_id>/raw/<int:frame>/<int:channel>/tiles/<int:tile_y>/<int:tile_x>")
@rule("view")
def raw_tile(project_id: str, frame: int, channel: int, tile_y: int, tile_x: int):
    """One raw tile (`tile_size`, cut at the image edge): deflated pixels with `X-Shape`, `X-Dtype`.
    ---
    responses: {200: {$ref: '#/components/responses/Pixels'}}
    """
    project = ready_project(project_id)
    data, shape = pixels.raw_tile(project, frame, channel, tile_y, tile_x)
    return pixels_response(data, shape, project.dtype, IMMUTABLE)


@projects.get("/<project_id>/labels/<int:feature>/<int:frame>")
@rule("view")
def label_frame(project_id: str, feature: int, frame: int):
    """One whole label frame, int32: deflated pixels with `X-Shape`, `X-Dtype`, `X-Version`.
    ---
    responses:
      200: {$ref: '#/components/responses/Pixels'}
      304: {description: "Unchanged since the If-None-Match version."}
    """
    project = ready_project(project_id)
    pixels.check_labels(project, feature, frame)
    etag = str(project.version)
    if request.if_none_match.contains(etag):  # unchanged: answer 304 without reading
        data, shape = b"", (project.height, project.width)
    else:
        data, shape = pixels.label_frame(project, feature, frame)
    return pixels_response(data, shape, "int32", "no-cache", etag)


@projects.get("/<project_id>/labels/<int:feature>/<int:frame>/tiles/<int:tile_y>/<int:tile_x>")
@rule("view")
def label_tile(project_id: str, feature: int, frame: int, tile_y: int, tile_x: int):
    """One label tile (`label_tile_size`), int32, with `X-Shape`, `X-Dtype`, `X-Version`.
    ---
    responses: {200: {$ref: '#/components/responses/Pixels'}}
    """
    project = ready_project(project_id)
    data, shape, version = pixels.label_tile(project, feature, frame, tile_y, tile_x)
    return pixels_response(data, shape, "int32", "no-cache", str(version))


@projects.get(
    "/<project_id>/raw/<int:frame>/<int:channel>/levels/<int:level>/tiles/<int:tile_y>/<int:tile_x>"
)
@rule("view")
def raw_level_tile(project_id: str, frame: int, channel: int, level: int, tile_y: int, tile_x: int):
    """One raw view tile (512²) of a pyramid level.
    ---
    responses: {200: {$ref: '#/components/responses/Pixels'}}
    """
    project = ready_project(project_id)
    data, shape = pixels.raw_level_tile(project, frame, channel, level, tile_y, tile_x)
    return pixels_response(data, shape, project.dtype, IMMUTABLE)


@projects.get(
    "/<project_id>/labels/<int:feature>/<int:frame>/levels/<int:level>/tiles/<int:tile_y>/<int:tile_x>"
)
@rule("view")
def label_level_tile(
    project_id: str, feature: int, frame: int, level: int, tile_y: int, tile_x: int
):
    """One label view tile (512²) of a pyramid level, int32.
    ---
    responses:
      200: {$ref: '#/components/responses/Pixels'}
      304: {description: "Unchanged since the If-None-Match version."}
    """
    project = ready_project(project_id)
    shape, version, read = pixels.label_level_tile(project, feature, frame, level, tile_y, tile_x)
    etag = str(version)
    data = b"" if request.if_none_match.contains(etag) else read()
    return pixels_response(data, shape, "int32", "no-cache", etag)


def download_response(project, kind: str):
    """A small project's export, written in the request (a large one answers 413 saying how to
    export it as a job)."""
    fileobj, filename, content_type = exporting.export(export_jobs.check_small(project), kind)
    # send_file streams the temporary file and closes (so removes) it after the response.
    response = send_file(fileobj, mimetype=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_format() -> str:
    body = request.get_json(silent=True) or {}
    kind = body.get("format", "zip") if isinstance(body, dict) else "zip"
    return kind if isinstance(kind, str) else ""


@projects.get("/<project_id>/export")
@rule("view")
def export(project_id: str):
    """Download a small project's export (`?format=zip|npz|ctc|trk|ome-zarr`); a large one answers 413 (use `exports`).
    ---
    parameters:
      - {name: format, in: query, schema: {type: string, enum: [zip, npz, ctc, trk, ome-zarr], default: zip}}
    responses:
      200:
        description: The file.
        content:
          application/octet-stream: {}
    """
    return download_response(ready_project(project_id), request.args.get("format", "zip"))


@projects.post("/<project_id>/exports")
@rule("view")
def start_export(project_id: str):
    """Start an export job for a project of any size (JSON `{format}`); download it from the job.
    ---
    requestBody:
      content:
        application/json:
          schema:
            type: object
            properties:
              format: {type: string, enum: [zip, npz, ctc, trk, ome-zarr], default: zip}
    responses: {202: {$ref: '#/components/responses/Job'}}
    """
    return jsonify(export_jobs.start_export(project_id, export_format(), annotator())), 202


@projects.post("/<project_id>/submit")
@rule("annotate")
def submit(project_id: str):
    """Write the export to the configured output bucket (a job for a large project or with `Prefer: respond-async`).
    ---
    responses:
      200:
        description: Written; `{bucket, key, bytes}`.
      202:
        description: The submit job.
    """
    # `Prefer: respond-async` (RFC 7240) asks for the job even for a small project.
    as_job = "respond-async" in request.headers.get("Prefer", "").lower()
    is_job, answer = export_jobs.submit(project_id, export_format(), annotator(), as_job)
    return jsonify(answer), 202 if is_job else 200


@projects.get("/<project_id>/expression")
@rule("view")
def expression(project_id: str):
    """Per-cell area, mean and total intensity (`?feature=`, `&frame=<t>|all`, `&format=csv`)."""
    project = ready_project(project_id)
    feature = request.args.get("feature", "0")
    frame = request.args.get("frame", "all")
    if (
        not feature.isdigit()
        or len(feature) > 6
        or not (frame == "all" or (frame.isdigit() and len(frame) < 7))
    ):
        raise InputFormatError("Use ?feature=<n>&frame=<t> or &frame=all.")
    table = measurements.expression(project, int(feature), None if frame == "all" else int(frame))
    if request.args.get("format") == "csv":
        response = Response(measurements.expression_csv(table), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="{project.id}-cells.csv"'
        return response
    return jsonify(table)
