"""Forwarding risk events through the HTTP Event Collector: the envelope, the second host and
its token, batches, and HEC's reply codes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aria.integrations.splunk import Splunk
from aria.integrations.splunk.hec import envelopes, forward
from aria.integrations.splunk.sandbox import DEMO_TOKEN, HEC_TOKEN
from aria.sdk import AuthError, ConfigError, FatalError, PushRequest, TransientError, siem
from tests.integrations.splunk.conftest import HEC_HOST, MGMT_HOST, Build

pytestmark = pytest.mark.anyio

RISK: dict[str, Any] = {
    "action": "open",
    "link": "https://aria.example.com/register/risks/42",
    "risk_id": 42,
    "title": "Ransomware precursor on db-fin-001",
    "description": "Credential dumping followed by mass file renames.",
    "status": "open",
    "likelihood": 4,
    "impact": 5,
    "score": 20,
    "technique_id": "T1486",
    "created_at": "2025-06-01T09:00:00+00:00",
    "ticket": None,
    "findings": [{"source_uid": "abc", "integration_key": "splunk"}],
}


def sent(body: bytes) -> list[dict[str, Any]]:
    """The JSON objects of an HEC batch body (newline-separated)."""
    return [json.loads(line) for line in body.decode().splitlines()]


async def test_forward_one_risk_event(splunk: Build, instant: Any) -> None:
    integ, state, rec = splunk()
    async with integ:
        result = await integ.push(PushRequest(kind="event", payload=RISK))
    assert result.ok and result.details["accepted"] == 1
    (request,) = rec.to("/services/collector/event", "POST")
    assert request.url.netloc.decode() == HEC_HOST
    assert request.headers["authorization"] == f"Splunk {HEC_TOKEN}"
    assert request.headers["content-type"] == "application/json"
    (envelope,) = sent(request.content)
    assert envelope == {
        "time": instant.clock(),
        "host": "aria.example.com",
        "source": "aria",
        "sourcetype": "aria:risk",
        "index": "aria",
        "event": siem.event_document(RISK),
    }
    assert envelope["event"]["risk_id"] == 42 and envelope["event"]["finding_count"] == 1
    assert "findings" not in envelope["event"] and "ticket" not in envelope["event"]
    (stored,) = state.ingested
    assert stored["index"] == "aria" and stored["sourcetype"] == "aria:risk"
    assert stored["risk_id"] == "42" and stored["aria_event"] == "risk.open"  # JSON extracted


async def test_each_credential_stays_on_its_host(splunk: Build) -> None:
    integ, _, rec = splunk()
    async with integ:
        assert (await integ.test_connection()).ok
        await integ.push(PushRequest(kind="event", payload=RISK))
    for request in rec.requests:
        host, auth = request.url.netloc.decode(), request.headers["authorization"]
        if host == HEC_HOST:
            assert auth == f"Splunk {HEC_TOKEN}" and DEMO_TOKEN not in auth
        else:
            assert host == MGMT_HOST and auth == f"Bearer {DEMO_TOKEN}"
    assert {r.url.netloc.decode() for r in rec.requests} == {HEC_HOST, MGMT_HOST}


async def test_forward_a_batch(splunk: Build) -> None:
    integ, state, rec = splunk(config={"index": None})
    events = [{**RISK, "risk_id": n, "action": "close"} for n in (1, 2, 3)]
    async with integ:
        result = await integ.push(PushRequest(kind="event", payload={"events": events}))
    assert result.ok and result.details["accepted"] == 3
    (request,) = rec.to("/services/collector/event", "POST")
    batch = sent(request.content)
    assert [e["event"]["risk_id"] for e in batch] == [1, 2, 3]
    assert all("index" not in e for e in batch)  # the token's default index decides
    assert [e["index"] for e in state.ingested] == ["main"] * 3
    assert [e["aria_event"] for e in state.ingested] == ["risk.close"] * 3


async def test_invalid_token_is_an_auth_error_without_the_token(splunk: Build) -> None:
    wrong = "0b9d1c2e-0000-4000-8000-123456789abc"
    integ, state, _ = splunk(config={"hec_token": wrong})
    async with integ:
        with pytest.raises(AuthError) as failure:
            await integ.push(PushRequest(kind="event", payload=RISK))
        connection = await integ.test_connection()
    message = str(failure.value)
    assert "Invalid token (code 4)" in message and "check hec_token" in message
    assert failure.value.status_code == 403 and failure.value.details["hec_code"] == 4
    assert wrong not in message and wrong not in connection.model_dump_json()
    assert not connection.ok and "Invalid token" in connection.message
    assert state.ingested == []


async def test_disabled_token_says_to_enable_it(splunk: Build) -> None:
    integ, state, _ = splunk()
    state.hec_disabled = True
    async with integ:
        with pytest.raises(AuthError) as failure:
            await integ.push(PushRequest(kind="event", payload=RISK))
    assert "Token disabled (code 1)" in str(failure.value)
    assert "enable the token" in str(failure.value)


async def test_index_not_allowed_for_the_token(splunk: Build) -> None:
    integ, state, _ = splunk(config={"index": "secops"})
    async with integ:
        with pytest.raises(ConfigError) as failure:
            await integ.push(PushRequest(kind="event", payload=RISK))
    assert failure.value.fields == {"index": "Incorrect index"}
    assert "Incorrect index (code 7)" in str(failure.value)
    assert "allowed indexes" in str(failure.value)
    assert state.ingested == []


async def test_busy_collector_is_transient_and_not_resent(splunk: Build) -> None:
    integ, state, rec = splunk()
    state.hec_busy = True
    async with integ:
        with pytest.raises(TransientError) as failure:
            await integ.push(PushRequest(kind="event", payload=RISK))
    assert "Server is busy (code 9)" in str(failure.value)
    # A batch is not idempotent: the platform's queue retries the push, not the HTTP client.
    assert len(rec.to("/services/collector/event", "POST")) == 1


async def test_a_bad_event_in_a_batch_is_reported_per_item(splunk: Build) -> None:
    integ, state, _ = splunk()
    good = envelopes(RISK, index="aria", now=1_700_000_000.0)
    blank = [{**good[0], "event": {}}]
    async with integ:
        assert integ._hec is not None
        result = await forward(integ._hec, good + blank + good)
    assert not result.ok
    assert result.details["failed"] == [
        {"index": 1, "risk_id": None, "reason": "Event field cannot be blank"}
    ]
    assert result.details["possibly_indexed"] == 1
    assert "event #1" in result.message and "may already be indexed" in result.message
    assert len(state.ingested) == 1  # HEC took the events before the bad one


async def test_push_needs_hec_and_an_event_kind(splunk: Build) -> None:
    integ, _, _ = splunk(config={"hec_url": None, "hec_token": None})
    async with integ:
        with pytest.raises(ConfigError) as missing:
            await integ.push(PushRequest(kind="event", payload=RISK))
        with pytest.raises(FatalError) as kind:
            await integ.push(PushRequest(kind="ticket", payload=RISK))
        assert (await integ.test_connection()).ok  # no HEC, nothing to check there
    assert missing.value.fields == {"hec_url": "not set"}
    assert "does not support push kind 'ticket'" in str(kind.value)


async def test_connection_checks_the_hec_token_without_indexing(splunk: Build) -> None:
    integ, state, rec = splunk()
    async with integ:
        result = await integ.test_connection()
    assert result.ok
    (probe,) = rec.to("/services/collector/event", "POST")
    assert probe.content == b"" and state.ingested == []


def test_hec_url_is_guarded_and_trimmed() -> None:
    settings = {**Splunk.sandbox_config}
    with pytest.raises(ConfigError) as failure:
        Splunk({**settings, "hec_url": "https://169.254.169.254:8088"})
    assert "hec_url" in failure.value.fields
    pasted = Splunk(
        {**settings, "hec_url": "https://splunk.example.com:8088/services/collector/event"}
    )
    assert pasted.settings.hec_url == "https://splunk.example.com:8088"
    with pytest.raises(ConfigError):
        Splunk({**settings, "hec_token": None})  # a URL without a token
