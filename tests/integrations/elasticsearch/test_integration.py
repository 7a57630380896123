"""Catalog metadata, settings, the two ways to sign in, and the connection test's checks."""

from __future__ import annotations

import base64

import pytest

from aria.integrations.elasticsearch import Elasticsearch, ElasticsearchConfig
from aria.integrations.elasticsearch.auth import api_key_header
from aria.integrations.elasticsearch.sandbox import (
    API_KEY_ENCODED,
    API_KEY_ID,
    API_KEY_SECRET,
    DEMO,
    DEMO_PASSWORD,
    DEMO_USER,
)
from aria.sdk import ConfigError
from tests.integrations.elasticsearch.conftest import Build

BASIC = {"api_key": None, "username": DEMO_USER, "password": DEMO_PASSWORD}


def test_metadata_is_a_complete_catalog_entry() -> None:
    meta = Elasticsearch.metadata().model_dump(mode="json")
    assert meta["key"] == "elasticsearch" and meta["category"] == "siem"
    assert {"push", "query", "sync"} <= set(meta["capabilities"])
    assert {"alerts", "events"} <= set(meta["data_types"])
    assert meta["version"] == "1.0.0" and meta["status"] == "official"
    assert meta["auth_methods"] == ["api_key"] and meta["webhook_support"] is False
    assert all(v is None for v in meta["rate_limits"].values())  # no fixed quota
    assert any("429" in f and "es_rejected_execution_exception" in f for f in meta["features"])
    assert "<path" in meta["logo_svg"] and "<text" not in meta["logo_svg"]
    where = {r["name"]: r["where_to_find"] for r in meta["config_requirements"]}
    assert "Copy endpoint" in where["base_url"]
    assert "API keys" in where["api_key"] and "create_doc" in where["api_key"]
    assert "Users" in where["username"] and where["password"]
    assert ".alerts-security.alerts-" in where["alerts_index"]
    assert all(where.values()), [k for k, v in where.items() if not v]
    props = meta["config_schema"]["properties"]
    assert props["api_key"]["x-secret"] and props["password"]["x-secret"]
    assert "x-secret" not in props["username"]


def test_defaults_and_validation() -> None:
    config = ElasticsearchConfig.parse({"base_url": "https://es.example:443/", "api_key": "k"})
    assert config.base_url == "https://es.example:443"
    assert config.alerts_index == ".alerts-security.alerts-default"
    assert config.events_index == "aria-events" and config.page_size == 1000
    assert ElasticsearchConfig.parse({**DEMO, **BASIC}).uses_api_key is False
    for bad in (
        {"base_url": "https://es.example"},
        {"base_url": "https://es.example", "username": "u"},
        {"base_url": "https://es.example", "api_key": "k", "events_index": "a/../b"},
        {"base_url": "https://es.example", "api_key": "k", "alerts_index": "x?pretty"},
        {"base_url": "https://es.example", "api_key": "k", "page_size": 10_001},
    ):
        with pytest.raises(ConfigError) as info:
            ElasticsearchConfig.parse(bad)
        assert "k" not in info.value.fields.values()


def test_api_key_header_accepts_both_forms() -> None:
    assert api_key_header(API_KEY_ENCODED) == f"ApiKey {API_KEY_ENCODED}"
    assert api_key_header(f"{API_KEY_ID}:{API_KEY_SECRET}") == f"ApiKey {API_KEY_ENCODED}"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("config", "header"),
    [
        ({}, f"ApiKey {API_KEY_ENCODED}"),
        ({"api_key": f"{API_KEY_ID}:{API_KEY_SECRET}"}, f"ApiKey {API_KEY_ENCODED}"),
        (BASIC, "Basic " + base64.b64encode(f"{DEMO_USER}:{DEMO_PASSWORD}".encode()).decode()),
    ],
)
async def test_connection_with_each_credential(
    elastic: Build, config: dict[str, str | None], header: str
) -> None:
    integ, _, recorder = elastic(config=config)
    async with integ:
        result = await integ.test_connection()
    assert result.ok, result.message
    assert recorder.calls() == [
        "GET /_security/_authenticate",
        "POST /_security/user/_has_privileges",
        "GET /.alerts-security.alerts-default/_field_caps",
    ]
    assert {r.headers["authorization"] for r in recorder.requests} == {header}
    asked = recorder.bodies("/_security/user/_has_privileges")[0]
    assert asked == {
        "index": [
            {"names": [".alerts-security.alerts-default"], "privileges": ["read"]},
            {"names": ["aria-events"], "privileges": ["create_doc"]},
        ]
    }


@pytest.mark.anyio
async def test_wrong_password_fails_cleanly(elastic: Build) -> None:
    integ, _, _ = elastic(config={**BASIC, "password": "not-the-password"})
    async with integ:
        result = await integ.test_connection()
    assert not result.ok and result.details["error"] == "AuthError"
    assert result.details["status_code"] == 401
    assert "not-the-password" not in result.model_dump_json()


@pytest.mark.anyio
async def test_connection_names_every_missing_privilege(elastic: Build) -> None:
    integ, _, _ = elastic(privileges={"logs-*": {"read"}})
    async with integ:
        result = await integ.test_connection()
    assert not result.ok and result.details["status_code"] == 403
    assert "read on .alerts-security.alerts-default" in result.message
    assert "create_doc on aria-events" in result.message


@pytest.mark.anyio
async def test_connection_reports_a_missing_alerts_index(elastic: Build) -> None:
    for index in (".alerts-security.alerts-secops", ".alerts-security.nothing-*"):
        integ, _, _ = elastic(config={"alerts_index": index})
        async with integ:
            result = await integ.test_connection()
        assert not result.ok and result.details["error"] == "ConfigError"
        assert f"the alerts index {index} does not exist" in result.message
