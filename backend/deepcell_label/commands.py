"""Command-line entry points (`flask <command>`): each calls one use case."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .errors import DeepCellLabelError
from .services import access
from .services.building import add_missing_pyramids
from .services.publishing import publish


@click.command("publish-frontend")
@click.option("--bucket", required=True, help="S3 bucket that CloudFront serves the app from.")
@click.option("--prefix", default="", help="Key prefix inside the bucket.")
@click.option("--dist", default=None, help="Built app folder (default: FRONTEND_DIR).")
@with_appcontext
def publish_frontend(bucket: str, prefix: str, dist: str | None) -> None:
    """Upload the built browser app to S3 with content types and cache headers."""
    config = current_app.config
    try:
        uploaded = publish(Path(dist or config["FRONTEND_DIR"]), bucket, prefix)
    except DeepCellLabelError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"uploaded {len(uploaded)} files to s3://{bucket}/{prefix}")
    click.echo("Now invalidate /index.html and / in CloudFront (see docs/DEPLOYMENT.md).")


@click.command("add-pyramids")
@with_appcontext
def add_pyramids() -> None:
    """Write pyramid levels and label overviews for projects created before they existed."""
    for project_id, levels in add_missing_pyramids():
        click.echo(f"{project_id}: {levels} levels written")


@click.group("users")
def users() -> None:
    """Manage accounts: create, set-password, token, link."""


def _refused(error: DeepCellLabelError) -> click.ClickException:
    return click.ClickException(error.message)


@users.command("create")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--display-name", default=None, help="Name shown to others (default: username).")
@click.option("--email", default=None)
@click.option("--admin", is_flag=True, help="Make a site admin (sees and manages everything).")
@with_appcontext
def create_user(
    username: str, password: str, display_name: str | None, email: str | None, admin: bool
) -> None:
    """Create an account with a password."""
    try:
        user = access.create_user(username, password, display_name, email, admin=admin)
    except DeepCellLabelError as error:
        raise _refused(error) from None
    click.echo(f"created {user.username!r}{' (site admin)' if user.admin else ''}")


@users.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def set_password(username: str, password: str) -> None:
    """Set an account's password (its browser sessions end)."""
    try:
        user = access.set_password(username, password)
    except DeepCellLabelError as error:
        raise _refused(error) from None
    click.echo(f"password of {user.username!r} set")


@users.command("token")
@click.argument("username")
@click.option("--name", default="command line", help="What the token is for.")
@click.option("--expires-in-days", type=float, default=None)
@with_appcontext
def make_token(username: str, name: str, expires_in_days: float | None) -> None:
    """Print a new API token of an account (shown this once)."""
    try:
        user = access.find_user(username)
        _, secret = access.create_token(user.id, name, expires_in_days)
    except DeepCellLabelError as error:
        raise _refused(error) from None
    click.echo(secret)


@users.command("link")
@click.argument("username")
@click.option("--minutes", type=float, default=15.0, help="How long the link is valid.")
@with_appcontext
def sign_in_link(username: str, minutes: float) -> None:
    """Print a one-time sign-in link of an account."""
    try:
        user = access.find_user(username)
        secret = access.create_sign_in_link(user.id, minutes)
    except DeepCellLabelError as error:
        raise _refused(error) from None
    base = current_app.config["PUBLIC_URL"] or "http://127.0.0.1:5000"
    click.echo(f"{base.rstrip('/')}/api/auth/link?token={secret}")
