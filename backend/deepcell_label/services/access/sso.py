"""Single sign-on through an institution's OpenID Connect provider, with Authlib's Flask client:
the redirect there, the code exchanged and the ID token checked on the way back, and the account
that the provider's subject maps to (made at first sign-in only where OIDC_ALLOW_SIGNUP allows)."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from sqlalchemy import select

from ...store.models import User, db
from .accounts import AccessError, AccountError, create_user, look_alike, normalise_username

PROVIDER = "oidc"


def init_sso(app: Flask) -> None:
    """Register the provider when OIDC_ISSUER is set (its settings read from the issuer's
    discovery document)."""
    issuer = app.config.get("OIDC_ISSUER", "")
    if not issuer:
        return
    oauth = OAuth(app)
    oauth.register(
        PROVIDER,
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer.rstrip('/')}/.well-known/openid-configuration",
        client_kwargs={"scope": app.config["OIDC_SCOPES"]},
    )
    app.extensions["deepcell_sso"] = oauth


def enabled() -> bool:
    return "deepcell_sso" in current_app.extensions


def provider_name() -> str | None:
    """The provider's name on the sign-in page: OIDC_PROVIDER_NAME, else the issuer's host."""
    if not enabled():
        return None
    issuer = current_app.config["OIDC_ISSUER"]
    return current_app.config.get("OIDC_PROVIDER_NAME") or urlsplit(issuer).hostname or issuer


def _client():
    if not enabled():
        raise AccessError(
            "Single sign-on is not set up on this server (OIDC_ISSUER). Sign in with a password.",
            404,
        )
    return current_app.extensions["deepcell_sso"].create_client(PROVIDER)


def start(redirect_uri: str):
    """The redirect to the provider's sign-in page (state and nonce kept in the session)."""
    return _client().authorize_redirect(redirect_uri)


def finish() -> User:
    """The account of the person the provider sends back (checked: state, code, ID token)."""
    client = _client()
    try:
        token = client.authorize_access_token()
    except Exception as error:  # Authlib raises its own errors and requests' ones
        raise AccessError(
            f"Single sign-on failed: {getattr(error, 'description', None) or error}. "
            "Try signing in again.",
            401,
        ) from None
    claims = token.get("userinfo") or client.userinfo(token=token)
    subject = claims.get("sub")
    if not subject:
        raise AccessError("The sign-on provider sent no subject (sub). Try again.", 401)
    key = f"{current_app.config['OIDC_ISSUER'].rstrip('/')} {subject}"[:512]
    user = db.session.scalar(select(User).where(User.sso_subject == key))
    if user is None:
        if not current_app.config["OIDC_ALLOW_SIGNUP"]:
            raise AccessError(
                "There is no account for this single sign-on yet, and this server does not make "
                "one by itself (OIDC_ALLOW_SIGNUP). Ask a site admin for an account.",
                403,
            )
        user = create_user(
            _free_username(claims),
            None,
            claims.get("name"),
            claims.get("email"),
            sso_subject=key,
            password_required=False,
        )
    if not user.active:
        raise AccessError("This account is deactivated. Ask a site admin.", 401)
    return user


def _free_username(claims: dict) -> str:
    """The provider's preferred username, else the e-mail's local part (the first of them that
    is a valid username here: a display name with spaces is not), made unique."""
    wanted = (claims.get("preferred_username"), (claims.get("email") or "").split("@")[0])
    name = "user"
    for candidate in wanted:
        try:
            name = normalise_username(str(candidate or "")[:60])
            break
        except AccountError:
            continue
    taken = db.session.scalar(select(User.id).where(User.username == name))
    if taken is None and look_alike(name) is None:
        return name
    return f"{name[:55]}-{secrets.token_hex(3)}"
