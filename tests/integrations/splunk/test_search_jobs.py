"""The notables stream as Splunk search jobs: dispatch, polling, paging, FAILED jobs, expired
jobs, clean-up and incremental windows."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from aria.integrations.splunk.jobs import epoch_text
from aria.integrations.splunk.sandbox_spl import iso
from aria.sdk import FatalError, Finding, QueryRequest, SyncOptions, TransientError
from aria.sdk.cursors import to_datetime
from aria.sdk.stream import Page
from tests.integrations.splunk.conftest import Build

pytestmark = pytest.mark.anyio


async def pages(integ: Any, state: dict[str, Any] | None = None, **kw: Any) -> list[Page]:
    out = []
    options = SyncOptions(streams=["notables"], state={"notables": state} if state else {}, **kw)
    async for page in integ.sync(options):
        assert not page.errors, page.errors
        out.append(page)
    return out


def ids(read: list[Page]) -> list[str]:
    return [r.source_uid for p in read for r in p.records]


async def test_dispatch_poll_page_delete(splunk: Build, instant: Any) -> None:
    integ, state, rec = splunk(size=120, polls=4)
    async with integ:
        read = await pages(integ)
    assert [len(p.records) for p in read] == [50, 50, 20]
    assert [p.done for p in read] == [False, False, True]
    assert all(isinstance(r, Finding) for p in read for r in p.records)
    assert len(set(ids(read))) == 120
    (form,) = rec.forms()
    assert form == {
        "search": "search `notable`",
        "exec_mode": "normal",
        "latest_time": "now",
        "max_count": "1000000",
        "output_mode": "json",
    }  # all time: the demo's first_sync_days is 0
    sid = next(iter(state.deleted))
    polls = rec.status_polls()
    assert len(polls) == 4 and all(p.url.params["output_mode"] == "json" for p in polls)
    assert instant.sleeps == [0.5, 0.75, 1.125]  # backing off between status checks
    results = rec.to(f"/services/search/jobs/{sid}/results")
    assert [(r.url.params["offset"], r.url.params["count"]) for r in results] == [
        ("0", "50"),
        ("50", "50"),
        ("100", "50"),
    ]
    assert [r.method for r in rec.requests][-1] == "DELETE" and state.jobs == {}
    # Splunk returns newest first; the cursor is the newest _time.
    stamps = [to_datetime(r["_time"]) for p in read for r in p.raw]
    assert stamps == sorted(stamps, reverse=True)
    assert read[-1].state["cursor"] == stamps[0].isoformat().replace("+00:00", "Z")


async def test_incremental_window_and_first_sync(splunk: Build) -> None:
    integ, state, rec = splunk(size=60)
    async with integ:
        first = await pages(integ)
        cursor = first[-1].state["cursor"]
        second = await pages(integ, first[-1].state)
        # A new notable arrives: only it comes back.
        state.notables.append({**state.notables[-1], "_time": "2025-06-02T11:59:00.000+00:00"})
        third = await pages(integ, second[-1].state)
    assert ids(second) == []  # nothing new, nothing unchanged re-delivered
    since = to_datetime(cursor) - integ.stream("notables").lookback
    assert rec.forms()[1]["earliest_time"] == str(int(since.timestamp()))
    assert len(ids(third)) == 1

    fresh, _, rec2 = splunk(size=10, config={"first_sync_days": 30})
    async with fresh:
        await pages(fresh)
    assert rec2.forms()[0]["earliest_time"] == "-30d"


async def test_failed_job_names_the_reason(splunk: Build) -> None:
    integ, state, rec = splunk(size=30, polls=3)
    state.fail_searches(
        "notable", "Error in 'lookup' command: Could not construct lookup 'asset_lookup_by_str'."
    )
    seen: list[Page] = []
    async with integ:
        with pytest.raises(FatalError) as failure:
            async for page in integ.sync(SyncOptions(streams=["notables"])):
                seen.append(page)
    assert seen == []
    message = str(failure.value)
    assert "failed" in message and "asset_lookup_by_str" in message
    assert len(rec.status_polls()) == 3  # it polled until Splunk said FAILED
    assert rec.to("/results") == []


async def test_rejected_search_is_a_clear_error(splunk: Build) -> None:
    integ, _, rec = splunk(size=5)
    async with integ:
        with pytest.raises(FatalError) as failure:
            await integ.query(
                QueryRequest(type="search", params={"query": "index=main | frobnicate x"})
            )
    assert failure.value.status_code == 400
    assert "Unknown search command 'frobnicate'" in str(failure.value)
    assert rec.status_polls() == []


async def test_resume_after_the_job_expired_searches_the_same_window(splunk: Build) -> None:
    integ, state, rec = splunk(size=120)
    async with integ:
        head: list[Page] = []
        async for page in integ.sync(SyncOptions(streams=["notables"])):
            head.append(page)
            break
        first_job = next(iter(state.jobs.values()))
        state.expire_jobs()  # the job's ttl ran out before the next sync
        rest = await pages(integ, head[-1].state)
    assert len(ids(head)) == 50 and len(ids(rest)) == 70
    assert set(ids(head)).isdisjoint(ids(rest)) and len(set(ids(head) + ids(rest))) == 120
    again = rec.forms()[1]
    # Pinned to the window Splunk reported for the first job (ms precision), not "now".
    assert again["latest_time"] == epoch_text(iso(first_job.latest))
    assert "earliest_time" not in again  # the first read was all time
    resumed = rec.to("/results")[1:]
    assert resumed[0].url.params["offset"] == "50"
    assert resumed[0].url.path.endswith(f"{first_job.sid}/results")  # tried the old job first


async def test_job_expiring_mid_read_is_dispatched_again(splunk: Build) -> None:
    integ, state, rec = splunk(size=120)
    results = 0

    def expire_after_first_page(request: httpx.Request) -> None:
        nonlocal results
        if request.url.path.endswith("/results"):
            results += 1
            if results == 2:
                state.expire_jobs()

    rec.before = expire_after_first_page
    async with integ:
        read = await pages(integ)
    assert len(set(ids(read))) == 120 and len(ids(read)) == 120
    assert len(rec.forms()) == 2


async def test_job_vanishing_while_polled_is_transient(splunk: Build) -> None:
    integ, state, rec = splunk(size=10, polls=5)

    def cancel_on_second_poll(request: httpx.Request) -> None:
        if len(rec.status_polls()) == 2:
            state.expire_jobs()  # an admin cancelled it

    rec.before = cancel_on_second_poll
    async with integ:
        with pytest.raises(TransientError) as failure:
            await pages(integ)
    assert "disappeared" in str(failure.value)


async def test_search_running_too_long_is_cancelled(splunk: Build, instant: Any) -> None:
    integ, state, _ = splunk(size=10, polls=100_000)
    async with integ:
        with pytest.raises(TransientError) as failure:
            await pages(integ)
    assert "still RUNNING" in str(failure.value)
    assert sum(instant.sleeps) >= 900 and max(instant.sleeps) == 10.0
    assert len(state.deleted) == 1 and state.jobs == {}


async def test_notables_as_an_on_demand_query(splunk: Build) -> None:
    integ, _, _ = splunk(size=60)
    async with integ:
        result = await integ.query(QueryRequest(type="notables", limit=10))
    assert len(result.records) == 10 and result.truncated
    assert all(isinstance(r, Finding) for r in result.records)
