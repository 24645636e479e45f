"""How the server keeps its MariaDB connections between requests.

Done naively, every request pays two round trips to the database before and after its own
statements, twice over (once for the access check, once for the use case): a ping when a
connection is lent and a rollback when it is handed back. Here a connection is pinged only
when it has been idle for IDLE_SECONDS (a connection used a moment ago is alive; one that sat
idle may have been closed by the server), and rolled back on its return only when its last
transaction did not end with a commit or rollback of its own.
"""

from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

IDLE_SECONDS = 10.0
# The engine's own ping on every lending and rollback on every return are replaced by the
# events below.
ENGINE_OPTIONS = {"pool_pre_ping": False, "pool_reset_on_return": None}

_RETURNED = "returned_at"
_OPEN = "transaction_open"


def keep_connections(engine: Engine) -> None:
    """Install the checks on an engine made with ENGINE_OPTIONS."""

    @event.listens_for(engine, "checkout")
    def lend(dbapi_connection, record, _proxy) -> None:
        # Until a transaction is seen to end, assume one is open (a raw DBAPI use of the
        # connection fires no transaction events).
        record.info[_OPEN] = True
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned < IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards this connection and lends a new one.
            raise DisconnectionError(f"an idle database connection was closed: {error}") from error

    @event.listens_for(engine, "begin")
    def began(connection) -> None:
        connection.info[_OPEN] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def ended(connection) -> None:
        connection.info[_OPEN] = False

    @event.listens_for(engine, "handle_error")
    def failed(context) -> None:
        # A commit or rollback that failed may have left its transaction open.
        if context.connection is not None and not context.connection.closed:
            context.connection.info[_OPEN] = True

    @event.listens_for(engine, "reset")
    def reset(dbapi_connection, record, _state) -> None:
        if record.info.get(_OPEN, True):
            dbapi_connection.rollback()

    @event.listens_for(engine, "checkin")
    def give_back(_dbapi_connection, record) -> None:
        record.info[_RETURNED] = time.monotonic()
