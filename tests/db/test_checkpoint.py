"""The serving process checkpoints SQLite's WAL in the background, never inside a COMMIT."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from aria.db.checkpoint import WalCheckpointer, background_checkpoints
from aria.db.engine import is_sqlite_file, make_engine


def _autocheckpoint(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()


def test_checkpoints_move_from_commits_to_the_thread_and_back(tmp_path: Path) -> None:
    path = tmp_path / "aria.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (v TEXT)"))
    assert _autocheckpoint(engine) == 1000  # SQLite's default: a COMMIT may checkpoint
    checkpointer = WalCheckpointer(engine, interval=3600)  # the test calls checkpoint() itself
    checkpointer.start()
    try:
        assert _autocheckpoint(engine) == 0
        with engine.begin() as connection:
            for _ in range(3000):  # ~3,000 pages of log: past the automatic threshold
                connection.execute(text("INSERT INTO t VALUES (:v)"), {"v": "x" * 4000})
        # The COMMIT left every page in the log: the database file has not grown.
        assert path.stat().st_size < 1_000_000
        checkpointer.checkpoint()
        assert checkpointer.checkpoints == 1
        assert path.stat().st_size > 10_000_000
    finally:
        checkpointer.stop()
    assert _autocheckpoint(engine) == 1000  # other users of the engine are as before
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 3000
    engine.dispose()


def test_only_sqlite_files_have_a_log_to_checkpoint(tmp_path: Path) -> None:
    assert is_sqlite_file(make_engine(f"sqlite:///{tmp_path}/a.db"))
    assert not is_sqlite_file(make_engine("sqlite://"))
    assert not is_sqlite_file(make_engine("sqlite:///:memory:"))
    assert not is_sqlite_file(make_engine("postgresql+psycopg://u@127.0.0.1:1/x"))


def test_without_the_checkpointer_a_commit_checkpoints_itself(tmp_path: Path) -> None:
    """The behaviour the checkpointer removes from the request path (and the test above's
    premise): a COMMIT past 1,000 pages of log copies them into the database file."""
    path = tmp_path / "aria.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (v TEXT)"))
        for _ in range(3000):
            connection.execute(text("INSERT INTO t VALUES (:v)"), {"v": "x" * 4000})
    assert path.stat().st_size > 10_000_000
    engine.dispose()


def test_background_checkpoints_cover_the_block_on_sqlite_files_only(tmp_path: Path) -> None:
    """What `aria serve` and `aria worker` wrap their work in."""
    engine = make_engine(f"sqlite:///{tmp_path}/aria.db")
    with background_checkpoints(engine) as checkpointer:
        assert checkpointer is not None and _autocheckpoint(engine) == 0
    assert checkpointer.checkpoints == 1  # stopping leaves a short log for the next process
    assert _autocheckpoint(engine) == 1000
    engine.dispose()
    with background_checkpoints(make_engine("sqlite://")) as nothing:
        assert nothing is None
