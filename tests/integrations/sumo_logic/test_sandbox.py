"""The sandbox speaks Sumo's wire format: envelopes, auth, cookies, paging errors, and the
query subsets it evaluates."""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import pytest

from aria.integrations.sumo_logic.sandbox import DEMO, DEMO_TOKEN, make_sandbox
from aria.integrations.sumo_logic.sandbox_query import QueryError, compile_dsl, compile_search

pytestmark = pytest.mark.anyio
API = "https://api.us2.sumologic.com/api"
AUTH = (DEMO["access_id"], DEMO["access_key"])
JOB = {"query": "*", "from": "2025-05-01T00:00:00", "to": "2025-06-03T00:00:00", "timeZone": "UTC"}


def client(app: Any, auth: tuple[str, str] | None = AUTH) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), auth=auth)


async def test_wrong_credentials_get_sumos_401_envelope() -> None:
    async with client(make_sandbox(size=3), auth=("suDemoAccessId01", "nope")) as http:
        response = await http.post(f"{API}/v1/search/jobs", json=JOB)
        cse = await http.get(f"{API}/sec/v1/insights")
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == 401 and body["code"] == "unauthorized" and body["id"]
    assert cse.status_code == 401 and cse.json()["errors"][0]["code"] == "unauthorized"


async def test_jobs_need_their_cookie_and_vanish_when_deleted() -> None:
    app = make_sandbox(size=20)
    async with client(app) as http:
        created = await http.post(f"{API}/v1/search/jobs", json=JOB)
        job_id = created.json()["id"]
        assert created.status_code == 202
        assert created.headers["location"].endswith(f"/api/v1/search/jobs/{job_id}")
        assert "JSESSIONID" in http.cookies
        assert (await http.get(f"{API}/v1/search/jobs/{job_id}")).status_code == 200
        assert (await http.delete(f"{API}/v1/search/jobs/{job_id}")).json() == {"id": job_id}
        gone = await http.get(f"{API}/v1/search/jobs/{job_id}")
    assert gone.status_code == 404 and gone.json()["code"] == "searchjob.jobid.invalid"
    async with client(app) as stranger:  # same key, no session cookie
        again = await stranger.get(f"{API}/v1/search/jobs/{job_id}")
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**JOB, "query": ""}, "searchjob.no.query"),
        ({**JOB, "from": "yesterday"}, "searchjob.invalid.timestamp.from"),
        ({**JOB, "timeZone": "Mars/Olympus"}, "searchjob.unknown.timezone"),
        ({**JOB, "from": "2025-06-04T00:00:00"}, "searchjob.to.smaller.than.from"),
        ({**JOB, "query": "* | sort by _raw"}, "searchjob.parse.error"),
    ],
)
async def test_job_creation_errors(body: dict[str, Any], code: str) -> None:
    async with client(make_sandbox(size=3)) as http:
        response = await http.post(f"{API}/v1/search/jobs", json=body)
    assert response.status_code == 400 and response.json()["code"] == code


async def test_paging_errors_and_records_of_a_raw_query() -> None:
    async with client(make_sandbox(size=20)) as http:
        job_id = (await http.post(f"{API}/v1/search/jobs", json=JOB)).json()["id"]
        missing = await http.get(f"{API}/v1/search/jobs/{job_id}/messages", params={"limit": 5})
        records = await http.get(
            f"{API}/v1/search/jobs/{job_id}/records", params={"offset": 0, "limit": 5}
        )
        page = await http.get(
            f"{API}/v1/search/jobs/{job_id}/messages", params={"offset": 2, "limit": 3}
        )
    assert missing.json()["code"] == "searchjob.offset.missing"
    assert records.json()["code"] == "searchjob.no.records.not.an.aggregation.query"
    body = page.json()
    assert len(body["messages"]) == 3 and {f["name"] for f in body["fields"]} >= {"_raw"}
    times = [int(m["map"]["_messagetime"]) for m in body["messages"]]
    assert times == sorted(times, reverse=True)  # newest first


async def test_cse_lists_reject_big_pages_and_bad_queries() -> None:
    async with client(make_sandbox(size=3)) as http:
        big = await http.get(f"{API}/sec/v1/insights", params={"limit": 101})
        bad = await http.get(f"{API}/sec/v1/signals", params={"q": "nosuchfield:1"})
        ok = await http.get(f"{API}/sec/v1/signals", params={"limit": 2})
    assert big.status_code == 400 and big.json()["data"] is None
    assert bad.status_code == 400 and "nosuchfield" in bad.json()["errors"][0]["message"]
    data = ok.json()["data"]
    assert len(data["objects"]) == 2 and data["total"] == 3 and data["hasNextPage"] is True


async def test_http_source_accepts_gzip_lines_and_refuses_unknown_tokens() -> None:
    app = make_sandbox(size=1)
    state = app.state.sumo
    async with client(app, auth=None) as http:
        ok = await http.post(
            f"https://collectors.us2.sumologic.com/receiver/v1/http/{DEMO_TOKEN}",
            content=gzip.compress(b'{"a":1}\n\n{"a":2}\n'),
            headers={"Content-Encoding": "gzip", "X-Sumo-Category": "x/y"},
        )
        refused = await http.post(
            "https://collectors.us2.sumologic.com/receiver/v1/http/unknown", content=b"x"
        )
    assert ok.status_code == 200 and ok.content == b""
    assert refused.status_code == 401
    assert [m["_raw"] for m in state.data.messages[-2:]] == ['{"a":1}', '{"a":2}']
    assert {m["_sourcecategory"] for m in state.data.messages[-2:]} == {"x/y"}


MESSAGES = [
    {"_raw": '{"risk_id":"r-1","title":"A \\"q\\""}', "_sourcecategory": "aria/events"},
    {"_raw": '{"risk_id":"r-2","title":"B"}', "_sourcecategory": "aria/events"},
    {"_raw": "GET /admin 404", "_sourcecategory": "prod/web/nginx"},
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("*", 3),
        ('_sourceCategory="aria/*"', 2),
        ("_sourcecategory=ARIA/EVENTS", 2),  # metadata matches ignore case
        ("admin", 1),
        ("NOT admin", 2),
        ('_sourceCategory=aria/events | json auto | where risk_id = "r-2"', 1),
        ('_sourceCategory=aria/events | json auto | where risk_id != "r-2"', 1),
        ('* | json auto | where title matches "*\\"q\\"*"', 1),
        ('* | json auto | where contains(title, "B")', 1),
        ('* | json auto | where risk_id = "r-1" and title = "B"', 0),
        ('* | json auto | where %"risk_id" = "r-1"', 1),
    ],
)
def test_search_subset(query: str, expected: int) -> None:
    assert len(compile_search(query).run([dict(m) for m in MESSAGES])) == expected


@pytest.mark.parametrize(
    "query", ["", "a OR b", "* | sort by x", '* | where x = "unterminated', "* | where x ~ 1"]
)
def test_search_subset_refuses_the_rest(query: str) -> None:
    with pytest.raises(QueryError):
        compile_search(query)


RECORD = {
    "status": {"name": "closed"},
    "severity": "HIGH",
    "created": "2025-06-01T10:00:00.5",
    "entity": {"ip": {"address": "10.0.0.5"}},
    "tags": ["_mitreAttackTactic:TA0002"],
}


@pytest.mark.parametrize(
    ("q", "matches"),
    [
        ('status:"closed"', True),
        ("-status:closed", False),
        ('severity:in("LOW", "HIGH")', True),
        ("created:>=2025-06-01T10:00:00+00:00", True),
        ("created:>2025-06-01T10:00:01+00:00", False),
        ('entity.ip:"10.0.0.5" tag:"_mitreAttackTactic:TA0002"', True),
        ("created:2025-06-01T00:00:00..2025-06-02T00:00:00", True),
    ],
)
def test_cloud_siem_dsl(q: str, matches: bool) -> None:
    fields = {"status", "severity", "created", "entity.ip", "tag"}
    assert compile_dsl(q, fields)(RECORD) is matches
