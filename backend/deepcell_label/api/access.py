"""Every route declares the right it needs with `@rule(...)`; one check before each request
enforces it (services/access decides): the identity from a Bearer token or the session
cookie, `X-CSRF-Token` on cookie requests that change something, then the right on what the URL
names. A route without a rule is for site admins only (and fails the access matrix test)."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from datetime import timedelta

from flask import Flask, g, request, session
from flask_login import LoginManager, UserMixin, current_user

from ..services import access
from ..services.access import AccessError, Identity

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_KEY = "csrf_token"


def rule(
    right: str,
    *,
    uploads: tuple[str, ...] = (),
    projects: Callable | None = None,
    guests: bool = False,
):
    """Declare the right a route needs: "public", "signed_in", "admin", "view", "annotate",
    "review", "own" (on the URL's `project_id`), "job" (whoever may see the job's project),
    "upload" (only its uploader). `uploads`: form fields naming upload ids the caller must
    own; `projects`: a function of the request giving more project ids that need `right`;
    `guests`: a crowd link's guest may use this "signed_in" route too (its use case decides
    what it may see)."""
    if right not in access.RIGHTS:
        raise ValueError(f"unknown right {right!r}; the rights are {', '.join(access.RIGHTS)}")

    def declare(view):
        view.access_rule = right
        view.access_uploads = uploads
        view.access_projects = projects
        view.access_guests = guests
        return view

    return declare


class SessionUser(UserMixin):
    """Flask-Login's view of a browser session: its id is the server-side session's, so that
    signing out (deleting that row) ends every copy of the cookie."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def get_id(self) -> str:
        return self.identity.session_id


def current_identity() -> Identity:
    """The caller (every route but the public ones has one)."""
    found = g.get("identity")
    if found is None:
        raise AccessError(access.rights.SIGN_IN, 401)
    return found


def signed_in_or_none() -> Identity | None:
    """The caller of a public route, when they sent a valid token or session cookie."""
    return g.get("identity")


def annotator() -> str:
    """Who makes the request, as the history, presence and undo name them: the username."""
    return current_identity().username


def _identify() -> Identity | None:
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, secret = header.strip().partition(" ")
        if scheme.lower() != "bearer":
            raise AccessError(
                "Send an API token as 'Authorization: Bearer <token>' (no other scheme is "
                "accepted).",
                401,
            )
        return access.identity_from_token(secret.strip())
    user = current_user
    if user is not None and user.is_authenticated:
        return user.identity
    return None


def init_access(app: Flask) -> None:
    if "static" in app.view_functions:  # Flask's own route for the package's static files
        rule("public")(app.view_functions["static"])
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config.get("SESSION_COOKIE_SECURE"))
    max_age = timedelta(hours=float(app.config.get("SESSION_HOURS", 336)))
    app.config["PERMANENT_SESSION_LIFETIME"] = max_age
    access.init_sso(app)
    login_manager = LoginManager()
    login_manager.session_protection = "basic"
    login_manager.init_app(app)

    @login_manager.user_loader
    def load_session(session_id: str):
        found = access.identity_from_session(session_id, max_age)
        return SessionUser(found) if found is not None else None

    @login_manager.unauthorized_handler
    def unauthorized():
        raise AccessError(access.rights.SIGN_IN, 401)

    @app.before_request
    def check_access():
        if request.endpoint is None:  # no route: the 404 or 405 handler answers
            return None
        view = app.view_functions.get(request.endpoint)
        right = getattr(view, "access_rule", None)
        if right is None:
            # The monitoring dashboard's pages, and any route added without a rule.
            right = "admin"
        if right == "public":
            try:
                g.identity = _identify()
            except AccessError:
                g.identity = None
            access.end_check()
            return None
        g.identity = _identify()
        if (
            g.identity is not None
            and g.identity.via == "cookie"
            and request.method not in SAFE_METHODS
        ):
            check_csrf()
        access.require(
            g.identity, right, request.view_args or {}, getattr(view, "access_guests", False)
        )
        for field in getattr(view, "access_uploads", ()):
            upload_id = (request.form.get(field) or "").strip()
            if upload_id:
                access.require(g.identity, "upload", {"upload_id": upload_id})
        more = getattr(view, "access_projects", None)
        if more is not None:
            for project_id in more():
                access.require(g.identity, right, {"project_id": project_id})
        access.end_check()
        return None


def check_csrf() -> None:
    sent = request.headers.get(CSRF_HEADER, "")
    expected = session.get(CSRF_KEY, "")
    if not (sent and expected and hmac.compare_digest(sent.encode(), expected.encode())):
        raise AccessError(
            f"This request changes something and was authenticated by the session cookie, so it "
            f"must carry the header {CSRF_HEADER} (the csrf_token of GET /api/auth/me).",
            403,
        )
