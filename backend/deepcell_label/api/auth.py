"""Signing in and out, API tokens, one-time sign-in links, and the admins' account routes."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, redirect, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import login_user, logout_user

from ..services import access
from ..services.access import AccessError, AccountError, sso
from .access import CSRF_KEY, SessionUser, current_identity, rule
from .inputs import json_body

auth = Blueprint("auth", __name__, url_prefix="/api")

# One answer for an unknown account and a wrong password: it never tells which.
WRONG = "The username or the password is wrong (or the account is deactivated)."

# Only failed sign-ins count (deduct_when): a person who types the password right is never
# throttled; storage from RATELIMIT_STORAGE_URI (memory:// by default, Redis for many servers).
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def _account_key() -> str:
    body = request.get_json(silent=True)
    name = body.get("username") if isinstance(body, dict) else None
    try:
        return "sign-in account:" + access.normalise_username(name)
    except AccountError:
        return "sign-in account:?"


def _failed(response: Response) -> bool:
    return response.status_code == 401


def safe_next(value: object) -> str:
    """Where to go after signing in: a path on this site, never another origin."""
    if not isinstance(value, str) or not value or len(value) > 2000:
        return "/"
    parts = urlsplit(value)
    if (
        not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or parts.scheme
        or parts.netloc
        or any(ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        return "/"
    return value


def sign_in(user) -> dict:
    """A fresh session (a new id kept on the server) and CSRF token for this browser."""
    session.clear()
    session.permanent = True
    signed_in = access.start_session(user)
    login_user(SessionUser(signed_in))
    session[CSRF_KEY] = secrets.token_urlsafe(32)
    return {"user": access.describe_user(user), "csrf_token": session[CSRF_KEY]}


@auth.post("/auth/login")
@rule("public")
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_ACCOUNT"],
    key_func=_account_key,
    deduct_when=_failed,
    scope="sign-in account",
)
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_ADDRESS"],
    deduct_when=_failed,
    scope="sign-in address",
)
def login():
    """Sign in with a username and password (JSON `{username, password, next}`): a session cookie and its CSRF token."""
    body = json_body()
    user = access.check_password(body.get("username"), body.get("password"))
    if user is None:
        raise AccessError(WRONG, 401)
    answer = sign_in(user)
    return jsonify({**answer, "next": safe_next(body.get("next") or request.args.get("next"))})


@auth.get("/auth/link")
@rule("public")
@limiter.limit(lambda: current_app.config["SIGN_IN_LIMIT_ADDRESS"], deduct_when=_failed)
def link():
    """A one-time sign-in link (printed at first start): signs the browser in, goes to the app."""
    user = access.use_sign_in_link(request.args.get("token", ""))
    sign_in(user)
    return redirect(safe_next(request.args.get("next")), 303)


NEXT_KEY = "sso_next"


@auth.get("/auth/oidc")
@rule("public")
def oidc_settings():
    """Whether single sign-on is offered, and the provider's name (the sign-in page's button)."""
    return jsonify(
        {"enabled": sso.enabled(), "provider": sso.provider_name(), "login": "/api/auth/oidc/login"}
    )


@auth.get("/auth/oidc/login")
@rule("public")
def oidc_login():
    """Go to the provider's sign-in page; it sends the browser back to the callback."""
    target = safe_next(request.args.get("next"))
    answer = sso.start(url_for("auth.oidc_callback", _external=True))
    session[NEXT_KEY] = target
    return answer


@auth.get("/auth/oidc/callback")
@rule("public")
@limiter.limit(lambda: current_app.config["SIGN_IN_LIMIT_ADDRESS"], deduct_when=_failed)
def oidc_callback():
    """Where the identity provider sends the browser back after a single sign-on: signs it in.
    ---
    responses:
      303: {description: Signed in; on to the page that asked.}
    """
    target = safe_next(session.get(NEXT_KEY))
    user = sso.finish()
    sign_in(user)
    return redirect(target, 303)


@auth.get("/auth/me")
@rule("signed_in", guests=True)
def me():
    """Who the caller is: username, display name, whether an admin, and the CSRF token of a cookie session."""
    caller = current_identity()
    return jsonify(
        {
            "username": caller.username,
            "display_name": caller.display_name,
            "admin": caller.admin,
            "csrf_token": session.get(CSRF_KEY) if caller.via == "cookie" else None,
        }
    )


@auth.post("/auth/logout")
@rule("signed_in", guests=True)
def logout():
    """Sign out: the browser session ends (every copy of its cookie).
    ---
    responses:
      204: {description: Signed out.}
    """
    caller = current_identity()
    if caller.via == "cookie":
        access.end_session(caller.session_id)
    logout_user()
    session.clear()
    return Response(status=204)


@auth.post("/auth/tokens")
@rule("signed_in")
def create_token():
    """Make an API token for the caller (JSON `{name, expires_in_days}`); its secret is shown once.
    ---
    responses:
      201: {description: "The token's description with its secret `token`."}
    """
    body = json_body()
    token, secret = access.create_token(
        current_identity().user_id, body.get("name"), body.get("expires_in_days")
    )
    return jsonify({**access.describe_token(token), "token": secret}), 201


@auth.get("/auth/tokens")
@rule("signed_in")
def list_tokens():
    """The caller's API tokens (never their secrets)."""
    return jsonify({"tokens": access.list_tokens(current_identity().user_id)})


@auth.delete("/auth/tokens/<token_id>")
@rule("signed_in")
def revoke_token(token_id: str):
    """Revoke one of the caller's API tokens.
    ---
    responses:
      204: {description: Revoked.}
    """
    access.revoke_token(current_identity().user_id, token_id)
    return Response(status=204)


# ---------------------------------------------------------------- accounts (site admins)


@auth.post("/users")
@rule("admin")
def create_user():
    """Create an account (JSON `{username, password, display_name, email, admin}`).
    ---
    responses:
      201: {description: The new account.}
    """
    body = json_body()
    user = access.create_user(
        body.get("username"),
        body.get("password"),
        body.get("display_name"),
        body.get("email"),
        admin=body.get("admin") is True,
    )
    return jsonify(access.describe_user(user)), 201


@auth.get("/users")
@rule("admin")
def list_users():
    """Every account."""
    return jsonify({"users": access.list_users()})


@auth.post("/users/<username>/deactivate")
@rule("admin")
def deactivate(username: str):
    """Deactivate an account: its tokens and sessions stop working."""
    if access.normalise_username(username) == current_identity().username:
        raise AccountError("You cannot deactivate your own account.")
    return jsonify(access.describe_user(access.set_active(username, False)))


@auth.post("/users/<username>/activate")
@rule("admin")
def activate(username: str):
    """Activate an account again."""
    return jsonify(access.describe_user(access.set_active(username, True)))


@auth.post("/users/<username>/password")
@rule("admin")
def reset_password(username: str):
    """Set an account's password (JSON `{password}`).
    ---
    responses:
      204: {description: Set.}
    """
    access.set_password(username, json_body().get("password"))
    return Response(status=204)
