"""Accounts: usernames, argon2id passwords, API tokens, sign-in sessions and one-time links,
and the first start's admin.

Tokens and session ids carry 256 random bits from `secrets`; only their SHA-256 is stored (a
slow hash is for guessable secrets such as passwords, not for these), and they are found by
that hash with a constant-time comparison on top of the index lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from confusable_homoglyphs import categories, confusables
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from ...errors import ConflictError, DeepCellLabelError, NotFoundError
from ...store.models import (
    ApiToken,
    Project,
    SignInLink,
    SignInSession,
    Upload,
    User,
    db,
    utcnow,
)

log = logging.getLogger(__name__)

USERNAME_MAX = 64
PASSWORD_MIN = 8
PASSWORD_MAX = 1024
NAME_MAX = 255
TOKEN_PREFIX = "dcl_"
# argon2id with OWASP's first recommended setting (m=19 MiB, t=2, p=1): tens of milliseconds on
# one core, so a sign-in stays well under 300 ms even on a busy machine (bench/access.py measures
# it; docs/SECURITY.md). Hashes made with other settings are rehashed at the next sign-in.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the account does not exist, so that case takes as long as a wrong
# password and answers the same.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))
# last_used is written at most this often per token: a write per request would double the cost
# of every API call.
LAST_USED_EVERY = timedelta(minutes=1)


class AccessError(DeepCellLabelError):
    """A request without the right identity or role; its status says which (401, 403, 404)."""

    status = 401


class AccountError(DeepCellLabelError):
    """A username, password or token field that cannot be accepted as sent."""

    status = 400


@dataclass(frozen=True)
class Identity:
    """Who makes a request, and how they proved it ("token" or "cookie")."""

    user_id: int
    username: str
    display_name: str
    admin: bool
    via: str
    session_id: str = ""
    # A guest made by a crowd link: the one campaign it may work in.
    guest_campaign: str | None = None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def normalise_username(raw: object) -> str:
    """The account name as stored: NFKC-normalised and case-folded, so that look-alike
    spellings (full-width letters, ligatures, case) are one name; refused with a reason when it
    is empty, too long or has characters a name cannot have."""
    if not isinstance(raw, str):
        raise AccountError("'username' must be a string, e.g. \"ana\".")
    if len(raw) > 4 * USERNAME_MAX:
        raise AccountError(
            f"The username is {len(raw)} characters long; a username has at most {USERNAME_MAX}."
        )
    name = unicodedata.normalize("NFKC", raw).casefold().strip()
    name = unicodedata.normalize("NFKC", name)
    if not name:
        raise AccountError("The username is empty. Choose 1 to 64 letters, digits or . - _ @ +.")
    if len(name) > USERNAME_MAX:
        raise AccountError(
            f"The username is {len(name)} characters long; a username has at most {USERNAME_MAX}."
        )
    wrong = sorted({c for c in name if not (c.isalnum() or c in ".-_@+")})
    if wrong:
        shown = ", ".join(repr(c) if c.isprintable() else f"U+{ord(c):04X}" for c in wrong)
        raise AccountError(
            f"The username may not contain {shown}: use letters, digits and . - _ @ + only."
        )
    scripts = _scripts(name)
    if len(scripts) > 1:
        raise AccountError(
            f"The username mixes the scripts {', '.join(sorted(scripts))}: a name written in one "
            "script cannot pass for another's look-alike. Use the letters of one script."
        )
    return name


# Scripts that are written together in one name (Japanese mixes these three with Han).
_SCRIPT_GROUPS = {"HAN": "CJK", "HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK"}


def _scripts(name: str) -> set[str]:
    """The scripts of a name's letters (Unicode's Scripts data, through confusable-homoglyphs);
    digits and . - _ @ + belong to none."""
    return {_SCRIPT_GROUPS.get(a, a) for a in categories.unique_aliases(name)} - {
        "COMMON",
        "INHERITED",
    }


def skeleton(name: str) -> str:
    """What a name looks like (UTS #39's skeleton, section 4): after NFD, each character is
    replaced by one stand-in for every character Unicode's confusables data says it can be
    taken for, and NFD again. Names that look alike ("paypal", "paypa1", Cyrillic "соса" and
    Latin "coca") have the same skeleton. The stand-in is the lowest code point of the
    character and its one-character homoglyphs, so each group of look-alikes has one."""
    alike = confusables.confusables_data
    stand_ins = (
        min([character, *(h["c"] for h in alike.get(character, ()) if len(h["c"]) == 1)], key=ord)
        for character in unicodedata.normalize("NFD", name)
    )
    return unicodedata.normalize("NFD", "".join(stand_ins))


def look_alike(name: str) -> str | None:
    """An existing username that looks like `name` but is not it, if there is one."""
    wanted = skeleton(name)
    for existing in db.session.scalars(select(User.username)):
        if existing != name and skeleton(existing) == wanted:
            return existing
    return None


def _check_password(password: object) -> str:
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise AccountError(f"The password must be a string of at least {PASSWORD_MIN} characters.")
    if len(password) > PASSWORD_MAX:
        raise AccountError(f"The password is longer than {PASSWORD_MAX} characters.")
    return password


def _text(value: object, field: str, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str) or len(value) > NAME_MAX or not value.isprintable():
        raise AccountError(f"'{field}' must be printable text of at most {NAME_MAX} characters.")
    return value.strip()


def describe_user(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "admin": user.admin,
        "active": user.active,
        "created": user.created.isoformat() + "Z",
        "sso": user.password_hash is None,
    }


def find_user(username: object) -> User:
    name = normalise_username(username)
    user = db.session.scalar(select(User).where(User.username == name))
    if user is None:
        raise NotFoundError(f"There is no account {name!r}.")
    return user


def _commit_or_conflict(name: str, flush: bool = False) -> None:
    try:
        db.session.flush() if flush else db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ConflictError(
            f"An account {name!r} exists already (names are compared case-insensitively and "
            "after Unicode normalisation). Choose another name."
        ) from None


def create_user(
    username: object,
    password: object = None,
    display_name: object = None,
    email: object = None,
    admin: bool = False,
    sso_subject: str | None = None,
    password_required: bool = True,
) -> User:
    """A new account; the first one ever made is an admin and owns the projects of before.

    Without a password (single sign-on, or the first admin reached by a one-time link) the
    account cannot sign in with one until `set_password`."""
    name = normalise_username(username)
    if password_required or password is not None:
        password = _check_password(password)
    existing = look_alike(name)
    if existing is not None:
        raise ConflictError(
            f"The username {name!r} looks like the existing account {existing!r} (their "
            "letters can be taken for one another). Choose a name that reads differently."
        )
    first = db.session.scalar(select(User.id).limit(1)) is None
    user = User(
        username=name,
        display_name=_text(display_name, "display_name", name) or name,
        email=_text(email, "email") or None,
        password_hash=HASHER.hash(password) if password is not None else None,
        sso_subject=sso_subject,
        active=True,
        admin=bool(admin) or first,
        created=utcnow(),
    )
    db.session.add(user)
    _commit_or_conflict(name, flush=True)
    if first or user.admin:
        _adopt_ownerless(user)
    _commit_or_conflict(name)
    return user


def add_guest(display_name: str, campaign_id: str) -> User:
    """A guest account of one campaign (made by its crowd link), in the caller's transaction:
    a random name, no password; it signs in by the session the link opens."""
    user = User(
        username=f"guest-{secrets.token_hex(6)}",
        display_name=display_name[:NAME_MAX],
        password_hash=None,
        active=True,
        admin=False,
        created=utcnow(),
        guest_campaign=campaign_id,
    )
    db.session.add(user)
    db.session.flush()
    return user


def _adopt_ownerless(user: User) -> None:
    """Projects and uploads made before accounts existed go to the first admin."""
    db.session.execute(update(Project).where(Project.owner_id.is_(None)).values(owner_id=user.id))
    db.session.execute(update(Upload).where(Upload.owner_id.is_(None)).values(owner_id=user.id))


def set_password(username: str, password: object) -> User:
    user = find_user(username)
    user.password_hash = HASHER.hash(_check_password(password))
    # A new password ends every browser session of the account.
    db.session.execute(SignInSession.__table__.delete().where(SignInSession.user_id == user.id))
    db.session.commit()
    return user


def set_active(username: str, active: bool) -> User:
    user = find_user(username)
    user.active = active
    if not active:
        db.session.execute(SignInSession.__table__.delete().where(SignInSession.user_id == user.id))
    db.session.commit()
    return user


def list_users() -> list[dict]:
    return [describe_user(u) for u in db.session.scalars(select(User).order_by(User.username))]


def check_password(username: object, password: object) -> User | None:
    """The account when the password is right and the account active, else None — after the
    same work either way, so timing does not tell whether the account exists."""
    try:
        name = normalise_username(username)
    except AccountError:
        name = None
    user = db.session.scalar(select(User).where(User.username == name)) if name else None
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    candidate = password if isinstance(password, str) and len(password) <= PASSWORD_MAX else ""
    try:
        ok = HASHER.verify(stored, candidate)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None or not user.password_hash or not user.active:
        return None
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(candidate)
        db.session.commit()
    return user


def _identity(user: User, via: str, session_id: str = "") -> Identity:
    return Identity(
        user.id,
        user.username,
        user.display_name,
        user.admin,
        via,
        session_id,
        user.guest_campaign,
    )


# ---------------------------------------------------------------- API tokens


def expiry(expires_in_days: object) -> datetime | None:
    """When something given `expires_in_days` from now expires (None: never)."""
    if expires_in_days is None:
        return None
    if isinstance(expires_in_days, bool) or not isinstance(expires_in_days, int | float):
        raise AccountError("'expires_in_days' must be a number of days (or left out).")
    if not 0 < expires_in_days <= 3650:
        raise AccountError("'expires_in_days' must be more than 0 and at most 3650.")
    return utcnow() + timedelta(days=float(expires_in_days))


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_token(
    user_id: int, name: object, expires_in_days: object = None, secret: str | None = None
) -> tuple[ApiToken, str]:
    """A new token for the account; the secret is returned once and never stored."""
    label = _text(name, "name", "token") or "token"
    expires = expiry(expires_in_days)
    secret = secret or new_token_secret()
    token = ApiToken(
        user_id=user_id, name=label, token_hash=digest(secret), created=utcnow(), expires=expires
    )
    db.session.add(token)
    db.session.commit()
    return token, secret


def describe_token(token: ApiToken) -> dict:
    def moment(value: datetime | None) -> str | None:
        return value.isoformat() + "Z" if value else None

    return {
        "id": token.id,
        "name": token.name,
        "created": moment(token.created),
        "expires": moment(token.expires),
        "last_used": moment(token.last_used),
        "revoked": token.revoked,
    }


def list_tokens(user_id: int) -> list[dict]:
    rows = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    )
    return [describe_token(t) for t in rows]


def revoke_token(user_id: int, token_id: str) -> None:
    token = db.session.get(ApiToken, int(token_id)) if token_id.isdigit() else None
    if token is None or token.user_id != user_id:
        raise NotFoundError(
            f"You have no API token {token_id[:20]!r}. GET /api/auth/tokens lists them."
        )
    token.revoked = True
    db.session.commit()


UNKNOWN_TOKEN = (
    "The API token is not valid: unknown, revoked or expired, or its account is deactivated. "
    "Create a new one (POST /api/auth/tokens, or `flask users token`)."
)


# The statements of every request's check, built once: SQLAlchemy memoizes a statement's cache
# key on the statement object, so a statement made anew per request costs more to build and
# key than the database takes to answer it. Columns, not entities: rows are cheaper than objects.
_ACCOUNT = (
    User.id.label("user_id"),
    User.username,
    User.display_name,
    User.admin,
    User.active,
    User.guest_campaign,
)
_TOKEN_QUERY = (
    select(
        ApiToken.id,
        ApiToken.token_hash,
        ApiToken.revoked,
        ApiToken.expires,
        ApiToken.last_used,
        *_ACCOUNT,
    )
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)
_SESSION_QUERY = (
    select(SignInSession.created, *_ACCOUNT)
    .join(User, User.id == SignInSession.user_id)
    .where(SignInSession.id == bindparam("session_hash"))
)


def identity_from_token(secret: str) -> Identity:
    """The account a Bearer token belongs to, checked at this very request."""
    if not secret or len(secret) > 200:
        raise AccessError(UNKNOWN_TOKEN)
    wanted = digest(secret)
    row = db.session.execute(_TOKEN_QUERY, {"token_hash": wanted}).first()
    if row is None or not hmac.compare_digest(row.token_hash, wanted):
        raise AccessError(UNKNOWN_TOKEN)
    now = utcnow()
    if row.revoked or not row.active or (row.expires is not None and row.expires <= now):
        raise AccessError(UNKNOWN_TOKEN)
    if row.last_used is None or now - row.last_used > LAST_USED_EVERY:
        # End the read first: on SQLite a write may not follow reads of a snapshot that another
        # process has since moved past (a GET request reads in one snapshot).
        db.session.commit()
        db.session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used=now))
        db.session.commit()
    return Identity(
        row.user_id,
        row.username,
        row.display_name,
        row.admin,
        "token",
        guest_campaign=row.guest_campaign,
    )


# ---------------------------------------------------------------- browser sessions


def start_session(user: User) -> Identity:
    """A new server-side session for a browser that just signed in (never the one it had)."""
    session_id = secrets.token_urlsafe(32)
    db.session.add(SignInSession(id=digest(session_id), user_id=user.id, created=utcnow()))
    db.session.commit()
    return _identity(user, "cookie", session_id)


def end_session(session_id: str) -> None:
    db.session.execute(
        SignInSession.__table__.delete().where(SignInSession.id == digest(session_id))
    )
    db.session.commit()


def identity_from_session(session_id: str, max_age: timedelta) -> Identity | None:
    """The account of a browser session that is still open on the server, else None."""
    if not session_id or len(session_id) > 200:
        return None
    row = db.session.execute(_SESSION_QUERY, {"session_hash": digest(session_id)}).first()
    if row is None or not row.active or utcnow() - row.created > max_age:
        return None
    return Identity(
        row.user_id,
        row.username,
        row.display_name,
        row.admin,
        "cookie",
        session_id,
        guest_campaign=row.guest_campaign,
    )


# ---------------------------------------------------------------- first start


def has_accounts() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is not None


def create_sign_in_link(user_id: int, minutes: float = 15.0) -> str:
    secret = secrets.token_urlsafe(32)
    db.session.add(
        SignInLink(
            id=digest(secret), user_id=user_id, expires=utcnow() + timedelta(minutes=minutes)
        )
    )
    db.session.commit()
    return secret


def use_sign_in_link(secret: str) -> User:
    """The account of a one-time link, which is used up by this call."""
    refused = AccessError(
        "This sign-in link is used up or expired. Ask the operator for a new one "
        "(`flask users link`), or sign in with a password."
    )
    if not secret or len(secret) > 200:
        raise refused
    used = db.session.execute(
        update(SignInLink)
        .where(
            SignInLink.id == digest(secret),
            SignInLink.used.is_(False),
            SignInLink.expires > utcnow(),
        )
        .values(used=True)
    )
    if used.rowcount != 1:
        db.session.rollback()
        raise refused
    link = db.session.get(SignInLink, digest(secret))
    user = db.session.get(User, link.user_id)
    db.session.commit()
    if user is None or not user.active:
        raise refused
    return user


def first_start(username: str, password: str, token: str, link_minutes: float = 15.0) -> str | None:
    """Make the first admin when no account exists (and register `token` for it); answers a
    one-time sign-in secret when no password was given, for the console."""
    if has_accounts():
        if token:  # a second server on the same database with the same token: already known
            known = db.session.scalar(
                select(ApiToken.id).where(ApiToken.token_hash == digest(token))
            )
            if known is None:
                log.warning("ADMIN_TOKEN is set but accounts exist already: it is not registered")
        return None
    try:
        user = create_user(
            username or "admin",
            password or None,
            admin=True,
            password_required=False,
        )
    except ConflictError:  # another process made it at the same moment
        return None
    if token:
        create_token(user.id, "ADMIN_TOKEN", secret=token)
    if password:
        return None
    return create_sign_in_link(user.id, link_minutes)
