"""The unit of work of one edit: what a failed transaction leaves behind in this process."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import brush, create, label_frame, stardist_project
from testdata import testdata_path as shared_file


def test_a_rolled_back_edit_leaves_no_tile_in_the_cache(app, client):
    """A failed edit's tiles are never served: another process may commit the same version
    number with other pixels, and those are what a reader must see."""
    from deepcell_label.formats import tiling
    from deepcell_label.services.editing.unit import record, transaction
    from deepcell_label.store.models import LabelTile, Project, db
    from sqlalchemy import update

    meta = create(
        client, shared_file("stardist/img2d.tif"), labels=shared_file("stardist/mask2d.tif")
    )
    pid = meta["id"]
    before = label_frame(client, pid)
    painted = int(before[before > 0][0])  # a value the frame already has

    def failing(context):
        context.apply_window(0, 0, (0, 0, 64, 64), lambda window, cellmap: window * 0 + painted)
        record(context.project, context, "edit", "brush", {}, 0, 0, "exclude", None, "test")
        raise RuntimeError("the connection dropped before the commit")

    with app.app_context():
        with pytest.raises(RuntimeError):
            transaction(pid, failing)
        # Another process commits version 1 with its own pixels in the same tile.
        theirs = before[:256, :256].copy()
        theirs[100:110, 100:110] = 0
        db.session.execute(
            update(LabelTile)
            .where(
                LabelTile.project_id == pid,
                LabelTile.feature == 0,
                LabelTile.frame == 0,
                LabelTile.tile_y == 0,
                LabelTile.tile_x == 0,
            )
            .values(version=1, data=tiling.encode(theirs))
        )
        db.session.execute(update(Project).where(Project.id == pid).values(version=1))
        db.session.commit()

    served = label_frame(client, pid)
    assert np.array_equal(served[:256, :256], theirs)
    assert not (served[:64, :64] == painted).all()


def test_requests_without_the_project_lock_never_touch_a_cached_frame_state(app, client):
    """An edit changes its frame's cached state in place while it holds the project's lock.
    A prefetch (run before the lock is taken) and readers such as the expression table run
    beside it on other threads: they must neither bring that state up to date themselves nor
    read it, or two threads change (or one reads while the other changes) the same maps."""
    from deepcell_label.store import framestate
    from deepcell_label.store.models import Project, db

    pid = stardist_project(client)
    brush(client, pid, [40, 40], 900)
    key = (pid, 0, 0)
    cached = framestate.frame_cache.get(key)
    assert cached is not None and cached.version == 1
    # As if another process had made the latest edit: the cached state is one version behind.
    framestate.frame_cache.put(key, 0, cached.state)

    with app.app_context():
        framestate.prefetch_frame(pid, 0, 0)
        entry = framestate.frame_cache.get(key)
        assert entry.version == 0 and entry.state is cached.state  # left for the lock holder
        project = db.session.get(Project, pid)
        own = framestate.read_state(project, 0, 0)
        assert own is not cached.state and own.index is not cached.state.index
        assert 900 in set().union(*own.cellmap.mapping.values())  # at the project's version
        db.session.rollback()

    # The expression table reads its own copy too, and the next edit catches the cache up.
    assert client.get(f"/api/projects/{pid}/expression?frame=0").status_code == 200
    assert framestate.frame_cache.get(key).state is cached.state
    brush(client, pid, [40, 40], 900, action="erase")
    assert framestate.frame_cache.get(key).version == 2
    cells = client.get(f"/api/projects/{pid}").get_json()["cells"]
    assert {c["value"] for c in cells} == set(np.unique(label_frame(client, pid)).tolist()) - {0}


def test_edits_that_overlap_without_a_break_still_let_cycles_be_collected(monkeypatch):
    import gc
    import weakref

    from deepcell_label.services.editing import unit

    class Node:
        pass

    monkeypatch.setattr(unit, "LONGEST_PAUSE_SECONDS", 0.0)
    with unit.collector_paused():  # an edit that runs throughout
        assert not gc.isenabled()
        cycle = Node()
        cycle.itself = cycle
        gone = weakref.ref(cycle)
        del cycle
        assert gone() is not None  # reference counting cannot free a cycle
        with unit.collector_paused():  # another edit, ending while the first goes on
            pass
        assert gone() is None
        assert not gc.isenabled()
    assert gc.isenabled()


def test_after_an_edit_the_objects_then_alive_are_frozen_and_later_cycles_still_collected(
    client,
):
    """Full collections skip what was alive when the first edits ended (the app's modules,
    the cached frames), yet cycles made afterwards are still freed."""
    import gc
    import weakref

    pid = create(
        client, shared_file("stardist/img2d.tif"), labels=shared_file("stardist/mask2d.tif")
    )["id"]
    brush(client, pid, [40, 40], 5)
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0

    class Node:
        pass

    cycle = Node()
    cycle.itself = cycle
    gone = weakref.ref(cycle)
    del cycle
    gc.collect()
    assert gone() is None
