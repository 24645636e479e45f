"""Many annotators editing one project at once, through two server processes on MariaDB.

Eight clients send brush and erase strokes at the same time, each naming the version it last
saw (often stale). Every acknowledged edit must be in the history exactly once, the stored
labels must equal a serial replay of the history, and each client that applies the edits it
was sent must end with the stored labels.
"""

from __future__ import annotations

import base64
import io
import random
import statistics
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import requests
from servers import Server, migrate, signed_in_session

# The MariaDB database comes from conftest's `mysql_url`, which skips (or fails under
# REQUIRE_MYSQL) when MariaDB is not reachable on 127.0.0.1:3306.
pytestmark = pytest.mark.mysql

REPOSITORY = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CLIENTS = 8
EDITS_PER_CLIENT = 200
HEIGHT, WIDTH = 300, 420  # several 256-pixel label tiles, strokes cross their borders
CELLS = 12
REQUEST_TIMEOUT = (5, 60)  # connect, read (seconds)
RUN_TIMEOUT = 300  # the whole burst of edits


# ---------------------------------------------------------------- the server


@pytest.fixture(params=["processes", "processes-and-threads"])
def server(request, mysql_url, tmp_path):
    """gunicorn with two worker processes (then also four threads each, so requests share the
    per-process caches); the base URL. Stopped however the test ends."""
    data_dir = tmp_path / "data"
    migrate(data_dir, mysql_url)
    threads = 4 if request.param == "processes-and-threads" else 1
    running = Server(data_dir, mysql_url, workers=2, threads=threads)
    try:
        yield running.start().url
    finally:
        running.stop()
        if running.errors():
            print("server errors:", *running.errors()[:80], sep="\n")


# ---------------------------------------------------------------- the project and its pixels


def project_npz() -> bytes:
    """A 300×420 image with a grid of square cells 1..CELLS in its labels."""
    rng = np.random.default_rng(7)
    raw = rng.integers(0, 255, (1, HEIGHT, WIDTH, 1), dtype=np.uint8)
    labels = np.zeros((1, HEIGHT, WIDTH, 1), np.int32)
    for cell in range(1, CELLS + 1):
        y, x = 20 + 90 * ((cell - 1) // 4), 30 + 100 * ((cell - 1) % 4)
        labels[0, y : y + 50, x : x + 50, 0] = cell
    buffer = io.BytesIO()
    np.savez(buffer, X=raw, y=labels)
    return buffer.getvalue()


def fetch_labels(session: requests.Session, url: str, project_id: str) -> np.ndarray:
    response = session.get(f"{url}/api/projects/{project_id}/labels/0/0", timeout=REQUEST_TIMEOUT)
    assert response.status_code == 200, response.text[:300]
    # requests inflates the Content-Encoding itself.
    shape = tuple(int(n) for n in response.headers["X-Shape"].split(","))
    dtype = np.dtype(response.headers["X-Dtype"]).newbyteorder("<")
    return np.frombuffer(response.content, dtype).reshape(shape).astype(np.int32)


def apply_patches(labels: np.ndarray, edits: list[dict]) -> None:
    """Write each edit's patches into `labels`, in order."""
    for edit in edits:
        for patch in edit["patches"]:
            assert (patch["feature"], patch["frame"]) == (0, 0), patch
            values = np.frombuffer(zlib.decompress(base64.b64decode(patch["data"])), "<i4")
            y, x, height, width = patch["y"], patch["x"], patch["height"], patch["width"]
            labels[y : y + height, x : x + width] = values.reshape(height, width)


# ---------------------------------------------------------------- the annotators


@dataclass
class Annotator:
    """One client: its edits, what the server acknowledged, and its own copy of the labels."""

    number: int
    labels: np.ndarray
    seen: int = 0
    acknowledged: list[tuple[int, str]] = field(default_factory=list)  # (version, action)
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def edit(self, rng: random.Random) -> dict:
        action = "erase" if rng.random() < 0.25 else "brush"
        start = (rng.randrange(WIDTH), rng.randrange(HEIGHT))
        points = [start]
        for _ in range(rng.randrange(3)):
            x, y = points[-1]
            points.append(
                (
                    min(WIDTH - 1, max(0, x + rng.randint(-10, 10))),
                    min(HEIGHT - 1, max(0, y + rng.randint(-10, 10))),
                )
            )
        return {
            "action": action,
            "args": {
                "points": [list(p) for p in points],
                "brush_size": rng.randint(1, 6),
                "cell": rng.randint(1, CELLS + 3),
            },
            "write_mode": rng.choice(["exclude", "overwrite", "overlap"])
            if action == "brush"
            else "exclude",
            # Often stale: the client sends what it last saw, however many edits ago.
            "base_version": self.seen,
        }

    def run(self, url: str, project_id: str, stop: threading.Event) -> None:
        try:
            self.send_edits(url, project_id, stop)
        except Exception as error:  # reported by the test, not lost in the thread
            self.failures.append(f"client stopped: {error!r}")

    def send_edits(self, url: str, project_id: str, stop: threading.Event) -> None:
        rng = random.Random(self.number)
        with signed_in_session() as session:
            for _ in range(EDITS_PER_CLIENT):
                if stop.is_set():
                    return
                request = self.edit(rng)
                started = time.perf_counter()
                try:
                    response = session.post(
                        f"{url}/api/projects/{project_id}/edits",
                        json=request,
                        timeout=REQUEST_TIMEOUT,
                    )
                except requests.RequestException as error:
                    self.failures.append(f"{request['action']}: {error!r}")
                    continue
                self.latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    self.failures.append(
                        f"{request['action']}: {response.status_code} {response.text[:300]}"
                    )
                    continue
                self.receive(request, response.json())

    def receive(self, request: dict, answer: dict) -> None:
        version = answer["version"]
        versions = [edit["version"] for edit in answer["edits"]]
        # The answer holds exactly the edits this client had not seen, ending with its own.
        if versions != list(range(request["base_version"] + 1, version + 1)):
            self.failures.append(
                f"base {request['base_version']}, version {version}: edits {versions}"
            )
        own = answer["edits"][-1] if answer["edits"] else {}
        if own.get("version") != version or own.get("action") != request["action"]:
            self.failures.append(f"own edit missing from the answer at version {version}")
        self.acknowledged.append((version, request["action"]))
        apply_patches(self.labels, answer["edits"])
        self.seen = version


# ---------------------------------------------------------------- the test


def test_concurrent_edits_from_two_processes_are_serialized(server):
    url = server
    with signed_in_session() as session:
        response = session.post(
            f"{url}/api/projects",
            files={"images": ("grid.npz", project_npz())},
            timeout=REQUEST_TIMEOUT,
        )
        assert response.status_code == 201, response.text[:500]
        project_id = response.json()["id"]
        initial = fetch_labels(session, url, project_id)
        initial_cells = response.json()["cells"]
    assert len(np.unique(initial)) == CELLS + 1

    annotators = [Annotator(number, initial.copy()) for number in range(CLIENTS)]
    stop = threading.Event()
    threads = [
        threading.Thread(target=a.run, args=(url, project_id, stop), daemon=True)
        for a in annotators
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    deadline = started + RUN_TIMEOUT
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.perf_counter()))
    stop.set()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT[1] + 5)
    elapsed = time.perf_counter() - started
    assert not any(thread.is_alive() for thread in threads), (
        "clients still running after the time limit"
    )

    acknowledged = [item for a in annotators for item in a.acknowledged]
    latencies = sorted(latency for a in annotators for latency in a.latencies)
    print(
        f"\n{len(acknowledged)} edits from {CLIENTS} clients in {elapsed:.1f} s: "
        f"{len(acknowledged) / elapsed:.1f} edits/s, median latency "
        f"{1000 * statistics.median(latencies):.0f} ms, 95th percentile "
        f"{1000 * latencies[int(0.95 * (len(latencies) - 1))]:.0f} ms"
    )
    failures = [f"client {a.number}: {f}" for a in annotators for f in a.failures]
    assert not failures, "\n".join(failures[:20])
    assert len(acknowledged) == CLIENTS * EDITS_PER_CLIENT

    with signed_in_session() as session:
        response = session.get(
            f"{url}/api/projects/{project_id}/edits?since=0", timeout=REQUEST_TIMEOUT
        )
        assert response.status_code == 200
        history = response.json()
        final = fetch_labels(session, url, project_id)
        response = session.get(f"{url}/api/projects/{project_id}", timeout=REQUEST_TIMEOUT)
        metadata = response.json()

    # Every acknowledged edit is in the history once, with its action; nothing else is.
    versions = [edit["version"] for edit in history["edits"]]
    assert versions == list(range(1, len(versions) + 1)), "history versions are not 1..N"
    assert sorted(v for v, _ in acknowledged) == versions, (
        "acknowledged versions differ from the history"
    )
    actions = {edit["version"]: edit["action"] for edit in history["edits"]}
    assert all(actions[v] == action for v, action in acknowledged)
    assert history["version"] == metadata["version"] == len(acknowledged)

    # The stored labels are what applying the history one edit after another gives.
    replayed = initial.copy()
    apply_patches(replayed, history["edits"])
    different = int((replayed != final).sum())
    assert different == 0, (
        f"a serial replay of the history differs from the stored labels in {different} pixels"
    )

    # Each client, having applied what it was sent and then catching up, holds the same labels.
    for annotator in annotators:
        apply_patches(
            annotator.labels, [e for e in history["edits"] if e["version"] > annotator.seen]
        )
        assert np.array_equal(annotator.labels, final), f"client {annotator.number} diverged"

    # The cells listed are exactly the values present in the labels.
    listed = {entry["value"] for entry in metadata["cells"] if (entry["c"], entry["t"]) == (0, 0)}
    present = set(np.unique(final).tolist()) - {0}
    assert listed == present, (
        f"listed but absent {sorted(listed - present)}, present but unlisted {sorted(present - listed)}"
    )
    assert {entry["cell"] for entry in metadata["cells"]} <= set(range(1, CELLS + 4))

    # And the cell changes sent with the edits, the last one per value winning, give the
    # listed cells.
    def key(entry: dict) -> tuple[int, int, int]:
        return (entry["c"], entry["t"], entry["value"])

    expected = {key(e): [e["cell"]] for e in initial_cells}
    expected.update(
        {key(e): sorted(e["cells"]) for edit in history["edits"] for e in edit["cells"]}
    )
    stored = {
        key(e): sorted(other["cell"] for other in metadata["cells"] if key(other) == key(e))
        for e in metadata["cells"]
    }
    assert {k: v for k, v in expected.items() if v} == stored
