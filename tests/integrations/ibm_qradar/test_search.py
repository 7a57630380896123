"""Ariel searches: AQL translation and quoting, the search job lifecycle, results paging,
failures, and finding seeded sandbox events with native and common queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aria.integrations.ibm_qradar import IbmQradar, aql
from aria.integrations.ibm_qradar.sandbox import NOW
from aria.integrations.ibm_qradar.sandbox_query import parse_aql
from aria.integrations.ibm_qradar.search import ArielSearch
from aria.sdk import ConfigError, FatalError, HttpClient, QueryRequest, Redactor, TransientError
from aria.sdk.siem import SEARCH, CommonQuery
from aria.sdk.testing import InstantTime
from tests.integrations.ibm_qradar.conftest import Build

SEARCHES = "/api/ariel/searches"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _in_window(event: dict[str, Any], hours: int = 24) -> bool:
    return _ms(NOW - timedelta(hours=hours)) <= event["starttime"] < _ms(NOW)


def _search(params: dict[str, Any], limit: int = 100) -> QueryRequest:
    return QueryRequest(type=SEARCH, params=params, limit=limit)


# --- translation --------------------------------------------------------------------------------


def test_translate_quotes_names_and_values() -> None:
    query = CommonQuery(
        filters=[
            {"field": "username", "op": "eq", "value": "O'Brien"},
            {"field": "QIDNAME", "op": "contains", "value": "logon"},
        ],
        start=datetime(2025, 6, 1, 10, 0, tzinfo=UTC),
        end=datetime(2025, 6, 1, 11, 30, 15, 250_000, tzinfo=UTC),
        limit=50,
    )
    assert query.start is not None and query.end is not None
    window = f"START {_ms(query.start)} STOP {_ms(query.end)}"
    where = "WHERE \"username\" = 'O''Brien' AND \"QIDNAME\" ILIKE '%logon%'"
    assert aql.translate(query) == f"SELECT * FROM events {where} LIMIT 50 {window}"  # noqa: S608


def test_translate_without_filters_or_times_uses_the_window() -> None:
    assert aql.translate(CommonQuery(limit=5), window_hours=6) == (
        "SELECT * FROM events LIMIT 5 LAST 6 HOURS"
    )
    end = datetime(2025, 6, 2, 0, 0, tzinfo=UTC)
    assert aql.translate(CommonQuery(end=end), window_hours=2).endswith(
        f"START {_ms(end - timedelta(hours=2))} STOP {_ms(end)}"
    )


def test_integration_translate_uses_the_configured_window() -> None:
    integ = IbmQradar({**IbmQradar.sandbox_config, "search_window_hours": 48}, mode="sandbox")
    assert integ.translate(CommonQuery()).endswith("LAST 48 HOURS")


@pytest.mark.parametrize(
    "hostile",
    [
        "x' OR '1'='1",
        "x'' OR username IS NOT NULL --",
        "a\\' OR 1=1",
        "'; SELECT * FROM flows",
        "%' OR 'a' ILIKE '%",
    ],
)
def test_values_never_leave_their_literal(hostile: str) -> None:
    """Parsed back by the sandbox's AQL parser, the query still has exactly the one condition:
    it matches a row holding the hostile text verbatim and nothing else."""
    text = aql.translate(CommonQuery(filters=[{"field": "username", "op": "eq", "value": hostile}]))
    parsed = parse_aql(text)
    assert parsed.where({"username": hostile})
    assert not parsed.where({"username": "x"})
    assert not parsed.where({"username": None})
    contains = parse_aql(
        aql.translate(
            CommonQuery(filters=[{"field": "payload", "op": "contains", "value": hostile}])
        )
    )
    assert contains.where({"payload": f"before {hostile} after"})
    assert not contains.where({"payload": "before x after"})


def test_names_are_double_quoted_with_quotes_doubled() -> None:
    assert aql.quote_name('Account "Security" ID') == '"Account ""Security"" ID"'
    assert aql.quote_literal("it's") == "'it''s'"


def test_has_timeframe_ignores_literals() -> None:
    assert aql.has_timeframe("SELECT * FROM events LAST 10 MINUTES")
    assert aql.has_timeframe("select * from events start 1 stop 2")
    assert not aql.has_timeframe("SELECT * FROM events WHERE payload ILIKE '%LAST START%'")
    assert not aql.has_timeframe('SELECT "last" FROM events')


def test_native_queries_get_start_and_end_unless_they_bound_time() -> None:
    start, end = datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 6, 2, tzinfo=UTC)
    assert aql.bounded("SELECT * FROM events", start, end, 24) == (
        f"SELECT * FROM events START {_ms(start)} STOP {_ms(end)}"  # noqa: S608
    )
    assert aql.bounded("SELECT * FROM events LAST 1 HOURS", start, end, 24) == (
        "SELECT * FROM events LAST 1 HOURS"
    )
    assert aql.bounded("SELECT * FROM events", None, None, 24) == "SELECT * FROM events"


# --- the search lifecycle -----------------------------------------------------------------------


@pytest.mark.anyio
async def test_search_lifecycle_create_poll_results(qradar: Build, instant: InstantTime) -> None:
    integ, app, recorder = qradar()
    state = app.state.qradar
    state.polls_to_complete = 3
    text = "SELECT QIDNAME(qid), sourceip, username FROM events LIMIT 7 LAST 24 HOURS"
    async with integ:
        result = await integ.query(_search({"query": text}))
    created = recorder.to(SEARCHES, "POST")
    assert len(created) == 1 and created[0].url.params["query_expression"] == text
    (search_id,) = state.searches
    polls = recorder.to(f"{SEARCHES}/{search_id}")
    assert len(polls) == 3  # EXECUTE, EXECUTE, COMPLETED
    assert state.searches[search_id]["status"] == "COMPLETED"
    # Between polls the integration waited, longer each time (instant clock: no real time).
    poll_sleeps = [s for s in instant.sleeps if s >= 1.0]
    assert poll_sleeps == [1.0, 1.5, 2.25]
    fetched = recorder.to(f"{SEARCHES}/{search_id}/results")
    assert [r.headers["range"] for r in fetched] == ["items=0-6"]
    assert len(result.records) == len(result.raw) == 7 and not result.truncated
    assert all(set(row) == {"qidname_qid", "sourceip", "username"} for row in result.raw)
    assert [h.message for h in result.records] == [r["qidname_qid"] for r in result.raw]
    assert {h.source for h in result.records} == {"events"}


@pytest.mark.anyio
async def test_results_are_paged_by_range_to_the_limit(qradar: Build) -> None:
    integ, app, recorder = qradar(size=100, config={"page_size": 10})
    async with integ:
        result = await integ.query(
            _search({"query": "SELECT * FROM events LAST 24 HOURS"}, limit=25)
        )
    (search_id,) = app.state.qradar.searches
    matched = app.state.qradar.searches[search_id]["record_count"]
    fetched = recorder.to(f"{SEARCHES}/{search_id}/results")
    assert [r.headers["range"] for r in fetched] == ["items=0-9", "items=10-19", "items=20-24"]
    assert len(result.records) == 25 and matched > 25
    assert result.truncated  # the search matched more than the limit
    expected = [e for e in app.state.qradar.data.events if _in_window(e)][:25]
    assert [r["starttime"] for r in result.raw] == [e["starttime"] for e in expected]


@pytest.mark.anyio
async def test_results_paging_ends_on_the_last_page(qradar: Build) -> None:
    """The last range asks only for what is left: by record_count, or without one by the total
    in the first page's Content-Range; nothing is requested past the end."""
    integ, app, recorder = qradar(config={"page_size": 5})
    async with integ:
        result = await integ.query(
            _search({"query": "SELECT * FROM events LIMIT 12 LAST 24 HOURS"}, limit=100)
        )
        (search_id,) = app.state.qradar.searches
        path = f"{SEARCHES}/{search_id}/results"
        assert [r.headers["range"] for r in recorder.to(path)] == [
            "items=0-4",
            "items=5-9",
            "items=10-11",
        ]
        assert len(result.raw) == 12 and not result.truncated
        search = ArielSearch(integ.http, integ.redact, page_size=5)
        again = await search.results(search_id, 100, {"status": "COMPLETED"})
    assert [r.headers["range"] for r in recorder.to(path)][3:] == [
        "items=0-4",
        "items=5-9",
        "items=10-11",
    ]
    assert again.rows == result.raw and again.total == 12 and not again.truncated


@pytest.mark.anyio
async def test_search_error_status_raises_with_the_messages(qradar: Build) -> None:
    integ, app, recorder = qradar()
    app.state.qradar.search_error = "The Ariel query server ran out of disk space"
    async with integ:
        with pytest.raises(FatalError) as caught:
            await integ.query(_search({"query": "SELECT * FROM events LAST 1 HOURS"}))
    (search_id,) = app.state.qradar.searches
    message = str(caught.value)
    assert search_id in message and "ERROR" in message
    assert "ran out of disk space" in message
    assert not [r for r in recorder.requests if r.url.path.endswith("/results")]


@pytest.mark.anyio
async def test_canceled_status_raises() -> None:
    """A search canceled on the console (status CANCELED) fails the query with its messages."""
    search = ArielSearch(HttpClient(base_url="https://qradar.example.com"), Redactor())
    status = {
        "search_id": "s1",
        "status": "CANCELED",
        "error_messages": [{"message": "Canceled by admin", "severity": "WARN"}],
    }
    with pytest.raises(FatalError, match="s1 ended with status CANCELED: Canceled by admin"):
        await search.wait("s1", status)


@pytest.mark.anyio
async def test_a_search_that_never_completes_is_canceled(
    qradar: Build, instant: InstantTime
) -> None:
    integ, app, recorder = qradar(config={"search_timeout_s": 30})
    app.state.qradar.search_hangs = True
    started = instant.clock()
    async with integ:
        with pytest.raises(TransientError, match="did not complete within 30 s"):
            await integ.query(_search({"query": "SELECT * FROM events LAST 1 HOURS"}))
    (search_id,) = app.state.qradar.searches
    assert instant.clock() - started >= 30
    cancel = recorder.to(f"{SEARCHES}/{search_id}", "POST")
    assert len(cancel) == 1 and cancel[0].url.params["status"] == "CANCELED"
    assert app.state.qradar.searches[search_id]["status"] == "CANCELED"


@pytest.mark.anyio
async def test_invalid_aql_is_a_fatal_error_naming_the_syntax(qradar: Build) -> None:
    integ, app, _ = qradar()
    async with integ:
        with pytest.raises(FatalError) as caught:
            await integ.query(_search({"query": "SELEC * FROM events"}))
    assert caught.value.status_code == 422
    assert "invalid AQL syntax" in str(caught.value)
    assert not app.state.qradar.searches


# --- finding seeded events ----------------------------------------------------------------------


def _seeded_user(app: Any) -> tuple[str, list[dict[str, Any]]]:
    """A user with events in the last 24 hours, and all of that user's events there."""
    events = app.state.qradar.data.events
    user = next(e["username"] for e in events if e["username"] and _in_window(e))
    return user, [e for e in events if e["username"] == user and _in_window(e)]


@pytest.mark.anyio
async def test_native_aql_finds_seeded_events_by_field(qradar: Build) -> None:
    integ, app, _ = qradar(size=120)
    user, expected = _seeded_user(app)
    text = f"SELECT * FROM events WHERE username = {aql.quote_literal(user)}"  # noqa: S608
    async with integ:
        result = await integ.query(_search({"query": text + " LAST 24 HOURS"}))
    assert [r["starttime"] for r in result.raw] == [e["starttime"] for e in expected]
    assert {h.fields["username"] for h in result.records} == {user}
    assert all(h.time is not None and h.time <= NOW for h in result.records)


@pytest.mark.anyio
async def test_common_query_finds_seeded_events_by_field(qradar: Build) -> None:
    integ, app, _ = qradar(size=120)
    user, expected = _seeded_user(app)
    common = CommonQuery(filters=[{"field": "username", "op": "eq", "value": user}])
    async with integ:
        result = await integ.query(_search({"common": common.model_dump(mode="json")}))
    assert [r["starttime"] for r in result.raw] == [e["starttime"] for e in expected]
    assert app.state.qradar.queries == [integ.translate(common)]


@pytest.mark.anyio
async def test_common_contains_is_case_insensitive(qradar: Build) -> None:
    integ, app, _ = qradar(size=120)
    user, _ = _seeded_user(app)
    fragment = user[1:-1].upper()
    expected = [
        e
        for e in app.state.qradar.data.events
        if e["username"] and fragment.lower() in e["username"].lower() and _in_window(e)
    ]
    common = {"filters": [{"field": "username", "op": "contains", "value": fragment}]}
    async with integ:
        result = await integ.query(_search({"common": common}))
    assert expected and [r["starttime"] for r in result.raw] == [e["starttime"] for e in expected]


@pytest.mark.anyio
async def test_start_and_end_bound_a_common_query(qradar: Build) -> None:
    integ, app, _ = qradar(size=120)
    start, end = NOW - timedelta(hours=2), NOW - timedelta(hours=1)
    params = {"common": {"limit": 1000}, "start": start.isoformat(), "end": end.isoformat()}
    async with integ:
        result = await integ.query(_search(params, limit=1000))
    (text,) = app.state.qradar.queries
    assert text.endswith(f"START {_ms(start)} STOP {_ms(end)}")
    expected = [e for e in app.state.qradar.data.events if _ms(start) <= e["starttime"] < _ms(end)]
    assert expected and [r["starttime"] for r in result.raw] == [e["starttime"] for e in expected]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"query": "SELECT * FROM events", "bogus": 1}, "bogus"),
        ({"query": "SELECT * FROM events", "common": {}}, "query"),
        ({}, "query"),
        ({"query": "   "}, "query"),
        ({"common": {"filters": [{"field": "user name", "value": "x"}]}}, "common.filters.0.field"),
        ({"common": {}, "start": "yesterday"}, "start"),
    ],
)
@pytest.mark.anyio
async def test_bad_search_parameters_are_config_errors(
    qradar: Build, params: dict[str, Any], field: str
) -> None:
    integ, _, recorder = qradar()
    async with integ:
        with pytest.raises(ConfigError) as caught:
            await integ.query(_search(params))
    assert field in caught.value.fields
    assert not recorder.requests


@pytest.mark.anyio
async def test_offenses_query_type_takes_a_qradar_filter(qradar: Build) -> None:
    integ, app, recorder = qradar(size=80)
    async with integ:
        result = await integ.query(
            QueryRequest(type="offenses", params={"filter": 'status = "CLOSED"'}, limit=500)
        )
    expected = [o for o in app.state.qradar.data.offenses if o["status"] == "CLOSED"]
    assert expected and sorted(int(r.source_uid) for r in result.records) == sorted(
        o["id"] for o in expected
    )
    stamps = [r.raw["last_updated_time"] for r in result.records]
    assert stamps == sorted(stamps, reverse=True)  # newest change first
    assert recorder.to("/api/siem/offenses")[0].url.params["filter"] == 'status = "CLOSED"'
