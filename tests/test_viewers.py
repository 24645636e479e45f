"""Presence: who has a project open and on which frame, through the HTTP API."""

from __future__ import annotations

from datetime import timedelta

from accounts import person
from test_annotators import blank_project


def _report(client, pid: str, who: str, frame: int, feature: int = 0, status: int = 200):
    response = client.put(
        f"/api/projects/{pid}/viewers",
        json={"frame": frame, "feature": feature},
        headers=person(client.application, who),
    )
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_viewers_see_each_other_with_their_frames_until_they_leave(client):
    pid = blank_project(client, frames=3)
    _report(client, pid, "alice", 0)
    seen = _report(client, pid, "bob", 2)
    assert [(v["annotator"], v["frame"], v["you"]) for v in seen["viewers"]] == [
        ("alice", 0, False),
        ("bob", 2, True),
    ]
    assert seen["stale_seconds"] > 0 and seen["viewers"][0]["seen"].endswith("Z")
    # Alice moves to frame 1; a second report updates her row, it adds none.
    _report(client, pid, "alice", 1)
    listed = client.get(f"/api/projects/{pid}/viewers", headers=person(client.application, "bob"))
    assert [(v["annotator"], v["frame"]) for v in listed.get_json()["viewers"]] == [
        ("alice", 1),
        ("bob", 2),
    ]
    left = client.delete(
        f"/api/projects/{pid}/viewers", headers=person(client.application, "alice")
    )
    assert left.status_code == 204
    after = client.get(f"/api/projects/{pid}/viewers").get_json()["viewers"]
    assert [v["annotator"] for v in after] == ["bob"]


def test_viewers_who_stopped_reporting_are_not_listed(app, client):
    from deepcell_label.services import viewers
    from deepcell_label.store.models import Viewer, db

    pid = blank_project(client)
    _report(client, pid, "alice", 0)
    _report(client, pid, "bob", 0)
    with app.app_context():
        row = db.session.get(Viewer, (pid, "alice"))
        row.seen -= timedelta(seconds=viewers.STALE_SECONDS + 1)
        db.session.commit()
    listed = client.get(f"/api/projects/{pid}/viewers").get_json()["viewers"]
    assert [v["annotator"] for v in listed] == ["bob"]
    # Reporting again brings her back.
    assert len(_report(client, pid, "alice", 0)["viewers"]) == 2


def test_bad_reports_are_refused(client):
    pid = blank_project(client, frames=2)
    message = _report(client, pid, "alice", 2, status=400)["error"]
    assert "'frame' must be between 0 and 1" in message
    assert "'feature'" in _report(client, pid, "alice", 0, feature=1, status=400)["error"]
    assert _report(client, "nosuchproject", "alice", 0, status=404)["error"]
    assert client.get(f"/api/projects/{pid}/viewers").get_json()["viewers"] == []
