"""A planted secret travels through every path that exists and must surface nowhere:
not in logs, API responses, activity logs, the audit log, or any database row or file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, select

from aria.logs import configure_logging
from tests.support import World, bearer

PLANTED = "planted-S3CRET-value-0042"
PLANTED_WEBHOOK = "whsec-planted-0042-value"


def _database_text(world: World) -> str:
    """Every row of every table, rendered as text (works on SQLite and PostgreSQL)."""
    engine = world.runtime.engine
    metadata = MetaData()
    metadata.reflect(engine)
    chunks: list[str] = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value).decode("latin-1"))
                    else:
                        chunks.append(str(value))
    return "\n".join(chunks)


def test_planted_secret_surfaces_nowhere(
    client: TestClient, world: World, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    configure_logging("json", "DEBUG")
    try:
        responses: list[str] = []
        headers = bearer(world.owner_a)

        def call(method: str, path: str, **kwargs: object) -> dict:
            response = client.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
            responses.append(response.text + str(dict(response.headers)))
            return response.json() if response.content else {}

        # The wizard tests an unsaved configuration holding the secret (it fails: wrong secret).
        call(
            "POST",
            "/api/v1/connection-tests",
            json={
                "integration_key": "acme-edr",
                "mode": "sandbox",
                "config": {"client_secret": PLANTED},
            },
        )
        # Install with the secret, test (fails), try to enable (409), reconfigure, test again.
        created = call(
            "POST",
            "/api/v1/installations",
            json={
                "integration_key": "acme-edr",
                "mode": "sandbox",
                "config": {"client_secret": PLANTED, "webhook_secret": PLANTED_WEBHOOK},
            },
        )
        path = f"/api/v1/installations/{created['id']}"
        call("POST", f"{path}/test")
        call("POST", f"{path}/enable")
        call("PATCH", path, json={"config": {"client_id": "someone-else"}})
        call("POST", f"{path}/test", json={"config": {"client_secret": PLANTED + "-typo"}})
        call("GET", path)
        call("GET", f"{path}/activity")
        call("GET", f"{path}/config-history")
        call("GET", "/api/v1/audit")
        # A validation error that echoes input must not echo a secret either.
        call("PATCH", path, json={"config": {"client_secret": 12345, "bogus": PLANTED}})
        # A sync with the wrong secret fails; its job, activity and logs must stay clean.
        import uuid

        from sqlalchemy import update

        from aria.installs.models import Installation
        from aria.sync import service as sync_service
        from aria.sync.runner import run_job

        with world.runtime.sessions() as session:
            session.execute(
                update(Installation)
                .where(Installation.id == uuid.UUID(created["id"]))
                .values(status="enabled")
            )
            installation = session.get(Installation, uuid.UUID(created["id"]))
            job = sync_service.create(
                session, installation=installation, job_type="full", triggered_by="user"
            )
            session.commit()
        assert run_job(world.runtime, job.id) == "failed"
        call("GET", f"/api/v1/jobs/{job.id}")
        call("GET", f"{path}/activity")
        logging.getLogger("aria.test").info("config was %s", PLANTED)
        logging.getLogger("httpx").debug("request carried %s", PLANTED_WEBHOOK)
        database = _database_text(world)
        call("DELETE", path)
        after_uninstall = _database_text(world)
    finally:
        configure_logging("text", "INFO")
    logs = capfd.readouterr()
    for secret in (PLANTED, PLANTED_WEBHOOK):
        assert all(secret not in text for text in responses), "secret in an API response"
        assert secret not in logs.out + logs.err, "secret in the logs"
        assert secret not in database, "secret in the database"
        assert secret not in after_uninstall
    assert any("installation" in text for text in responses)  # the calls really happened
    db_file = world.runtime.settings.resolved_database_url
    if db_file.startswith("sqlite:///"):
        raw = Path(db_file.removeprefix("sqlite:///")).read_bytes()
        for secret in (PLANTED, PLANTED_WEBHOOK):
            assert secret.encode() not in raw
            for suffix in ("-wal", "-journal"):
                sidecar = Path(db_file.removeprefix("sqlite:///") + suffix)
                if sidecar.exists():
                    assert secret.encode() not in sidecar.read_bytes()
