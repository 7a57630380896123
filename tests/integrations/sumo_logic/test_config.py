"""Catalog metadata, settings, and the deployment -> API endpoint mapping."""

from __future__ import annotations

import pytest

from aria.integrations.sumo_logic import SumoLogic, SumoLogicConfig
from aria.integrations.sumo_logic.config import DEPLOYMENTS, api_url
from aria.integrations.sumo_logic.sandbox import DEMO
from aria.sdk import ConfigError, SyncOptions
from tests.integrations.sumo_logic.conftest import Build

EXPECTED = {
    "us1": "https://api.sumologic.com/api",
    "us2": "https://api.us2.sumologic.com/api",
    "eu": "https://api.eu.sumologic.com/api",
    "au": "https://api.au.sumologic.com/api",
    "de": "https://api.de.sumologic.com/api",
    "jp": "https://api.jp.sumologic.com/api",
    "ca": "https://api.ca.sumologic.com/api",
    "in": "https://api.in.sumologic.com/api",
    "fed": "https://api.fed.sumologic.com/api",
    "kr": "https://api.kr.sumologic.com/api",
    "ch": "https://api.ch.sumologic.com/api",
}


def test_metadata_is_a_complete_catalog_entry() -> None:
    meta = SumoLogic.metadata().model_dump(mode="json")
    assert meta["key"] == "sumo-logic" and meta["category"] == "siem"
    assert meta["auth_methods"] == ["basic"]
    assert {"push", "query", "sync"} <= set(meta["capabilities"])
    assert {"events", "alerts", "incidents"} <= set(meta["data_types"])
    assert meta["version"] == "1.0.0" and meta["status"] == "official"
    assert meta["rate_limits"]["per_second"] == 4 and meta["rate_limits"]["per_minute"] == 240
    assert meta["logo_svg"].startswith("<svg")
    requirements = {r["name"]: r for r in meta["config_requirements"]}
    assert set(requirements) == set(SumoLogicConfig.model_fields)
    assert all(r["where_to_find"] for r in requirements.values())
    schema = meta["config_schema"]["properties"]
    assert schema["access_key"]["x-secret"] and schema["http_source_url"]["x-secret"]
    assert "x-secret" not in schema["access_id"]


def test_every_documented_deployment_is_offered() -> None:
    assert set(DEPLOYMENTS) == set(EXPECTED)


@pytest.mark.parametrize(("deployment", "url"), sorted(EXPECTED.items()))
def test_deployment_picks_the_api_endpoint(deployment: str, url: str) -> None:
    settings = SumoLogicConfig.parse({**DEMO, "deployment": deployment})
    assert settings.base_url == url == api_url(deployment)
    assert settings.service == url.replace("https://api.", "https://service.").removesuffix("/api")


def test_base_url_override_wins_and_gets_the_api_path() -> None:
    bare = SumoLogicConfig.parse({**DEMO, "base_url": "https://sumo-proxy.acme.example"})
    assert bare.base_url == "https://sumo-proxy.acme.example/api"
    full = SumoLogicConfig.parse({**DEMO, "base_url": "https://api.us2.sumologic.com/api/"})
    assert full.base_url == "https://api.us2.sumologic.com/api"


def test_unknown_deployment_and_missing_key_name_the_field() -> None:
    with pytest.raises(ConfigError) as bad:
        SumoLogicConfig.parse({**DEMO, "deployment": "mars"})
    assert "deployment" in bad.value.fields
    settings = {k: v for k, v in DEMO.items() if k != "access_key"}
    with pytest.raises(ConfigError) as missing:
        SumoLogicConfig.parse(settings)
    assert missing.value.fields == {"access_key": "Field required"}


def test_metadata_endpoint_is_refused_before_credentials_are_sent() -> None:
    with pytest.raises(ConfigError):
        SumoLogic({**DEMO, "base_url": "http://169.254.169.254"})


@pytest.mark.anyio
@pytest.mark.parametrize("deployment", ["us1", "eu", "fed"])
async def test_requests_go_to_the_deployment_host_with_basic_auth(
    sumo: Build, deployment: str
) -> None:
    integ, _, recorder = sumo(size=5, config={"deployment": deployment})
    async with integ:
        async for _ in integ.sync(SyncOptions(streams=["signals"])):
            pass
    (request,) = recorder.to("/api/sec/v1/signals")
    assert str(request.url).startswith(EXPECTED[deployment] + "/sec/v1/signals?")
    assert request.headers["authorization"].startswith("Basic ")
