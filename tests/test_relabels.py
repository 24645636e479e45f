"""A relabelling kept as one mapping per frame (store/relabels.py): every reader of the cell
index answers from storage as the edits' own frame states say, after propagates, brush edits
on relabelled values, undo and redo, with the process's caches dropped; the mapping's
arithmetic against a plain model; migration 0014 both ways, on SQLite and MariaDB."""

from __future__ import annotations

import io

import numpy as np
import pytest
import tifffile
from conftest import build_app, mysql_database, start_worker
from deepcell_label.store import framestate, presence, relabels
from deepcell_label.store.history import ChangeSet
from deepcell_label.store.models import CellValue, FrameRelabel, Project, db
from deepcell_label.store.projects import cells_list
from helpers import brush, create, follow
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

FRAMES, SIZE = 3, 64


def _movie() -> np.ndarray:
    """Nine discs drifting across FRAMES frames, their ids shuffled in every frame."""
    rows, columns = np.ogrid[:SIZE, :SIZE]
    labels = np.zeros((FRAMES, SIZE, SIZE), np.int32)
    rng = np.random.default_rng(4)
    for t in range(FRAMES):
        ids = rng.permutation(np.arange(1, 10)) + 10 * t
        for n, cell in enumerate(ids.tolist()):
            y, x = 10 + 20 * (n // 3), 10 + 20 * (n % 3) + t
            labels[t][(rows - y) ** 2 + (columns - x) ** 2 <= 25] = cell
    return labels


def _project(client) -> str:
    labels = _movie()
    raw, mask = io.BytesIO(), io.BytesIO()
    tifffile.imwrite(raw, np.zeros(labels.shape, np.uint8), photometric="minisblack")
    tifffile.imwrite(mask, labels, photometric="minisblack")
    made = create(client, data=raw.getvalue(), name="movie.tif", labels=mask.getvalue(), axes="TYX")
    return made["id"]


def _post(client, project_id: str, path: str, body: dict) -> dict:
    answer = client.post(f"/api/projects/{project_id}/{path}", json=body)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def _propagate(client, project_id: str, source: int, target: int) -> dict:
    edit = {"action": "propagate", "args": {"from_frame": source, "to_frame": target}}
    return _post(client, project_id, "edits", {**edit, "frame": target})


def _rows(project_id: str) -> list[tuple]:
    return db.session.execute(
        select(CellValue.frame, CellValue.value, CellValue.cell)
        .where(CellValue.project_id == project_id)
        .order_by(CellValue.frame, CellValue.value, CellValue.cell)
    ).all()


def _check_readers(app, project_id: str) -> dict[tuple[int, int], set[int]]:
    """Every reader of the stored cell index, with the caches dropped, against the frame
    states the edits left in this process's cache; returns (frame, value) -> cells."""
    with app.app_context():
        project = db.session.get(Project, project_id)
        expected: dict[tuple[int, int], set[int]] = {}
        for frame in range(FRAMES):
            state = framestate.frame_state(project, 0, frame)
            for value, info in state.index.items():
                expected[frame, value] = set(info.cells)
        framestate.frame_cache.clear()
        presence.forget(project_id)
        loaded = {
            (frame, value): set(info.cells)
            for frame in range(FRAMES)
            for value, info in framestate._load_index(project_id, 0, frame).items()
        }
        assert loaded == expected
        listed: dict[tuple[int, int], set[int]] = {}
        for entry in cells_list(project_id):
            listed.setdefault((entry["t"], entry["value"]), set()).add(entry["cell"])
        assert listed == expected
        frames_of: dict[int, set[int]] = {}
        for (frame, _), cells in expected.items():
            for cell in cells:
                frames_of.setdefault(cell, set()).add(frame)
        assert framestate.cell_frames(project, 0) == {c: sorted(f) for c, f in frames_of.items()}
        some = sorted(frames_of)[::2] + [10_000]
        assert framestate.cell_frames(project, 0, set(some)) == {
            c: sorted(frames_of[c]) for c in some if c in frames_of
        }
        present = presence.presence(project, 0)
        assert {c: present[c] for c in present if present[c]} == {
            c: sorted(f) for c, f in frames_of.items()
        }
        assert relabels.distinct_cells(project_id).tolist() == sorted(frames_of)
        assert relabels.distinct_cells(project_id, 0, 1).tolist() == sorted(
            {c for (frame, _), cells in expected.items() if frame == 1 for c in cells}
        )
        db.session.rollback()
    return expected


def test_readers_answer_as_the_edits_left_the_frames(app):
    client = app.test_client()
    project_id = _project(client)
    before = _check_readers(app, project_id)
    with app.app_context():
        rows_before = _rows(project_id)
    mapped = select(func.count()).where(FrameRelabel.project_id == project_id)

    _propagate(client, project_id, 0, 1)
    after_first = _check_readers(app, project_id)
    with app.app_context():
        # The relabelling wrote one mapping row, not the frame's cell rows.
        assert _rows(project_id) == rows_before
        assert db.session.scalar(mapped) == 1
        db.session.rollback()
    _post(client, project_id, "undo", {})
    assert _check_readers(app, project_id) == before
    with app.app_context():
        # Every value is back at its row's cell: no mapping is left.
        assert _rows(project_id) == rows_before
        assert db.session.scalar(mapped) == 0
        db.session.rollback()
    _post(client, project_id, "redo", {})
    assert _check_readers(app, project_id) == after_first

    # A brush stroke over a relabelled cell writes that value's rows anew (the mapping lets go
    # of it), and one in overlap mode gives a value two cells.
    cell = next(iter(after_first[1, next(v for t, v in after_first if t == 1)]))
    edit = {"points": [[12, 10]], "brush_size": 4, "cell": cell}
    _post(client, project_id, "edits", {"action": "brush", "args": edit, "frame": 1})
    overlap = {"points": [[32, 30]], "brush_size": 3, "cell": cell}
    _post(
        client,
        project_id,
        "edits",
        {"action": "brush", "args": overlap, "frame": 1, "write_mode": "overlap"},
    )
    _check_readers(app, project_id)
    _propagate(client, project_id, 1, 2)
    _check_readers(app, project_id)
    _propagate(client, project_id, 2, 1)  # relabels values already in the frame's mapping
    _check_readers(app, project_id)
    for _ in range(4):
        _post(client, project_id, "undo", {})
        _check_readers(app, project_id)
    assert _check_readers(app, project_id) == after_first
    _post(client, project_id, "undo", {})
    assert _check_readers(app, project_id) == before
    for _ in range(3):
        _post(client, project_id, "redo", {})
        _check_readers(app, project_id)
    brush(client, project_id, [40, 40], 3, action="erase")
    _check_readers(app, project_id)


def test_a_linked_movie_and_its_undo_read_back_from_storage(app):
    client = app.test_client()
    project_id = _project(client)
    before = _check_readers(app, project_id)
    answer = client.post(f"/api/projects/{project_id}/link", json={})
    assert answer.status_code == 202, answer.get_json()
    job = answer.get_json()
    assert follow(client, job["id"])[-1]["state"] == "done"
    linked = _check_readers(app, project_id)
    # The discs keep their places, so each frame's cells are the first frame's.
    for frame in range(FRAMES):
        cells = set().union(*(c for (t, _), c in linked.items() if t == frame))
        assert cells == set(range(1, 10)), frame
    _post(client, project_id, "undo", {})
    assert _check_readers(app, project_id) == before


# ---------------------------------------------------------------- the mapping's arithmetic


OPERATIONS = st.one_of(
    st.tuples(st.just("relabel"), st.sets(st.integers(1, 12), min_size=1), st.integers(1, 6)),
    st.tuples(st.just("brush"), st.sets(st.integers(1, 12), min_size=1), st.just(0)),
    st.tuples(st.just("erase"), st.sets(st.integers(1, 12), min_size=1), st.just(0)),
)


@settings(max_examples=300, deadline=None)
@given(edits=st.lists(st.lists(OPERATIONS, min_size=1, max_size=3), max_size=8))
def test_the_mapping_follows_relabellings_and_rewritten_rows(edits):
    """Against a model of each value's row and its cell now, over edits that relabel values,
    and brush (their rows written anew, cells kept: painting never changes a value's cells)
    or erase them, in either order within one edit."""
    row: dict[int, int | None] = {value: value % 5 + 1 for value in range(1, 13)}
    now = dict(row)
    mapping = relabels.CellMapping.empty()
    for operations in edits:
        changes, written = ChangeSet(), {}
        for kind, values, cell in operations:
            chosen = sorted(v for v in values if now[v] is not None)
            if kind == "relabel":
                changes.add_relabel(0, 0, chosen, [now[v] for v in chosen], [cell] * len(chosen))
                now.update(dict.fromkeys(chosen, cell))
                # Rows this edit writes end at the edit's cells.
                written.update({v: cell for v in chosen if v in written})
            else:
                if kind == "erase":
                    now.update(dict.fromkeys(chosen))
                written.update({v: now[v] for v in chosen})
        rows = {v: None if c is None else frozenset((c,)) for v, c in written.items()}
        mapping = mapping.without(rows)
        if (0, 0) in changes.relabels:
            mapping = mapping.after(changes.relabels[0, 0]).rows_written(rows)
        row.update(written)
        assert mapping.values.tolist() == sorted(v for v in row if row[v] != now[v])
        assert mapping.stored.tolist() == [row[v] for v in mapping.values.tolist()]
        assert mapping.cells.tolist() == [now[v] for v in mapping.values.tolist()]
        again = relabels.CellMapping.unpack(mapping.pack())
        assert all(
            np.array_equal(a, b) for a, b in zip(again.columns(), mapping.columns(), strict=True)
        )


# ---------------------------------------------------------------- migration 0014


def _migrate_both_ways(app) -> None:
    from flask_migrate import downgrade, upgrade

    client = app.test_client()
    project_id = _project(client)
    _propagate(client, project_id, 0, 1)
    _propagate(client, project_id, 1, 2)
    with app.app_context():
        listed = cells_list(project_id)
        assert db.session.scalar(select(func.count()).select_from(FrameRelabel)) == 2
        db.session.rollback()
        downgrade(revision="0013")
        # The mappings went back into the rows they overrode, and their table is gone.
        rows = db.session.execute(
            text(
                "SELECT value, cell, frame, feature FROM cell_values WHERE project_id = :p "
                "ORDER BY feature, frame, value, cell"
            ),
            {"p": project_id},
        ).all()
        assert [{"value": v, "cell": c, "t": t, "c": f} for v, c, t, f in rows] == listed
        tables = db.inspect(db.engine).get_table_names()
        assert "frame_relabels" not in tables
        db.session.rollback()
        upgrade()
        assert cells_list(project_id) == listed
        db.session.rollback()
    framestate.frame_cache.clear()
    presence.forget(project_id)
    # Edited again after the round trip, the project still relabels and undoes.
    _propagate(client, project_id, 0, 1)
    _post(client, project_id, "undo", {})
    with app.app_context():
        assert cells_list(project_id) == listed


def test_migration_0014_keeps_the_cells_both_ways_on_sqlite(tmp_path, request):
    app = build_app(tmp_path, {})
    start_worker(app, request)
    _migrate_both_ways(app)


@pytest.mark.mysql
def test_migration_0014_keeps_the_cells_both_ways_on_mariadb(tmp_path, request):
    with mysql_database() as url:
        app = build_app(tmp_path, {"SQLALCHEMY_DATABASE_URI": url})
        worker = start_worker(app, request)
        try:
            _migrate_both_ways(app)
        finally:
            worker.stop()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
