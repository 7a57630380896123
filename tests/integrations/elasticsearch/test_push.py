"""Forwarding ARIA events with ``_bulk``: the NDJSON on the wire, per-item failures reported
(never dropped), rejected items retried, and a forwarded risk found again by search."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from aria.integrations.elasticsearch.sandbox import API_KEY_SECRET
from aria.sdk import AuthError, FatalError, PushRequest, QueryRequest, siem
from aria.sdk.testing import InstantTime
from tests.integrations.elasticsearch.conftest import Build

pytestmark = pytest.mark.anyio


def risk(risk_id: int, **extra: Any) -> dict[str, Any]:
    """A push payload as the platform builds it for a risk change."""
    return {
        "action": "created",
        "link": f"https://aria.example/register/risks/{risk_id}",
        "risk_id": risk_id,
        "title": f"Ransomware behaviour on ws-fin-{risk_id:03d}",
        "description": "Shadow copies deleted, then files encrypted.",
        "status": "open",
        "status_reason": None,
        "likelihood": 4,
        "impact": 5,
        "score": 20,
        "technique_id": "T1490",
        "created_at": "2025-06-01T08:00:00+00:00",
        "ticket": None,
        "findings": [{"source_uid": "a" * 64}],
        **extra,
    }


def ndjson_lines(body: bytes) -> list[dict[str, Any]]:
    text = body.decode()
    assert text.endswith("\n")
    return [json.loads(line) for line in text[:-1].split("\n")]


async def test_a_risk_event_goes_out_as_ndjson(elastic: Build, instant: InstantTime) -> None:
    integ, state, recorder = elastic()
    async with integ:
        result = await integ.push(PushRequest(kind="event", payload=risk(42)))
    assert result.ok and result.details["accepted"] == 1 and result.details["failed"] == 0
    request = recorder.to("/_bulk", "POST")[0]
    assert request.headers["content-type"] == "application/x-ndjson"
    action, document = ndjson_lines(request.content)
    assert action == {"create": {"_index": "aria-events", "_id": result.external_id}}
    expected = {**siem.event_document(risk(42))}
    stamp = datetime.fromtimestamp(instant.clock(), UTC)
    assert document.pop("@timestamp").startswith(stamp.strftime("%Y-%m-%dT%H:%M:%S"))
    assert document == expected
    assert document["aria_event"] == "risk.created" and document["finding_count"] == 1
    assert "findings" not in document and "ticket" not in document
    stored = state.documents("aria-events")
    assert len(stored) == 1 and stored[0]["risk_id"] == 42
    assert result.details["ids"] == [result.external_id]


async def test_a_retried_bulk_does_not_store_an_event_twice(elastic: Build) -> None:
    integ, state, _ = elastic()
    async with integ:
        first = await integ.push(PushRequest(kind="event", payload=risk(7)))
        again = await integ.push(PushRequest(kind="event", payload=risk(7)))  # same instant
    assert first.ok and again.ok
    assert again.details["duplicates"] == 1 and again.details["accepted"] == 1
    assert "already there" in again.message
    assert len(state.documents("aria-events")) == 1


async def test_per_item_failures_are_reported_not_dropped(elastic: Build) -> None:
    integ, state, recorder = elastic()
    async with integ:
        seed = await integ.push(PushRequest(kind="event", payload=risk(1)))  # score -> long
        assert seed.ok
        batch = {"events": [risk(2), risk(3, score="high"), risk(4)]}
        result = await integ.push(PushRequest(kind="event", payload=batch))
    assert not result.ok
    assert result.details["accepted"] == 2 and result.details["failed"] == 1
    (error,) = result.details["errors"]
    assert error["position"] == 1 and error["status"] == 400
    assert error["type"] == "document_parsing_exception"
    assert "failed to parse field [score] of type [long]" in error["reason"]
    assert "1 rejected" in result.message and "document_parsing_exception" in result.message
    assert sorted(d["risk_id"] for d in state.documents("aria-events")) == [1, 2, 4]
    assert len(recorder.to("/_bulk")) == 2  # a mapping conflict is not retried


async def test_an_invalid_index_name_fails_every_item(elastic: Build) -> None:
    integ, state, _ = elastic(config={"events_index": "ARIA-Events"})
    async with integ:
        result = await integ.push(PushRequest(kind="event", payload={"events": [risk(1), risk(2)]}))
    assert not result.ok and result.details["accepted"] == 0 and result.details["failed"] == 2
    assert {e["type"] for e in result.details["errors"]} == {"invalid_index_name_exception"}
    assert "must be lowercase" in result.details["errors"][0]["reason"]
    assert state.documents("ARIA-Events") == [] and "ARIA-Events" not in state.indices


async def test_missing_write_privilege_is_a_per_item_403(elastic: Build) -> None:
    integ, _, _ = elastic(
        config={"events_index": "logs-aria-default"},
        privileges={"*": {"read"}, "aria-*": {"create_doc"}},
    )
    async with integ:
        result = await integ.push(PushRequest(kind="event", payload=risk(5)))
    assert not result.ok and result.external_id is None
    (error,) = result.details["errors"]
    assert error["status"] == 403 and error["type"] == "security_exception"
    assert "indices:data/write/bulk[s]" in error["reason"] and "create_doc" in error["reason"]


async def test_items_rejected_by_a_full_queue_are_sent_again(
    elastic: Build, instant: InstantTime
) -> None:
    integ, state, recorder = elastic()
    state.reject_items = 2
    async with integ:
        result = await integ.push(
            PushRequest(kind="event", payload={"events": [risk(1), risk(2), risk(3)]})
        )
        retries = integ.metrics.retries
    assert result.ok and result.details["accepted"] == 3
    first, second = (ndjson_lines(r.content) for r in recorder.to("/_bulk"))
    assert len(first) == 6 and len(second) == 4  # only the two rejected documents again
    assert [line for line in second if "create" in line] == [
        line for line in first if "create" in line
    ][:2]
    assert len(instant.sleeps) == 1 and retries == 1
    assert sorted(d["risk_id"] for d in state.documents("aria-events")) == [1, 2, 3]


async def test_a_queue_that_stays_full_ends_in_reported_failures(elastic: Build) -> None:
    integ, state, recorder = elastic()
    state.reject_items = 1_000
    async with integ:
        result = await integ.push(PushRequest(kind="event", payload=risk(9)))
    assert not result.ok
    assert len(recorder.to("/_bulk")) == integ.retry_policy.max_attempts
    (error,) = result.details["errors"]
    assert error["status"] == 429 and error["type"] == "es_rejected_execution_exception"


async def test_rejected_credentials_raise_without_the_key(elastic: Build) -> None:
    integ, _, _ = elastic(config={"api_key": "bogus-id:" + API_KEY_SECRET})
    async with integ:
        with pytest.raises(AuthError) as info:
            await integ.push(PushRequest(kind="event", payload=risk(1)))
    assert info.value.status_code == 401
    assert API_KEY_SECRET not in str(info.value) and "bogus-id" not in repr(info.value)


async def test_unknown_push_kind(elastic: Build) -> None:
    integ, _, recorder = elastic()
    async with integ:
        with pytest.raises(FatalError, match="push kind 'ticket'"):
            await integ.push(PushRequest(kind="ticket", payload=risk(1)))
    assert recorder.requests == []


async def test_forward_a_risk_then_find_it_by_risk_id(elastic: Build) -> None:
    """The SIEM round trip: forward two risks, find one by risk_id three ways."""
    integ, _, recorder = elastic()
    async with integ:
        for risk_id in (4242, 4243):
            assert (await integ.push(PushRequest(kind="event", payload=risk(risk_id)))).ok
        native = await integ.query(
            QueryRequest(type=siem.SEARCH, params={"query": {"term": {"risk_id": 4242}}})
        )
        lucene = await integ.query(
            QueryRequest(
                type=siem.SEARCH,
                params={"query": 'risk_id:4242 AND aria_event:"risk.created"'},
            )
        )
        common = siem.CommonQuery(
            filters=[
                siem.FieldFilter(field="risk_id", value="4242"),
                siem.FieldFilter(field="title", op="contains", value="WS-FIN-4242"),
            ]
        )
        translated = await integ.query(
            QueryRequest(type=siem.SEARCH, params={"common": common.model_dump(mode="json")})
        )
    for result in (native, lucene, translated):
        assert result.type == "search" and not result.truncated
        assert [hit.fields["risk_id"] for hit in result.records] == [4242]
        hit = result.records[0]
        assert hit.source == "aria-events"
        assert hit.message == "risk.created: Ransomware behaviour on ws-fin-4242"
        assert hit.time is not None and result.raw[0]["_source"]["risk_id"] == 4242
    caps = recorder.to("/aria-events/_field_caps", "GET")[0].url.params["fields"].split(",")
    assert sorted(caps) == ["risk_id", "risk_id.keyword", "title", "title.keyword"]
    search = recorder.bodies("/_search")[-1]  # the common query
    assert search["query"] == {
        "bool": {
            "filter": [
                {"term": {"risk_id": "4242"}},  # risk_id is a long: matched as is
                {
                    "wildcard": {
                        "title.keyword": {"value": "*WS-FIN-4242*", "case_insensitive": True}
                    }
                },
            ]
        }
    }
