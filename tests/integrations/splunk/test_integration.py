"""Catalog entry, settings validation and the two ways into the REST API (token, Basic)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from aria.integrations.splunk import Splunk, SplunkConfig
from aria.integrations.splunk.config import search_command
from aria.integrations.splunk.sandbox import DEMO_PASSWORD, DEMO_TOKEN, DEMO_USER
from aria.sdk import AuthError, ConfigError, SyncOptions
from tests.integrations.splunk.conftest import Build

BASIC = {"auth_token": None, "username": DEMO_USER, "password": DEMO_PASSWORD}


def test_catalog_entry() -> None:
    meta = Splunk.metadata().model_dump(mode="json")
    assert meta["key"] == "splunk" and meta["category"] == "siem"
    assert meta["auth_methods"] == ["bearer", "basic"]
    assert {"push", "query", "sync"} <= set(meta["capabilities"])
    assert {"events", "alerts"} <= set(meta["data_types"])
    assert meta["version"] == "1.0.0" and meta["status"] == "official"
    assert meta["rate_limits"]["per_minute"] == 120
    requirements = {r["name"]: r for r in meta["config_requirements"]}
    for name in ("base_url", "auth_token", "username", "password", "hec_url", "hec_token"):
        assert requirements[name]["where_to_find"], name
    assert "8089" in requirements["base_url"]["where_to_find"]
    assert "Settings > Tokens" in requirements["auth_token"]["where_to_find"]
    schema = meta["config_schema"]["properties"]
    assert schema["auth_token"]["x-secret"] and schema["hec_token"]["x-secret"]
    assert schema["password"]["x-secret"]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"username": DEMO_USER, "password": DEMO_PASSWORD}, "not both"),
        ({"auth_token": None}, "set an authentication token, or both"),
        ({"auth_token": None, "username": DEMO_USER}, "set an authentication token, or both"),
        ({"hec_token": None}, "needs both hec_url and hec_token"),
        ({"index": "Bad Index!"}, "index"),
    ],
)
def test_settings_are_validated_without_echoing_secrets(
    changes: dict[str, Any], problem: str
) -> None:
    settings = {k: v for k, v in {**Splunk.sandbox_config, **changes}.items() if v is not None}
    with pytest.raises(ConfigError) as failure:
        SplunkConfig.parse(settings)
    text = f"{failure.value} {failure.value.fields}"
    assert problem in text
    assert DEMO_TOKEN not in text and DEMO_PASSWORD not in text


def test_search_command_is_prepended_only_when_missing() -> None:
    assert search_command("index=aria risk_id=1") == "search index=aria risk_id=1"
    assert search_command("  search `notable` ") == "search `notable`"
    assert search_command("SEARCH index=main") == "SEARCH index=main"
    assert search_command("| tstats count where index=main") == "| tstats count where index=main"
    assert search_command("searchable=1") == "search searchable=1"
    assert SplunkConfig.parse(
        {**Splunk.sandbox_config, "notable_search": "`notable` | search urgency=high"}
    ).notable_spl == ("search `notable` | search urgency=high")


@pytest.mark.anyio
async def test_basic_auth_reads_notables(splunk: Build) -> None:
    integ, _, rec = splunk(size=30, config=BASIC)
    async with integ:
        assert (await integ.test_connection()).ok
        records = [r async for p in integ.sync(SyncOptions()) for r in p.records]
    assert len(records) == 30
    expected = "Basic " + base64.b64encode(f"{DEMO_USER}:{DEMO_PASSWORD}".encode()).decode()
    management = [r for r in rec.requests if not r.url.path.startswith("/services/collector")]
    assert management and all(r.headers["authorization"] == expected for r in management)


@pytest.mark.anyio
async def test_wrong_password_is_an_auth_error_without_the_password(splunk: Build) -> None:
    wrong = "not-the-Passw0rd"
    integ, _, _ = splunk(config={**BASIC, "password": wrong})
    async with integ:
        result = await integ.test_connection()
        with pytest.raises(AuthError) as failure:
            async for _ in integ.sync(SyncOptions()):
                pass
    assert not result.ok and result.details["status_code"] == 401
    assert failure.value.status_code == 401
    assert wrong not in result.model_dump_json() and wrong not in str(failure.value)


@pytest.mark.anyio
async def test_custom_notable_search_is_dispatched(splunk: Build) -> None:
    integ, state, rec = splunk(
        size=80, config={"notable_search": "`notable` | search urgency=critical"}
    )
    async with integ:
        records = [r async for p in integ.sync(SyncOptions()) for r in p.records]
    assert rec.forms()[0]["search"] == "search `notable` | search urgency=critical"
    critical = [e for e in map(state.enrich, state.notables) if e["urgency"] == "critical"]
    assert records and {r.source_uid for r in records} == {e["event_id"] for e in critical}
