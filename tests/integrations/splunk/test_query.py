"""query(type="search"): native SPL and common queries as search jobs, SPL translation and
quoting, and a forwarded risk event found again by its risk id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from aria.integrations.splunk.spl import translate
from aria.sdk import ConfigError, PushRequest, QueryRequest, siem
from aria.sdk.siem import CommonQuery, SearchHit
from tests.integrations.splunk.conftest import Build

pytestmark = pytest.mark.anyio

RISK: dict[str, Any] = {
    "action": "open",
    "link": "https://aria.example.com/register/risks/7731",
    "risk_id": 7731,
    "title": 'Exfiltration over "DNS" from C:\\Temp',
    "status": "open",
    "score": 16,
}


def search(params: dict[str, Any], limit: int = 100) -> QueryRequest:
    return QueryRequest(type=siem.SEARCH, params=params, limit=limit)


async def test_forwarded_risk_is_found_by_native_spl_and_by_common_query(splunk: Build) -> None:
    integ, state, rec = splunk()
    async with integ:
        pushed = await integ.push(PushRequest(kind="event", payload=RISK))
        assert pushed.ok
        other = await integ.push(PushRequest(kind="event", payload={**RISK, "risk_id": 7732}))
        assert other.ok
        native = await integ.query(search({"query": "index=aria risk_id=7731"}))
        common = await integ.query(
            search({"common": {"filters": [{"field": "risk_id", "value": "7731"}]}})
        )
    for result in (native, common):
        assert result.type == "search" and not result.truncated
        (hit,) = result.records
        assert isinstance(hit, SearchHit)
        assert hit.source == "aria" and hit.fields["risk_id"] == "7731"
        assert hit.fields["title"] == RISK["title"] and hit.fields["sourcetype"] == "aria:risk"
        assert hit.message is not None and '"risk_id":7731' in hit.message
        assert result.raw[0]["risk_id"] == "7731"
    native_form, common_form = rec.forms()
    assert native_form["search"] == "search index=aria risk_id=7731"  # `search` prepended
    assert common_form["search"] == 'search index="aria" risk_id="7731"'
    assert native_form["max_count"] == "101" and native_form["output_mode"] == "json"
    assert len(state.deleted) == 2 and state.jobs == {}  # both jobs cleaned up


async def test_values_cannot_break_out_of_their_literal(splunk: Build) -> None:
    integ, _, rec = splunk()
    async with integ:
        await integ.push(PushRequest(kind="event", payload=RISK))
        exact = await integ.query(
            search({"common": {"filters": [{"field": "title", "value": RISK["title"]}]}})
        )
        contains = await integ.query(
            search(
                {"common": {"filters": [{"field": "title", "op": "contains", "value": '"DNS"'}]}}
            )
        )
        injected = await integ.query(
            search(
                {
                    "common": {
                        "filters": [{"field": "risk_id", "value": '1" OR index=* OR x="'}],
                    }
                }
            )
        )
    assert [h.fields["risk_id"] for h in exact.records] == ["7731"]
    assert [h.fields["risk_id"] for h in contains.records] == ["7731"]
    assert injected.records == []
    spl = rec.forms()[2]["search"]
    assert spl.startswith('search index="aria" risk_id="1\\" OR index=* OR x=\\"" | where ')


async def test_a_star_in_a_value_is_matched_literally(splunk: Build) -> None:
    integ, _, rec = splunk()
    starred = {**RISK, "risk_id": 1, "title": "build*42 failed"}
    lookalike = {**RISK, "risk_id": 2, "title": "build 7 of 42 failed"}
    async with integ:
        for payload in (starred, lookalike):
            assert (await integ.push(PushRequest(kind="event", payload=payload))).ok
        eq = await integ.query(
            search({"common": {"filters": [{"field": "title", "value": "build*42 failed"}]}})
        )
        contains = await integ.query(
            search({"common": {"filters": [{"field": "title", "op": "contains", "value": "d*4"}]}})
        )
    assert [h.fields["risk_id"] for h in eq.records] == ["1"]
    assert [h.fields["risk_id"] for h in contains.records] == ["1"]
    assert "| where match('title', " in rec.forms()[0]["search"]


async def test_time_bounds(splunk: Build, instant: Any) -> None:
    integ, _, rec = splunk()
    sent_at = datetime.fromtimestamp(instant.clock(), UTC)
    after = datetime.fromtimestamp(instant.clock() + 60, UTC)
    before = datetime.fromtimestamp(instant.clock() - 60, UTC)
    async with integ:
        await integ.push(PushRequest(kind="event", payload=RISK))
        filters = [{"field": "risk_id", "value": "7731"}]
        later = await integ.query(
            search({"common": {"start": after.isoformat(), "filters": filters}})
        )
        around = await integ.query(
            search(
                {
                    "common": {
                        "start": before.isoformat(),
                        "end": after.isoformat(),
                        "filters": filters,
                    }
                }
            )
        )
        ending_at_it = await integ.query(
            search({"query": "index=aria risk_id=7731", "end": sent_at.isoformat()})
        )
        from_it = await integ.query(
            search({"query": "index=aria risk_id=7731", "start": sent_at.isoformat()})
        )
    assert later.records == [] and len(around.records) == 1
    assert ending_at_it.records == [] and len(from_it.records) == 1  # latest is exclusive
    forms = rec.forms()
    window = f"earliest={int(before.timestamp())} latest={int(after.timestamp())}"
    assert forms[1]["search"].endswith(window)
    assert forms[2]["latest_time"] == str(int(sent_at.timestamp()))
    assert forms[3]["earliest_time"] == str(int(sent_at.timestamp()))


async def test_limit_pages_and_truncates(splunk: Build) -> None:
    integ, state, rec = splunk(size=120, config={"page_size": 4})
    async with integ:
        result = await integ.query(search({"query": "index=notable"}, limit=10))
        common = await integ.query(
            search({"common": {"limit": 3, "filters": [{"field": "index", "value": "notable"}]}})
        )
    assert len(result.records) == 10 and result.truncated
    assert len(common.records) == 3 and common.truncated
    first, second = rec.forms()
    assert first["max_count"] == "11" and second["max_count"] == "4"
    assert second["search"] == 'search index="notable"'  # a filter on index replaces the default
    counts = [r.url.params["count"] for r in rec.to("/results")]
    assert counts == ["4", "4", "2", "3"]
    assert state.jobs == {}


def test_translate() -> None:
    query = CommonQuery(
        start=datetime(2025, 6, 1, tzinfo=UTC),
        end=datetime(2025, 6, 2, 0, 0, 0, 500_000, tzinfo=UTC),
        filters=[
            {"field": "annotations.mitre_attack", "value": "T1003.001"},
            {"field": "user", "op": "contains", "value": 'a\\b"c'},
        ],
    )
    assert translate(query, index="aria") == (
        'search index="aria" annotations.mitre_attack="T1003.001" user="*a\\\\b\\"c*" '
        "earliest=1748736000 latest=1748822400.500"
    )
    assert translate(CommonQuery()) == "search *"
    assert translate(CommonQuery(), index="aria") == 'search index="aria"'
    starred = translate(CommonQuery(filters=[{"field": "f", "value": 'x*"y'}]))
    assert starred == 'search f="x*\\"y" | where match(\'f\', "(?i)^x\\\\*\\"y$")'


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"query": "index=aria", "sort": "-_time"}, "sort"),
        ({"query": "index=aria", "common": {}}, "query"),
        ({}, "query"),
        ({"query": "   "}, "query"),
        ({"common": {"filters": [{"field": "bad field", "value": "x"}]}}, "common.filters.0.field"),
        ({"query": "index=aria", "start": "yesterday"}, "start"),
    ],
)
async def test_bad_search_parameters(splunk: Build, params: dict[str, Any], field: str) -> None:
    integ, _, rec = splunk()
    async with integ:
        with pytest.raises(ConfigError) as failure:
            await integ.query(search(params))
    assert field in failure.value.fields
    assert rec.forms() == []
