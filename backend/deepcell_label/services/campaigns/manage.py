"""A campaign's settings, its members and their roles; the description with task counts."""

from __future__ import annotations

import math
import secrets

from sqlalchemy import func, select

from ...errors import ConflictError, DeepCellLabelError, EditError, NotFoundError
from ...store.campaigns import MEMBER_ROLES, TASK_STATES, Campaign, CampaignMember, Task
from ...store.models import db
from .events import transition

ID_BYTES = 9
REPLICAS = (1, 5)
# (field, default, smallest, largest); a setting outside its range is refused.
NUMBERS = {
    "replicas": (1, 1, 5),
    "review_share": (1.0, 0.0, 1.0),
    "lease_minutes": (60.0, 0.01, 60.0 * 24 * 30),
    "agreement_threshold": (0.8, 0.0, 1.0),
    "gold_rate": (0.1, 0.0, 1.0),
}


class ForbiddenError(DeepCellLabelError):
    status = 403


def _settings(body: dict, partial: bool = False) -> dict:
    values = {}
    for field, (default, low, high) in NUMBERS.items():
        if field not in body:
            if not partial:
                values[field] = default
            continue
        value = body[field]
        whole = field == "replicas"
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (whole and int(value) != value)
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            kind = "a whole number" if whole else "a number"
            raise EditError(f"'{field}' must be {kind} from {low} to {high}, not {value!r}.")
        values[field] = int(value) if whole else float(value)
    if "presegment" in body:
        if not isinstance(body["presegment"], bool):
            raise EditError("'presegment' must be true or false.")
        values["presegment"] = body["presegment"]
    for field in ("name", "instructions"):
        if field in body:
            if not isinstance(body[field], str):
                raise EditError(f"'{field}' must be text.")
            values[field] = body[field]
    if not partial and not str(values.get("name", "")).strip():
        raise EditError("Give the campaign a 'name'.")
    return values


def create(body: dict, username: str) -> dict:
    """A new campaign; its creator is its first manager."""
    values = _settings(body)
    campaign = Campaign(
        id=secrets.token_urlsafe(ID_BYTES),
        name=values.pop("name").strip()[:255],
        instructions=values.pop("instructions", ""),
        created_by=username,
        **values,
    )
    db.session.add(campaign)
    db.session.add(CampaignMember(campaign_id=campaign.id, username=username, role="manager"))
    db.session.commit()
    return describe(campaign)


def update(campaign_id: str, body: dict, username: str) -> dict:
    campaign = require_role(campaign_id, username, "manager")
    for field, value in _settings(body, partial=True).items():
        setattr(campaign, field, value)
    db.session.commit()
    return describe(campaign)


def get_campaign(campaign_id: str) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFoundError(f"There is no campaign {campaign_id!r}.")
    return campaign


def role_of(campaign_id: str, username: str) -> str | None:
    return db.session.scalar(
        select(CampaignMember.role).where(
            CampaignMember.campaign_id == campaign_id, CampaignMember.username == username
        )
    )


def require_role(campaign_id: str, username: str, *roles: str) -> Campaign:
    """The campaign, for a member holding one of `roles` (any role when none is named).

    A stranger is told the campaign does not exist (404), a member without the role 403.
    """
    campaign = get_campaign(campaign_id)
    role = role_of(campaign_id, username)
    if role is None:
        raise NotFoundError(f"There is no campaign {campaign_id!r}.")
    if roles and role not in roles and not (role == "manager"):
        raise ForbiddenError(
            f"This needs the role {' or '.join(roles)} in the campaign; you are {role}."
        )
    return campaign


def counts(campaign_id: str) -> dict[str, int]:
    rows = db.session.execute(
        select(Task.state, func.count()).where(Task.campaign_id == campaign_id).group_by(Task.state)
    ).all()
    found = dict.fromkeys(TASK_STATES, 0)
    found.update({state: count for state, count in rows})
    return found


def describe(campaign: Campaign, role: str | None = None) -> dict:
    return {
        "id": campaign.id,
        "name": campaign.name,
        "instructions": campaign.instructions,
        "replicas": campaign.replicas,
        "review_share": campaign.review_share,
        "lease_minutes": campaign.lease_minutes,
        "agreement_threshold": campaign.agreement_threshold,
        "gold_rate": campaign.gold_rate,
        "presegment": bool(campaign.presegment),
        "created_by": campaign.created_by,
        "created": campaign.created.isoformat() + "Z",
        "counts": counts(campaign.id),
        **({"role": role} if role else {}),
    }


def list_campaigns(username: str) -> list[dict]:
    """The campaigns the caller is a member of, newest first, with their role."""
    rows = db.session.execute(
        select(Campaign, CampaignMember.role)
        .join(CampaignMember, CampaignMember.campaign_id == Campaign.id)
        .where(CampaignMember.username == username)
        .order_by(Campaign.created.desc())
    ).all()
    return [describe(campaign, role) for campaign, role in rows]


def campaign(campaign_id: str, username: str) -> dict:
    """The campaign with the caller's role in it (members only), read together."""
    found = db.session.execute(
        select(Campaign, CampaignMember.role)
        .join(CampaignMember, CampaignMember.campaign_id == Campaign.id)
        .where(Campaign.id == campaign_id, CampaignMember.username == username)
    ).first()
    if found is None:
        raise NotFoundError(f"There is no campaign {campaign_id!r}.")
    return describe(*found)


def members(campaign_id: str, username: str) -> list[dict]:
    require_role(campaign_id, username)
    rows = db.session.scalars(
        select(CampaignMember)
        .where(CampaignMember.campaign_id == campaign_id)
        .order_by(CampaignMember.created)
    )
    return [{"username": m.username, "role": m.role, "guest": m.worker is not None} for m in rows]


def add_member(campaign_id: str, body: dict, username: str) -> dict:
    require_role(campaign_id, username, "manager")
    name, role = body.get("username"), body.get("role")
    if not isinstance(name, str) or not name.strip():
        raise EditError("Give the 'username' of the person to add.")
    if role not in MEMBER_ROLES:
        raise EditError(f"'role' must be one of {', '.join(MEMBER_ROLES)}, not {role!r}.")
    member = db.session.get(CampaignMember, (campaign_id, name.strip()))
    if member is None:
        member = CampaignMember(campaign_id=campaign_id, username=name.strip(), role=role)
        db.session.add(member)
    else:
        member.role = role
    db.session.commit()
    return {"username": member.username, "role": member.role}


def remove_member(campaign_id: str, name: str, username: str) -> dict:
    """Remove a member; the tasks they hold (in progress or rejected back to them) return to
    the pool."""
    require_role(campaign_id, username, "manager")
    member = db.session.get(CampaignMember, (campaign_id, name))
    if member is None:
        raise NotFoundError(f"{name!r} is not a member of this campaign.")
    managers = db.session.scalar(
        select(func.count()).where(
            CampaignMember.campaign_id == campaign_id, CampaignMember.role == "manager"
        )
    )
    if member.role == "manager" and managers <= 1:
        raise ConflictError("A campaign keeps at least one manager. Add another manager first.")
    held = db.session.scalars(
        select(Task).where(
            Task.campaign_id == campaign_id,
            Task.annotator == name,
            Task.state.in_(("in_progress", "rejected")),
        )
    ).all()
    for task in held:
        transition(task, "new", username, f"{name} left the campaign")
        task.annotator = None
        task.leased = None
    db.session.delete(member)
    db.session.commit()
    return {"removed": name, "tasks_returned": [task.id for task in held]}
