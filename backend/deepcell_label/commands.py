"""Command-line entry points (`flask <command>`): each calls one use case."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .errors import DeepCellLabelError
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
