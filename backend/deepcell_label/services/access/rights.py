"""Who may do what: the roles on a project, the rights a route asks for, and the answers when
they are missing (401 no identity, 404 a project the caller may not see, 403 a role too low)."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, func, select

from ...store.campaigns import CampaignMember, Task, role_from_campaign
from ...store.models import Edit, Job, Project, ProjectMember, Upload, User, db
from .accounts import AccessError, Identity

# Each role has the rights of those before it.
ROLES = ("viewer", "annotator", "reviewer", "owner")
RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}
# The right a route declares → the least role that has it.
PROJECT_RIGHTS = {"view": "viewer", "annotate": "annotator", "review": "reviewer", "own": "owner"}
# Every right a route can declare (services/access is the one place that knows them).
RIGHTS = (*PROJECT_RIGHTS, "public", "signed_in", "admin", "job", "upload")

SIGN_IN = (
    "Sign in first: send an API token as 'Authorization: Bearer <token>', or sign in in the "
    "browser (POST /api/auth/login)."
)


def not_found(project_id: str) -> AccessError:
    # The same words as for a project that does not exist: its existence is not revealed.
    return AccessError(
        f"There is no project {project_id!r}. Check the link, or create the project again.", 404
    )


def require_identity(identity: Identity | None) -> Identity:
    if identity is None:
        raise AccessError(SIGN_IN, 401)
    return identity


def require_admin(identity: Identity | None) -> Identity:
    identity = require_identity(identity)
    if not identity.admin:
        raise AccessError("Only a site admin may do this.", 403)
    return identity


# Built once, as the statements of every request's check are (see services/access/accounts.py):
# the owner, the caller's membership, and the caller's role in the campaign of the project's task.
_ROLE_QUERY = (
    select(Project.owner_id, ProjectMember.role, Task.annotator, CampaignMember.role)
    .outerjoin(
        ProjectMember,
        and_(
            ProjectMember.project_id == Project.id,
            ProjectMember.user_id == bindparam("user_id"),
        ),
    )
    .outerjoin(Task, Task.project_id == Project.id)
    .outerjoin(
        CampaignMember,
        and_(
            CampaignMember.campaign_id == Task.campaign_id,
            CampaignMember.username == bindparam("username"),
        ),
    )
    .where(Project.id == bindparam("project_id"))
)


def role_on(identity: Identity, project_id: str) -> str | None:
    """The caller's role on a project ("owner" for its creator), None when they have none or
    it does not exist. A site admin's is "admin"."""
    if identity.admin:
        return "admin"
    if not project_id or len(project_id) > 16:
        return None
    row = db.session.execute(
        _ROLE_QUERY,
        {"project_id": project_id, "user_id": identity.user_id, "username": identity.username},
    ).first()
    if row is None:
        return None
    owner, member_role, annotator, campaign_role = row
    if owner == identity.user_id:
        return "owner"
    # A campaign's roles give the same rights on its tasks' projects.
    found = [
        role
        for role in (member_role, role_from_campaign(annotator, campaign_role, identity.username))
        if role
    ]
    return max(found, key=lambda role: RANK.get(role, 0), default=None)


def has_right(role: str | None, right: str) -> bool:
    if role == "admin":
        return True
    return role is not None and RANK.get(role, 0) >= RANK[PROJECT_RIGHTS[right]]


def require_project(identity: Identity | None, project_id: str, right: str) -> str:
    """The caller's role, when it gives `right` on the project; else the refusal."""
    identity = require_identity(identity)
    role = role_on(identity, project_id)
    if role is None:
        raise not_found(project_id)
    if not has_right(role, right):
        needed = PROJECT_RIGHTS[right]
        raise AccessError(
            f"You are {role} of project {project_id!r}; this needs the role {needed} (or "
            "higher). Ask the project's owner to give it to you.",
            403,
        )
    return role


def require_job(identity: Identity | None, job_id: str) -> None:
    """A job is visible to whoever may see its project (one without a project: its author)."""
    identity = require_identity(identity)
    if identity.admin:
        return
    job = db.session.execute(select(Job.project_id, Job.author).where(Job.id == job_id)).first()
    hidden = AccessError(f"There is no job {job_id[:40]!r}. Check the id the server gave.", 404)
    if job is None:
        raise hidden
    if job.project_id is None:
        if job.author != identity.username:
            raise hidden
        return
    if role_on(identity, job.project_id) is None:
        raise hidden


def require_upload(identity: Identity | None, upload_id: str) -> None:
    """An upload is its uploader's only (and a site admin's)."""
    identity = require_identity(identity)
    if identity.admin:
        return
    owner = db.session.scalar(select(Upload.owner_id).where(Upload.id == upload_id))
    if owner != identity.user_id:
        raise AccessError(
            f"There is no upload {upload_id[:40]!r}. It may have been used for a project, "
            "deleted or expired; start the upload again.",
            404,
        )


GUESTS_ONLY_LABEL = (
    "A guest of a crowd link may only label the tasks of its campaign. Sign in with an "
    "account of your own to do more."
)


def require(identity: Identity | None, right: str, arguments: dict, guests: bool = False) -> None:
    """The one check of every request: `right` as a route declared it, on the objects its URL
    names (`project_id`, `job_id`, `upload_id`). A crowd link's guest may use only the routes
    that let guests in (`guests`) and those of projects and jobs, where its role decides: it
    has one only on its own tasks' projects."""
    if right == "public":
        return
    if (
        identity is not None
        and identity.guest_campaign is not None
        and right in ("signed_in", "admin", "upload")
        and not guests
    ):
        raise AccessError(GUESTS_ONLY_LABEL, 403)
    if right == "signed_in":
        require_identity(identity)
    elif right == "admin":
        require_admin(identity)
    elif right in PROJECT_RIGHTS:
        require_project(identity, str(arguments.get("project_id", "")), right)
    elif right == "job":
        require_job(identity, str(arguments.get("job_id", "")))
    elif right == "upload":
        require_upload(identity, str(arguments.get("upload_id", "")))
    else:
        raise ValueError(f"unknown right {right!r}; the rights are {', '.join(RIGHTS)}")


def end_check() -> None:
    """End the check's read-only transaction, so the use case that follows starts its own: on
    MariaDB (REPEATABLE READ) a transaction reads the snapshot of its first read, and an edit
    that locks the project row must then read the version as it is, not as the check saw it."""
    db.session.commit()


# ---------------------------------------------------------------- what the caller may see


def visible_projects(identity: Identity, page: int, per_page: int) -> dict:
    """The projects the caller may see, newest first, one page of them with their role and the
    time of their last edit."""
    last_edit = (
        select(Edit.project_id, func.max(Edit.created).label("last_edit"))
        .group_by(Edit.project_id)
        .subquery()
    )
    mine = (
        select(ProjectMember.project_id, ProjectMember.role)
        .where(ProjectMember.user_id == identity.user_id)
        .subquery()
    )
    query = (
        select(Project, mine.c.role, last_edit.c.last_edit)
        .outerjoin(mine, mine.c.project_id == Project.id)
        .outerjoin(last_edit, last_edit.c.project_id == Project.id)
    )
    if not identity.admin:
        query = query.where((Project.owner_id == identity.user_id) | (mine.c.role.is_not(None)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(
        query.order_by(Project.created.desc(), Project.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    projects = []
    for project, role, edited in rows:
        if project.owner_id == identity.user_id:
            role = "owner"
        projects.append(
            {
                "id": project.id,
                "name": project.name,
                "created": project.created.isoformat() + "Z",
                "status": project.status,
                "size": {
                    "frames": project.frames,
                    "height": project.height,
                    "width": project.width,
                    "channels": project.channels,
                    "features": project.features,
                },
                "role": role or ("admin" if identity.admin else None),
                "last_edit": edited.isoformat() + "Z" if edited else None,
            }
        )
    return {"projects": projects, "page": page, "per_page": per_page, "total": total}


def owner_name(project_id: str) -> str | None:
    return db.session.scalar(
        select(User.username)
        .join(Project, Project.owner_id == User.id)
        .where(Project.id == project_id)
    )
