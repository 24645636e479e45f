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
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import aliased

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
from .events import transition, transition_row
from .manage import get_campaign, require_role, role_of
from .quality import settle

CANDIDATES = 32  # tasks a caller may take, read at once; others may be taking some of them
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


def _wants_gold(gold_rate: float, gold_given: int, given: int) -> bool:
    """Whether the caller's next task should be gold: gold_rate of the tasks they were given."""
    return gold_rate > 0 and gold_given < (given + 1) * gold_rate


# The statements of `next`, built once: each request only binds its values (building and
# caching a statement costs more than running it).
_CAMPAIGN = bindparam("campaign")
_USERNAME = bindparam("username")
_Own = aliased(Task)
_OWN = (_Own.campaign_id == _CAMPAIGN, _Own.annotator == _USERNAME)
# The caller's membership row, locked (FOR UPDATE on MariaDB; the write lock on SQLite) so
# that two requests of one person take turns and never take two tasks, or two replicas of
# one image, at once. Only that row is locked: people never wait for one another. What
# `next` reads next is read once the lock is held (a read begun before would not see what
# the person's other request did).
_MEMBER = (
    select(CampaignMember.role)
    .where(CampaignMember.campaign_id == _CAMPAIGN, CampaignMember.username == _USERNAME)
    .with_for_update()
)
# The campaign's settings, whether a lease ran out, the task the caller holds and how many
# (and how many gold) they were given, in one read.
_CALLER = select(
    select(Campaign.instructions).where(Campaign.id == _CAMPAIGN).scalar_subquery(),
    select(Campaign.lease_minutes).where(Campaign.id == _CAMPAIGN).scalar_subquery(),
    select(Campaign.gold_rate).where(Campaign.id == _CAMPAIGN).scalar_subquery(),
    select(func.min(Task.leased))
    .where(Task.campaign_id == _CAMPAIGN, Task.state == "in_progress")
    .scalar_subquery(),
    select(_Own.id)
    .where(*_OWN, _Own.state.in_(("in_progress", "rejected")))
    .order_by(_Own.id)
    .limit(1)
    .scalar_subquery(),
    select(func.count()).where(*_OWN).scalar_subquery(),
    select(func.count()).where(*_OWN, _Own.gold.is_(True)).scalar_subquery(),
).where(CampaignMember.campaign_id == _CAMPAIGN, CampaignMember.username == _USERNAME)
# A task as `next` answers it, with its image's name (a subquery: it locks no image row).
_ANSWERED = (
    Task.id,
    Task.campaign_id,
    Task.replica,
    Task.project_id,
    Task.state,
    Task.reviewer,
    Task.agreement,
    Task.completion_code,
    select(CampaignImage.name)
    .where(CampaignImage.id == Task.image_id)
    .scalar_subquery()
    .label("image_name"),
)
_HELD = select(*_ANSWERED).where(Task.id == bindparam("task"))
# The new tasks of images the caller has not had. Their project's status is read by a
# subquery, so that the tasks are read in the order of their index on (campaign, state, id)
# and the read stops after the first few, however many tasks share a project.
_PROJECT_STATUS = select(Project.status).where(Project.id == Task.project_id).scalar_subquery()
_OPEN = (
    Task.campaign_id == _CAMPAIGN,
    Task.state == "new",
    Task.replica > 0,
    Task.image_id.not_in(select(_Own.image_id).where(*_OWN)),
)
# Which tasks the caller may take is read without locks (a locking read that filters would
# lock the rows its filter passes over); the first of them still new that no other caller
# holds a lock on is then locked by id, skipping locked rows, so callers at once take
# different tasks. The locking read sees what is committed now, so a candidate taken since
# the first read is passed over, and the next window of candidates is tried.
_CANDIDATES = (
    select(Task.id)
    .where(
        *_OPEN,
        Task.gold == bindparam("gold"),
        Task.id > bindparam("after"),
        _PROJECT_STATUS == "ready",
    )
    .order_by(Task.id)
    .limit(CANDIDATES)
)
_TAKE = (
    select(*_ANSWERED)
    .where(Task.id.in_(bindparam("candidates", expanding=True)), Task.state == "new")
    .order_by(Task.id)
    .limit(1)
    .with_for_update(skip_locked=True)
)
_PREPARING = select(func.count()).where(*_OPEN, _PROJECT_STATUS == "building")


def next_task(campaign_id: str, username: str) -> dict | None:
    """The caller's next task: one they hold (in progress or rejected back to them), else the
    lowest new task of an image they have not had, gold mixed in.

    Answers `{task, project, instructions}`; `{"preparing": n}` when nothing is ready for the
    caller yet but `n` tasks they could have are still being built; None when nothing is left.
    The caller's member row locked, one read of the campaign's settings, the task they hold
    and whether a lease ran out, two of the task to take (or one of the task held), one
    update of its row and its event.
    """
    who = {"campaign": campaign_id, "username": username}
    try:
        found = _caller(who)
        instructions, lease_minutes, gold_rate, oldest_lease, held, given, gold_given = found
        if oldest_lease is not None and oldest_lease < utcnow() - timedelta(minutes=lease_minutes):
            expire_leases(get_campaign(campaign_id))  # commits: read the caller again
            instructions, lease_minutes, gold_rate, oldest_lease, held, given, gold_given = _caller(
                who
            )
        now = utcnow()
        if held is not None:
            task = db.session.execute(_HELD, {"task": held}).first()
            if task.state == "rejected":
                transition_row(
                    task.id,
                    "rejected",
                    "in_progress",
                    username,
                    "back to its annotator",
                    leased=now,
                )
            else:
                db.session.execute(_LEASE, {"task": task.id, "leased": now})
        else:
            task = _take_new(who, _wants_gold(gold_rate, gold_given, given))
            if task is None:
                preparing = db.session.scalar(_PREPARING, who)
                db.session.commit()
                return {"preparing": preparing} if preparing else None
            transition_row(task.id, "new", "in_progress", username, annotator=username, leased=now)
        taken = SimpleNamespace(**{**task._asdict(), "state": "in_progress", "annotator": username})
        answer = {
            "task": describe(taken, for_annotator=True),
            "project": task.project_id,
            "instructions": instructions,
        }
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return answer


def _caller(who: dict):
    """`_CALLER`'s row, once the caller's member row is locked (on SQLite: once the database's
    write lock is taken)."""
    _take_write_lock(who["campaign"])
    if db.session.scalar(_MEMBER, who) is None:
        raise NotFoundError(f"There is no campaign {who['campaign']!r}.")
    return db.session.execute(_CALLER, who).first()


_LEASE = update(Task.__table__).where(Task.__table__.c.id == bindparam("task"))


def _take_new(who: dict, gold_first: bool):
    """Lock and return the lowest new task the caller may take (gold first when `gold_first`)
    as `_ANSWERED` reads it, or None."""
    for gold in (gold_first, not gold_first):
        after = 0
        while True:
            candidates = db.session.scalars(
                _CANDIDATES, {**who, "gold": gold, "after": after}
            ).all()
            if not candidates:
                break
            task = db.session.execute(_TAKE, {"candidates": candidates}).first()
            if task is not None:
                return task
            after = candidates[-1]
    return None


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
