"""Reads in this process while a server in another process edits the same SQLite database:
the per-process cache of where each cell is present, and one snapshot per read request."""

from __future__ import annotations

import numpy as np
import pytest
import requests
from accounts import signed_in_session
from conftest import build_app
from servers import TIMEOUT, Server, create_project, fetch_labels, running


@pytest.fixture(scope="module")
def beside(tmp_path_factory):
    """This process's app and a server with its job worker, on one SQLite database."""
    data_dir = tmp_path_factory.mktemp("beside")
    app = build_app(data_dir, {})
    with running(Server(data_dir)) as server, signed_in_session() as session:
        yield app, server, session


def two_cells(session: requests.Session, url: str, name: str) -> str:
    raw = np.zeros((64, 64), np.uint8)
    labels = np.zeros((64, 64), np.int32)
    labels[4:20, 4:20] = 1
    labels[40:60, 40:60] = 2
    return create_project(session, url, raw, labels, name)["id"]


def edit(session: requests.Session, url: str, project_id: str, version: int, **stroke) -> int:
    action = stroke.pop("action", "brush")
    body = {
        "action": action,
        "args": {"brush_size": 4, **stroke},
        "write_mode": "overwrite" if action == "brush" else "exclude",
        "base_version": version,
    }
    answer = session.post(f"{url}/api/projects/{project_id}/edits", json=body, timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()["version"]


def test_a_cell_added_and_erased_by_another_process_is_counted_once(beside):
    """This process caches presence at version 0 and reads the project at version 1; the server
    adds cell 60 (version 2) before this process catches up, then erases it (version 3): cell 60
    is present nowhere."""
    from deepcell_label.store import presence
    from deepcell_label.store.models import Project, db

    app, server, session = beside
    project_id = two_cells(session, server.url, "presence")
    with app.app_context():
        assert dict(presence.presence(db.session.get(Project, project_id))) == {
            1: [0],
            2: [0],
        }
        db.session.remove()
    version = edit(session, server.url, project_id, 0, points=[[10, 10]], cell=1)
    with app.app_context():
        project = db.session.get(Project, project_id)
        assert project.version == version == 1
        version = edit(session, server.url, project_id, 1, points=[[30, 5], [30, 15]], cell=60)
        assert presence.presence(project).get(1) == [0]
        db.session.remove()
    version = edit(
        session,
        server.url,
        project_id,
        version,
        action="erase",
        points=[[30, 5], [30, 15]],
        brush_size=8,
        cell=60,
    )
    with app.app_context():
        project = db.session.get(Project, project_id)
        assert project.version == version == 3
        found = presence.presence(project)
        assert found.get(60, []) == [] and found.get(1) == [0] and found.get(2) == [0]


def test_a_read_request_sees_one_snapshot_while_another_process_edits(beside):
    """A GET request that read the project before the server committed an edit reads the labels
    as they were then, not half of each."""
    from deepcell_label.store.labelstore import read_frame
    from deepcell_label.store.models import Project, db

    app, server, session = beside
    project_id = two_cells(session, server.url, "snapshot")
    before = fetch_labels(session, server.url, project_id)
    with app.test_request_context(f"/api/projects/{project_id}/labels/0/0", method="GET"):
        project = db.session.get(Project, project_id)
        edit(session, server.url, project_id, 0, points=[[30, 30]], brush_size=10, cell=9)
        assert np.array_equal(read_frame(project, 0, 0), before)
    after = fetch_labels(session, server.url, project_id)
    assert (after == 9).sum() > 50
    with app.test_request_context(f"/api/projects/{project_id}/labels/0/0", method="GET"):
        assert np.array_equal(read_frame(db.session.get(Project, project_id), 0, 0), after)
