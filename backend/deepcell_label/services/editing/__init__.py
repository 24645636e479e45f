"""Use cases of editing: apply an action, undo, redo, and list what changed since a version.

Each call is one database transaction: the project row is locked first (so edits to one
project are serialized across processes), then tiles, cell rows, lists and the history
record are written together.

- `actions`: check an edit request and route it to its action;
- `unit`: the unit of work (context, transaction, history record);
- `undo`: undo and redo, per annotator, refused where others changed the same things since;
- `merging`: three-way merges of the project's lists for undo and redo;
- `history`: what the history says (edits since a version, a page of it, undo state, findings).
The frame states themselves are kept by `store.framestate`.
"""

from __future__ import annotations

from .actions import apply_edit
from .history import (
    ANONYMOUS,
    HISTORY_PAGE,
    history,
    history_page,
    undo_state,
    validation_findings,
)
from .undo import redo, undo

__all__ = [
    "ANONYMOUS",
    "HISTORY_PAGE",
    "apply_edit",
    "history",
    "history_page",
    "redo",
    "undo",
    "undo_state",
    "validation_findings",
]
