"""Warming up at start: the frames edited most recently are in the caches before any request."""

from __future__ import annotations

from helpers import brush, stardist_project


def test_recently_edited_frames_are_loaded_at_start(app, client):
    from deepcell_label.services.warmup import recent_frames, warm_up
    from deepcell_label.store import framestate, labelstore

    pid = stardist_project(client)
    brush(client, pid, [20, 20], 500, size=3)
    with app.app_context():
        assert (pid, 0, 0) in recent_frames(64, 1.0)
        assert recent_frames(1, 1.0) == [recent_frames(64, 1.0)[0]]
        framestate.frame_cache.clear()  # as in a process that just started
        labelstore.cache.clear()
        done = warm_up()
    assert done["frames"] >= 1
    assert framestate.frame_cache.get((pid, 0, 0)).version == 1
    assert any(key[0] == pid for key in labelstore.cache.entries)
    # The next edit uses what was loaded, on a fresh connection.
    answer = client.post(
        f"/api/projects/{pid}/edits",
        json={"action": "erase", "args": {"points": [[20, 20]], "brush_size": 3, "cell": 500}},
    )
    assert answer.status_code == 200 and answer.get_json()["version"] == 2
