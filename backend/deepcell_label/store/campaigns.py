"""Tables of campaigns: their settings and members, their images, the tasks (one project per
image and replica) with every state change, comments pinned to frames, and crowd links.

People are named by their username (the accounts' name, or a crowd link's guest name), so a
task keeps who did it even if an account is later removed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .models import db, utcnow

TASK_STATES = ("new", "in_progress", "submitted", "in_review", "accepted", "rejected")
MEMBER_ROLES = ("manager", "reviewer", "annotator")


class Campaign(db.Model):
    """Images to label by many people, with how many replicas, how much review and the lease."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    instructions: Mapped[str] = mapped_column(Text, default="")
    replicas: Mapped[int] = mapped_column(Integer, default=1)
    review_share: Mapped[float] = mapped_column(Float, default=1.0)
    lease_minutes: Mapped[float] = mapped_column(Float, default=60.0)
    agreement_threshold: Mapped[float] = mapped_column(Float, default=0.8)
    # Share of the tasks an annotator is given that are gold images.
    gold_rate: Mapped[float] = mapped_column(Float, default=0.1)
    # Pre-segment images nobody has started with the learned segmenter trained on the
    # accepted images (services/campaigns/presegment.py).
    presegment: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CampaignMember(db.Model):
    """A person's role in a campaign: manager | reviewer | annotator."""

    __tablename__ = "campaign_members"

    campaign_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    username: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    # A guest made by a crowd link: its platform's worker id.
    worker: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CampaignImage(db.Model):
    """One image of a campaign; a gold image keeps its reference labels apart, never shown."""

    __tablename__ = "campaign_images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(1024), default="")
    gold: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the reference labels of a gold image are kept (object storage key).
    reference_key: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    # Why the image could not be added (its file unreadable, its build failed).
    error: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    # The image's agreement between replicas ({f1, mean_iou, missed, extra, merges, splits}).
    agreement: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Task(db.Model):
    """One replica of one image to label: its project, its state and who holds it."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    image_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("campaign_images.id", ondelete="CASCADE"), index=True
    )
    # 1..replicas; 0 for an image's consensus, reviewed like a task but never labelled.
    replica: Mapped[int] = mapped_column(Integer, default=1)
    # A task of a gold image (kept here too, so `next` reads and locks the tasks table alone).
    gold: Mapped[bool] = mapped_column(Boolean, default=False)
    project_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), default="new")
    annotator: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    reviewer: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # When the holder took it or last edited it; the lease runs out lease_minutes later.
    leased: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    needs_review: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    agreement: Mapped[float | None] = mapped_column(Float, nullable=True)
    gold_f1: Mapped[float | None] = mapped_column(Float, nullable=True)
    completion_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    # `next` looks for a task the caller holds, then for the lowest new task of a campaign.
    __table_args__ = (
        Index("ix_tasks_next", "campaign_id", "state", "id"),
        Index("ix_tasks_held", "campaign_id", "annotator", "state"),
    )


class TaskEvent(db.Model):
    """One state change of a task: from, to, who, when, and the reviewer's comment."""

    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("tasks.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(255))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class Comment(db.Model):
    """A note pinned to a point of a project's frame; resolvable."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    frame: Mapped[int] = mapped_column(Integer, default=0)
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(255))
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CrowdLink(db.Model):
    """A link that makes whoever opens it a guest annotator of one campaign, until it expires or
    its uses run out; the link carries this row's id signed with the server's secret."""

    __tablename__ = "crowd_links"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    expires: Mapped[datetime] = mapped_column(DateTime)
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


def role_from_campaign(annotator: str | None, member_role: str | None, username: str) -> str | None:
    """The project role that a campaign role (`member_role` of the task's campaign) gives
    `username` on a task's project whose annotator is `annotator`: the task's annotator may
    annotate it, the campaign's reviewers review it, its managers own it."""
    if member_role == "manager":
        return "owner"
    if member_role == "reviewer":
        return "reviewer"
    if member_role is not None and annotator == username:
        return "annotator"
    return None
