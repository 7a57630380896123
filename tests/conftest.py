"""Shared fixtures: every database test runs on SQLite, and on PostgreSQL when
``ARIA_TEST_DATABASE_URL`` is set; queue tests run on SQLite and on Redis when
``ARIA_TEST_REDIS_URL`` is set. Each PostgreSQL test database is created fresh and dropped."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from aria.app import create_app
from aria.config import Settings, load_settings
from aria.db import migrate
from aria.db.engine import make_engine, make_session_factory
from aria.runtime import Runtime
from tests.support import World

PG_URL = os.environ.get("ARIA_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("ARIA_TEST_REDIS_URL")
REQUIRE_SERVICES = os.environ.get("ARIA_TEST_REQUIRE_SERVICES") == "1"

DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])
QUEUES = ["sqlite"] + (["redis"] if REDIS_URL else [])


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's ARIA_* variables or writes into ./aria-data."""
    for name in list(os.environ):
        if name.startswith("ARIA_") and not name.startswith("ARIA_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


class PostgresDatabases:
    """Creates throwaway databases on the test server, so tests never share state."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT")

    def create(self) -> str:
        name = f"aria_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases | None]:
    if not PG_URL:
        yield None
        return
    databases = PostgresDatabases(PG_URL)
    try:
        with databases.admin.connect():
            pass
    except Exception as error:  # the server is down: fail in CI, skip on a laptop
        if REQUIRE_SERVICES:
            pytest.fail(f"PostgreSQL at ARIA_TEST_DATABASE_URL unreachable: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    yield databases
    databases.admin.dispose()


@pytest.fixture(params=DATABASES)
def empty_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresDatabases | None
) -> Iterator[str]:
    """A URL to a brand-new, empty database of each configured kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    assert postgres is not None
    url = postgres.create()
    yield url
    postgres.drop(url)


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """A fresh database migrated to head."""
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    engine.dispose()
    return empty_database_url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    factory = make_session_factory(engine)
    with factory() as session:
        yield session


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for an isolated data dir and a migrated database."""
    return load_settings(
        data_dir=tmp_path / "aria-data",
        database_url=database_url,
        queue_url=f"sqlite:///{tmp_path / 'queue.db'}",
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = Runtime(settings)
    yield runtime
    runtime.close()


@pytest.fixture
def app_runtime(settings: Settings) -> Runtime:
    """A runtime whose registry holds the example integration, its catalog row synced."""
    from aria.catalog.service import sync_catalog
    from aria.db.engine import transaction
    from tests.support import example_registry

    runtime = Runtime(settings, _registry=example_registry())
    with transaction(runtime.sessions) as session:
        sync_catalog(session, registry=runtime.registry)
    return runtime


@pytest.fixture
def client(app_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=app_runtime), base_url="http://testserver") as client:
        yield client


@pytest.fixture
def world(client: TestClient) -> World:
    """Org A and Org B, each with an owner holding an API token."""
    return World(client.app.state.runtime)  # type: ignore[attr-defined]


@pytest.fixture(params=QUEUES)
def queue_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A queue storage of each configured kind; the Redis database is flushed after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'queue.db'}"
        return
    import redis

    assert REDIS_URL is not None
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as error:
        if REQUIRE_SERVICES:
            pytest.fail(f"Redis at ARIA_TEST_REDIS_URL unreachable: {error}")
        pytest.skip(f"Redis unreachable: {error}")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()
