"""Defender end to end through its sandbox: Entra tokens, every stream, OData paging and
filters, incremental reads, push (indicators, alert status), health and queries."""

from __future__ import annotations

from typing import Any

import pytest

from aria.integrations.microsoft_defender_endpoint import DefenderConfig, MicrosoftDefenderEndpoint
from aria.integrations.microsoft_defender_endpoint.sandbox import DEMO
from aria.sdk import (
    Asset,
    AuthError,
    ConfigError,
    FatalError,
    Finding,
    Incident,
    Indicator,
    PushRequest,
    QueryRequest,
    SyncOptions,
)
from aria.sdk.records import FindingStatus, IncidentStatus, Severity
from aria.sdk.records.ocsf_validate import validate_ocsf
from tests.integrations.microsoft_defender_endpoint.conftest import Build

pytestmark = pytest.mark.anyio
STREAMS = {
    "alerts": Finding,
    "machines": Asset,
    "vulnerabilities": Finding,
    "recommendations": Finding,
    "indicators": Indicator,
    "incidents": Incident,
}


async def read_all(integ: MicrosoftDefenderEndpoint, options: SyncOptions) -> dict[str, Any]:
    """Records, raw records and last state per stream."""
    out: dict[str, Any] = {}
    async for page in integ.sync(options):
        entry = out.setdefault(page.stream, {"records": [], "raw": [], "state": None})
        entry["records"].extend(page.records)
        entry["raw"].extend(page.raw)
        entry["state"] = page.state
        assert not page.errors, page.errors
    return out


# --- metadata and configuration ------------------------------------------------------------


def test_metadata_is_a_complete_catalog_entry() -> None:
    meta = MicrosoftDefenderEndpoint.metadata().model_dump(mode="json")
    assert meta["key"] == "microsoft-defender-endpoint" and meta["category"] == "edr"
    assert meta["auth_methods"] == ["oauth2_client_credentials"]
    assert set(meta["capabilities"]) == {"ingest", "sync", "query", "push"}
    assert meta["webhook_support"] is False
    assert meta["rate_limits"]["per_minute"] == 100 and meta["rate_limits"]["per_hour"] == 1500
    assert "<path" in meta["logo_svg"] and "<text" not in meta["logo_svg"]
    where = {r["name"]: r["where_to_find"] for r in meta["config_requirements"]}
    assert "App registrations" in where["tenant_id"]
    for permission in (
        "Alert.ReadWrite.All",
        "Machine.Read.All",
        "Vulnerability.Read.All",
        "SecurityRecommendation.Read.All",
        "Score.Read.All",
        "Ti.ReadWrite.All",
        "Incident.Read.All",
        "admin consent",
    ):
        assert permission in where["client_id"]
    assert "Certificates & secrets" in where["client_secret"]
    assert meta["config_schema"]["properties"]["client_secret"]["x-secret"]


@pytest.mark.parametrize(
    ("cloud", "api", "login"),
    [
        ("commercial", "https://api.securitycenter.microsoft.com", "login.microsoftonline.com"),
        ("gcc", "https://api-gcc.securitycenter.microsoft.us", "login.microsoftonline.com"),
        ("gcc-high", "https://api-gov.securitycenter.microsoft.us", "login.microsoftonline.us"),
        ("dod", "https://api.securitycenter.microsoft.us", "login.microsoftonline.us"),
    ],
)
def test_cloud_selects_endpoints_and_scopes(cloud: str, api: str, login: str) -> None:
    config = DefenderConfig.parse({**DEMO, "cloud": cloud})
    assert config.base_url == api
    assert config.api_scope == f"{api}/.default" or cloud == "commercial"
    assert config.token_url == f"https://{login}/{DEMO['tenant_id']}/oauth2/v2.0/token"
    regional = DefenderConfig.parse(
        {**DEMO, "cloud": cloud, "base_url": "https://api-eu.securitycenter.microsoft.com"}
    )
    assert regional.base_url == "https://api-eu.securitycenter.microsoft.com"


def test_commercial_scopes_follow_microsoft_docs() -> None:
    config = DefenderConfig.parse(DEMO)
    assert config.api_scope == "https://api.securitycenter.microsoft.com/.default"
    assert config.incidents_scope == "https://api.security.microsoft.com/.default"
    assert config.incidents_base_url == "https://api.security.microsoft.com"


@pytest.mark.parametrize("tenant", ["../evil", "a/b", "", "tenant?x=1"])
def test_tenant_id_cannot_change_the_token_path(tenant: str) -> None:
    with pytest.raises(ConfigError) as info:
        DefenderConfig.parse({**DEMO, "tenant_id": tenant})
    assert "tenant_id" in info.value.fields


# --- auth ----------------------------------------------------------------------------------


async def test_token_request_has_tenant_in_path_and_default_scope(defender: Build) -> None:
    integ, _, recorder = defender()
    async with integ:
        result = await integ.test_connection()
    assert result.ok, result.message
    token_calls = [r for r in recorder.requests if r.url.path.endswith("/oauth2/v2.0/token")]
    assert {r.url.host for r in token_calls} == {"login.microsoftonline.com"}
    assert {r.url.path for r in token_calls} == {f"/{DEMO['tenant_id']}/oauth2/v2.0/token"}
    forms = recorder.tokens()
    assert {f["grant_type"] for f in forms} == {"client_credentials"}
    assert {f["client_id"] for f in forms} == {DEMO["client_id"]}
    assert {f["scope"] for f in forms} == {
        "https://api.securitycenter.microsoft.com/.default",
        "https://api.security.microsoft.com/.default",
    }
    incident_calls = recorder.to("/api/incidents")
    assert incident_calls and {r.url.host for r in incident_calls} == {"api.security.microsoft.com"}
    alert_calls = recorder.to("/api/alerts")
    assert {r.url.host for r in alert_calls} == {"api.securitycenter.microsoft.com"}


async def test_wrong_secret_and_wrong_tenant_fail_cleanly(defender: Build) -> None:
    for override in ({"client_secret": "wrong-secret"}, {"tenant_id": "contoso.onmicrosoft.com"}):
        integ, _, _ = defender(config=override)
        async with integ:
            result = await integ.test_connection()
        assert not result.ok and result.details["error"] == "AuthError"
        assert "wrong-secret" not in result.model_dump_json()


async def test_probe_names_every_missing_permission(defender: Build) -> None:
    integ, _, _ = defender(roles={"Alert.ReadWrite.All", "Machine.Read.All"})
    async with integ:
        result = await integ.test_connection()
    assert not result.ok and result.details["status_code"] == 403
    for permission in (
        "Vulnerability.Read.All",
        "SecurityRecommendation.Read.All",
        "Ti.ReadWrite.All",
        "Incident.Read.All",
    ):
        assert permission in result.message
    assert "Alert.Read.All" not in result.message


# --- streams ---------------------------------------------------------------------------------


async def test_every_stream_reads_all_records_as_valid_canonical_records(defender: Build) -> None:
    integ, app, _ = defender(size=60)
    async with integ:
        out = await read_all(integ, SyncOptions())
    assert {name: len(entry["raw"]) for name, entry in out.items()} == app.state.defender.counts()
    for name, kind in STREAMS.items():
        records = out[name]["records"]
        assert records and all(isinstance(r, kind) for r in records), name
        if kind is not Indicator:
            for record in records:
                validate_ocsf(record.to_ocsf())


async def test_alert_fields(defender: Build) -> None:
    integ, _, recorder = defender(size=30)
    async with integ:
        out = await read_all(integ, SyncOptions(streams=["alerts"]))
    raw, finding = out["alerts"]["raw"][0], out["alerts"]["records"][0]
    assert finding.kind.value == "detection" and finding.source_uid == raw["id"]
    assert raw["id"].startswith("da") and "evidence" in raw
    assert finding.severity is Severity.from_vendor(raw["severity"])
    assert finding.asset.agent_id == raw["machineId"]
    assert finding.asset.hostname == raw["computerDnsName"]
    assert finding.asset.ip == raw["evidence"][1]["ipAddress"]
    assert finding.detection_info.detection_source == raw["detectionSource"]
    assert finding.detection_info.url.endswith(f"/alerts/{raw['id']}")
    techniques = {a.technique_id for a in finding.detection_info.attacks}
    assert techniques == set(raw["mitreTechniques"])
    assert recorder.to("/api/alerts")[0].url.params["$expand"] == "evidence"
    alerts = zip(out["alerts"]["raw"], out["alerts"]["records"], strict=True)
    by_status = {r["status"]: f.status for r, f in alerts}
    assert by_status.get("New", FindingStatus.NEW) is FindingStatus.NEW
    assert by_status.get("InProgress", FindingStatus.IN_PROGRESS) is FindingStatus.IN_PROGRESS
    assert by_status.get("Resolved") in (None, FindingStatus.RESOLVED, FindingStatus.SUPPRESSED)


async def test_machine_fields(defender: Build) -> None:
    integ, _, _ = defender(size=40)
    async with integ:
        out = await read_all(integ, SyncOptions(streams=["machines"]))
    pairs = list(zip(out["machines"]["raw"], out["machines"]["records"], strict=True))
    raw, asset = pairs[0]
    assert asset.agent_id == raw["id"] == asset.source_uid
    assert asset.hostname == raw["computerDnsName"]
    assert raw["lastIpAddress"] in asset.ips and raw["lastExternalIpAddress"] in asset.ips
    assert all(":" in mac and mac == mac.lower() for mac in asset.macs)
    assert asset.os_name == raw["osPlatform"]
    azure = next(a for r, a in pairs if r["vmMetadata"])
    assert azure.instance_id and azure.cloud_arn and "virtualmachines" in azure.cloud_arn
    for raw, asset in pairs:
        level = raw["exposureLevel"]
        expected = "high" if raw["deviceValue"] == "High" else None
        assert asset.criticality == (expected or (None if level == "None" else level.lower()))


async def test_vulnerability_and_recommendation_fields(defender: Build) -> None:
    integ, _, _ = defender(size=40)
    async with integ:
        out = await read_all(integ, SyncOptions(streams=["vulnerabilities", "recommendations"]))
    raw, vuln = out["vulnerabilities"]["raw"][0], out["vulnerabilities"]["records"][0]
    assert vuln.vulnerability_info.cve_ids == [raw["cveId"]]
    assert vuln.asset.agent_id == raw["machineId"]
    assert vuln.vulnerability_info.package_name == raw["productName"]
    if raw["fixingKbId"]:
        assert vuln.vulnerability_info.remediation == f"Install KB{raw['fixingKbId']}"
    kinds = {}
    recs = out["recommendations"]
    for raw, finding in zip(recs["raw"], recs["records"], strict=True):
        kinds[raw["remediationType"]] = finding
        if raw["status"] == "Exception":
            assert finding.status is FindingStatus.SUPPRESSED
    config = kinds["ConfigurationChange"]
    assert config.kind.value == "compliance"
    assert config.compliance_info.control_id.startswith("sca-_-scid-")
    assert config.compliance_info.resource_uid == f"mde-tenant:{DEMO['tenant_id']}"
    assert kinds["Update"].kind.value == "vulnerability"
    assert kinds["Update"].vulnerability_info.fixed_version


async def test_incidents_link_their_alerts(defender: Build) -> None:
    integ, _, recorder = defender(size=30)
    async with integ:
        out = await read_all(integ, SyncOptions(streams=["incidents", "alerts"]))
    alert_ids = {f.source_uid for f in out["alerts"]["records"]}
    raw, incident = out["incidents"]["raw"][0], out["incidents"]["records"][0]
    assert incident.source_uid == str(raw["incidentId"])
    assert incident.finding_uids and set(incident.finding_uids) <= alert_ids
    assert incident.url == raw["incidentUri"]
    assert incident.status in (
        IncidentStatus.NEW,
        IncidentStatus.IN_PROGRESS,
        IncidentStatus.RESOLVED,
    )
    assert all(int(r.url.params["$top"]) <= 100 for r in recorder.to("/api/incidents"))


async def test_indicator_fields(defender: Build) -> None:
    integ, _, _ = defender(size=24)
    async with integ:
        out = await read_all(integ, SyncOptions(streams=["indicators"]))
    by_type = {
        r["indicatorType"]: i
        for r, i in zip(out["indicators"]["raw"], out["indicators"]["records"], strict=True)
    }
    assert by_type["IpAddress"].type.value == "ipv4"
    assert by_type["DomainName"].type.value == "domain"
    assert by_type["FileSha256"].type.value == "sha256"
    assert by_type["Url"].type.value == "url"
    indicator = by_type["FileSha256"]
    assert indicator.valid_until > indicator.valid_from
    assert "BlockAndRemediate" in indicator.labels
    assert indicator.to_stix().pattern.startswith("[file:hashes.'SHA-256'")


# --- OData paging and filters -------------------------------------------------------------------


async def test_next_links_are_followed_with_skip(defender: Build) -> None:
    integ, _, recorder = defender(size=60)
    async with integ:
        out = await read_all(integ, SyncOptions(streams=["alerts"]))
    calls = recorder.to("/api/alerts")
    assert len(calls) == 3 and len(out["alerts"]["raw"]) == 60
    assert [c.url.params.get("$skip") for c in calls] == [None, "25", "50"]
    assert all(c.url.params["$top"] == "25" for c in calls)


async def test_full_pages_without_next_link_continue_with_skip(defender: Build) -> None:
    """A service that treats $top as a total (no nextLink) is still read to the end."""
    integ, app, recorder = defender(size=60, next_links=False)
    async with integ:
        out = await read_all(integ, SyncOptions(streams=["alerts"]))
    assert len(out["alerts"]["raw"]) == app.state.defender.counts()["alerts"]
    assert [c.url.params.get("$skip") for c in recorder.to("/api/alerts")] == [None, "25", "50"]


async def test_incremental_read_filters_on_last_update_time(defender: Build) -> None:
    integ, app, recorder = defender(size=60)
    async with integ:
        first = await read_all(integ, SyncOptions(streams=["alerts", "machines", "incidents"]))
        assert "$filter" not in recorder.to("/api/alerts")[0].url.params
        state = {name: entry["state"] for name, entry in first.items()}
        touched = app.state.defender.touch("alerts", 3)
        app.state.defender.touch("machines", 2)
        recorder.requests.clear()
        second = await read_all(integ, SyncOptions(streams=["alerts", "machines"], state=state))
    sent = recorder.to("/api/alerts")[0].url.params["$filter"]
    assert sent.startswith("lastUpdateTime ge ") and sent.endswith("Z")
    assert recorder.to("/api/machines")[0].url.params["$filter"].startswith("lastSeen ge ")
    assert sorted(r["id"] for r in second["alerts"]["raw"]) == sorted(touched)
    assert len(second["machines"]["raw"]) == 2


async def test_indicators_are_incremental_without_a_server_filter(defender: Build) -> None:
    integ, app, recorder = defender(size=24)
    async with integ:
        first = await read_all(integ, SyncOptions(streams=["indicators"]))
        touched = app.state.defender.touch("indicators", 2)
        second = await read_all(
            integ,
            SyncOptions(streams=["indicators"], state={"indicators": first["indicators"]["state"]}),
        )
    assert all("$filter" not in r.url.params for r in recorder.to("/api/indicators"))
    assert sorted(r["id"] for r in second["indicators"]["raw"]) == sorted(touched)


async def test_query_with_odata_filter(defender: Build) -> None:
    integ, _, recorder = defender(size=60)
    async with integ:
        result = await integ.query(
            QueryRequest(type="alerts", params={"filter": "severity eq 'High'"}, limit=500)
        )
        incidents = await integ.query(
            QueryRequest(type="incidents", params={"filter": "status eq 'Resolved'"})
        )
        with pytest.raises(ConfigError):
            await integ.query(QueryRequest(type="alerts", params={"severity": "High"}))
    assert result.records and all(r["severity"] == "High" for r in result.raw)
    assert recorder.to("/api/alerts")[0].url.params["$filter"] == "severity eq 'High'"
    assert all(r["status"] == "Resolved" for r in incidents.raw)


async def test_bad_filter_is_a_fatal_error(defender: Build) -> None:
    integ, _, _ = defender()
    async with integ:
        with pytest.raises(FatalError, match="400"):
            await integ.query(QueryRequest(type="alerts", params={"filter": "title eq 'x'"}))


async def test_quota_429_waits_for_retry_after(defender: Build, instant: Any) -> None:
    integ, app, _ = defender(size=30)
    limiter = app.state.defender.sb
    async with integ:
        for _ in range(100):  # use up this minute's quota of the alerts API
            await integ.http.request("GET", "/api/alerts", params={"$top": 1})
        assert limiter.requests >= 100
        with pytest.raises(Exception) as info:
            await integ.http.request("GET", "/api/alerts", params={"$top": 1})
    assert type(info.value).__name__ == "RateLimited"
    assert instant.sleeps and all(s >= 1 for s in instant.sleeps[-3:])


# --- push ----------------------------------------------------------------------------------------


async def test_closing_a_risk_resolves_its_defender_alerts(defender: Build) -> None:
    integ, app, recorder = defender(size=30)
    state = app.state.defender
    async with integ:
        first = await read_all(integ, SyncOptions(streams=["alerts"]))
        open_ids = [r["id"] for r in first["alerts"]["raw"] if r["status"] != "Resolved"][:2]
        payload = {
            "action": "close",
            "risk_id": 42,
            "title": "Credential theft on ws-fin-001",
            "status": "closed",
            "status_reason": "contained",
            "finding_uids": open_ids,
            "alert_ids": ["da000000000000000000_1"],
        }
        result = await integ.push(PushRequest(kind="ticket", payload=payload))
        second = await read_all(
            integ, SyncOptions(streams=["alerts"], state={"alerts": first["alerts"]["state"]})
        )
    assert result.ok and result.details["updated"] == open_ids
    assert result.details["not_found"] == ["da000000000000000000_1"]
    patches = recorder.to(f"/api/alerts/{open_ids[0]}", "PATCH")
    assert len(patches) == 1 and b'"status":"Resolved"' in patches[0].content.replace(b" ", b"")
    assert [alert_id for alert_id, _ in state.patched] == open_ids
    assert "risk 42 (Credential theft on ws-fin-001); contained" in state.patched[0][1]["comment"]
    # Bi-directional: the next sync sees the alerts resolved and resolves the findings.
    resolved = {f.source_uid: f.status for f in second["alerts"]["records"]}
    assert {resolved[i] for i in open_ids} == {FindingStatus.RESOLVED}


async def test_alert_status_push_and_noops(defender: Build) -> None:
    integ, app, _ = defender(size=30)
    alert_id = app.state.defender.data.alerts[0]["id"]
    async with integ:
        opened = await integ.push(
            PushRequest(kind="ticket", payload={"action": "open", "risk_id": 1})
        )
        no_ids = await integ.push(PushRequest(kind="ticket", payload={"action": "close"}))
        direct = await integ.push(
            PushRequest(
                kind="alert_status",
                payload={
                    "status": "InProgress",
                    "findings": [{"source_uid": alert_id}],
                    "classification": "TruePositive",
                    "determination": "Malware",
                },
            )
        )
        with pytest.raises(FatalError):
            await integ.push(PushRequest(kind="event", payload={}))
    assert opened.ok and opened.details["skipped"] and no_ids.details["skipped"]
    assert direct.ok and direct.details["updated"] == [alert_id]
    assert app.state.defender.data.alerts[0]["status"] == "InProgress"
    assert app.state.defender.data.alerts[0]["classification"] == "TruePositive"


async def test_submit_indicator_then_read_it_back(defender: Build) -> None:
    integ, app, recorder = defender(size=24)
    async with integ:
        first = await read_all(integ, SyncOptions(streams=["indicators"]))
        result = await integ.push(
            PushRequest(
                kind="indicator",
                payload={
                    "value": "hxxps://evil[.]example/login",
                    "name": "Phishing page from ARIA",
                    "severity": "critical",
                    "action": "Block",
                    "valid_until": "2026-01-01T00:00:00Z",
                },
            )
        )
        second = await read_all(
            integ,
            SyncOptions(streams=["indicators"], state={"indicators": first["indicators"]["state"]}),
        )
    sent = app.state.defender.submitted[0]
    assert sent["indicatorType"] == "Url" and sent["indicatorValue"] == "https://evil.example/login"
    assert sent["severity"] == "High" and sent["action"] == "Block"
    assert sent["expirationTime"] == "2026-01-01T00:00:00Z"
    assert recorder.to("/api/indicators", "POST")
    assert result.ok and result.external_id == second["indicators"]["raw"][0]["id"]
    assert [i.value for i in second["indicators"]["records"]] == ["https://evil.example/login"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"value": "198.51.100.0/24"}, "value"),
        ({"value": "someone@example.com"}, "type"),
        ({"value": "198.51.100.7", "action": "Nuke"}, "action"),
        ({"name": "no value"}, "value"),
    ],
)
async def test_indicator_payload_is_validated(
    defender: Build, payload: dict[str, Any], field: str
) -> None:
    integ, _, recorder = defender()
    async with integ:
        with pytest.raises(ConfigError) as info:
            await integ.push(PushRequest(kind="indicator", payload=payload))
    assert field in info.value.fields
    assert not recorder.to("/api/indicators", "POST")


async def test_push_without_write_permission_is_an_auth_error(defender: Build) -> None:
    integ, app, _ = defender(roles={"Alert.Read.All"})
    alert_id = app.state.defender.data.alerts[0]["id"]
    async with integ:
        with pytest.raises(AuthError) as info:
            await integ.push(
                PushRequest(kind="ticket", payload={"action": "close", "alert_ids": [alert_id]})
            )
    assert info.value.status_code == 403


# --- health ------------------------------------------------------------------------------


async def test_health_check_reports_exposure_and_secure_score(defender: Build) -> None:
    integ, _, recorder = defender(size=30)
    async with integ:
        health = await integ.health_check()
    assert health.status == "healthy"
    assert isinstance(health.details["exposure_score"], float)
    assert 0 <= health.details["exposure_score"] <= 100
    assert health.details["secure_score_for_devices"] >= 0
    assert recorder.to("/api/exposureScore") and recorder.to("/api/configurationScore")


async def test_health_without_score_permission_says_so(defender: Build) -> None:
    roles = {
        "Alert.ReadWrite.All",
        "Machine.Read.All",
        "Vulnerability.Read.All",
        "SecurityRecommendation.Read.All",
        "Ti.ReadWrite.All",
        "Incident.Read.All",
    }
    integ, _, _ = defender(roles=roles)
    async with integ:
        health = await integ.health_check()
    assert health.status == "healthy"
    assert "Score.Read.All" in health.details["exposure_score_error"]
    assert "exposure_score" not in health.details
