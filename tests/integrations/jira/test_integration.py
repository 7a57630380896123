"""The tickets stream, JQL queries, the connection probe, auth kinds and rate limits."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import pytest

from aria.integrations.jira import Jira, JiraConfig
from aria.integrations.jira.sandbox import DEMO, DEMO_OAUTH_TOKEN
from aria.sdk import ConfigError, FatalError, PushRequest, QueryRequest, SyncOptions, Ticket
from aria.sdk.cursors import to_datetime
from aria.sdk.sandbox import Faults
from aria.sdk.testing import InstantTime
from tests.integrations.jira.conftest import Build, Recorder, move

SEARCH = "/rest/api/3/search/jql"


async def read(integ: Jira, state: dict[str, Any] | None = None) -> tuple[list[Ticket], Any]:
    """One sync of the tickets stream: its records and its last checkpoint."""
    options = SyncOptions(streams=["tickets"], state={"tickets": state} if state else {})
    pages = [p async for p in integ.sync(options)]
    assert pages and pages[-1].done
    return [r for p in pages for r in p.records], pages[-1].state


@pytest.mark.anyio
async def test_status_changed_in_jira_reaches_the_next_sync(jira: Build) -> None:
    """The lead's scenario: ARIA opens a ticket, someone resolves it in Jira through the
    workflow, and the next incremental sync carries the new state back."""
    integ, app, _ = jira()
    risk = {"action": "open", "risk_id": 31337, "title": "Stale admin account", "score": 12}
    async with integ:
        opened = await integ.push(PushRequest(kind="ticket", payload=risk))
        first, state = await read(integ)
        assert {t.key for t in first if t.risk_id == 31337} == {opened.external_id}
        quiet, state = await read(integ, state)
        assert quiet == []  # nothing changed
        await move(app, str(opened.external_id), "Done")
        changed, _ = await read(integ, state)
    assert [(t.key, t.state, t.risk_status, t.risk_id) for t in changed] == [
        (opened.external_id, "Done", "closed", 31337)
    ]
    assert changed[0].url == f"https://aria-demo.atlassian.net/browse/{opened.external_id}"
    assert changed[0].modified_at is not None
    assert changed[0].modified_at > to_datetime(state["cursor"])


@pytest.mark.anyio
async def test_stream_reads_only_arias_issues_in_the_project(jira: Build) -> None:
    integ, app, recorder = jira(size=60)
    async with integ:
        tickets, _ = await read(integ)
    assert len(tickets) == 60
    assert all(t.key and t.key.startswith("SEC-") for t in tickets)
    assert sorted(t.risk_id for t in tickets) == list(range(1000, 1060))  # type: ignore[type-var]
    others = [i for i in app.state.issues if i["key"].startswith("OPS-")]
    unlabelled = [i for i in app.state.issues if "aria-risk" not in i["fields"]["labels"]]
    assert others and unlabelled  # the filters had something to leave out
    calls = recorder.to(SEARCH)
    assert len(calls) == 3  # 60 tickets, 25 a page
    first = calls[0].url.params
    assert first["jql"] == 'project = "SEC" AND labels = "aria-risk" ORDER BY updated ASC'
    assert first["maxResults"] == "25" and "nextPageToken" not in first
    assert set(first["fields"].split(",")) >= {"summary", "status", "updated", "labels", "comment"}
    assert calls[1].url.params["nextPageToken"] and calls[1].url.params["jql"] == first["jql"]
    assert not recorder.to("/rest/api/3/myself")  # a full read needs no time zone


def _zone_or_skip(name: str) -> None:
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError:
        pytest.skip(f"no time zone database entry for {name} on this machine")


@pytest.mark.anyio
@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Kiritimati", "Mars/Olympus"])
async def test_incremental_window_uses_the_accounts_time_zone(jira: Build, zone: str) -> None:
    """JQL dates are read in the searching user's zone: a window formatted in UTC would skip
    changes for accounts behind UTC. An unknown zone falls back to UTC minus twelve hours."""
    if zone != "Mars/Olympus":
        _zone_or_skip(zone)
    integ, app, recorder = jira(time_zone=zone)
    async with integ:
        _, state = await read(integ)
        key = app.state.issues[0]["key"]
        await move(app, key, "In Review")
        changed, _ = await read(integ, state)
    assert [(t.key, t.state, t.risk_status) for t in changed] == [(key, "In Review", "in_progress")]
    jql = recorder.to(SEARCH)[-1].url.params["jql"]
    since = to_datetime(state["cursor"]) - integ.stream("tickets").lookback  # type: ignore[operator]
    if zone == "Mars/Olympus":
        from datetime import timedelta

        literal = (since - timedelta(hours=12)).strftime("%Y/%m/%d %H:%M")
    else:
        literal = since.astimezone(ZoneInfo(zone)).strftime("%Y/%m/%d %H:%M")
    assert f'updated >= "{literal}"' in jql
    assert len(recorder.to("/rest/api/3/myself")) == 1


@pytest.mark.anyio
async def test_search_query_runs_raw_jql(jira: Build) -> None:
    integ, _, recorder = jira()
    async with integ:
        result = await integ.query(
            QueryRequest(type="search", params={"jql": 'project = SEC AND status = "Done"'})
        )
        with pytest.raises(ConfigError, match="jql"):
            await integ.query(QueryRequest(type="search", params={}))
        with pytest.raises(ConfigError, match="unknown parameters"):
            await integ.query(QueryRequest(type="search", params={"jql": "x = 1", "filter": 1}))
        with pytest.raises(FatalError, match="does not exist"):
            await integ.query(QueryRequest(type="search", params={"jql": "nosuchfield = 1"}))
    assert result.records and all(t.state == "Done" for t in result.records)
    assert {t.key for t in result.records} >= {
        r["key"] for r in result.raw if "aria-risk" not in r["fields"]["labels"]
    }
    assert recorder.to(SEARCH)[0].url.params["jql"] == 'project = SEC AND status = "Done"'


@pytest.mark.anyio
async def test_connection_probe_checks_account_project_and_issue_type(jira: Build) -> None:
    integ, _, _ = jira()
    async with integ:
        good = await integ.test_connection()
    assert good.ok, good.message
    integ, _, _ = jira(config={"project_key": "NOPE"})
    async with integ:
        missing = await integ.test_connection()
    assert not missing.ok and "project NOPE was not found" in missing.message
    integ, _, _ = jira(config={"issue_type": "Epic"})
    async with integ:
        wrong_type = await integ.test_connection()
    assert not wrong_type.ok and "Task, Bug, Story" in wrong_type.message
    integ, _, _ = jira(config={"api_token": "wrong-token-value"})
    async with integ:
        denied = await integ.test_connection()
    assert not denied.ok and denied.details["error"] == "AuthError"
    assert "wrong-token-value" not in denied.model_dump_json()


@pytest.mark.anyio
async def test_oauth_bearer_token_through_the_gateway(instant: InstantTime) -> None:
    from aria.integrations.jira.sandbox import make_sandbox

    settings = {
        **DEMO,
        "auth_type": "oauth_token",
        "api_token": None,
        "email": None,
        "access_token": DEMO_OAUTH_TOKEN,
        "base_url": "https://api.atlassian.com/ex/jira/11223344-aria-demo",
        "site_url": "https://aria-demo.atlassian.net",
    }
    recorder = Recorder(make_sandbox(size=10))
    integ = Jira(settings, transport=recorder, mode="sandbox", clock=instant.clock)
    async with integ:
        tickets, _ = await read(integ)
    assert len(tickets) == 10
    assert recorder.requests[0].headers["authorization"] == f"Bearer {DEMO_OAUTH_TOKEN}"
    assert str(recorder.requests[0].url).startswith("https://api.atlassian.com/ex/jira/")
    assert tickets[0].url and tickets[0].url.startswith("https://aria-demo.atlassian.net/browse/")
    with pytest.raises(ConfigError) as caught:
        JiraConfig.parse({**settings, "site_url": None})
    assert "site_url is required" in str(caught.value)
    with pytest.raises(ConfigError, match="access_token"):
        JiraConfig.parse({**settings, "access_token": None})


def test_settings_are_validated() -> None:
    with pytest.raises(ConfigError, match="email and api_token"):
        JiraConfig.parse({**DEMO, "email": None})
    with pytest.raises(ConfigError) as caught:
        JiraConfig.parse({**DEMO, "state_mapping": {"resolved": "Done"}})
    assert "state_mapping" in caught.value.fields
    with pytest.raises(ConfigError):
        JiraConfig.parse({**DEMO, "project_key": "sec lower"})
    settings = JiraConfig.parse({**DEMO, "priority_mapping": {"critical": "P1"}})
    assert [settings.priority_for(s) for s in (25, 20, 19, 1, None)] == [
        "P1",
        "P1",
        None,
        None,
        None,
    ]
    meta = Jira.metadata()
    assert meta.auth_methods == ["basic", "bearer"] and meta.category == "ticketing"
    assert {"push", "sync", "webhook"} <= set(meta.capabilities)
    assert all(r.where_to_find for r in meta.config_requirements)


@pytest.mark.anyio
async def test_429_retry_after_is_honoured(jira: Build, instant: InstantTime) -> None:
    integ, _, _ = jira(size=80, faults=Faults(rate_limit_every=3, retry_after=9))
    async with integ:
        tickets, _ = await read(integ)
    assert len(tickets) == 80
    assert integ.metrics.rate_limited >= 1
    assert 9.0 in instant.sleeps
    assert all(s == 9.0 for s in instant.sleeps if s >= 1)  # no other long waits


@pytest.mark.anyio
async def test_burst_limit_reset_in_iso_8601_is_waited_out(
    jira: Build, instant: InstantTime
) -> None:
    """Without Retry-After, Jira's ISO 8601 X-RateLimit-Reset says how long to wait."""
    integ, _, recorder = jira(size=80, burst_limit=2, burst_retry_after=False)
    async with integ:
        tickets, _ = await read(integ)
    assert len(tickets) == 80
    assert integ.metrics.rate_limited >= 1
    assert instant.sleeps and max(instant.sleeps) >= 1.0
    assert all(s <= 120 for s in instant.sleeps)  # until the next minute, not the max wait
    assert len(recorder.requests) > 4


@pytest.mark.anyio
async def test_iso_reset_header_is_translated(jira: Build, instant: InstantTime) -> None:
    integ, _, _ = jira()
    response = httpx.Response(429, headers={"X-RateLimit-Reset": "2025-06-02T12:01Z"})
    await integ._rate_limit_reset(response)
    assert response.headers["X-RateLimit-Reset"] == "1748865660"
    epoch = httpx.Response(429, headers={"X-RateLimit-Reset": "1748865660"})
    await integ._rate_limit_reset(epoch)
    assert epoch.headers["X-RateLimit-Reset"] == "1748865660"
    await integ.disconnect()
