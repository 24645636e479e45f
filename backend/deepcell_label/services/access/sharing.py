"""Giving others a role on a project: members by name, and share links with a role and an
expiry (the link carries its row's id signed with itsdangerous, so ids cannot be guessed or
changed, and revoking the row ends the link)."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from ...errors import ConflictError, NotFoundError
from ...store.models import Project, ProjectMember, ShareLink, User, db, utcnow
from .accounts import AccountError, Identity, expiry, find_user
from .rights import RANK, ROLES

LINK_SALT = "deepcell-label share link"


def _role(value: object) -> str:
    if value not in ROLES:
        raise AccountError(f"'role' must be one of {', '.join(ROLES)}, not {str(value)[:40]!r}.")
    return str(value)


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def members(project_id: str) -> list[dict]:
    """The owner first, then every member with their role."""
    project = db.session.get(Project, project_id)
    found = []
    if project is not None and project.owner_id is not None:
        owner = db.session.get(User, project.owner_id)
        if owner is not None:
            found.append(
                {"username": owner.username, "display_name": owner.display_name, "role": "owner"}
            )
    rows = db.session.execute(
        select(ProjectMember.role, User.username, User.display_name)
        .join(User, User.id == ProjectMember.user_id)
        .where(ProjectMember.project_id == project_id)
        .order_by(User.username)
    )
    for role, username, display_name in rows:
        if found and username == found[0]["username"]:
            continue
        found.append({"username": username, "display_name": display_name, "role": role})
    return found


def add_member(project_id: str, username: object, role: object) -> dict:
    role = _role(role)
    user = find_user(username)
    project = db.session.get(Project, project_id)
    if project.owner_id == user.id:
        raise ConflictError(
            f"{user.username!r} created this project and stays its owner; their role cannot change."
        )
    member = db.session.get(ProjectMember, (project_id, user.id))
    if member is None:
        db.session.add(ProjectMember(project_id=project_id, user_id=user.id, role=role))
    else:
        member.role = role
    db.session.commit()
    return {"username": user.username, "display_name": user.display_name, "role": role}


def remove_member(project_id: str, username: str) -> None:
    user = find_user(username)
    project = db.session.get(Project, project_id)
    if project.owner_id == user.id:
        raise ConflictError(
            f"{user.username!r} created this project; its creator cannot be removed."
        )
    member = db.session.get(ProjectMember, (project_id, user.id))
    if member is None:
        raise NotFoundError(f"{user.username!r} is not a member of project {project_id!r}.")
    db.session.delete(member)
    db.session.commit()


# ---------------------------------------------------------------- share links


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=LINK_SALT)


def _describe_link(link: ShareLink) -> dict:
    token = _serializer().dumps(link.id)
    return {
        "id": link.id,
        "role": link.role,
        "token": token,
        "url": f"/project?projectId={link.project_id}&share={token}",
        "created": _moment(link.created),
        "expires": _moment(link.expires),
        "revoked": link.revoked,
        "uses": link.uses,
    }


def create_link(identity: Identity, project_id: str, role: object, expires_in_days: object) -> dict:
    role = _role(role)
    if role == "owner":
        raise AccountError("A share link gives viewer, annotator or reviewer; add owners by name.")
    expires = expiry(expires_in_days)
    link = ShareLink(
        id=secrets.token_urlsafe(9),
        project_id=project_id,
        role=role,
        created_by=identity.user_id,
        created=utcnow(),
        expires=expires,
        revoked=False,
        uses=0,
    )
    db.session.add(link)
    db.session.commit()
    return _describe_link(link)


def links(project_id: str) -> list[dict]:
    rows = db.session.scalars(
        select(ShareLink).where(ShareLink.project_id == project_id).order_by(ShareLink.created)
    )
    return [_describe_link(link) for link in rows]


def revoke_link(project_id: str, link_id: str) -> None:
    link = db.session.get(ShareLink, link_id) if len(link_id) <= 16 else None
    if link is None or link.project_id != project_id:
        raise NotFoundError(f"Project {project_id!r} has no share link {link_id[:20]!r}.")
    link.revoked = True
    db.session.commit()


def open_link(identity: Identity, token: str) -> dict:
    """The caller opens a share link: they get its role on its project (a higher role they
    have already is kept)."""
    refused = NotFoundError(
        "This share link is not valid: it was revoked, it expired, or it was copied wrongly. "
        "Ask the project's owner for a new one."
    )
    try:
        link_id = _serializer().loads(token) if len(token) <= 200 else None
    except BadSignature:
        link_id = None
    link = db.session.get(ShareLink, link_id) if isinstance(link_id, str) else None
    if link is None or link.revoked or (link.expires is not None and link.expires <= utcnow()):
        raise refused
    project = db.session.get(Project, link.project_id)
    role = link.role
    if identity.admin:
        role = "admin"
    elif project.owner_id == identity.user_id:
        role = "owner"
    else:
        member = db.session.get(ProjectMember, (link.project_id, identity.user_id))
        if member is None:
            db.session.add(
                ProjectMember(project_id=link.project_id, user_id=identity.user_id, role=role)
            )
        elif RANK[member.role] >= RANK[role]:
            role = member.role
        else:
            member.role = role
    link.uses += 1
    db.session.commit()
    return {"project": link.project_id, "role": role}
