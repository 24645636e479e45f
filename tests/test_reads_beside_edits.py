"""The per-process cache of where each cell is present, kept current while another process
edits the same project (SQLite, where a read outside an edit sees the latest commit)."""

from __future__ import annotations

import numpy as np
import requests
from conftest import build_app
from servers import TIMEOUT, Server, create_project, running


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


def test_a_cell_added_and_erased_by_another_process_is_counted_once(tmp_path):
    """This process caches presence at version 0 and reads the project at version 1; the server
    adds cell 60 (version 2) before this process catches up, then erases it (version 3): cell 60
    is present nowhere."""
    from deepcell_label.store import presence
    from deepcell_label.store.models import Project, db

    app = build_app(tmp_path, {})
    raw = np.zeros((64, 64), np.uint8)
    labels = np.zeros((64, 64), np.int32)
    labels[4:20, 4:20] = 1
    labels[40:60, 40:60] = 2
    with running(Server(tmp_path)) as server, requests.Session() as session:
        project_id = create_project(session, server.url, raw, labels, "presence")["id"]
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
