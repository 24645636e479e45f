"""The `deepcell-label` command: log in once, upload an image (and labels) as a new project,
download a project's export.

Exit codes for scripts: 0 done; 1 a fault of the server or an unexpected error; 2 a wrong command
line (click's); 3 no or a refused token; 4 no such project; 5 a refused file or request; 6 a server
this client does not understand; 7 the server could not be reached.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from . import errors
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
    """DeepCell Label from the command line: send images (and model predictions) as projects,
    fetch the curated labels back.

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
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(),
    help="The file to write, or a folder to put it in under the server's name.",
)
@click.pass_context
@reported
def download(context: click.Context, project_id: str, export_format: str, output: str) -> None:
    """Download project ID's export; print where it was written."""
    with connect(context) as client:
        path = client.project(project_id).export(output, export_format)
    click.echo(str(path))


if __name__ == "__main__":
    main()
