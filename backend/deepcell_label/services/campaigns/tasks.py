"""Tasks: who gets which next, submitting, releasing, reviewing and assigning them, and leases
that run out.

No task is ever given to two people: on MySQL/MariaDB the candidate rows are read with
``SELECT … FOR UPDATE SKIP LOCKED`` (two callers at once take different tasks, neither waits);
on SQLite the caller first takes the database's write lock, so callers take turns.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from ...errors import ConflictError, EditError, NotFoundError
from ...store.campaigns import (
    TASK_STATES,
    Campaign,
    CampaignImage,
    CampaignMember,
    Task,
    TaskEvent,
)
from ...store.models import Edit, Project, db, utcnow
from .events import transition
from .manage import get_campaign, require_role, role_of
from .quality import settle

CANDIDATES = 64  # tasks a caller may take, read at once; others may be taking some of them
# When tasks are still being built, how long a caller is asked to wait before asking again.
RETRY_SECONDS = 5


def describe(task: Task, for_annotator: bool = False) -> dict:
    """A task as the API shows it; an annotator is never told a task is gold."""
    image = task.image_name if hasattr(task, "image_name") else _image_name(task)
    described = {
        "id": task.id,
        "campaign": task.campaign_id,
        "image": image,
        "replica": task.replica,
        "project": task.project_id,
        "state": task.state,
        "annotator": task.annotator,
        "reviewer": task.reviewer,
        "agreement": task.agreement,
    }
    if not for_annotator:
        described["gold"] = task.gold
        described["gold_f1"] = task.gold_f1
    if task.completion_code:
        described["completion_code"] = task.completion_code
    return described


def _image_name(task: Task) -> str:
    return db.session.get(CampaignImage, task.image_id).name


def get_task(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFoundError(f"There is no task {task_id}.")
    return task


def _mysql() -> bool:
    return db.engine.dialect.name in ("mysql", "mariadb")


def _lease(campaign: Campaign) -> timedelta:
    return timedelta(minutes=campaign.lease_minutes)


def expire_leases(campaign: Campaign) -> list[int]:
    """Return to `new` the tasks of `campaign` with no edit for `lease_minutes`."""
    cutoff = utcnow() - _lease(campaign)
    expired = []
    for task in db.session.scalars(
        select(Task)
        .where(Task.campaign_id == campaign.id, Task.state == "in_progress", Task.leased < cutoff)
        .with_for_update(skip_locked=_mysql())
    ).all():
        last_edit = db.session.scalar(
            select(func.max(Edit.created)).where(Edit.project_id == task.project_id)
        )
        if last_edit is not None and last_edit >= cutoff:
            task.leased = last_edit
            continue
        transition(task, "new", "lease", f"no edit for {campaign.lease_minutes:g} minutes")
        task.annotator = None
        task.leased = None
        expired.append(task.id)
    db.session.commit()
    return expired


def expire_all_leases() -> dict:
    """The periodic sweep: every campaign's leases that ran out."""
    expired = []
    for campaign in db.session.scalars(select(Campaign)).all():
        expired += expire_leases(campaign)
    return {"expired": expired}


def _take_write_lock(campaign_id: str) -> None:
    if not _mysql():
        # SQLite: a write first, so this transaction holds the lock until it commits.
        db.session.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(id=Campaign.id)
        )


def _wants_gold(campaign_id: str, gold_rate: float, username: str) -> bool:
    """Whether the caller's next task should be gold: gold_rate of the tasks they were given."""
    if gold_rate <= 0:
        return False
    rows = db.session.execute(
        select(Task.gold, func.count())
        .where(Task.campaign_id == campaign_id, Task.annotator == username)
        .group_by(Task.gold)
    ).all()
    given = dict(rows)
    total = given.get(True, 0) + given.get(False, 0)
    return given.get(True, 0) < (total + 1) * gold_rate


def next_task(campaign_id: str, username: str) -> dict | None:
    """The caller's next task: one they hold (in progress or rejected back to them), else the
    lowest new task of an image they have not had, gold mixed in.

    Answers `{task, project, instructions}`; `{"preparing": n}` when nothing is ready for the
    caller yet but `n` tasks they could have are still being built; None when nothing is left.
    A few short statements (the campaign, the caller's role and whether any lease ran out are
    one), the rows read without locks except the one task taken.
    """
    oldest_lease = (
        select(func.min(Task.leased))
        .where(Task.campaign_id == campaign_id, Task.state == "in_progress")
        .scalar_subquery()
    )
    found = db.session.execute(
        select(
            Campaign.instructions,
            Campaign.lease_minutes,
            Campaign.gold_rate,
            oldest_lease.label("oldest_lease"),
        )
        .join(CampaignMember, CampaignMember.campaign_id == Campaign.id)
        .where(Campaign.id == campaign_id, CampaignMember.username == username)
    ).first()
    if found is None:
        raise NotFoundError(f"There is no campaign {campaign_id!r}.")
    cutoff = utcnow() - timedelta(minutes=found.lease_minutes)
    if found.oldest_lease is not None and found.oldest_lease < cutoff:
        expire_leases(get_campaign(campaign_id))
    try:
        _take_write_lock(campaign_id)
        held = db.session.execute(
            select(Task.id, CampaignImage.name)
            .join(CampaignImage, CampaignImage.id == Task.image_id)
            .where(
                Task.campaign_id == campaign_id,
                Task.annotator == username,
                Task.state.in_(("in_progress", "rejected")),
            )
            .order_by(Task.id)
            .limit(1)
        ).first()
        if held is not None:
            task = db.session.get(Task, held.id)
            image = held.name
            if task.state == "rejected":
                transition(task, "in_progress", username, "back to its annotator")
        else:
            taken = _take_new(campaign_id, found.gold_rate, username)
            if taken is None:
                preparing = _preparing(campaign_id, username)
                db.session.commit()
                return {"preparing": preparing} if preparing else None
            task, image = taken
            transition(task, "in_progress", username)
            task.annotator = username
        task.leased = utcnow()
        task.image_name = image
        answer = {
            "task": describe(task, for_annotator=True),
            "project": task.project_id,
            "instructions": found.instructions,
        }
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return answer


def _open_to(campaign_id: str, username: str):
    """The conditions of a new task the caller may take (any build state)."""
    had = select(Task.image_id).where(Task.campaign_id == campaign_id, Task.annotator == username)
    return (
        Task.campaign_id == campaign_id,
        Task.state == "new",
        Task.replica > 0,
        Task.image_id.not_in(had),
    )


def _take_new(campaign_id: str, gold_rate: float, username: str) -> tuple[Task, str] | None:
    """Lock and return the lowest new task the caller may take, with its image's name.

    Which tasks the caller may take is read without locks (a locking read that filters would
    lock the rows its filter passes over); the first of them still new that no other caller
    holds a lock on is then locked by id, skipping locked rows, so callers at once take
    different tasks. The locking read sees what is committed now, so a candidate taken since
    the first read is passed over, and the next window of candidates is tried."""
    gold_first = _wants_gold(campaign_id, gold_rate, username)
    for gold in (gold_first, not gold_first):
        after = 0
        while True:
            eligible = dict(
                db.session.execute(
                    select(Task.id, CampaignImage.name)
                    .join(Project, Project.id == Task.project_id)
                    .join(CampaignImage, CampaignImage.id == Task.image_id)
                    .where(
                        *_open_to(campaign_id, username),
                        Task.gold == gold,
                        Task.id > after,
                        Project.status == "ready",
                    )
                    .order_by(Task.id)
                    .limit(CANDIDATES)
                ).all()
            )
            if not eligible:
                break
            if not _mysql():
                first = min(eligible)
                return db.session.get(Task, first), eligible[first]
            task = db.session.scalars(
                select(Task)
                .where(Task.id.in_(list(eligible)), Task.state == "new")
                .order_by(Task.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if task is not None:
                return task, eligible[task.id]
            after = max(eligible)
    return None


def _preparing(campaign_id: str, username: str) -> int:
    """How many tasks the caller could be given once their projects are built."""
    return db.session.scalar(
        select(func.count())
        .select_from(Task)
        .join(Project, Project.id == Task.project_id)
        .where(*_open_to(campaign_id, username), Project.status == "building")
    )


def _held(task_id: int, username: str) -> tuple[Task, Campaign]:
    task = get_task(task_id)
    campaign = require_role(task.campaign_id, username)
    if task.state != "in_progress" or task.annotator != username:
        holder = f"held by {task.annotator}" if task.annotator else "held by nobody"
        raise ConflictError(
            f"You do not hold task {task_id} (it is {task.state}, {holder}). Ask for your next "
            "task with POST /api/campaigns/<id>/next."
        )
    return task, campaign


def _completion_code(task: Task, worker: str) -> str:
    secret = current_app.secret_key.encode()
    message = f"{task.campaign_id}:{worker}:{task.id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:16].upper()


def submit(task_id: int, username: str) -> dict:
    """The holder hands in their work; a guest of a crowd link gets a completion code."""
    task, campaign = _held(task_id, username)
    try:
        transition(task, "submitted", username)
        task.leased = None
        worker = db.session.scalar(
            select(CampaignMember.worker).where(
                CampaignMember.campaign_id == task.campaign_id,
                CampaignMember.username == username,
            )
        )
        if worker:
            task.completion_code = _completion_code(task, worker)
        db.session.flush()
        settle(campaign, task, decide=_review_decision)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return describe(task, for_annotator=True)


def _review_decision(campaign: Campaign, task: Task, below_threshold: bool) -> bool:
    """Whether a submitted task goes to review: always when its agreement (or gold score) is
    below the campaign's threshold, else for a share `review_share` of tasks (the same share
    every time a task is decided: drawn from its id)."""
    if below_threshold:
        return True
    return random.Random(task.id).random() < campaign.review_share


def release(task_id: int, username: str) -> dict:
    task, _ = _held(task_id, username)
    transition(task, "new", username, "released")
    task.annotator = None
    task.leased = None
    db.session.commit()
    return describe(task)


def review(task_id: int, body: dict, username: str) -> dict:
    """A reviewer accepts or rejects a submitted task; a rejection (with its comment, which is
    required) goes back to its annotator."""
    task = get_task(task_id)
    require_role(task.campaign_id, username, "reviewer")
    decision = body.get("decision")
    comment = body.get("comment") or ""
    if decision is None:
        raise EditError("Give a 'decision': accept or reject.")
    if decision not in ("accept", "reject"):
        raise EditError(f"'decision' must be accept or reject, not {decision!r}.")
    if not isinstance(comment, str):
        raise EditError("'comment' must be text.")
    if decision == "reject" and not comment.strip():
        raise EditError("A rejection needs a 'comment' telling the annotator what to fix.")
    if task.state not in ("submitted", "in_review"):
        raise ConflictError(f"Task {task_id} is {task.state}; only submitted tasks are reviewed.")
    try:
        if task.state == "submitted":
            transition(task, "in_review", username)
        transition(task, "accepted" if decision == "accept" else "rejected", username, comment)
        task.reviewer = username
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return describe(task)


def assign(task_id: int, body: dict, username: str) -> dict:
    """A manager gives a task to a member (taking it from whoever held it)."""
    task = get_task(task_id)
    require_role(task.campaign_id, username, "manager")
    name = body.get("username")
    if not isinstance(name, str) or not name:
        raise EditError("Give the 'username' of the member to assign the task to.")
    if role_of(task.campaign_id, name) is None:
        raise EditError(f"{name!r} is not a member of this campaign. Add them first.")
    if task.state not in ("new", "in_progress", "rejected"):
        raise ConflictError(f"Task {task_id} is {task.state}; only open tasks can be assigned.")
    transition(task, "in_progress", username, f"assigned to {name}")
    task.annotator = name
    task.leased = utcnow()
    db.session.commit()
    return describe(task)


def task(task_id: int, username: str) -> dict:
    found = get_task(task_id)
    role = role_of(found.campaign_id, username)
    if role is None:
        raise NotFoundError(f"There is no task {task_id}.")
    described = describe(found, for_annotator=role == "annotator")
    described["events"] = [
        {
            "from": e.from_state,
            "to": e.to_state,
            "by": e.actor,
            "at": e.at.isoformat() + "Z",
            "comment": e.comment,
        }
        for e in db.session.scalars(
            select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id)
        )
    ]
    described["instructions"] = get_campaign(found.campaign_id).instructions
    return described


def list_tasks(
    campaign_id: str, username: str, state: str | None = None, annotator: str | None = None
) -> list[dict]:
    require_role(campaign_id, username, "reviewer")
    query = select(Task).where(Task.campaign_id == campaign_id).order_by(Task.id)
    if state:
        if state not in TASK_STATES:
            raise EditError(f"'state' must be one of {', '.join(TASK_STATES)}, not {state!r}.")
        query = query.where(Task.state == state)
    if annotator:
        query = query.where(Task.annotator == annotator)
    names = dict(
        db.session.execute(
            select(CampaignImage.id, CampaignImage.name).where(
                CampaignImage.campaign_id == campaign_id
            )
        ).all()
    )
    found = []
    for row in db.session.scalars(query):
        row.image_name = names.get(row.image_id, "")
        found.append(describe(row))
    return found
