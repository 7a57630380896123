"""WAL checkpoints off the commit path, for the long-running processes on SQLite.

SQLite folds its write-ahead log back into the database file (a checkpoint, with an fsync of
the database) inside whichever COMMIT first finds the log past 1,000 pages. In `aria serve`
that is a request: under webhook load one group commit in a few hundred stalled for 150-180 ms
on this fsync, and every delivery waiting on it with it. While the server runs, its own
connections skip those automatic checkpoints and this thread runs a PASSIVE checkpoint every
second instead (PASSIVE never blocks readers or writers). `aria worker` does the same: an
automatic checkpoint there ran inside a commit that held the write gate, so the receiver's
group commit waited on the worker's fsync. Other processes (CLI commands) keep SQLite's
automatic checkpoints.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from aria.db.engine import is_sqlite_file

log = logging.getLogger(__name__)

INTERVAL_S = 1.0


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


class WalCheckpointer:
    """A daemon thread that checkpoints ``engine``'s log every ``interval`` seconds."""

    def __init__(self, engine: Engine, *, interval: float = INTERVAL_S) -> None:
        self.engine = engine
        self.interval = interval
        self.checkpoints = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        event.listen(self.engine, "connect", _no_autocheckpoint)
        self.engine.dispose()  # pooled connections opened before now still checkpoint inline
        self._thread = threading.Thread(target=self._run, name="aria-wal-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        event.remove(self.engine, "connect", _no_autocheckpoint)
        self.engine.dispose()
        self.checkpoint()  # leave a short log behind for the next process

    def checkpoint(self) -> None:
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            self.checkpoints += 1
        except Exception as error:  # a busy or vanished database: try again next time
            log.warning("WAL checkpoint failed: %s", type(error).__name__)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.checkpoint()


@contextmanager
def background_checkpoints(engine: Engine) -> Iterator[WalCheckpointer | None]:
    """A running `WalCheckpointer` for the block when ``engine`` is a SQLite file, else None."""
    if not is_sqlite_file(engine):
        yield None
        return
    checkpointer = WalCheckpointer(engine)
    checkpointer.start()
    try:
        yield checkpointer
    finally:
        checkpointer.stop()
