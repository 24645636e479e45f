"""Crowd links: a signed link that makes whoever opens it (with their platform's worker id) a
guest annotator of one campaign, until it expires or its uses run out."""

from __future__ import annotations

import math
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from ...errors import EditError, GoneError, NotFoundError
from ...store.campaigns import CampaignMember, CrowdLink, Task
from ...store.models import db, utcnow
from .manage import require_role

SALT = "campaign-crowd-link"
WORKER_MAX = 128


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=SALT)


def create_link(campaign_id: str, body: dict, username: str) -> dict:
    require_role(campaign_id, username, "manager")
    hours, uses = body.get("expires_in_hours", 24 * 7), body.get("max_uses", 100)
    if (
        isinstance(hours, bool)
        or not isinstance(hours, int | float)
        or not math.isfinite(hours)
        or not 0 < hours <= 24 * 365
    ):
        raise EditError("'expires_in_hours' must be a number of hours above 0, at most 8760.")
    if isinstance(uses, bool) or not isinstance(uses, int) or not 1 <= uses <= 1_000_000:
        raise EditError("'max_uses' must be a whole number from 1 to 1000000.")
    link = CrowdLink(
        id=secrets.token_urlsafe(9),
        campaign_id=campaign_id,
        expires=utcnow() + timedelta(hours=hours),
        max_uses=uses,
        created_by=username,
    )
    db.session.add(link)
    db.session.commit()
    token = _serializer().dumps(link.id)
    return {
        "id": link.id,
        "url": f"/crowd/{token}",
        "token": token,
        "expires": link.expires.isoformat() + "Z",
        "max_uses": uses,
    }


def open_link(token: str, worker: str, username: str) -> dict:
    """Make the caller, as the platform's worker `worker`, an annotator of the link's campaign
    only (opening it again uses no second use)."""
    try:
        link_id = _serializer().loads(token)
    except BadSignature:
        raise NotFoundError("This link is not valid. Ask for a new link.") from None
    link = db.session.get(CrowdLink, link_id)
    if link is None:
        raise NotFoundError("This link is not valid. Ask for a new link.")
    worker = (worker or "").strip()
    if (
        not worker
        or len(worker) > WORKER_MAX
        or not worker.replace("-", "").replace("_", "").isalnum()
    ):
        raise EditError(
            "Open the link with '?worker=<your worker id>' (letters, digits, - and _, "
            f"at most {WORKER_MAX})."
        )
    member = db.session.get(CampaignMember, (link.campaign_id, username))
    if member is None:
        if link.expires < utcnow():
            raise GoneError("This link has expired. Ask for a new link.")
        taken = db.session.execute(
            update(CrowdLink)
            .where(CrowdLink.id == link.id, CrowdLink.uses < CrowdLink.max_uses)
            .values(uses=CrowdLink.uses + 1)
        ).rowcount
        if not taken:
            db.session.rollback()
            raise GoneError("This link has been used as often as it may be. Ask for a new link.")
        db.session.add(
            CampaignMember(
                campaign_id=link.campaign_id, username=username, role="annotator", worker=worker
            )
        )
        db.session.commit()
    return {"username": username, "campaign": link.campaign_id, "role": "annotator"}


def check_code(campaign_id: str, code: str, username: str) -> dict:
    """Whether a completion code a platform's worker shows is one this campaign gave."""
    require_role(campaign_id, username, "manager")
    found = db.session.execute(
        select(Task.id, Task.annotator).where(
            Task.campaign_id == campaign_id, Task.completion_code == code.strip().upper()
        )
    ).first()
    if found is None:
        return {"valid": False}
    worker = db.session.scalar(
        select(CampaignMember.worker).where(
            CampaignMember.campaign_id == campaign_id, CampaignMember.username == found.annotator
        )
    )
    return {"valid": True, "task": found.id, "worker": worker}
