"""The sandbox speaks QRadar: its filter and AQL subsets, Range answers and error envelopes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from aria.integrations.ibm_qradar.sandbox import DEMO, NOW, make_sandbox
from aria.integrations.ibm_qradar.sandbox_query import QueryError, compile_filter, parse_aql

AUTH = {"SEC": DEMO["sec_token"], "Version": "20.0"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = make_sandbox(size=40)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://qradar.demo.example"
    ) as http:
        http.app = app  # type: ignore[attr-defined]
        yield http


def test_filter_subset() -> None:
    row = {"status": "OPEN", "magnitude": 7, "domain_id": 0, "assigned_to": None}
    assert compile_filter('status = "OPEN" and magnitude >= 5')(row)
    assert not compile_filter('status = "CLOSED" or magnitude < 5')(row)
    assert compile_filter('status in ("HIDDEN", "OPEN") and (domain_id = 0 or domain_id = 1)')(row)
    assert compile_filter("assigned_to is null")(row)
    assert not compile_filter("assigned_to is not null")(row)
    assert compile_filter("assigned_to = null")(row)
    assert compile_filter("not magnitude between 1 and 5")(row)
    assert compile_filter(None)(row) and compile_filter("  ")(row)
    for bad in ("status = OPEN", "magnitude >=", 'status = "OPEN" and', "(magnitude = 1"):
        with pytest.raises(QueryError):
            compile_filter(bad)


def test_aql_subset() -> None:
    query = parse_aql(
        "select QIDNAME(qid) AS 'name', \"sourceip\" from events "
        "where (username ilike '%SMITH%' or username = 'o''brien') and magnitude > 3 "
        "limit 5 start '2025-06-01 10:00' stop '2025-06-01 11:00:30Z'"
    )
    assert query.table == "events" and query.limit == 5
    assert query.start == datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
    assert query.stop == datetime(2025, 6, 1, 11, 0, 30, tzinfo=UTC)
    assert query.where({"username": "jsmith", "magnitude": 4})
    assert query.where({"username": "o'brien", "magnitude": 9})
    assert not query.where({"username": "jsmith", "magnitude": 3})
    assert query.project({"_qidname": "Logon", "sourceip": "10.0.0.1", "x": 1}) == {
        "name": "Logon",
        "sourceip": "10.0.0.1",
    }
    default = parse_aql("SELECT * FROM flows")
    assert default.window(NOW) == (NOW - timedelta(minutes=5), NOW)
    for bad in (
        "SELECT * FROM assets",
        "SELECT * FROM events WHERE",
        "SELECT * FROM events ORDER BY starttime",
        "SELECT * FROM events LAST 3 WEEKS",
        "SELECT FOO(qid) FROM events",
        "SELECT * FROM events WHERE username = 'unterminated",
    ):
        with pytest.raises(QueryError):
            parse_aql(bad)


@pytest.mark.anyio
async def test_missing_or_wrong_sec_header_is_401_in_qradar_envelope(
    client: httpx.AsyncClient,
) -> None:
    for headers in ({}, {"SEC": "wrong"}):
        response = await client.get("/api/siem/offenses", headers=headers)
        body = response.json()
        assert response.status_code == 401
        assert body["http_response"] == {
            "code": 401,
            "message": "You are unauthorized to access the requested resource.",
        }
        assert body["message"] and isinstance(body["code"], int)


@pytest.mark.anyio
async def test_range_answers_and_errors(client: httpx.AsyncClient) -> None:
    page = await client.get("/api/siem/offenses", headers={**AUTH, "Range": "items=30-49"})
    assert page.status_code == 200 and page.headers["content-range"] == "items 30-39/40"
    assert [o["id"] for o in page.json()] == list(range(31, 41))
    past = await client.get("/api/siem/offenses", headers={**AUTH, "Range": "items=50-59"})
    assert past.json() == [] and past.headers["content-range"] == "items */40"
    bad = await client.get("/api/siem/offenses", headers={**AUTH, "Range": "items=9-1"})
    assert bad.status_code == 422 and bad.json()["code"] == 1005
    wrong_filter = await client.get(
        "/api/siem/offenses", params={"filter": "status = OPEN"}, headers=AUTH
    )
    assert wrong_filter.status_code == 422 and wrong_filter.json()["code"] == 1010
    fields = await client.get(
        "/api/siem/offenses", params={"fields": "id,status"}, headers={**AUTH, "Range": "items=0-1"}
    )
    assert [set(o) for o in fields.json()] == [{"id", "status"}] * 2


@pytest.mark.anyio
async def test_ariel_search_states_and_errors(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/api/ariel/searches",
        params={"query_expression": "SELECT * FROM events LAST 1 HOURS"},
        headers=AUTH,
    )
    assert created.status_code == 201 and created.json()["status"] == "WAIT"
    search_id = created.json()["search_id"]
    early = await client.get(f"/api/ariel/searches/{search_id}/results", headers=AUTH)
    assert early.status_code == 404 and early.json()["code"] == 1003
    statuses = [
        (await client.get(f"/api/ariel/searches/{search_id}", headers=AUTH)).json()["status"]
        for _ in range(3)
    ]
    assert statuses == ["EXECUTE", "COMPLETED", "COMPLETED"]
    results = await client.get(f"/api/ariel/searches/{search_id}/results", headers=AUTH)
    events = client.app.state.qradar.data.events  # type: ignore[attr-defined]
    hour_ago = (NOW - timedelta(hours=1)).timestamp() * 1000
    expected = [e for e in events if e["starttime"] >= hour_ago]
    assert len(results.json()["events"]) == len(expected) > 0
    assert not any(k.startswith("_") for row in results.json()["events"] for k in row)
    missing = await client.get("/api/ariel/searches/nope", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["code"] == 1002
    invalid = await client.post(
        "/api/ariel/searches", params={"query_expression": "SELECT FROM"}, headers=AUTH
    )
    assert invalid.status_code == 422 and invalid.json()["code"] == 2000
