"""Two annotators on one project through two gunicorn servers sharing one MariaDB database: undo
and redo of one's own edits only, refusals naming who changed the same pixels, presence, and a
burst of strokes and undos from both at once whose history replays to the stored labels."""

from __future__ import annotations

import random
import threading

import numpy as np
import pytest
import requests
from accounts import http_user
from servers import (
    TIMEOUT,
    Server,
    create_project,
    fetch_history,
    fetch_labels,
    listed_values,
    migrate,
    present_values,
    replay,
    signed_in_session,
)

pytestmark = pytest.mark.mysql

HEIGHT, WIDTH = 120, 160


@pytest.fixture
def two_servers(mysql_url, tmp_path):
    """Two gunicorn servers (one process each) on one database and one storage folder."""
    data_dir = tmp_path / "data"
    migrate(data_dir, mysql_url)
    first = Server(data_dir, mysql_url, log_name="first.log")
    second = Server(data_dir, mysql_url, log_name="second.log")
    try:
        yield first.start().url, second.start().url
    finally:
        for server in (first, second):
            server.stop()
            assert not server.errors(), "\n".join(server.errors()[:80])


class Annotator:
    """One person's browser: a session naming them, talking to one of the servers."""

    def __init__(self, name: str, url: str, project_id: str) -> None:
        self.name = name
        self.url = url
        self.project_id = project_id
        self.session = signed_in_session(http_user(url, name, admin=True))

    def post(self, path: str, body: dict | None = None) -> requests.Response:
        return self.session.post(
            f"{self.url}/api/projects/{self.project_id}/{path}", json=body or {}, timeout=TIMEOUT
        )

    def brush(self, x: int, y: int, cell: int, size: int = 4, write_mode: str = "exclude"):
        return self.post(
            "edits",
            {
                "action": "brush",
                "args": {"points": [[x, y]], "brush_size": size, "cell": cell},
                "write_mode": write_mode,
            },
        )

    def labels(self) -> np.ndarray:
        return fetch_labels(self.session, self.url, self.project_id)


def _project(url: str) -> tuple[str, np.ndarray]:
    raw = np.random.default_rng(5).integers(0, 255, (HEIGHT, WIDTH), dtype=np.uint8)
    labels = np.zeros((HEIGHT, WIDTH), np.int32)
    with signed_in_session() as session:
        return create_project(session, url, raw, labels, "together")["id"], labels


def test_undo_and_redo_are_per_annotator_across_two_servers(two_servers):
    first, second = two_servers
    project_id, _ = _project(first)
    alice = Annotator("alice", first, project_id)
    bob = Annotator("bob", second, project_id)

    assert alice.brush(20, 20, cell=1).ok
    assert bob.brush(100, 60, cell=2).ok
    undone = alice.post("undo")
    assert undone.status_code == 200, undone.text
    labels = bob.labels()
    assert (labels == 1).sum() == 0 and (labels == 2).sum() > 0

    # Bob paints over where Alice's stroke is once she redoes it; her next undo is refused.
    assert alice.post("redo").ok
    assert bob.brush(22, 20, cell=3, write_mode="overwrite").ok
    before = alice.labels()
    refused = alice.post("undo")
    assert refused.status_code == 409
    assert "bob" in refused.json()["error"] and "same pixels" in refused.json()["error"]
    np.testing.assert_array_equal(bob.labels(), before)

    # Bob's own undo (on the other server) clears the way; then Alice's goes through.
    assert bob.post("undo").ok
    assert alice.post("undo").ok
    labels = alice.labels()
    assert set(np.unique(labels)) == {0, 2}
    assert bob.post("redo").status_code == 409  # Alice's undo changed those pixels since
    # A request without an account changes nothing on either server.
    anonymous = requests.post(
        f"{second}/api/projects/{project_id}/edits",
        json={"action": "brush", "args": {"points": [[5, 5]], "brush_size": 2, "cell": 9}},
        timeout=TIMEOUT,
    )
    assert anonymous.status_code == 401 and "Sign in" in anonymous.json()["error"]

    history = fetch_history(alice.session, first, project_id)["edits"]
    assert [(e["author"], e["kind"]) for e in history] == [
        ("alice", "edit"),
        ("bob", "edit"),
        ("alice", "undo"),
        ("alice", "redo"),
        ("bob", "edit"),
        ("bob", "undo"),
        ("alice", "undo"),
    ]


def test_each_server_lists_who_is_on_the_project(two_servers):
    first, second = two_servers
    project_id, _ = _project(first)
    alice = Annotator("alice", first, project_id)
    bob = Annotator("bob", second, project_id)
    put = "PUT"
    assert alice.session.request(
        put, f"{first}/api/projects/{project_id}/viewers", json={"frame": 0}, timeout=TIMEOUT
    ).ok
    seen = bob.session.request(
        put, f"{second}/api/projects/{project_id}/viewers", json={"frame": 0}, timeout=TIMEOUT
    ).json()
    assert [(v["annotator"], v["you"]) for v in seen["viewers"]] == [
        ("alice", False),
        ("bob", True),
    ]
    assert alice.session.delete(f"{first}/api/projects/{project_id}/viewers", timeout=TIMEOUT).ok
    left = bob.session.get(f"{second}/api/projects/{project_id}/viewers", timeout=TIMEOUT).json()
    assert [v["annotator"] for v in left["viewers"]] == ["bob"]


def test_strokes_and_undos_from_two_servers_at_once_replay_to_the_stored_labels(two_servers):
    """Four annotators, two per server, each brushing and undoing (one undo in four strokes) in
    overlapping places: every undo is taken (200) or refused (409), never lost or half done."""
    first, second = two_servers
    project_id, initial = _project(first)
    people = [Annotator(f"annotator-{n}", (first, second)[n % 2], project_id) for n in range(4)]
    failures: list[str] = []
    answers: dict[str, list[int]] = {p.name: [] for p in people}

    def work(person: Annotator, seed: int) -> None:
        rng = random.Random(seed)
        try:
            for step in range(40):
                if step % 4 == 3:
                    response = person.post(rng.choice(["undo", "undo", "redo"]))
                else:
                    response = person.brush(
                        rng.randrange(40, 120),
                        rng.randrange(30, 90),
                        cell=rng.randint(1, 6),
                        size=rng.randint(2, 8),
                        write_mode=rng.choice(["exclude", "overwrite", "overlap"]),
                    )
                answers[person.name].append(response.status_code)
                if response.status_code not in (200, 409):
                    failures.append(f"{person.name}: {response.status_code} {response.text[:200]}")
        except Exception as error:  # reported by the test, not lost in the thread
            failures.append(f"{person.name}: {error!r}")

    threads = [threading.Thread(target=work, args=(p, n)) for n, p in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, "\n".join(failures[:20])
    statuses = [status for found in answers.values() for status in found]
    assert statuses.count(200) >= 120  # every stroke, and undos and redos that could be done

    with signed_in_session() as session:
        history = fetch_history(session, second, project_id)
        stored = fetch_labels(session, first, project_id)
        metadata = session.get(f"{first}/api/projects/{project_id}", timeout=TIMEOUT).json()
    versions = [edit["version"] for edit in history["edits"]]
    assert versions == list(range(1, statuses.count(200) + 1))
    different = int((replay(initial, history["edits"]) != stored).sum())
    assert different == 0, f"{different} pixels differ from a replay of the history"
    assert listed_values(metadata) == present_values(stored)
    # Each undo and redo acted on an edit of its own author.
    by_version = {edit["version"]: edit for edit in history["edits"]}
    for edit in history["edits"]:
        if edit["kind"] in ("undo", "redo"):
            assert by_version[edit["target"]]["author"] == edit["author"], edit["version"]
