"""Nothing acknowledged is lost when the server dies mid-stream.

Clients send brush and erase strokes to a gunicorn server; after a random number of
acknowledged edits the whole server process group gets SIGKILL while edits are in flight.
The server is started again on the same database and data folder, and then every edit
acknowledged with 200 must be in the history with its version, action and patches; the
versions must run 1..N without a gap; the stored labels must equal a replay of the history;
the listed cells must be the values present; and the project must take new edits, undo and
redo.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import pytest
import requests
from servers import (
    TIMEOUT,
    Server,
    create_project,
    fetch_history,
    fetch_labels,
    listed_values,
    migrate,
    mysql_database,
    present_values,
    replay,
    signed_in_session,
)

HEIGHT, WIDTH = 384, 512
CLIENTS = 3
KILL_AFTER = (50, 150)  # acknowledged edits before the kill, chosen at random
STREAM_LIMIT = 120  # seconds the stream may run before the test gives up waiting


def grid_project() -> tuple[np.ndarray, np.ndarray]:
    """A uint8 image and labels with square cells 1..48 on a 64-pixel grid."""
    rng = np.random.default_rng(3)
    raw = rng.integers(0, 255, (HEIGHT, WIDTH), dtype=np.uint8)
    labels = np.zeros((HEIGHT, WIDTH), np.int32)
    cell = 0
    for y in range(8, HEIGHT - 40, 64):
        for x in range(8, WIDTH - 40, 64):
            cell += 1
            labels[y : y + 40, x : x + 40] = cell
    return raw, labels


@dataclass
class Stream:
    """Clients sending strokes until told to stop or the server goes away."""

    url: str
    project_id: str
    acknowledged: dict[int, dict] = field(default_factory=dict)  # version -> own edit
    sent: dict[int, str] = field(default_factory=dict)  # client -> action in flight
    unanswered: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def stroke(self, rng: random.Random, seen: int) -> dict:
        action = "erase" if rng.random() < 0.3 else "brush"
        x, y = rng.randrange(WIDTH), rng.randrange(HEIGHT)
        points = [[x, y]]
        for _ in range(rng.randrange(4)):
            x = min(WIDTH - 1, max(0, x + rng.randint(-25, 25)))
            y = min(HEIGHT - 1, max(0, y + rng.randint(-25, 25)))
            points.append([x, y])
        return {
            "action": action,
            "args": {
                "points": points,
                "brush_size": rng.randint(2, 12),
                "cell": rng.randint(1, 50),
            },
            "write_mode": rng.choice(["exclude", "overwrite", "overlap"])
            if action == "brush"
            else "exclude",
            "base_version": seen,
        }

    def client(self, number: int) -> None:
        rng = random.Random(number * 7919 + 1)
        seen = 0
        with signed_in_session() as session:
            while not self.stop.is_set():
                request = self.stroke(rng, seen)
                with self.lock:
                    self.sent[number] = request["action"]
                try:
                    response = session.post(
                        f"{self.url}/api/projects/{self.project_id}/edits",
                        json=request,
                        timeout=TIMEOUT,
                    )
                except requests.RequestException as error:
                    with self.lock:
                        self.unanswered.append(f"client {number}: {type(error).__name__}")
                    return  # the server is gone
                finally:
                    with self.lock:
                        self.sent.pop(number, None)
                if response.status_code != 200:
                    with self.lock:
                        self.refused.append(f"{response.status_code} {response.text[:200]}")
                    continue
                answer = response.json()
                own = answer["edits"][-1]
                assert own["version"] == answer["version"]
                with self.lock:
                    self.acknowledged[answer["version"]] = {
                        "action": request["action"],
                        "patches": own["patches"],
                    }
                seen = answer["version"]

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)

    def in_flight(self) -> int:
        with self.lock:
            return len(self.sent)


def crash_and_restart(tmp_path, database_url: str | None, seed: int) -> None:
    print(f"\nseed {seed}")
    rng = random.Random(seed)
    data_dir = tmp_path / "data"
    migrate(data_dir, database_url)
    raw, labels = grid_project()
    servers: list[Server] = []
    threads: list[threading.Thread] = []
    stream = None
    try:
        first = Server(data_dir, database_url, log_name="first.log").start()
        servers.append(first)
        with signed_in_session() as session:
            project = create_project(session, first.url, raw, labels, "crash")
            initial = fetch_labels(session, first.url, project["id"])
        assert np.array_equal(initial, labels)

        stream = Stream(first.url, project["id"])
        threads = [
            threading.Thread(target=stream.client, args=(n,), daemon=True) for n in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        kill_after = rng.randint(*KILL_AFTER)
        deadline = time.monotonic() + STREAM_LIMIT
        while stream.count() < kill_after:
            assert time.monotonic() < deadline, f"only {stream.count()} edits in {STREAM_LIMIT} s"
            assert not stream.refused, stream.refused[:5]
            time.sleep(0.002)
        time.sleep(rng.random() * 0.02)  # a random moment within the next edits
        in_flight = stream.in_flight()
        first.kill()
        for thread in threads:
            thread.join(timeout=TIMEOUT[1] + 5)
        assert not any(thread.is_alive() for thread in threads)
        acknowledged = dict(stream.acknowledged)
        print(
            f"\nkilled after {len(acknowledged)} acknowledged edits "
            f"(aimed at {kill_after}), {in_flight} in flight, {len(stream.unanswered)} unanswered"
        )
        assert not stream.refused, stream.refused[:5]

        second = Server(data_dir, database_url, log_name="second.log").start()
        servers.append(second)
        with signed_in_session() as session:
            check_recovered(session, second.url, project["id"], initial, acknowledged)
            check_still_editable(session, second.url, project["id"], initial)
        assert not second.errors(), second.errors()[:80]
    finally:
        if stream is not None:
            stream.stop.set()
        for server in servers:
            server.stop()


def check_recovered(
    session: requests.Session,
    url: str,
    project_id: str,
    initial: np.ndarray,
    acknowledged: dict[int, dict],
) -> None:
    history = fetch_history(session, url, project_id)
    versions = [edit["version"] for edit in history["edits"]]
    assert versions == list(range(1, len(versions) + 1)), f"versions with gaps: {versions}"
    assert history["version"] == len(versions)
    by_version = {edit["version"]: edit for edit in history["edits"]}
    lost = sorted(set(acknowledged) - set(by_version))
    assert not lost, f"acknowledged edits lost in the crash: {lost}"
    for version, sent in acknowledged.items():
        stored = by_version[version]
        assert stored["kind"] == "edit" and stored["action"] == sent["action"], version
        assert stored["patches"] == sent["patches"], f"edit {version} has other patches"
    # Edits the server committed but could not answer: at most one per client.
    print(f"after restart: {len(versions)} edits in the history, {len(acknowledged)} acknowledged")
    assert len(versions) - len(acknowledged) <= CLIENTS

    stored = fetch_labels(session, url, project_id)
    expected = replay(initial, history["edits"])
    different = int((stored != expected).sum())
    assert different == 0, f"stored labels differ from the replayed history in {different} pixels"

    metadata = session.get(f"{url}/api/projects/{project_id}", timeout=TIMEOUT).json()
    assert metadata["version"] == len(versions)
    assert listed_values(metadata) == present_values(stored)


def check_still_editable(
    session: requests.Session, url: str, project_id: str, initial: np.ndarray
) -> None:
    before = fetch_labels(session, url, project_id)
    version = fetch_history(session, url, project_id)["version"]
    edit = {
        "action": "brush",
        "args": {"points": [[20, 20], [200, 150]], "brush_size": 6, "cell": 77},
        "write_mode": "overwrite",
        "base_version": version,
    }
    answer = post(session, f"{url}/api/projects/{project_id}/edits", edit)
    assert answer["version"] == version + 1 and answer["can_undo"]
    brushed = fetch_labels(session, url, project_id)
    assert (brushed == 77).sum() > 100

    answer = post(session, f"{url}/api/projects/{project_id}/undo", {"base_version": version + 1})
    assert answer["version"] == version + 2 and answer["can_redo"]
    assert np.array_equal(fetch_labels(session, url, project_id), before)

    answer = post(session, f"{url}/api/projects/{project_id}/redo", {"base_version": version + 2})
    assert answer["version"] == version + 3
    assert np.array_equal(fetch_labels(session, url, project_id), brushed)

    history = fetch_history(session, url, project_id)
    assert [e["kind"] for e in history["edits"][-3:]] == ["edit", "undo", "redo"]
    assert np.array_equal(replay(initial, history["edits"]), brushed)


def post(session: requests.Session, url: str, body: dict) -> dict:
    response = session.post(url, json=body, timeout=TIMEOUT)
    assert response.status_code == 200, response.text[:300]
    return response.json()


@pytest.mark.mysql
def test_sigkill_mid_stream_on_mariadb(tmp_path):
    with mysql_database() as database_url:
        crash_and_restart(tmp_path, database_url, seed=random.randrange(1 << 30))


def test_sigkill_mid_stream_on_sqlite(tmp_path):
    crash_and_restart(tmp_path, None, seed=random.randrange(1 << 30))
