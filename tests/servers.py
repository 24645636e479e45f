"""A real server for tests that need one: gunicorn in its own process group, on a fresh
MariaDB database (or SQLite) and a data folder, with a job worker beside it, plus the client-side helpers to read its
labels and history.

Everything listens on and talks to 127.0.0.1 only; every request has a timeout.
"""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import requests
from accounts import ADMIN_TOKEN, signed_in_session  # noqa: F401 (used by tests)
from conftest import build_app, free_port, mysql_database  # noqa: F401 (used by tests)
from workers import Worker, job_settings

REPOSITORY = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"
TIMEOUT = (5, 60)  # connect, read (seconds) for every request a test sends


def migrate(data_dir: Path, database_url: str | None) -> None:
    """Create the tables of a fresh database (in this process, which then lets go of it)."""
    from deepcell_label.store.models import db

    overrides = {"SQLALCHEMY_DATABASE_URI": database_url} if database_url else {}
    app = build_app(data_dir, overrides)
    with app.app_context():
        db.engine.dispose()


class Server:
    """gunicorn serving the app on a loopback port, in a process group of its own so that the
    master and all its workers can be killed at once."""

    def __init__(
        self,
        data_dir: Path,
        database_url: str | None = None,
        *,
        workers: int = 1,
        threads: int = 1,
        log_name: str = "gunicorn.log",
        settings: dict | None = None,
        jobs: dict | None = None,
    ) -> None:
        """`settings` are more settings of the server and its worker (a bucket to share);
        `jobs` the broker and queue, when it shares them with another server."""
        self.data_dir = Path(data_dir)
        self.database_url = database_url
        self.workers = workers
        self.threads = threads
        self.log_path = self.data_dir.parent / log_name
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.settings = {key: str(value) for key, value in (settings or {}).items()}
        self.jobs = jobs or job_settings(self.data_dir)
        self.worker: Worker | None = None

    def environment(self) -> dict[str, str]:
        environment = {
            **os.environ,
            "PYTHONPATH": str(REPOSITORY / "backend"),
            "DATA_DIR": str(self.data_dir),
            "LOG_LEVEL": "WARNING",
            "ADMIN_TOKEN": ADMIN_TOKEN,
        }
        environment.pop("SQLALCHEMY_DATABASE_URI", None)
        if self.database_url:
            environment["SQLALCHEMY_DATABASE_URI"] = self.database_url
        environment.update({key: str(value) for key, value in self.jobs.items()})
        environment.update(self.settings)
        return environment

    def start_worker(self) -> Worker:
        """A job worker on the server's settings (each server has its own queue)."""
        settings = {"DATA_DIR": str(self.data_dir), **self.jobs, **self.settings}
        if self.database_url:
            settings["SQLALCHEMY_DATABASE_URI"] = self.database_url
        log = self.data_dir.parent / f"worker-{self.log_path.stem}.log"
        self.worker = Worker(settings, log).start()
        return self.worker

    def start(self, wait: float = 60, *, worker: bool = True) -> Server:
        """Start gunicorn and, unless `worker` is false, a job worker once it answers."""
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(GUNICORN),
                    "deepcell_label.wsgi:app",
                    "--preload",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(self.workers),
                    "--threads",
                    str(self.threads),
                    "--timeout",
                    "120",
                    "--graceful-timeout",
                    "5",
                ],
                cwd=REPOSITORY,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_for_health(wait)
        if worker and self.worker is None:
            self.start_worker()
        return self

    def _wait_for_health(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/health", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"gunicorn did not answer /health within {wait:g} s:\n{self.log()}")

    def log(self, last: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-last:] if self.log_path.exists() else ""

    def errors(self) -> list[str]:
        """The lines of the server's log that report errors, each with its whole traceback
        (the indented lines and the exception line that follow)."""
        if not self.log_path.exists():
            return []
        found: list[str] = []
        in_traceback = False
        for line in self.log_path.read_text(errors="replace").splitlines():
            if " ERROR " in line or line.startswith("Traceback"):
                found.append(line)
                in_traceback = line.startswith("Traceback")
            elif in_traceback:
                found.append(line)
                # The exception's own line ends the traceback (it is not indented).
                in_traceback = line.startswith(" ") or not line.strip()
        return found

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: no cleanup, no finished requests.

        The job worker is stopped too (it is started again with the server)."""
        if self.worker is not None:
            self.worker.kill()
            self.worker = None
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM to the group); SIGKILL if it takes longer than 20 s."""
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        if self.process is None or self.process.poll() is not None:
            self.kill()
            return
        with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        self.kill()


@contextmanager
def running(server: Server) -> Iterator[Server]:
    """Start the server and stop it however the block ends."""
    try:
        yield server.start()
    finally:
        server.stop()


# ---------------------------------------------------------------- what a client reads


def fetch_pixels(session: requests.Session, address: str) -> np.ndarray:
    """A pixel answer as an array of its own dtype (requests inflates the Content-Encoding)."""
    response = session.get(address, timeout=TIMEOUT)
    assert response.status_code == 200, response.text[:300]
    shape = tuple(int(n) for n in response.headers["X-Shape"].split(","))
    dtype = np.dtype(response.headers["X-Dtype"]).newbyteorder("<")
    return np.frombuffer(response.content, dtype).reshape(shape)


def fetch_labels(
    session: requests.Session, url: str, project_id: str, feature: int = 0, frame: int = 0
) -> np.ndarray:
    """One label frame as int32."""
    address = f"{url}/api/projects/{project_id}/labels/{feature}/{frame}"
    return fetch_pixels(session, address).astype(np.int32)


def fetch_history(session: requests.Session, url: str, project_id: str) -> dict:
    response = session.get(f"{url}/api/projects/{project_id}/edits?since=0", timeout=TIMEOUT)
    assert response.status_code == 200, response.text[:300]
    return response.json()


def patch_values(patch: dict) -> np.ndarray:
    values = np.frombuffer(zlib.decompress(base64.b64decode(patch["data"])), "<i4")
    return values.reshape(patch["height"], patch["width"])


def replay(labels: np.ndarray, edits: list[dict], feature: int = 0, frame: int = 0) -> np.ndarray:
    """A copy of one label frame with the patches of `edits` for that frame written in order."""
    out = labels.copy()
    for edit in edits:
        for patch in edit["patches"]:
            if (patch["feature"], patch["frame"]) == (feature, frame):
                y, x = patch["y"], patch["x"]
                out[y : y + patch["height"], x : x + patch["width"]] = patch_values(patch)
    return out


def listed_values(metadata: dict, feature: int = 0, frame: int = 0) -> set[int]:
    return {
        entry["value"]
        for entry in metadata["cells"]
        if (entry["c"], entry["t"]) == (feature, frame)
    }


def present_values(labels: np.ndarray) -> set[int]:
    return set(np.unique(labels).tolist()) - {0}


def tiff_bytes(array: np.ndarray) -> bytes:
    import io

    import tifffile

    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array)
    return buffer.getvalue()


def create_project(
    session: requests.Session,
    url: str,
    raw: np.ndarray,
    labels: np.ndarray,
    name: str,
    statuses: tuple[int, ...] = (201,),
) -> dict:
    """POST /api/projects with a TIFF image and TIFF labels; the new project's metadata (with
    `statuses` (202,) for a build that goes on in the background)."""
    response = session.post(
        f"{url}/api/projects",
        files={
            "images": (f"{name}.tif", tiff_bytes(raw), "image/tiff"),
            "labels": (f"{name}_labels.tif", tiff_bytes(labels), "image/tiff"),
        },
        data={"name": name},
        # The body is sent under the first figure too: under load a busy server may take a while
        # to start reading a large upload.
        timeout=(60, 300),
    )
    assert response.status_code in statuses, response.text[:500]
    return response.json()
