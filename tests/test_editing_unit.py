"""The unit of work of one edit: what a failed transaction leaves behind in this process."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import create, label_frame
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
