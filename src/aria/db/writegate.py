"""One writer at a time on SQLite, handed over by the kernel instead of by polling.

SQLite lets one connection write at a time; a second writer that finds the lock taken sleeps
in its busy handler (1, 2, 5, 10 ... 100 ms) and tries again, so it wakes long after the lock
was released. Under webhook load the server's group commit lost 40-85 ms per wait to those
sleeps while the worker process committed register rows. The hot writers (the webhook
receiver, webhook processing, sync pages) take this gate first: an exclusive ``flock`` on a
file beside the database, on which a waiting process sleeps in the kernel and is woken when
the holder releases it. Writers that do not take the gate are still correct (SQLite's own lock
decides), they only miss the prompt hand-over. PostgreSQL needs none of this.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import Engine

from aria.db.engine import is_sqlite_file


class WriteGate:
    """An exclusive lock on ``path``, shared by every process that opens the same database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._held = threading.local()

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Exclusive until the block ends. Re-entrant per thread: a hold nested in another
        (a gated write inside a gated write) joins it instead of waiting for itself forever."""
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        # A descriptor per hold: flock owners are open files, so two threads of one process
        # sharing a descriptor would not exclude each other.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._held.depth = 1
            yield
        finally:
            self._held.depth = 0
            os.close(fd)  # closing releases the lock


def gate_for(engine: Engine) -> WriteGate | None:
    """The gate of a SQLite database file; None for PostgreSQL and in-memory databases."""
    if not is_sqlite_file(engine):
        return None
    return WriteGate(Path(f"{engine.url.database}.writegate"))


def holding(gate: WriteGate | None) -> AbstractContextManager[None]:
    """``gate.hold()``, or nothing to hold when there is no gate."""
    return gate.hold() if gate is not None else nullcontext()
