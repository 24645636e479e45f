"""One consistent snapshot for the reads of a request (or of a block of work) on SQLite.

MariaDB's REPEATABLE READ already gives a transaction one snapshot. Python's sqlite3 begins a
transaction only before a write, so each read of a reader sees the latest commit and a read
beside an edit can mix tiles from before and after it. Inside `reading()` (and in every GET or
HEAD request, see app.py) a transaction the session begins starts with BEGIN at once, so all its
reads see the database as it was at its first read. Writes keep sqlite3's own behaviour: a
read snapshot that another process has moved past could not be upgraded to a write.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_reading: ContextVar[bool] = ContextVar("one_snapshot", default=False)


@contextmanager
def reading() -> Iterator[None]:
    """Transactions begun inside the block read one snapshot each."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def wanted() -> bool:
    return _reading.get()


def begin(connection) -> None:
    """The engine's "begin" hook: BEGIN at once on SQLite when a snapshot is wanted (sqlite3
    counts a transaction begun by hand as its own, so commit and rollback still end it)."""
    if wanted() and connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")
