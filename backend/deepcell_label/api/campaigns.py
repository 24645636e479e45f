"""Campaign routes: campaigns and members, images, tasks and their review, agreement and the
dashboard, comments on projects, crowd links."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..errors import EditError
from ..services.campaigns import (
    comments,
    consensus,
    dataset,
    images,
    links,
    manage,
    presegment,
    quality,
    tasks,
)
from ..services.sources import InputRequest
from .access import annotator, check_csrf, rule, signed_in_or_none
from .auth import sign_in
from .inputs import json_body

campaigns = Blueprint("campaigns", __name__, url_prefix="/api")


def caller() -> str:
    """Who sends the request (the name every campaign role and task is kept under)."""
    return annotator()


# ---------------------------------------------------------------- campaigns and members


@campaigns.post("/campaigns")
@rule("signed_in")
def create():
    """Start a campaign (JSON `{name, instructions, replicas, review_share, lease_minutes, agreement_threshold}`); the caller manages it."""
    return jsonify(manage.create(json_body(), caller())), 201


@campaigns.get("/campaigns")
@rule("signed_in", guests=True)
def list_campaigns():
    """The campaigns the caller is a member of."""
    return jsonify({"campaigns": manage.list_campaigns(caller())})


@campaigns.get("/campaigns/<campaign_id>")
@rule("signed_in", guests=True)
def campaign(campaign_id: str):
    """A campaign's settings and its tasks counted per state (members only)."""
    return jsonify(manage.campaign(campaign_id, caller()))


@campaigns.patch("/campaigns/<campaign_id>")
@rule("signed_in", guests=True)
def update(campaign_id: str):
    """Change a campaign's settings (managers)."""
    return jsonify(manage.update(campaign_id, json_body(), caller()))


@campaigns.get("/campaigns/<campaign_id>/members")
@rule("signed_in", guests=True)
def members(campaign_id: str):
    """A campaign's members and their roles."""
    return jsonify({"members": manage.members(campaign_id, caller())})


@campaigns.post("/campaigns/<campaign_id>/members")
@rule("signed_in", guests=True)
def add_member(campaign_id: str):
    """Add a member `{username, role: manager|reviewer|annotator}` (managers)."""
    return jsonify(manage.add_member(campaign_id, json_body(), caller())), 201


@campaigns.delete("/campaigns/<campaign_id>/members/<username>")
@rule("signed_in", guests=True)
def remove_member(campaign_id: str, username: str):
    """Remove a member; the tasks they hold return to the pool (managers)."""
    return jsonify(manage.remove_member(campaign_id, username, caller()))


# ---------------------------------------------------------------- images


@campaigns.post("/campaigns/<campaign_id>/images")
@rule("signed_in", guests=True)
def add_images(campaign_id: str):
    """Add images (repeated `images` files, zips, `images_url` lines or upload ids; `labels` matched by file-name stem; `gold`) as a job (managers)."""
    files = [
        InputRequest("images", stream=f.stream, filename=f.filename or "")
        for f in request.files.getlist("images")
    ]
    lines = [
        line.strip()
        for text in request.form.getlist("images_url")
        for line in text.splitlines()
        if line.strip()
    ]
    uploads = [u.strip() for u in request.form.getlist("images_upload") if u.strip()]
    labels = [
        InputRequest("labels", stream=f.stream, filename=f.filename or "")
        for f in request.files.getlist("labels")
    ]
    gold = (request.form.get("gold") or "").strip().lower()
    if gold not in ("", "true", "false", "1", "0"):
        raise EditError(f"'gold' must be true or false, not {gold!r}.")
    job = images.add_images(
        campaign_id,
        images.ImageRequest(
            images=files
            + [InputRequest("images_url", url=url) for url in lines]
            + [InputRequest("images_upload", upload_id=u) for u in uploads],
            labels=labels,
            gold=gold in ("true", "1"),
        ),
        caller(),
    )
    return jsonify({"job": job}), 202


@campaigns.get("/campaigns/<campaign_id>/images")
@rule("signed_in", guests=True)
def list_images(campaign_id: str):
    """A campaign's images with their tasks (reviewers and managers)."""
    return jsonify({"images": images.list_images(campaign_id, caller())})


# ---------------------------------------------------------------- tasks


@campaigns.post("/campaigns/<campaign_id>/next")
@rule("signed_in", guests=True)
def next_task(campaign_id: str):
    """The caller's next task: one they hold, else the next new one; 202 with `Retry-After` while the tasks left for the caller are still being built; 204 when nothing is left."""
    found = tasks.next_task(campaign_id, caller())
    if found is None:
        return Response(status=204)
    if "preparing" in found:
        response = jsonify(
            {
                "status": "preparing",
                "preparing": found["preparing"],
                "retry_after": tasks.RETRY_SECONDS,
                "message": f"{found['preparing']} task(s) for you are still being prepared; "
                f"ask again in {tasks.RETRY_SECONDS} seconds.",
            }
        )
        response.status_code = 202
        response.headers["Retry-After"] = str(tasks.RETRY_SECONDS)
        return response
    return jsonify(found)


@campaigns.get("/campaigns/<campaign_id>/tasks")
@rule("signed_in", guests=True)
def list_tasks(campaign_id: str):
    """A campaign's tasks, filtered by `?state=` and `?annotator=` (reviewers and managers)."""
    return jsonify(
        {
            "tasks": tasks.list_tasks(
                campaign_id, caller(), request.args.get("state"), request.args.get("annotator")
            )
        }
    )


@campaigns.get("/tasks/<int:task_id>")
@rule("signed_in", guests=True)
def task(task_id: int):
    """One task: its image, replica, project, state, people and history."""
    return jsonify(tasks.task(task_id, caller()))


@campaigns.post("/tasks/<int:task_id>/submit")
@rule("signed_in", guests=True)
def submit(task_id: int):
    """Submit a task the caller holds."""
    return jsonify(tasks.submit(task_id, caller()))


@campaigns.post("/tasks/<int:task_id>/release")
@rule("signed_in", guests=True)
def release(task_id: int):
    """Give a held task back to the pool."""
    return jsonify(tasks.release(task_id, caller()))


@campaigns.post("/tasks/<int:task_id>/review")
@rule("signed_in", guests=True)
def review(task_id: int):
    """Accept or reject a submitted task (`{decision, comment}`; a rejection needs a comment)."""
    return jsonify(tasks.review(task_id, json_body(), caller()))


@campaigns.post("/tasks/<int:task_id>/assign")
@rule("signed_in", guests=True)
def assign(task_id: int):
    """Give a task to a member `{username}` (managers)."""
    return jsonify(tasks.assign(task_id, json_body(), caller()))


# ---------------------------------------------------------------- quality


@campaigns.get("/campaigns/<campaign_id>/agreement")
@rule("signed_in", guests=True)
def agreement(campaign_id: str):
    """Agreement per image and per annotator (F1, mean IoU, missed, extra, merges, splits; gold scores)."""
    return jsonify(quality.agreement_report(campaign_id, caller()))


@campaigns.get("/campaigns/<campaign_id>/stats")
@rule("signed_in", guests=True)
def stats(campaign_id: str):
    """The dashboard's figures (`?format=csv` for a table)."""
    if request.args.get("format") == "csv":
        response = Response(quality.stats_csv(campaign_id, caller()), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="campaign-stats.csv"'
        return response
    return jsonify(quality.stats(campaign_id, caller()))


@campaigns.get("/projects/<project_id>/disagreement")
@rule("signed_in", guests=True)
def disagreement(project_id: str):
    """The cells of a replica's project that disagree with the image's other replicas (`?with=` comma-separated projects of the replicas to compare with, all others when left out; `&frame=`, `&feature=` the frame and feature compared, 0 when left out): against each, its cells with no match at IoU ≥ 0.5 and its cells merging two of the other's (reviewers and managers)."""
    others = request.args.get("with")
    chosen = None if others is None else [p.strip() for p in others.split(",") if p.strip()]
    return jsonify(
        quality.disagreement(
            project_id,
            chosen,
            caller(),
            request.args.get("frame"),
            request.args.get("feature"),
        )
    )


@campaigns.post("/campaigns/<campaign_id>/images/<int:image_id>/consensus")
@rule("signed_in", guests=True)
def make_consensus(campaign_id: str, image_id: int):
    """Make an image's consensus of its replicas as a task to review (managers)."""
    return jsonify(consensus.make_consensus(campaign_id, image_id, caller())), 201


@campaigns.post("/campaigns/<campaign_id>/exports")
@rule("signed_in", guests=True)
def export_dataset(campaign_id: str):
    """Export the accepted labels as a training set (`{format: npz|zarr, split, seed}`), as a job (managers)."""
    return jsonify({"job": dataset.start_export(campaign_id, json_body(), caller())}), 202


@campaigns.post("/campaigns/<campaign_id>/presegment")
@rule("signed_in")
def presegment_images(campaign_id: str):
    """Pre-segment the images nobody has started, learning from the accepted ones, as a job (managers)."""
    return jsonify({"job": presegment.start(campaign_id, caller())}), 202


# ---------------------------------------------------------------- comments


@campaigns.post("/projects/<project_id>/comments")
@rule("annotate")
def add_comment(project_id: str):
    """Pin a comment to a point of a frame (`{frame, x, y, text}`)."""
    return jsonify(comments.add_comment(project_id, json_body(), caller())), 201


@campaigns.get("/projects/<project_id>/comments")
@rule("view")
def list_comments(project_id: str):
    """A project's comments."""
    return jsonify({"comments": comments.list_comments(project_id)})


@campaigns.patch("/projects/<project_id>/comments/<int:comment_id>")
@rule("annotate")
def resolve_comment(project_id: str, comment_id: int):
    """Mark a comment resolved (or open again)."""
    return jsonify(comments.resolve_comment(project_id, comment_id, json_body(), caller()))


# ---------------------------------------------------------------- crowd links


@campaigns.post("/campaigns/<campaign_id>/links")
@rule("signed_in", guests=True)
def create_link(campaign_id: str):
    """A crowd link `{expires_in_hours, max_uses}` that makes its openers annotators of this campaign (managers)."""
    return jsonify(links.create_link(campaign_id, json_body(), caller())), 201


@campaigns.post("/crowd/<token>")
@rule("public")
def open_link(token: str):
    """Open a crowd link (`?worker=` the platform's id): a signed-in caller joins the campaign as an annotator; anyone else becomes a guest annotator of that campaign only, signed in by the session cookie of the answer (`201`, with its `csrf_token`)."""
    signed_in = signed_in_or_none()
    if signed_in is not None and signed_in.via == "cookie":
        check_csrf()
    joined, guest = links.open_link(token, request.args.get("worker", ""), signed_in)
    if guest is None:
        return jsonify(joined)
    return jsonify({**joined, "csrf_token": sign_in(guest)["csrf_token"]}), 201


@campaigns.get("/campaigns/<campaign_id>/completion/<code>")
@rule("signed_in", guests=True)
def check_code(campaign_id: str, code: str):
    """Check a completion code a crowd worker reports (managers)."""
    return jsonify(links.check_code(campaign_id, code, caller()))
