"""The SQLite write gate: one holder at a time, across threads and processes, released on exit."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from aria.db.engine import make_engine
from aria.db.writegate import WriteGate, gate_for, holding


def _taken(path: Path) -> bool:
    """Whether someone holds the gate, asked without waiting."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_second_thread_waits_until_the_holder_leaves(tmp_path: Path) -> None:
    gate = WriteGate(tmp_path / "db.writegate")
    order: list[str] = []
    entered = threading.Event()
    with gate.hold():
        assert _taken(gate.path)

        def second() -> None:
            with gate.hold():
                order.append("second")
                entered.set()

        thread = threading.Thread(target=second)
        thread.start()
        # The second holder cannot get in while we hold the gate.
        assert not entered.wait(0.2)
        order.append("first leaves")
    thread.join(timeout=10)
    assert order == ["first leaves", "second"]
    assert not _taken(gate.path)


def test_another_process_is_kept_out_and_an_error_releases_the_gate(tmp_path: Path) -> None:
    gate = WriteGate(tmp_path / "db.writegate")
    probe = (
        "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR);\n"
        "try: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "except BlockingIOError: sys.exit(3)\n"
    )
    with pytest.raises(RuntimeError), gate.hold():
        blocked = subprocess.run([sys.executable, "-c", probe, str(gate.path)], check=False)
        assert blocked.returncode == 3
        raise RuntimeError("the transaction failed")
    free = subprocess.run([sys.executable, "-c", probe, str(gate.path)], check=False)
    assert free.returncode == 0


def test_only_sqlite_files_have_a_gate(tmp_path: Path) -> None:
    gate = gate_for(make_engine(f"sqlite:///{tmp_path}/aria.db"))
    assert gate is not None and gate.path == tmp_path / "aria.db.writegate"
    assert gate_for(make_engine("sqlite://")) is None
    assert gate_for(make_engine("postgresql+psycopg://u@127.0.0.1:1/x")) is None
    with holding(None):  # nothing to hold: PostgreSQL's own locks decide
        pass


def test_a_hold_nested_in_the_same_thread_joins_the_outer_one(tmp_path: Path) -> None:
    gate = WriteGate(tmp_path / "db.writegate")
    with gate.hold():
        with gate.hold():  # would wait for itself forever if it took the lock again
            assert _taken(gate.path)
        assert _taken(gate.path)  # the inner exit does not release the outer hold
    assert not _taken(gate.path)
