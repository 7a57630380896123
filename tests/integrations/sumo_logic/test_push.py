"""Forwarding risk events to the HTTP source, finding them again with native and common
queries, and keeping the source URL (it embeds a token) out of every error and log."""

from __future__ import annotations

import gzip
import json
import logging
from typing import Any

import httpx
import pytest

from aria.integrations.sumo_logic import SumoLogic, integration
from aria.integrations.sumo_logic.sandbox import DEMO, DEMO_TOKEN, make_sandbox
from aria.sdk import AuthError, ConfigError, FatalError, PushRequest, QueryRequest, siem
from aria.sdk.siem import CommonQuery, FieldFilter
from aria.sdk.testing import InstantTime, no_jitter
from tests.integrations.sumo_logic.conftest import Build, Recorder

pytestmark = pytest.mark.anyio
RECEIVER = f"/receiver/v1/http/{DEMO_TOKEN}"
RISK = {
    "event": "risk.opened",
    "risk_id": "r-1042",
    "title": 'Ransomware on "ws-fin-042" \\ finance',
    "score": 22,
    "status": "open",
    "action": "opened",
    "findings": [{"uid": "f-1"}, {"uid": "f-2"}],
}
DECOY = {**RISK, "risk_id": "r-1043", "title": "Phishing on lt-hr-007", "score": 9}


def received_documents(recorder: Recorder) -> list[dict[str, Any]]:
    """The JSON lines the HTTP source got, decompressed."""
    out = []
    for request in recorder.to(RECEIVER, "POST"):
        assert request.headers["content-encoding"] == "gzip"
        text = gzip.decompress(request.content).decode()
        out.extend(json.loads(line) for line in text.splitlines())
    return out


async def test_forward_a_risk_then_find_it_by_risk_id(sumo: Build) -> None:
    integ, state, recorder = sumo(size=30)
    async with integ:
        sent = await integ.push(PushRequest(kind="event", payload=RISK))
        await integ.push(PushRequest(kind="event", payload=DECOY))
        native = await integ.query(
            QueryRequest(
                type="search",
                params={
                    "query": '_sourceCategory="aria/events" | json auto | where risk_id = "r-1042"'
                },
            )
        )
        common = await integ.query(
            QueryRequest(
                type="search",
                params={
                    "common": CommonQuery(
                        filters=[FieldFilter(field="risk_id", value="r-1042")]
                    ).model_dump(mode="json")
                },
            )
        )
    assert sent.ok and sent.details["accepted"] == 1 and sent.details["rejected"] == []
    assert received_documents(recorder)[0] == siem.event_document(RISK)
    for result in (native, common):
        (hit,) = result.records
        assert hit.fields["risk_id"] == "r-1042" and hit.fields["title"] == RISK["title"]
        assert hit.fields["aria_event"] == "risk.opened" and hit.fields["finding_count"] == "2"
        assert hit.source == "aria/events" and hit.fields["_sourcename"] == "aria"
        assert json.loads(hit.message or "") == siem.event_document(RISK)
    # Forwarded with the source metadata headers, and without the API credentials.
    (post, _) = recorder.to(RECEIVER, "POST")
    assert post.url.host == "endpoint4.collection.us2.sumologic.com"
    assert post.headers["x-sumo-category"] == "aria/events"
    assert post.headers["x-sumo-name"] == "aria"
    assert "x-sumo-host" not in post.headers and "authorization" not in post.headers
    assert len(state.received) == 2


async def test_contains_and_equality_filters_through_the_common_form(sumo: Build) -> None:
    integ, _, _ = sumo(size=10)
    async with integ:
        await integ.push(PushRequest(kind="event", payload={"events": [RISK, DECOY]}))

        async def titles(*filters: FieldFilter) -> list[str]:
            common = CommonQuery(filters=list(filters)).model_dump(mode="json")
            result = await integ.query(QueryRequest(type="search", params={"common": common}))
            return sorted(h.fields["title"] for h in result.records)

        assert await titles(FieldFilter(field="title", op="contains", value="on ")) == sorted(
            [RISK["title"], DECOY["title"]]
        )
        assert await titles(
            FieldFilter(field="title", op="contains", value='"ws-fin-042" \\ fin')
        ) == [RISK["title"]]
        assert await titles(
            FieldFilter(field="action", value="opened"), FieldFilter(field="score", value="9")
        ) == [DECOY["title"]]
        assert await titles(FieldFilter(field="title", value="Ransomware")) == []


def test_translate_writes_sumo_query_language() -> None:
    integ = SumoLogic.for_sandbox(size=1, config={"source_category": "security/aria"})
    query = CommonQuery(
        filters=[
            FieldFilter(field="risk_id", value="r-1"),
            FieldFilter(field="title", op="contains", value='say "hi" \\ bye'),
            FieldFilter(field="a..b", value="x"),
        ]
    )
    assert integ.translate(query) == (
        '_sourceCategory="security/aria" | json auto | where risk_id = "r-1"'
        ' | where title matches "*say \\"hi\\" \\\\ bye*" | where %"a..b" = "x"'
    )
    scoped = SumoLogic.for_sandbox(size=1, config={"search_scope": "_index=sec_events"})
    assert scoped.translate(CommonQuery()) == "_index=sec_events | json auto"


async def test_a_value_cannot_break_out_of_its_literal(sumo: Build) -> None:
    """A value written to end the string and add operators stays one literal: Sumo (here
    the sandbox) runs the query and matches nothing, instead of counting everything."""
    integ, _, recorder = sumo(size=10)
    hostile = 'x" | count by _raw | where "1" = "1'
    async with integ:
        await integ.push(PushRequest(kind="event", payload=RISK))
        common = CommonQuery(filters=[FieldFilter(field="title", value=hostile)])
        result = await integ.query(
            QueryRequest(type="search", params={"common": common.model_dump(mode="json")})
        )
        again = await integ.push(PushRequest(kind="event", payload={**RISK, "title": hostile}))
        found = await integ.query(
            QueryRequest(type="search", params={"common": common.model_dump(mode="json")})
        )
    assert result.records == [] and not [r for r in recorder.requests if "/records" in str(r.url)]
    sent = json.loads(recorder.to("/api/v1/search/jobs", "POST")[0].content)["query"]
    assert sent.endswith('| where title = "x\\" | count by _raw | where \\"1\\" = \\"1"')
    assert again.ok and [h.fields["title"] for h in found.records] == [hostile]


async def test_batches_report_rejected_items(sumo: Build) -> None:
    integ, state, _ = sumo(size=5)
    async with integ:
        result = await integ.push(
            PushRequest(kind="event", payload={"events": [RISK, "not an event", DECOY]})
        )
    assert not result.ok
    assert result.details["accepted"] == 2 and result.details["failed"] == 0
    assert result.details["rejected"] == [{"index": 1, "error": "not an object"}]
    assert [json.loads(line)["risk_id"] for line in state.received[0]["lines"]] == [
        "r-1042",
        "r-1043",
    ]


async def test_large_batches_are_split_and_a_failed_batch_is_reported(
    sumo: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(integration, "MAX_BATCH_BYTES", 400)
    integ, state, recorder = sumo(size=5)
    posts = 0
    original = recorder.handle_async_request

    async def fail_third_post(request: httpx.Request) -> httpx.Response:
        nonlocal posts
        if request.url.path == RECEIVER:
            posts += 1
            if posts == 3:
                await request.aread()
                recorder.requests.append(request)
                return httpx.Response(503, text=f"busy at {request.url}")
        return await original(request)

    monkeypatch.setattr(recorder, "handle_async_request", fail_third_post)
    events = [{**RISK, "risk_id": f"r-{n}"} for n in range(10)]
    async with integ:
        result = await integ.push(PushRequest(kind="event", payload={"events": events}))
    sizes = [len(r["lines"]) for r in state.received]
    assert len(sizes) == 2 and all(n >= 1 for n in sizes)
    assert posts == 3  # the failed POST was not retried (a retry could ingest it twice)
    assert not result.ok
    assert result.details["accepted"] == sum(sizes)
    assert result.details["failed"] == 10 - sum(sizes)
    (error,) = result.details["errors"]
    assert "503" in error and DEMO_TOKEN not in error and "***" in error


async def test_a_wrong_source_token_fails_without_revealing_the_url(
    sumo: Build, caplog: pytest.LogCaptureFixture
) -> None:
    token = "WrongToken9876543210abcdefWrongToken9876543210=="
    url = f"https://endpoint4.collection.us2.sumologic.com/receiver/v1/http/{token}"
    integ, state, recorder = sumo(size=5, config={"http_source_url": url})
    caplog.set_level(logging.DEBUG)  # the SDK's request log and httpx's own
    async with integ:
        with pytest.raises(AuthError) as caught:
            await integ.push(PushRequest(kind="event", payload=RISK))
    assert recorder.to(f"/receiver/v1/http/{token}", "POST")  # it was really sent
    text = f"{caught.value} {caught.value!r} {caught.value.details}"
    assert "401" in text
    for secret in (url, token, f"/receiver/v1/http/{token}"):
        assert secret not in text and secret not in caplog.text
    # Both request logs saw the call, masked.
    assert {r.name for r in caplog.records if "/receiver/v1/http/***" in r.getMessage()} == {
        "aria.sdk.http",
        "httpx",
    }
    assert not state.received


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (None, "required to forward events"),
        ("https://endpoint4.collection.us2.sumologic.com/api/v1/oops-Secret123", "not an HTTP"),
        ("not a url at all Secret123", "not an HTTP"),
        ("http://endpoint4.collection.us2.sumologic.com/receiver/v1/http/Secret123", "not https"),
        ("https://169.254.169.254/receiver/v1/http/Secret123", "metadata"),
    ],
)
async def test_a_bad_source_url_is_a_config_error_that_never_echoes_it(
    url: str | None, problem: str
) -> None:
    app = make_sandbox(size=1)
    recorder = Recorder(app)
    instant = InstantTime()
    integ = SumoLogic(
        {**DEMO, "http_source_url": url},
        transport=recorder,
        mode="live",  # live rules: https only, no internal addresses
        sleep=instant.sleep,
        clock=instant.clock,
        jitter=no_jitter,
    )
    async with integ:
        with pytest.raises(ConfigError) as caught:
            await integ.push(PushRequest(kind="event", payload=RISK))
    assert problem in str(caught.value.fields["http_source_url"])
    assert "Secret123" not in str(caught.value) and not recorder.requests


async def test_only_events_can_be_pushed(sumo: Build) -> None:
    integ, _, recorder = sumo(size=1)
    async with integ:
        with pytest.raises(FatalError, match="'ticket'"):
            await integ.push(PushRequest(kind="ticket", payload=RISK))
    assert not recorder.requests
