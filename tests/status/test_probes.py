"""/healthz and /readyz, request ids and the one error shape."""

from __future__ import annotations

import json
import logging
import re
import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aria.app import create_app
from aria.config import Settings, load_settings
from aria.runtime import Runtime


def test_healthz_answers_without_touching_the_database(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'never-created' / 'x.db'}")
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_is_ready_on_a_migrated_database(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ready"] is True
    assert body["checks"]["database"]["revision"] == body["checks"]["database"]["head"]
    assert body["checks"]["queue"]["ok"] is True


def test_readyz_is_503_until_migrated(empty_database_url: str, tmp_path: Path) -> None:
    settings = load_settings(
        database_url=empty_database_url, queue_url=f"sqlite:///{tmp_path / 'q.db'}"
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    database = response.json()["checks"]["database"]
    assert database["ok"] is False
    assert "aria db upgrade" in database["error"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_readyz_is_503_when_the_queue_is_unreachable(database_url: str) -> None:
    settings = load_settings(
        database_url=database_url,
        queue_url=f"redis://:hunter2secret@127.0.0.1:{_closed_port()}/0",
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    queue = response.json()["checks"]["queue"]
    assert queue["ok"] is False
    assert "hunter2secret" not in response.text


def test_request_id_is_generated_echoed_and_logged(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(create_app(settings)) as client:
        caplog.set_level(logging.INFO, logger="aria.http")
        generated = client.get("/healthz").headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", generated)
        echoed = client.get("/healthz", headers={"X-Request-ID": "support-ticket-42"})
        assert echoed.headers["x-request-id"] == "support-ticket-42"
        unsafe = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
        assert unsafe.headers["x-request-id"] != "bad id\nwith newline"
    lines = [record.getMessage() for record in caplog.records if record.name == "aria.http"]
    assert any(line.startswith("GET /healthz 200") for line in lines)


def test_errors_use_one_shape(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        missing = client.get("/api/v1/no-such-thing")
        wrong_method = client.delete("/healthz")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {"code": "not_found", "message": "Not Found", "details": None}
    }
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_openapi_is_published_under_the_api_prefix(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        spec = client.get("/api/v1/openapi.json")
        meta = client.get("/api/v1/meta")
    assert spec.status_code == 200
    assert "/api/v1/meta" in json.loads(spec.text)["paths"]
    assert meta.json()["product"] == "ARIA Integration Marketplace"


def test_runtime_builds_a_sqlite_queue_in_the_data_dir(tmp_path: Path) -> None:
    runtime = Runtime(load_settings(data_dir=tmp_path / "d"))
    try:
        runtime.huey.storage.queue_size()
        assert (tmp_path / "d" / "queue.db").exists()
    finally:
        runtime.close()
