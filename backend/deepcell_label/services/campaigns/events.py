"""Every change of a task's state goes through here, so each is recorded with who and when."""

from __future__ import annotations

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
