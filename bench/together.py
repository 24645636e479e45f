"""Several annotators on one project: what per-annotator undo costs when others edit in between.

One 2048² project (one cell per 400 px²). Baseline in the same run: one annotator alone brushes
strokes and undoes them one by one. Then the same annotator's strokes are each followed by
OTHERS_PER_STROKE strokes of two other annotators elsewhere in the frame, so the history between
the undoer's edits is long, and the undos are timed again (each finds the annotator's latest
edit still in effect through the history index, checks that nobody changed its pixels since,
and writes back only those pixels). Also timed: an undo refused because another annotator
painted over the stroke (409, naming them: the refusal reads the later records to find who),
and a presence report (PUT /viewers). All through the test client (the whole WSGI stack).
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from .common import (
    PITCH,
    QUICK,
    Goal,
    cell_layout,
    create_from_arrays,
    goals_table,
    make_app,
    render_labels,
    summary,
    table,
    time_calls,
    write_results,
)

SIZE = 1024 if QUICK else 2048
STROKES = 10 if QUICK else 40
OTHERS_PER_STROKE = 5 if QUICK else 25
RADIUS = 5


class Person:
    """An annotator: the test client with their name, and the version they last saw."""

    def __init__(self, client, project_id: str, name: str) -> None:
        self.client = client
        self.project_id = project_id
        from accounts import person  # tests/ is on the path once make_app ran

        self.headers = person(client.application, name)
        self.version = 0

    def post(self, path: str, body: dict, status: int = 200) -> dict:
        response = self.client.post(
            f"/api/projects/{self.project_id}/{path}", json=body, headers=self.headers
        )
        if response.status_code != status:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.get_data()!r}")
        answer = response.get_json()
        self.version = answer.get("version", self.version)
        return answer

    def brush(self, x: int, y: int, cell: int, write_mode: str = "exclude") -> dict:
        points = [[x + i, y + (i % 3)] for i in range(0, 20, 2)]
        args = {"points": points, "brush_size": RADIUS, "cell": cell}
        body = {"action": "brush", "args": args, "write_mode": write_mode}
        return self.post("edits", {**body, "base_version": self.version})

    def undo(self, status: int = 200) -> dict:
        return self.post("undo", {"base_version": self.version}, status)


def _project(client) -> str:
    layout = cell_layout(SIZE, SIZE, seed=11)
    labels = render_labels(layout, SIZE, SIZE)
    return create_from_arrays(client, (labels % 200).astype("uint8"), labels)


def _timed_undos(person: Person, count: int, status: int = 200) -> list[float]:
    return time_calls(lambda _: person.undo(status), count)


def _spot(rng: random.Random, left: bool) -> tuple[int, int]:
    """A place in the left (the undoer's) or right (the others') half of the frame."""
    half = SIZE // 2
    x = rng.randrange(PITCH, half - 40) + (0 if left else half)
    return x, rng.randrange(PITCH, SIZE - PITCH)


def run() -> str:
    rng = random.Random(4)
    with tempfile.TemporaryDirectory(prefix="bench-together-") as temporary:
        client = make_app(Path(temporary) / "data").test_client()
        project_id = _project(client)
        alice, bob, carol = (Person(client, project_id, n) for n in ("alice", "bob", "carol"))

        # Baseline: Alice alone.
        for _ in range(STROKES):
            alice.brush(*_spot(rng, True), cell=rng.randint(1, 50))
        alone = _timed_undos(alice, STROKES)

        # Alice's strokes, each followed by others' strokes elsewhere.
        for _ in range(STROKES):
            alice.brush(*_spot(rng, True), cell=rng.randint(1, 50))
            for n in range(OTHERS_PER_STROKE):
                (bob, carol)[n % 2].brush(*_spot(rng, False), cell=rng.randint(1, 50))
        history = alice.version
        among = _timed_undos(alice, STROKES)

        # Refused: Bob paints over each of Alice's new strokes; her undo is refused every time.
        refused = []
        for _ in range(STROKES):
            x, y = _spot(rng, True)
            alice.brush(x, y, cell=7)
            bob.brush(x, y, cell=8, write_mode="overwrite")
            refused += _timed_undos(alice, 1, status=409)
            bob.undo()
            alice.undo()

        def report(_: int) -> None:
            response = client.put(
                f"/api/projects/{project_id}/viewers", json={"frame": 0}, headers=alice.headers
            )
            assert response.status_code == 200, response.get_json()

        reports = time_calls(report, STROKES)

    figures = {
        "undo alone (baseline)": summary(alone),
        f"undo among others' edits ({OTHERS_PER_STROKE} per stroke)": summary(among),
        "undo refused (409, names who)": summary(refused),
        "presence report (PUT /viewers)": summary(reports),
    }
    base = figures["undo alone (baseline)"]["median_ms"]
    rows = [
        (name, f["median_ms"], f["p95_ms"], f["n"], round(f["median_ms"] / base, 2))
        for name, f in figures.items()
    ]
    ratio = rows[1][4]
    goals = [
        Goal(
            f"undo among others' edits within 1.5× of undo alone ({history} records in the history)",
            f"{ratio:.2f}×",
            ratio <= 1.5,
        ),
        Goal(
            "a refused undo within 3× of undo alone",
            f"{rows[2][4]:.2f}×",
            rows[2][4] <= 3,
        ),
    ]
    write_results(
        "together",
        {
            "size": SIZE,
            "history": history,
            "figures": figures,
            "goals": [g.as_dict() for g in goals],
        },
    )
    return "\n".join(
        [
            table(
                f"Per-annotator undo on a {SIZE}² frame: server time per request (test client), "
                "beside one annotator's undo alone (baseline, same run)",
                ("request", "median ms", "p95 ms", "n", "× baseline"),
                rows,
            ),
            goals_table("Working together goals", goals),
        ]
    )
