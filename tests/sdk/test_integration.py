"""Metadata validation and the generic lifecycle, end to end through the example sandbox."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint

import pytest

from aria.sdk import (
    Asset,
    ConfigError,
    FatalError,
    Finding,
    Integration,
    MetadataError,
    PushRequest,
    QueryRequest,
    SyncOptions,
    auth,
    discover,
)
from aria.sdk.sandbox import Faults
from tests.sdk.conftest import FakeTime
from tests.sdk.example_integration import DEMO, AcmeEdr, sign_webhook

METADATA_KEYS = [
    "key",
    "name",
    "vendor",
    "product",
    "category",
    "description",
    "features",
    "what_you_get",
    "config_requirements",
    "documentation_url",
    "support_url",
    "version",
    "pricing_model",
    "status",
    "min_platform_version",
    "capabilities",
    "data_types",
    "auth_methods",
    "config_schema",
    "webhook_support",
    "rate_limits",
    "installation_complexity",
    "logo_svg",
    "price_per_call",
]


def test_metadata_dump_has_exactly_the_catalog_keys() -> None:
    meta = AcmeEdr.metadata().model_dump(mode="json")
    assert list(meta) == METADATA_KEYS
    assert meta["auth_methods"] == ["oauth2_client_credentials"]
    assert meta["config_schema"]["properties"]["client_secret"]["x-secret"] is True
    assert [r["name"] for r in meta["config_requirements"]] == [
        "base_url",
        "client_id",
        "client_secret",
        "webhook_secret",
    ]
    assert meta["logo_svg"].startswith("<svg") and ">AE<" in meta["logo_svg"]
    assert meta["rate_limits"]["per_minute"] == 6000
    json.dumps(meta)


def test_letter_mark_colour_is_deterministic_per_key() -> None:
    first = AcmeEdr.metadata().logo_svg
    assert AcmeEdr.metadata().logo_svg == first
    other = type("Other", (AcmeEdr,), {"key": "other-edr"})
    assert other.metadata().logo_svg != first


@pytest.mark.parametrize(
    ("attrs", "field"),
    [
        ({"key": "Not A Slug"}, "key"),
        ({"version": "1.0"}, "version"),
        ({"category": "antivirus"}, "category"),
        ({"capabilities": ["ingest", "teleport"]}, "capabilities"),
        ({"pricing_model": "cheap"}, "pricing_model"),
        ({"auth": auth.Bearer("no_such_field")}, "auth"),
        ({"webhook_support": False}, "webhook_support"),
        ({"logo_svg": "<svg onload='alert(1)'></svg>"}, "logo_svg"),
        ({"documentation_url": "javascript:alert(1)"}, "documentation_url"),
    ],
)
def test_invalid_metadata_names_integration_and_field(attrs: dict, field: str) -> None:
    broken = type("Broken", (AcmeEdr,), attrs)
    with pytest.raises(MetadataError) as info:
        broken.metadata()
    assert field in info.value.fields
    assert info.value.integration in (attrs.get("key"), "acme-edr")
    assert field in str(info.value)


@pytest.mark.anyio
async def test_test_connection_good_and_bad_credentials() -> None:
    async with AcmeEdr.for_sandbox(size=20) as good:
        result = await good.test_connection()
        assert result.ok and result.message == "connected"
    async with AcmeEdr.for_sandbox(config={"client_secret": "wrong-secret-999"}) as bad:
        result = await bad.test_connection()
    assert not result.ok
    assert result.details["error"] == "AuthError"
    assert "wrong-secret-999" not in result.model_dump_json()


@pytest.mark.anyio
async def test_health_check_states(fake_time: FakeTime) -> None:
    async with AcmeEdr.for_sandbox(size=20) as integ:
        assert (await integ.health_check()).status == "healthy"
    faults = Faults(rate_limit_every=1, retry_after=1)  # every data call is throttled
    async with AcmeEdr.for_sandbox(
        size=20, faults=faults, sleep=fake_time.sleep, clock=fake_time.clock
    ) as integ:
        health = await integ.health_check()
        assert health.status == "degraded" and health.details["error"] == "RateLimited"
        assert fake_time.sleeps == [1.0, 1.0, 1.0]  # retried per the policy, honouring 429s
    async with AcmeEdr.for_sandbox(config={"client_secret": "nope-nope"}) as integ:
        assert (await integ.health_check()).status == "down"


@pytest.mark.anyio
async def test_sync_all_streams_with_canonical_records() -> None:
    async with AcmeEdr.for_sandbox(size=40) as integ:
        pages = [p async for p in integ.sync(SyncOptions())]
        by_stream: dict[str, list] = {}
        for page in pages:
            by_stream.setdefault(page.stream, []).extend(page.records)
        assert len(by_stream["alerts"]) == 40 and len(by_stream["devices"]) == 20
        assert all(isinstance(r, Finding) for r in by_stream["alerts"])
        assert all(isinstance(r, Asset) for r in by_stream["devices"])
        assert integ.metrics.api_calls > 0 and integ.metrics.bytes_received > 0
        with pytest.raises(ConfigError):
            [p async for p in integ.sync(SyncOptions(streams=["nope"]))]


@pytest.mark.anyio
async def test_sandbox_faults_are_survived(fake_time: FakeTime) -> None:
    faults = Faults(expire_token_after_requests=2, rate_limit_every=3, retry_after=2)
    async with AcmeEdr.for_sandbox(
        size=120, faults=faults, sleep=fake_time.sleep, clock=fake_time.clock
    ) as integ:
        pages = [p async for p in integ.sync(SyncOptions(streams=["alerts"]))]
        assert sum(len(p.records) for p in pages) == 120
        assert 2.0 in fake_time.sleeps and integ.metrics.rate_limited > 0


@pytest.mark.anyio
@pytest.mark.parametrize("fault", [{"malformed_page": 2}, {"truncated_page": 2}])
async def test_malformed_page_is_fatal_and_keeps_last_checkpoint(fault: dict) -> None:
    async with AcmeEdr.for_sandbox(size=80, faults=Faults(**fault)) as integ:
        pages = []
        with pytest.raises(FatalError, match="malformed response"):
            async for page in integ.sync(SyncOptions(streams=["alerts"])):
                pages.append(page)
        assert len(pages) == 1 and pages[0].state["pagination"] is not None


@pytest.mark.anyio
async def test_repeated_cursor_is_detected() -> None:
    async with AcmeEdr.for_sandbox(size=80, faults=Faults(repeat_cursor=2)) as integ:
        with pytest.raises(FatalError, match="pagination loop detected"):
            [p async for p in integ.sync(SyncOptions(streams=["alerts"]))]


@pytest.mark.anyio
async def test_query_push_and_webhooks() -> None:
    async with AcmeEdr.for_sandbox(size=40) as integ:
        result = await integ.query(QueryRequest(type="alerts", limit=30))
        assert len(result.records) == 30 and result.truncated
        with pytest.raises(FatalError, match="unsupported query type"):
            await integ.query(QueryRequest(type="nope"))
        with pytest.raises(FatalError, match="does not support push"):
            await integ.push(PushRequest(kind="ticket", payload={}))
        alert = {
            "id": "wh-1",
            "name": "x",
            "severity": "high",
            "updated_at": "2024-05-01T00:00:00Z",
        }
        records = await integ.handle_webhook(sign_webhook({"alert": alert}))
        assert [r.source_uid for r in records] == ["wh-1"]
        from aria.sdk import AuthError

        with pytest.raises(AuthError):
            await integ.handle_webhook(sign_webhook({"alert": alert}, secret="forged-secret"))


def test_config_errors_and_url_guard_on_initialize() -> None:
    with pytest.raises(ConfigError) as info:
        AcmeEdr({"client_id": "x"})
    assert "client_secret" in info.value.fields
    with pytest.raises(ConfigError, match="metadata"):
        AcmeEdr({**DEMO, "base_url": "http://169.254.169.254"})
    with pytest.raises(ConfigError, match="loopback"):
        AcmeEdr({**DEMO, "base_url": "http://127.0.0.1:9000"})
    AcmeEdr({**DEMO, "base_url": "http://127.0.0.1:9000"}, mode="sandbox")


@pytest.mark.anyio
async def test_secret_never_leaks_through_errors_or_results() -> None:
    secret = "Sup3r-Secret-Value!"
    async with AcmeEdr.for_sandbox(config={"client_secret": secret}) as integ:
        result = await integ.test_connection()
        health = await integ.health_check()
        assert secret not in result.model_dump_json() + health.model_dump_json()
        assert secret not in repr(integ) + repr(integ.config) + repr(integ.http.client.auth)


# --- discovery ---------------------------------------------------------------------------


def ep(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group="aria.integrations")


class BadMeta(Integration):
    key = "bad meta"


def test_discover_loads_good_and_reports_bad() -> None:
    registry = discover(
        [
            ep("acme-edr", "tests.sdk.example_integration:AcmeEdr"),
            ep("missing", "tests.sdk.no_such_module:Thing"),
            ep("bad", "tests.sdk.test_integration:BadMeta"),
            ep("notint", "tests.sdk.example_integration:DEMO"),
            ep("dup", "tests.sdk.example_integration:AcmeEdr"),
        ]
    )
    assert list(registry.integrations) == ["acme-edr"]
    assert registry.get("acme-edr") is AcmeEdr and "acme-edr" in registry
    errors = {e.entry_point.split(" ")[0]: e.error_message for e in registry.errors}
    assert "ModuleNotFoundError" in errors["missing"]
    assert "invalid metadata" in errors["bad"] and "key" in errors["bad"]
    assert "not an aria.sdk.Integration" in errors["notint"]
    assert "duplicate key" in errors["dup"]
    with pytest.raises(FatalError, match="acme-edr"):
        registry.get("nope")


def test_discover_reads_installed_entry_points() -> None:
    registry = discover()
    assert isinstance(registry.integrations, dict) and isinstance(registry.errors, list)
