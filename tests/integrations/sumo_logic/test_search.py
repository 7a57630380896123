"""Search jobs end to end through the sandbox: create, poll, page, delete; cookies; cancelled,
force-paused and slow jobs; aggregate records; parameter validation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx
import pytest

from aria.integrations.sumo_logic import search
from aria.sdk import ConfigError, FatalError, QueryRequest, TransientError
from aria.sdk.siem import SearchHit
from aria.sdk.testing import InstantTime
from tests.integrations.sumo_logic.conftest import Build

pytestmark = pytest.mark.anyio
JOBS = "/api/v1/search/jobs"
START, END = "2025-05-26T00:00:00Z", "2025-06-03T00:00:00Z"
FIREWALL = '_sourceCategory=security/firewall | json auto | where action = "deny"'


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def expected_denies(messages: list[dict[str, Any]]) -> list[str]:
    """Independently of the sandbox's evaluator: firewall denies in the window, newest first."""
    chosen = [
        m
        for m in messages
        if m["_sourcecategory"] == "security/firewall"
        and _ms(START) <= int(m["_messagetime"]) < _ms(END) + 1000
        and json.loads(m["_raw"])["action"] == "deny"
    ]
    chosen.sort(key=lambda m: -int(m["_messagetime"]))
    return [m["_messageid"] for m in chosen]


def search_request(query: str = FIREWALL, limit: int = 100, **extra: Any) -> QueryRequest:
    return QueryRequest(
        type="search", params={"query": query, "start": START, "end": END, **extra}, limit=limit
    )


async def test_job_lifecycle_create_poll_page_delete(sumo: Build, instant: InstantTime) -> None:
    integ, state, recorder = sumo(size=300)
    expected = expected_denies(state.data.messages)
    assert len(expected) > 3  # the seed gives the search something to find
    async with integ:
        result = await integ.query(search_request())
    assert result.type == "search" and not result.truncated
    assert all(isinstance(hit, SearchHit) for hit in result.records)
    assert [r["_messageid"] for r in result.raw] == expected
    first = result.records[0]
    assert first.source == "security/firewall" and first.fields["action"] == "deny"
    assert first.time == datetime.fromtimestamp(int(result.raw[0]["_messagetime"]) / 1000, UTC)
    (job_id,) = state.jobs
    assert recorder.paths() == [
        ("POST", JOBS),
        ("GET", f"{JOBS}/{job_id}"),  # GATHERING RESULTS
        ("GET", f"{JOBS}/{job_id}"),  # DONE GATHERING RESULTS
        ("GET", f"{JOBS}/{job_id}/messages"),
        ("DELETE", f"{JOBS}/{job_id}"),
    ]
    # One wait between the two polls; the rest is the limiter spacing calls 0.25 s apart.
    assert instant.sleeps.count(0.5) == 1 and set(instant.sleeps) == {0.5, 0.25}
    body = json.loads(recorder.to(JOBS, "POST")[0].content)
    assert body == {
        "query": FIREWALL,
        "from": "2025-05-26T00:00:00",
        "to": "2025-06-03T00:00:01",
        "timeZone": "UTC",
    }
    assert state.jobs[job_id].deleted


async def test_the_session_cookie_rides_every_follow_up_call(sumo: Build) -> None:
    integ, state, recorder = sumo(size=100)
    async with integ:
        await integ.query(search_request())
    (job,) = state.jobs.values()
    assert state.cookies_seen and state.cookies_seen == [job.session] * len(state.cookies_seen)
    created = [r for r in recorder.requests if r.method == "POST"]
    assert "cookie" not in created[0].headers  # the cookie comes from the create response
    assert all(
        f"JSESSIONID={job.session}" in r.headers.get("cookie", "") for r in recorder.requests[1:]
    )


async def test_a_lost_session_cookie_is_a_clear_error(sumo: Build) -> None:
    integ, state, _ = sumo(size=100)

    async def drop_cookie(request: httpx.Request) -> None:
        request.headers.pop("cookie", None)

    integ.http.client.event_hooks["request"].append(drop_cookie)
    async with integ:
        with pytest.raises(FatalError) as caught:
            await integ.query(search_request())
    assert caught.value.status_code == 404
    assert "session cookie" in str(caught.value)
    assert state.cookies_seen and set(state.cookies_seen) == {None}


async def test_results_are_paged_with_offset_and_limit(
    sumo: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "MAX_PAGE", 7)
    integ, state, recorder = sumo(size=400)
    expected = expected_denies(state.data.messages)
    assert len(expected) > 20
    async with integ:
        result = await integ.query(search_request(limit=20))
    pages = [r for r in recorder.requests if r.url.path.endswith("/messages")]
    assert [(p.url.params["offset"], p.url.params["limit"]) for p in pages] == [
        ("0", "7"),
        ("7", "7"),
        ("14", "6"),
    ]
    assert [r["_messageid"] for r in result.raw] == expected[:20]
    assert result.truncated  # more messages matched than the limit


async def test_aggregate_queries_page_records(sumo: Build) -> None:
    integ, state, recorder = sumo(size=200)
    messages = [
        m
        for m in state.data.messages
        if m["_sourcecategory"] == "security/firewall"
        and _ms(START) <= int(m["_messagetime"]) < _ms(END)
    ]
    counts: dict[str, int] = {}
    for message in messages:
        action = json.loads(message["_raw"])["action"]
        counts[action] = counts.get(action, 0) + 1
    async with integ:
        result = await integ.query(
            search_request("_sourceCategory=security/firewall | json auto | count by action")
        )
    assert {h.fields["action"]: int(h.fields["_count"]) for h in result.records} == counts
    assert [r for r in recorder.requests if r.url.path.endswith("/records")]
    assert not [r for r in recorder.requests if r.url.path.endswith("/messages")]


async def test_a_cancelled_job_raises_and_is_still_deleted(sumo: Build) -> None:
    integ, state, recorder = sumo(size=50)
    state.job_outcome = "CANCELLED"
    async with integ:
        with pytest.raises(TransientError, match="cancelled search job"):
            await integ.query(search_request())
    (job_id,) = state.jobs
    assert recorder.to(f"{JOBS}/{job_id}", "DELETE")
    assert not [r for r in recorder.requests if r.url.path.endswith("/messages")]


async def test_a_force_paused_job_returns_what_it_gathered_as_truncated(sumo: Build) -> None:
    integ, state, _ = sumo(size=300)
    state.job_outcome = "FORCE PAUSED"
    state.force_pause_at = 3
    async with integ:
        result = await integ.query(search_request())
    assert [r["_messageid"] for r in result.raw] == expected_denies(state.data.messages)[:3]
    assert result.truncated


async def test_a_job_that_never_finishes_times_out(sumo: Build, instant: InstantTime) -> None:
    integ, state, recorder = sumo(size=50, config={"search_timeout_s": 30})
    state.polls_before_done = 10**6
    async with integ:
        with pytest.raises(TransientError, match="still 'GATHERING RESULTS' after 30 s"):
            await integ.query(search_request())
    assert sum(instant.sleeps) >= 30 and max(instant.sleeps) == 5.0
    assert recorder.to(f"{JOBS}/{next(iter(state.jobs))}", "DELETE")


async def test_a_query_sumo_cannot_parse_is_fatal(sumo: Build) -> None:
    integ, state, _ = sumo(size=10)
    async with integ:
        with pytest.raises(FatalError, match="Unable to parse query"):
            await integ.query(search_request("_sourceCategory=x | transpose row _raw"))
    assert not state.jobs


async def test_receipt_time_searches_say_so(sumo: Build) -> None:
    integ, _, recorder = sumo(size=10, config={"by_receipt_time": True})
    async with integ:
        await integ.query(search_request())
    assert json.loads(recorder.to(JOBS, "POST")[0].content)["byReceiptTime"] is True


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"query": "*", "index": "main"}, "index"),
        ({}, "query"),
        ({"query": "*", "common": {}}, "query"),
        ({"query": "  "}, "query"),
        ({"common": {"filters": [{"field": "1bad", "value": "x"}]}}, "common.filters.0.field"),
        (
            {"common": {"filters": [{"field": "a", "op": "regex", "value": "x"}]}},
            "common.filters.0.op",
        ),
        ({"query": "*", "start": "yesterday"}, "start"),
        ({"query": "*", "start": END, "end": START}, "end"),
    ],
)
async def test_bad_search_parameters_are_config_errors(
    sumo: Build, params: dict[str, Any], field: str
) -> None:
    integ, state, _ = sumo(size=5)
    async with integ:
        with pytest.raises(ConfigError) as caught:
            await integ.query(QueryRequest(type="search", params=params))
    assert field in caught.value.fields
    assert not state.jobs


async def test_concurrent_searches_keep_their_own_session(sumo: Build) -> None:
    """One client cookie jar holds one JSESSIONID, so an installation runs one job at a time:
    two searches started together both succeed instead of one losing its session."""
    integ, state, _ = sumo(size=200)
    results: list[Any] = []

    async def run(query: str) -> None:
        results.append(await integ.query(search_request(query)))

    async with integ, anyio.create_task_group() as group:
        group.start_soon(run, FIREWALL)
        group.start_soon(run, "_sourceCategory=prod/web/nginx")
    assert len(results) == 2 and all(r.records for r in results)
    assert len(state.jobs) == 2 and all(job.deleted for job in state.jobs.values())
