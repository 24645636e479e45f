"""Property tests of per-annotator undo and redo: random edits, undos and redos by two annotators
on the small two-frame project of test_edit_history_props (overlapping cells, divisions, types).

Whatever the order: an undo or redo changes only pixels its edit changed (never someone else's
work elsewhere), a refused one (409) changes nothing, each acts on an edit of its own author, and
the stored labels always equal a replay of the history's patches, with the cell list matching.

Set HYPOTHESIS_PROFILE=ci for more examples.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from accounts import person as account_headers
from conftest import build_app, start_worker
from hypothesis import event, given, settings
from hypothesis import strategies as st
from servers import patch_values, replay
from test_edit_history_props import (
    CELL_IDS,
    EDITS,
    EXAMPLES,
    FEATURES,
    FRAME,
    FRAMES,
    WRITE_MODE,
    X,
    Y,
    create_project,
    project_zip,
    read_state,
)

PEOPLE = ("alice", "bob")
# Strokes in a small part of the frame, so that two people often meet.
NEAR = st.tuples(X.map(lambda x: x % 12), Y.map(lambda y: y % 10)).map(list)
STROKE = st.fixed_dictionaries(
    {
        "action": st.just("brush"),
        "args": st.fixed_dictionaries(
            {
                "points": st.lists(NEAR, min_size=1, max_size=3),
                "brush_size": st.integers(1, 4),
                "cell": CELL_IDS,
            }
        ),
        "frame": FRAME,
        "feature": st.just(0),
        "write_mode": WRITE_MODE,
    }
)
STEPS = st.lists(
    st.tuples(
        st.sampled_from(PEOPLE),
        st.one_of(STROKE, STROKE, EDITS, *[st.just("undo")] * 2, *[st.just("redo")] * 2),
    ),
    min_size=1,
    max_size=20,
)


@pytest.fixture(scope="module")
def together_app(tmp_path_factory, request):
    app = build_app(tmp_path_factory.mktemp("together"), {})
    start_worker(app, request)
    return app


def _differences(before, after) -> set[tuple[int, int, int, int]]:
    found = set()
    for (feature, frame), array in after.labels.items():
        ys, xs = np.nonzero(array != before.labels[(feature, frame)])
        found |= {(feature, frame, int(y), int(x)) for y, x in zip(ys, xs, strict=True)}
    return found


@settings(EXAMPLES)
@given(seed=st.integers(0, 2**16), steps=STEPS)
def test_undo_and_redo_never_touch_anyone_elses_pixels(together_app, seed, steps):
    for outcome in run_session(together_app.test_client(), seed, steps):
        event(outcome)


def _random_step(rng: random.Random) -> tuple[str, dict | str]:
    person = rng.choice(PEOPLE)
    roll = rng.random()
    if roll < 0.3:
        return person, "undo"
    if roll < 0.45:
        return person, "redo"
    points = [[rng.randrange(12), rng.randrange(10)] for _ in range(rng.randint(1, 3))]
    stroke = roll < 0.9
    return person, {
        "action": "brush" if stroke else "erase",
        "args": {"points": points, "brush_size": rng.randint(1, 4), "cell": rng.randint(1, 8)},
        "frame": rng.randrange(FRAMES),
        "feature": 0,
        "write_mode": rng.choice(["exclude", "overwrite", "overlap"]) if stroke else "exclude",
    }


def test_long_sessions_of_two_annotators_meeting_in_one_corner(together_app):
    """Longer runs than the examples above, so that undos meet others' strokes and redos follow
    undos often: the same checks, and each kind of answer must have happened."""
    client = together_app.test_client()
    seen: dict[str, int] = {}
    for seed in range(10):
        rng = random.Random(seed)
        for outcome in run_session(client, seed, [_random_step(rng) for _ in range(60)]):
            seen[outcome] = seen.get(outcome, 0) + 1
    for outcome in ("undo: 200", "undo: 409 (conflict)", "redo: 200", "redo: 409 (conflict)"):
        assert seen.get(outcome), (outcome, seen)


def run_session(client, seed: int, steps) -> list[str]:
    """Play `steps` (person, edit or "undo"/"redo") on a new project, checking every answer;
    returns the outcome of each undo and redo, e.g. "undo: 409 (conflict)"."""
    project_id = create_project(client, project_zip(seed))["id"]
    initial = read_state(client, project_id)
    current = initial
    outcomes = []
    for person, item in steps:
        headers = account_headers(client.application, person)
        if item not in ("undo", "redo"):
            response = client.post(f"/api/projects/{project_id}/edits", json=item, headers=headers)
            assert response.status_code < 500, response.get_json()
            if response.status_code == 200:
                current = read_state(client, project_id)
            continue
        response = client.post(f"/api/projects/{project_id}/{item}", json={}, headers=headers)
        assert response.status_code in (200, 409), response.get_json()
        refusal = response.get_json().get("error", "")
        outcomes.append(
            f"{item}: {response.status_code}{' (conflict)' if 'since' in refusal else ''}"
        )
        after = read_state(client, project_id)
        if response.status_code == 409:
            assert after.difference(current) is None, refusal
            continue
        record = response.get_json()["edits"][-1]
        history = client.get(f"/api/projects/{project_id}/edits?since=0").get_json()["edits"]
        target = next(e for e in history if e["version"] == record["target"])
        assert target["author"] == person and record["author"] == person
        # Only pixels the edit itself changed are written back.
        changed = _differences(current, after)
        target_pixels = _changed_by(target, initial, history)
        assert changed <= target_pixels, sorted(changed - target_pixels)[:5]
        current = after
    # The stored labels are a replay of the history, undos and redos included.
    history = client.get(f"/api/projects/{project_id}/edits?since=0").get_json()["edits"]
    for feature in range(FEATURES):
        for frame in range(FRAMES):
            expected = replay(initial.labels[(feature, frame)], history, feature, frame)
            np.testing.assert_array_equal(current.labels[(feature, frame)], expected)
            listed = {
                c["value"] for c in current.meta["cells"] if (c["c"], c["t"]) == (feature, frame)
            }
            present = set(np.unique(current.labels[(feature, frame)]).tolist()) - {0}
            assert listed == present, (feature, frame)
    return outcomes


def _changed_by(edit: dict, initial, history: list[dict]) -> set[tuple[int, int, int, int]]:
    """(feature, frame, y, x) of the pixels an edit gave a new value: its patches against the
    frames just before it (a replay of the history up to it)."""
    earlier = [e for e in history if e["version"] < edit["version"]]
    found = set()
    for patch in edit["patches"]:
        feature, frame = patch["feature"], patch["frame"]
        before = replay(initial.labels[(feature, frame)], earlier, feature, frame)
        y, x, height, width = patch["y"], patch["x"], patch["height"], patch["width"]
        ys, xs = np.nonzero(patch_values(patch) != before[y : y + height, x : x + width])
        found |= {(feature, frame, y + int(a), x + int(b)) for a, b in zip(ys, xs, strict=True)}
    return found
