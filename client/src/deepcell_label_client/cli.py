"""The `deepcell-label` command: log in once, upload an image (and labels) as a new project,
download a project's export.

Exit codes for scripts: 0 done; 1 a fault of the server or an unexpected error; 2 a wrong command
line (click's); 3 no or a refused token; 4 no such project; 5 a refused file or request; 6 a server
this client does not understand; 7 the server could not be reached.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from . import errors
from .campaign import DATASET_FORMATS
from .client import Client
from .project import EXPORT_FORMATS
from .settings import TOKEN_VARIABLE, URL_VARIABLE, save_login

EXIT_CODES: list[tuple[type[BaseException], int]] = [
    (errors.AuthenticationError, 3),
    (errors.PermissionDeniedError, 3),
    (errors.NotFoundError, 4),
    (errors.BadRequestError, 5),
    (errors.IncompatibleServerError, 6),
    (errors.ConnectionFailedError, 7),
    (errors.DeepCellLabelError, 1),
    (FileNotFoundError, 5),
    (ValueError, 5),
]


OUTPUT = click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(),
    help="The file to write, or a folder to put it in under the server's name.",
)


def reported(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the client's exceptions into a message on stderr and the command's exit code."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except tuple(kind for kind, _ in EXIT_CODES) as error:
            code = next(code for kind, code in EXIT_CODES if isinstance(error, kind))
            click.echo(f"Error: {error}", err=True)
            sys.exit(code)

    return run


def connect(context: click.Context) -> Client:
    options = context.obj
    return Client(options["url"], options["token"], progress=options["progress"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", help=f"The server (default ${URL_VARIABLE}, else the saved login).")
@click.option("--token", help=f"API token (default ${TOKEN_VARIABLE}, else the saved login).")
@click.option("--progress/--no-progress", default=True, help="Show progress bars (on stderr).")
@click.version_option(package_name="deepcell-label-client")
@click.pass_context
def main(context: click.Context, url: str | None, token: str | None, progress: bool) -> None:
    """DeepCell Label from the command line: send images (and model predictions) as projects or
    campaigns, fetch the curated labels back.

    Exit codes: 0 done, 1 server fault, 2 bad command line, 3 token refused, 4 not found,
    5 file or request refused, 6 incompatible server, 7 server unreachable.
    """
    context.obj = {"url": url, "token": token, "progress": progress}


@main.command()
@click.option("--url", "login_url", help="The server's address, e.g. https://label.example.org.")
@click.option("--token", "login_token", help="Your API token (asked for, hidden, when not given).")
@click.pass_context
@reported
def login(context: click.Context, login_url: str | None, login_token: str | None) -> None:
    """Check a server and your token, and keep both for later commands.

    They are saved in your config folder (e.g. ~/.config/deepcell-label/login.json), readable by
    you only.
    """
    url = login_url or context.obj["url"] or click.prompt("Server URL")
    token = login_token or context.obj["token"]
    if token is None:
        token = click.prompt("API token", hide_input=True, default="", show_default=False) or None
    with Client(url, token, progress=False) as client:
        versions = client.versions
        caller = client.me()  # the token works, or an AuthenticationError says why
    path = save_login(client.url, token)
    click.echo(
        f"Logged in to {client.url} as {caller.get('username')} (API "
        f"{versions.get('api_version')}, server {versions.get('server_version')}); saved in {path}"
    )


@main.command()
@click.argument("image", type=click.Path(exists=True, dir_okay=False))
@click.option("--labels", type=click.Path(exists=True, dir_okay=False), help="A labels file.")
@click.option("--axes", help="The image's dimension order, e.g. TYXC, ZYX, CYX.")
@click.option("--labels-axes", help="The labels' dimension order, when it cannot be guessed.")
@click.option("--name", help="The project's name (default: the image's file name).")
@click.pass_context
@reported
def upload(
    context: click.Context,
    image: str,
    labels: str | None,
    axes: str | None,
    labels_axes: str | None,
    name: str | None,
) -> None:
    """Create a project from IMAGE (and --labels); print its id once it is built."""
    with connect(context) as client:
        project = client.create_project(
            image, labels, axes=axes, labels_axes=labels_axes, name=name
        )
    click.echo(project.id)


@main.command()
@click.argument("project_id", metavar="ID")
@click.option(
    "--format",
    "export_format",
    type=click.Choice(EXPORT_FORMATS),
    default="zip",
    show_default=True,
    help="zip: the project zip; npz: X and y arrays; ctc, trk, ome-zarr.",
)
@OUTPUT
@click.pass_context
@reported
def download(context: click.Context, project_id: str, export_format: str, output: str) -> None:
    """Download project ID's export; print where it was written."""
    with connect(context) as client:
        path = client.project(project_id).export(output, export_format)
    click.echo(str(path))


@main.group()
def campaign() -> None:
    """Campaigns: images handed out to annotators and reviewers; their accepted labels as a
    training set."""


IMAGE_FILES = click.argument(
    "images", nargs=-1, type=click.Path(exists=True, dir_okay=False), metavar="IMAGES..."
)
LABEL_FILES = click.option(
    "--labels",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A labels file, matched to its image by file-name stem (repeat for more).",
)


@campaign.command("create")
@click.argument("name")
@IMAGE_FILES
@LABEL_FILES
@click.option("--replicas", type=int, default=1, show_default=True, help="Annotators per image.")
@click.option("--instructions", default="", help="What annotators are asked to do.")
@click.option(
    "--review-share",
    type=float,
    default=1.0,
    show_default=True,
    help="Share of submitted tasks a reviewer checks.",
)
@click.pass_context
@reported
def campaign_create(
    context: click.Context,
    name: str,
    images: tuple[str, ...],
    labels: tuple[str, ...],
    replicas: int,
    instructions: str,
    review_share: float,
) -> None:
    """Start campaign NAME (with IMAGES and their --labels); print its id."""
    with connect(context) as client:
        made = client.create_campaign(
            name,
            list(images),
            list(labels),
            replicas=replicas,
            instructions=instructions,
            review_share=review_share,
        )
    click.echo(made.id)


@campaign.command("add")
@click.argument("campaign_id", metavar="ID")
@IMAGE_FILES
@LABEL_FILES
@click.option("--gold", is_flag=True, help="Gold images: their --labels are the reference.")
@click.pass_context
@reported
def campaign_add(
    context: click.Context,
    campaign_id: str,
    images: tuple[str, ...],
    labels: tuple[str, ...],
    gold: bool,
) -> None:
    """Add IMAGES (and their --labels) to campaign ID; print each image's id and name."""
    if not images:
        raise click.UsageError("Name one or more image files.")
    with connect(context) as client:
        added = client.campaign(campaign_id).add_images(list(images), list(labels), gold=gold)
    for entry in added:
        note = f"\t{entry['error']}" if entry.get("error") else ""
        click.echo(f"{entry['id']}\t{entry['image']}{note}")


@campaign.command("status")
@click.argument("campaign_id", metavar="ID")
@click.pass_context
@reported
def campaign_status(context: click.Context, campaign_id: str) -> None:
    """Print campaign ID's settings and its tasks counted per state, as JSON."""
    with connect(context) as client:
        click.echo(json.dumps(client.campaign(campaign_id).status(), indent=1))


@campaign.command("export")
@click.argument("campaign_id", metavar="ID")
@click.option(
    "--format",
    "dataset_format",
    type=click.Choice(DATASET_FORMATS),
    default="npz",
    show_default=True,
    help="npz: X and y arrays per split; zarr: an OME-Zarr zip per image.",
)
@click.option(
    "--split",
    nargs=3,
    type=float,
    default=(0.8, 0.1, 0.1),
    show_default=True,
    help="Shares of train, val and test.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random split.")
@OUTPUT
@click.pass_context
@reported
def campaign_export(
    context: click.Context,
    campaign_id: str,
    dataset_format: str,
    split: tuple[float, float, float],
    seed: int,
    output: str,
) -> None:
    """Export campaign ID's accepted labels as a training set; print where it was written."""
    with connect(context) as client:
        path = client.campaign(campaign_id).export_dataset(
            output, dataset_format, split=split, seed=seed
        )
    click.echo(str(path))


if __name__ == "__main__":
    main()
