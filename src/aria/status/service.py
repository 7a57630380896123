"""Readiness: is the database reachable and migrated, and is the queue reachable?"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from aria.db import migrate
from aria.logs import redact
from aria.runtime import Runtime
from aria.sync.queue import check_queue, describe_queue, last_heartbeat


def _failure(error: Exception) -> dict[str, Any]:
    return {"ok": False, "error": redact(f"{type(error).__name__}: {error}")[:300]}


def check_database(runtime: Runtime) -> dict[str, Any]:
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = migrate.current_revision(runtime.engine)
        head = migrate.head_revision(runtime.engine)
    except Exception as error:  # any driver error means "not ready", never a crash
        return _failure(error)
    result: dict[str, Any] = {
        "ok": current == head,
        "dialect": runtime.engine.dialect.name,
        "revision": current,
        "head": head,
    }
    if current != head:
        result["error"] = "migrations are not at head; run `aria db upgrade`"
    return result


def check_queue_storage(runtime: Runtime) -> dict[str, Any]:
    try:
        check_queue(runtime.huey)
        heartbeat = last_heartbeat(runtime.huey)
    except Exception as error:  # an unreachable Redis raises its own error classes
        return _failure(error)
    result: dict[str, Any] = {
        "ok": True,
        "queue": describe_queue(runtime.settings.resolved_queue_url),
    }
    if heartbeat is not None:
        worker, stamp = heartbeat
        result["last_worker"] = worker
        result["last_heartbeat_seconds_ago"] = round((datetime.now(UTC) - stamp).total_seconds(), 1)
    return result


def readiness(runtime: Runtime) -> dict[str, Any]:
    """All checks, plus an overall ``ready`` flag."""
    checks = {"database": check_database(runtime), "queue": check_queue_storage(runtime)}
    return {"ready": all(check["ok"] for check in checks.values()), "checks": checks}
