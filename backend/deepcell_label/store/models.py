"""Database tables: projects, label tiles, the cells of each label value, the edit history,
chunked uploads in progress, who has a project open, and accounts with their rights."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# MySQL's plain BLOB stops at 64 KB; label tiles and history records can be larger.
Blob = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Project(db.Model):
    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(1024), default="")
    frames: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    channels: Mapped[int] = mapped_column(Integer)
    features: Mapped[int] = mapped_column(Integer)
    dtype: Mapped[str] = mapped_column(String(16))
    channel_names: Mapped[list[Any]] = mapped_column(JSON)
    feature_names: Mapped[list[Any]] = mapped_column(JSON)
    channel_ranges: Mapped[list[Any]] = mapped_column(JSON)
    # Next unused cell id per feature: cell ids are never reused within a project.
    next_cell: Mapped[list[Any]] = mapped_column(JSON)
    divisions: Mapped[list[Any]] = mapped_column(JSON)
    cell_types: Mapped[list[Any]] = mapped_column(JSON)
    spot_columns: Mapped[list[Any]] = mapped_column(JSON)
    spot_count: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped by every edit, undo and redo; the history's last version.
    version: Mapped[int] = mapped_column(Integer, default=0)
    # Pyramid levels of the image (level 0 is full resolution).
    levels: Mapped[int] = mapped_column(Integer, default=1)
    # ready | building | failed. A large project is built after its creation was answered.
    status: Mapped[str] = mapped_column(String(16), default="ready")
    progress: Mapped[float] = mapped_column(Float, default=1.0)
    status_message: Mapped[str] = mapped_column(String(1024), default="")
    # Last sign of life of the build; an old one means the process building it has gone.
    heartbeat: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # {"x", "y", "z", "unit"} (formats/physical.py): what a pixel measures and the z spacing,
    # as the input file said; None when it did not.
    physical_size: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # What was converted when the files were read, one line each (None before notes existed).
    notes: Mapped[str | None] = mapped_column(Text, nullable=True, default="")
    # Cell types that learn: each type name's marker channel names ({"T cell": ["CD3"]}), and
    # a summary of the imported embedding vectors kept in object storage (None: none imported).
    markers: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    embeddings: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The account that created it (None only while no account existed; migration 0010 gives
    # such projects to the first admin).
    owner_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )


class LabelTile(db.Model):
    """One tile of one label frame, deflated int32; absent rows are all background."""

    __tablename__ = "label_tiles"

    project_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    feature: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    frame: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tile_y: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tile_x: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[bytes] = mapped_column(Blob)


class LabelOverview(db.Model):
    """A 128² chunk of a label frame at a pyramid level >= 1, deflated int32; absent = zeros.

    Each pixel is the level-0 label at (y * 2^level, x * 2^level); kept exact by every label write.
    """

    __tablename__ = "label_overviews"

    project_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    feature: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    frame: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tile_y: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tile_x: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[bytes] = mapped_column(Blob)


class CellValue(db.Model):
    """One (value, cell) pair of a label frame, with the value's pixel count and bounding box.

    A value encoding several overlapping cells has one row per cell. The box may be larger than the
    value's pixels after an edit removed some of them (it is a bound, never too small).
    """

    __tablename__ = "cell_values"

    project_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    feature: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    frame: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cell: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    area: Mapped[int] = mapped_column(Integer)
    y0: Mapped[int] = mapped_column(Integer)
    x0: Mapped[int] = mapped_column(Integer)
    y1: Mapped[int] = mapped_column(Integer)
    x1: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_cell_values_cell", "project_id", "feature", "cell"),)


class FrameRelabel(db.Model):
    """The cells that relabellings (propagate, linking, their undo) gave values of one frame,
    as one packed mapping (store/relabels.py) applied over the frame's `cell_values` rows.

    Each mapped value has exactly one row, whose cell the mapping overrides; a relabelling
    thus writes this one row, not one row per value.
    """

    __tablename__ = "frame_relabels"

    project_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    feature: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    frame: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(Blob)


class Edit(db.Model):
    """One numbered record of the history: an edit, an undo or a redo, with what it changed."""

    __tablename__ = "edits"

    project_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(8))  # edit | undo | redo
    action: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    frame: Mapped[int] = mapped_column(Integer, default=0)
    feature: Mapped[int] = mapped_column(Integer, default=0)
    write_mode: Mapped[str] = mapped_column(String(16), default="exclude")
    # For an edit: applied | undone | discarded. For undo/redo: the edit's version it acted on.
    state: Mapped[str] = mapped_column(String(16), default="applied")
    target: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The annotator who made it (the X-Annotator header; "anonymous" without one): undo and
    # redo act on the caller's own records only.
    author: Mapped[str] = mapped_column(String(255), default="anonymous")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The (feature, frame) pairs whose labels it changed, so caches elsewhere know what is stale.
    touched: Mapped[list[Any]] = mapped_column(JSON)
    changes: Mapped[bytes] = mapped_column(Blob)

    # Undo and redo look up one annotator's latest applied (or earliest undone) edit.
    __table_args__ = (Index("ix_edits_undo", "project_id", "author", "kind", "state", "version"),)


class Review(db.Model):
    """One reviewer's judgment of a project; the latest one per project is its verdict."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    judgment: Mapped[str] = mapped_column(String(8))  # accept | reject
    comment: Mapped[str] = mapped_column(String(2000), default="")
    reviewer: Mapped[str] = mapped_column(String(255), default="")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class FrameCheckpoint(db.Model):
    """A frame's whole cell index at one version, packed, so a process can load it at once.

    It is a starting point only: the edits after `version` (in the history) bring it up to date.
    """

    __tablename__ = "frame_checkpoints"

    project_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    feature: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    frame: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(Blob)


class Upload(db.Model):
    """A file arriving in numbered chunks; its bytes live in object storage under `uploads/<id>/`.

    Every server process sees the same state here, so chunks may reach any of them.
    """

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    size: Mapped[int] = mapped_column(BigInteger)
    chunk_size: Mapped[int] = mapped_column(Integer)
    # The storage's handle of the unfinished object (S3's multipart UploadId; empty for a local file).
    storage_handle: Mapped[str] = mapped_column(String(1024), default="")
    # True once the chunks were joined into one object (S3 completes the multipart upload once).
    assembled: Mapped[bool] = mapped_column(Boolean, default=False)
    # True while a request creates a project from it: an upload makes one project.
    in_use: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Last time a chunk arrived; uploads idle longer than UPLOAD_MAX_AGE_HOURS are removed.
    updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # The account that started it: only they may send its chunks or make a project of it.
    owner_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )


class UploadChunk(db.Model):
    """One chunk of an upload that arrived whole."""

    __tablename__ = "upload_chunks"

    upload_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True
    )
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class Job(db.Model):
    """One piece of long work (a build, an export, training…) run by a worker; the truth about it.

    A job is claimed by exactly one worker at a time (`worker` names the attempt); the worker
    writes its progress and a heartbeat, so a job whose worker died is noticed and run again or
    failed with the reason.
    """

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # Not a foreign key: a job's record outlives a project that its failure removed.
    project_id: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    # queued | running | done | failed | cancelled
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(String(1024), default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str] = mapped_column(String(2000), default="")
    # The HTTP status that a request waiting for this job answers with when it failed.
    error_status: Mapped[int] = mapped_column(Integer, default=500)
    author: Mapped[str] = mapped_column(String(255), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    worker: Mapped[str] = mapped_column(String(255), default="")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    heartbeat: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Viewer(db.Model):
    """An annotator who has a project open, the frame they look at and when they were last seen.

    The app reports every few seconds; rows not seen for a while are no longer listed, and
    leaving the page removes the row.
    """

    __tablename__ = "viewers"

    project_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    annotator: Mapped[str] = mapped_column(String(255), primary_key=True)
    frame: Mapped[int] = mapped_column(Integer, default=0)
    feature: Mapped[int] = mapped_column(Integer, default=0)
    seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# ---------------------------------------------------------------- accounts and access


class User(db.Model):
    """An account: a person, a pipeline's robot or a guest; signs in by password, token or SSO."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # NFKC-normalised and case-folded, so look-alike spellings are one name.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # argon2id hash; None for an account that signs in only through single sign-on.
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # The OpenID Connect subject ("<issuer> <sub>") of an account made or linked by SSO.
    sso_subject: Mapped[str | None] = mapped_column(String(512), nullable=True, unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # A guest made by a crowd link: the one campaign it may work in.
    guest_campaign: Mapped[str | None] = mapped_column(String(16), nullable=True)


class ApiToken(db.Model):
    """A named API token of an account; only its SHA-256 is kept (the token has 256 random bits,
    so a fast hash cannot be searched back)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_used: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class SignInSession(db.Model):
    """A browser's signed-in session; the cookie names it, and signing out deletes the row, so
    an old cookie replayed afterwards opens nothing."""

    __tablename__ = "sign_in_sessions"

    # SHA-256 of the random session id the cookie carries.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SignInLink(db.Model):
    """A one-time sign-in link (the first start's, printed on the console): used once, soon
    expired."""

    __tablename__ = "sign_in_links"

    # SHA-256 of the link's random token.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"))
    expires: Mapped[datetime] = mapped_column(DateTime)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class ProjectMember(db.Model):
    """An account's role on a project: viewer | annotator | reviewer | owner."""

    __tablename__ = "project_members"

    project_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ShareLink(db.Model):
    """A link that gives whoever opens it (signed in) a role on a project, until it expires or
    is revoked; the link carries this row's id signed with the server's secret."""

    __tablename__ = "share_links"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    uses: Mapped[int] = mapped_column(Integer, default=0)
