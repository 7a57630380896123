"""The process's shared resources, built once from settings: engine, sessions, queue.

Why a small container instead of module globals: tests build several apps with different
databases and queues in one process, and nothing may leak between them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from huey import Huey
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from aria.accounts.ratelimit import ApiRateLimiter
from aria.accounts.ratelimit import build as build_rate_limiter
from aria.config import Settings
from aria.db.engine import make_engine, make_session_factory, transaction
from aria.db.writegate import WriteGate, gate_for, holding
from aria.keys import derive_subkey
from aria.sdk.registry import Registry, discover
from aria.sync.queue import Tasks, build_huey, register_tasks
from aria.sync.tasks import SyncTasks


@dataclass
class Runtime:
    """Settings plus the lazily built engine, session factory and queue."""

    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)
    _registry: Registry | None = field(default=None, repr=False)
    _sandboxes: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def engine(self) -> Engine:
        if self._engine is not None:
            return self._engine
        if self.settings.database_url is None:
            self.settings.ensure_data_dir()
        return make_engine(self.settings.resolved_database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def write_gate(self) -> WriteGate | None:
        """Hot writers hold it around their transactions (SQLite only; see aria.db.writegate)."""
        return gate_for(self.engine)

    @contextmanager
    def write_transaction(self) -> Iterator[Session]:
        """``transaction(sessions)`` holding the write gate: for the hot writers."""
        with holding(self.write_gate), transaction(self.sessions) as session:
            yield session

    @cached_property
    def huey(self) -> Huey:
        if self.settings.queue_url is None:
            self.settings.ensure_data_dir()
        return build_huey(self.settings.resolved_queue_url)

    @cached_property
    def tasks(self) -> Tasks:
        return register_tasks(self.huey, runtime=self)

    @property
    def sync_tasks(self) -> SyncTasks:
        return self.tasks.sync

    @cached_property
    def registry(self) -> Registry:
        """Installed integrations (entry points), discovered once per process."""
        return self._registry if self._registry is not None else discover()

    @cached_property
    def master_key(self) -> bytes:
        return self.settings.master_key_bytes()

    def sandbox_app(self, key: str) -> Any:
        """One in-process sandbox per integration, so its state (issued tokens) persists."""
        if key not in self._sandboxes:
            self._sandboxes[key] = self.registry.get(key).sandbox_app()
        return self._sandboxes[key]

    @cached_property
    def api_rate_limiter(self) -> ApiRateLimiter:
        return build_rate_limiter(self.settings.resolved_queue_url, self.settings.api_rate_limit)

    @cached_property
    def audit_key(self) -> bytes:
        """Keys the audit log's hash chain; derived, never the master key itself."""
        return derive_subkey(self.master_key, "audit-chain")

    @cached_property
    def session_key(self) -> bytes:
        """Derives CSRF tokens from session ids."""
        return derive_subkey(self.settings.session_secret().encode(), "csrf")

    def close(self) -> None:
        """Release pooled connections (tests create and drop many runtimes)."""
        if "engine" in self.__dict__:
            self.engine.dispose()
