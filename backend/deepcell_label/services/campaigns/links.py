"""Crowd links: a signed link that makes whoever opens it (with their platform's worker id) a
guest annotator of one campaign, until it expires or its uses run out; the guest's account
may work in that campaign only (services/access/rights.py refuses it everything else)."""

from __future__ import annotations

import math
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from ...errors import EditError, GoneError, NotFoundError
from ...store.campaigns import CampaignMember, CrowdLink, Task
from ...store.models import User, db, utcnow
from .. import access
from ..access import Identity
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


def open_link(token: str, worker: str, signed_in: Identity | None) -> tuple[dict, User | None]:
    """Open a crowd link as the platform's worker `worker`.

    A signed-in account (not a guest of another campaign) joins the link's campaign as an
    annotator; anyone else gets a guest account of that campaign only, returned to be signed
    in. Opening it again as a member uses no second use; every new member takes one, while the
    link has not expired. The use, the account and the membership are one transaction."""
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
    if signed_in is not None and signed_in.guest_campaign not in (None, link.campaign_id):
        signed_in = None  # a guest of another campaign: a new guest for this one
    username = signed_in.username if signed_in is not None else None
    joined = {"campaign": link.campaign_id, "role": "annotator", "worker": worker}
    if username and db.session.get(CampaignMember, (link.campaign_id, username)) is not None:
        return {**joined, "username": username, "guest": signed_in.guest_campaign is not None}, None
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
    try:
        guest = None
        if username is None:
            guest = access.add_guest(f"Worker {worker}", link.campaign_id)
            username = guest.username
        db.session.add(
            CampaignMember(
                campaign_id=link.campaign_id, username=username, role="annotator", worker=worker
            )
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return {**joined, "username": username, "guest": guest is not None}, guest


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
