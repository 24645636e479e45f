"""Real Celery workers for the tests: `celery -A deepcell_label.worker:celery worker` in a process group
of its own, on the same settings as the app under test, listening on a queue of its own.

The broker is the Redis on 127.0.0.1:6379 (the one CI starts); without it the tests fail when
REQUIRE_REDIS=1 and otherwise use the embedded broker (a SQLite file) with a loud warning.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from conftest import skip_or_fail

REPOSITORY = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Settings that are not read from the environment, so a worker process cannot share them.
IN_PROCESS_ONLY = {"TESTING", "SQLALCHEMY_ENGINE_OPTIONS"}


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def test_broker_url(data_dir: Path) -> str:
    """Redis when it answers; else the embedded broker in `data_dir` (or a failure in CI)."""
    if redis_reachable():
        return REDIS_URL
    skip_or_fail("REQUIRE_REDIS", "Redis on 127.0.0.1:6379 is not reachable")
    return f"sqla+sqlite:///{Path(data_dir) / 'jobs-broker.sqlite'}"


def environment_of(config: dict) -> dict[str, str]:
    """The environment that gives a worker process the same settings as `config`."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("REQUIRE_",))
    }
    for key, value in config.items():
        if key in IN_PROCESS_ONLY or value is None or callable(value):
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, list | tuple):
            value = ",".join(str(item) for item in value)
        elif isinstance(value, dict):
            continue
        environment[key] = str(value)
    environment["PYTHONPATH"] = os.pathsep.join(
        # tests/plugins: a segmenter plug-in installed as a distribution (entry points)
        [
            str(REPOSITORY / "backend"),
            str(REPOSITORY / "tests"),
            str(REPOSITORY / "tests" / "plugins"),
        ]
    )
    return environment


class Worker:
    """A Celery worker on the settings `config` (an app's config, or overrides of it)."""

    def __init__(self, config: dict, log_path: Path, concurrency: int = 2) -> None:
        self.config = dict(config)
        self.log_path = Path(log_path)
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None
        self.name = f"test-{secrets.token_hex(4)}"

    def start(self, wait: float = 90) -> Worker:
        environment = environment_of(self.config)
        environment["JOB_EXTRA_KINDS"] = environment.get("JOB_EXTRA_KINDS") or "job_kinds:KINDS"
        environment["LOG_LEVEL"] = "INFO"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "deepcell_label.worker:celery",
                "worker",
                "-Q",
                self.config["CELERY_QUEUE"],
                "--concurrency",
                str(self.concurrency),
                "--pool",
                "prefork",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"{self.name}@%h",
            ],
            cwd=REPOSITORY,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the worker exited with {self.process.returncode}:\n{self.log()}"
                )
            if " ready." in self.log():
                return self
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the worker was not ready within {wait:g} s:\n{self.log()}")

    def log(self, last: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-last:] if self.log_path.exists() else ""

    def children(self) -> list[int]:
        """Process ids of the worker's pool processes."""
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in found.stdout.split()]

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM); SIGKILL if it takes longer than 20 s."""
        if self.process is None or self.process.poll() is not None:
            self.kill()
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def job_settings(data_dir: Path) -> dict:
    """Settings that put an app's jobs on a queue of its own, on the test broker."""
    return {
        "CELERY_BROKER_URL": test_broker_url(data_dir),
        "CELERY_QUEUE": f"test-{secrets.token_hex(6)}",
        # A creation answers when its build is done (201, or the build's error) unless a test
        # asks for the 202 of a build still running.
        "CREATE_WAIT_SECONDS": 120,
    }
