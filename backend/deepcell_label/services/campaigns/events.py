"""Every change of a task's state goes through here, so each is recorded with who and when."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, update

from ...store.campaigns import Task, TaskEvent
from ...store.models import db, utcnow

# Which state may follow which (SPEC: new → in_progress → submitted → (in_review →)
# accepted | rejected → in_progress …; a released or expired task returns to new).
ALLOWED = {
    "new": {"in_progress"},
    "in_progress": {"submitted", "new", "in_progress"},
    "submitted": {"in_review", "accepted", "rejected", "new"},
    "in_review": {"accepted", "rejected"},
    "rejected": {"in_progress", "new"},
    "accepted": set(),
}


def transition(task: Task, to_state: str, actor: str, comment: str = "") -> None:
    """Move a task to `to_state` and record the event (in the caller's transaction)."""
    if to_state not in ALLOWED[task.state]:
        raise AssertionError(f"task {task.id}: {task.state} -> {to_state} is not a transition")
    db.session.add(
        TaskEvent(
            task_id=task.id,
            from_state=task.state,
            to_state=to_state,
            actor=actor,
            comment=comment,
            at=utcnow(),
        )
    )
    task.state = to_state


_MOVE = update(Task.__table__).where(
    Task.__table__.c.id == bindparam("task"), Task.__table__.c.state == bindparam("from_state")
)
_RECORD = insert(TaskEvent.__table__)


def transition_row(
    task_id: int, from_state: str, to_state: str, actor: str, comment: str = "", **values
) -> None:
    """`transition` for a task not loaded as an object (in a statement that only binds values):
    its row, known to be in `from_state` and locked by the caller, moves to `to_state` with
    `values` set, and the event is recorded."""
    if to_state not in ALLOWED[from_state]:
        raise AssertionError(f"task {task_id}: {from_state} -> {to_state} is not a transition")
    moved = db.session.execute(
        _MOVE, {"task": task_id, "from_state": from_state, "state": to_state, **values}
    )
    if moved.rowcount != 1:
        raise AssertionError(f"task {task_id} is not {from_state} (it changed meanwhile)")
    db.session.execute(
        _RECORD,
        {
            "task_id": task_id,
            "from_state": from_state,
            "to_state": to_state,
            "actor": actor,
            "comment": comment,
            "at": utcnow(),
        },
    )
