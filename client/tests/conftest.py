"""A real DeepCell Label server (gunicorn and a job worker, from tests/servers.py) shared by the
client's tests of a module, and the client package under test.

The package is the one `pip install ./client` put in a fresh environment when
DEEPCELL_LABEL_CLIENT_VENV names it (as `make test` and CI do), else the checkout's `client/src`.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
CLIENT_VENV = os.environ.get("DEEPCELL_LABEL_CLIENT_VENV", "")


def _load_client() -> None:
    """Import deepcell_label_client from the fresh environment's install, or the checkout."""
    if "deepcell_label_client" in sys.modules:
        return
    if not CLIENT_VENV:
        sys.path.insert(0, str(REPOSITORY / "client" / "src"))
        return
    found = sorted(Path(CLIENT_VENV).glob("lib/python*/site-packages/deepcell_label_client"))
    if not found:
        pytest.exit(f"deepcell_label_client is not installed in {CLIENT_VENV}", returncode=1)
    spec = importlib.util.spec_from_file_location(
        "deepcell_label_client",
        found[0] / "__init__.py",
        submodule_search_locations=[str(found[0])],
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["deepcell_label_client"] = module
    spec.loader.exec_module(module)


_load_client()
sys.path.insert(0, str(REPOSITORY / "tests"))

from servers import ADMIN_TOKEN, Server, migrate  # noqa: E402


def cli_command() -> list[str]:
    """The `deepcell-label` command: the installed script, or the checkout's module."""
    if CLIENT_VENV:
        return [str(Path(CLIENT_VENV) / "bin" / "deepcell-label")]
    return [sys.executable, "-m", "deepcell_label_client.cli"]


def run_cli(*arguments: str, env: dict | None = None, timeout: float = 300):
    environment = {**os.environ, **(env or {})}
    if not CLIENT_VENV:
        environment["PYTHONPATH"] = str(REPOSITORY / "client" / "src")
    return subprocess.run(
        [*cli_command(), *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
    )


@pytest.fixture(scope="package")
def admin_token() -> str:
    """The token of the server's first admin (it registers ADMIN_TOKEN at its first start)."""
    return ADMIN_TOKEN


@pytest.fixture(scope="package")
def server(tmp_path_factory) -> Iterator[Server]:
    """One server for all the client's tests, its first admin's token `ADMIN_TOKEN`; the build
    of a small project is awaited long enough that its refusal comes in the creating request."""
    folder = tmp_path_factory.mktemp("client-server")
    migrate(folder / "data", None)
    server = Server(
        folder / "data",
        settings={
            "CREATE_WAIT_SECONDS": "30",
            # Projects above 100 000 pixels are exported by a job, as large ones are.
            "EXPORT_INLINE_PIXELS": "100000",
        },
        log_name="client-gunicorn.log",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="package")
def client(server, admin_token):
    from deepcell_label_client import Client

    with Client(server.url, admin_token, progress=False) as client:
        yield client
