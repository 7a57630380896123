"""Search: translate() and its escaping, field mappings from _field_caps, Lucene query
strings, paging up to the limit through a PIT, time bounds, and refused queries."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aria.integrations.elasticsearch import Elasticsearch
from aria.integrations.elasticsearch.dsl import native_dsl
from aria.integrations.elasticsearch.sandbox_data import ALERTS_ALIAS
from aria.sdk import ConfigError, Finding, PushRequest, QueryRequest, siem
from tests.integrations.elasticsearch.conftest import Build

pytestmark = pytest.mark.anyio


def search(params: dict[str, Any], limit: int = 100) -> QueryRequest:
    return QueryRequest(type=siem.SEARCH, params=params, limit=limit)


def common(*filters: tuple[str, str, str], **extra: Any) -> dict[str, Any]:
    query = siem.CommonQuery(
        filters=[siem.FieldFilter(field=f, op=op, value=v) for f, op, v in filters], **extra
    )
    return query.model_dump(mode="json")


def event(risk_key: str, title: str) -> dict[str, Any]:
    return {"action": "updated", "risk_key": risk_key, "title": title, "score": 10}


# --- translate ---------------------------------------------------------------------------------


def test_translate_is_query_dsl_json() -> None:
    integ = Elasticsearch(Elasticsearch.sandbox_config)
    query = siem.CommonQuery.model_validate(
        {
            "start": "2025-06-01T00:00:00Z",
            "end": "2025-06-02T00:00:00Z",
            "filters": [
                {"field": "host.name", "value": "ws-01"},
                {"field": "process.command_line", "op": "contains", "value": 'a*b?"c\\d'},
            ],
        }
    )
    text = integ.translate(query)
    assert isinstance(text, str)
    assert json.loads(text) == {
        "bool": {
            "filter": [
                {"term": {"host.name": "ws-01"}},
                {
                    "wildcard": {
                        "process.command_line": {
                            "value": '*a\\*b\\?"c\\\\d*',
                            "case_insensitive": True,
                        }
                    }
                },
                {
                    "range": {
                        "@timestamp": {
                            "gte": "2025-06-01T00:00:00+00:00",
                            "lte": "2025-06-02T00:00:00+00:00",
                        }
                    }
                },
            ]
        }
    }
    assert integ.translate(siem.CommonQuery()) == '{"match_all":{}}'
    kinds = {"title": "text", "risk_key": "text+keyword", "score": "exact"}
    mapped = json.loads(
        integ.translate(
            siem.CommonQuery.model_validate(
                {
                    "filters": [
                        {"field": "title", "op": "contains", "value": "lsass dump"},
                        {"field": "risk_key", "value": "R-1"},
                        {"field": "score", "op": "contains", "value": "10"},
                    ]
                }
            ),
            kinds,  # type: ignore[arg-type]
        )
    )
    assert mapped["bool"]["filter"] == [
        {"match_phrase": {"title": "lsass dump"}},
        {"term": {"risk_key.keyword": "R-1"}},
        {"term": {"score": "10"}},
    ]


def test_native_forms() -> None:
    assert native_dsl({"term": {"a": 1}}) == {"term": {"a": 1}}
    assert native_dsl({"query": {"term": {"a": 1}}, "size": 5}) == {"term": {"a": 1}}
    assert native_dsl('{"term": {"a": 1}}') == {"term": {"a": 1}}
    assert native_dsl("a:1 AND b:2") == {"query_string": {"query": "a:1 AND b:2"}}
    assert native_dsl("{1 TO 5}") == {"query_string": {"query": "{1 TO 5}"}}
    for bad in ("", {"term": {}, "match": {}}, 42):
        with pytest.raises(ValueError):
            native_dsl(bad)


# --- against the sandbox -------------------------------------------------------------------


async def test_translated_query_round_trips_and_matches_literally(elastic: Build) -> None:
    """String values land in text fields with a .keyword sub-field (dynamic mapping): equality
    uses the sub-field, so R-1 does not match R-1-2, and a wildcard in a value is literal."""
    integ, _, _ = elastic()
    async with integ:
        for key, title in (("R-1", "lsass read"), ("R-1-2", "lsass* dump"), ("r-1", "other")):
            assert (await integ.push(PushRequest(kind="event", payload=event(key, title)))).ok
        eq = await integ.query(search({"common": common(("risk_key", "eq", "R-1"))}))
        star = await integ.query(search({"common": common(("title", "contains", "lsass*"))}))
        dsl = integ.translate(
            siem.CommonQuery.model_validate(common(("risk_key", "eq", "R-1"))),
            {"risk_key": "text+keyword"},
        )
        back = await integ.query(search({"query": dsl}))
    assert [h.fields["risk_key"] for h in eq.records] == ["R-1"]
    assert [h.fields["title"] for h in star.records] == ["lsass* dump"]
    assert [h.fields["risk_key"] for h in back.records] == ["R-1"]


async def test_contains_on_alert_keyword_fields(elastic: Build) -> None:
    integ, state, recorder = elastic(size=60)
    hosts = {s["host"]["name"] for s in state.documents(ALERTS_ALIAS)}
    prefix = sorted(hosts)[0].split("-")[0] + "-"
    async with integ:
        result = await integ.query(
            search(
                {"index": ALERTS_ALIAS, "common": common(("host.name", "contains", prefix.upper()))}
            )
        )
    expected = [s for s in state.documents(ALERTS_ALIAS) if s["host"]["name"].startswith(prefix)]
    assert len(result.records) == len(expected) > 0
    assert all(h.fields["host.name"].startswith(prefix) for h in result.records)
    body = recorder.bodies("/_search")[0]["query"]["bool"]["filter"][0]
    assert body == {
        "wildcard": {"host.name": {"value": f"*{prefix.upper()}*", "case_insensitive": True}}
    }


async def test_query_string_on_the_alerts_index(elastic: Build) -> None:
    integ, state, _ = elastic(size=100)
    async with integ:
        result = await integ.query(
            search(
                {
                    "index": ALERTS_ALIAS,
                    "query": "kibana.alert.severity:(high) AND NOT "
                    'kibana.alert.workflow_status:closed AND process.name:"rundll32.exe"',
                }
            )
        )
    expected = [
        s
        for s in state.documents(ALERTS_ALIAS)
        if s["kibana.alert.severity"] == "high"
        and s["kibana.alert.workflow_status"] != "closed"
        and s["process"]["name"] == "rundll32.exe"
    ]
    assert len(result.records) == len(expected) > 0
    times = [h.time for h in result.records]
    assert times == sorted(times, reverse=True)  # newest first


async def test_paging_stops_at_the_limit_and_closes_the_pit(elastic: Build) -> None:
    integ, state, recorder = elastic(size=200)
    async with integ:
        result = await integ.query(search({"index": ALERTS_ALIAS, "query": {"match_all": {}}}, 120))
        everything = await integ.query(
            search({"index": ALERTS_ALIAS, "query": {"match_all": {}}}, 1000)
        )
    assert len(result.records) == 120 and result.truncated
    assert len(everything.records) == 200 and not everything.truncated
    first = recorder.bodies("/_search")[:3]
    assert [b["size"] for b in first] == [50, 50, 50]
    assert first[1]["search_after"] == result.raw[49]["sort"]
    ids = [h["_id"] for h in result.raw]
    assert len(set(ids)) == 120 and ids == [h["_id"] for h in everything.raw[:120]]
    assert state.pits_opened == 2 and state.open_pits() == []
    assert len(recorder.to("/_pit", "DELETE")) == 2


async def test_exact_limit_is_not_truncated(elastic: Build) -> None:
    integ, _, _ = elastic(size=100)
    async with integ:
        result = await integ.query(search({"index": ALERTS_ALIAS, "query": "*"}, 100))
    assert len(result.records) == 100 and not result.truncated


async def test_time_bounds(elastic: Build) -> None:
    integ, state, recorder = elastic(size=100)
    stamps = sorted(s["@timestamp"] for s in state.documents(ALERTS_ALIAS))
    start, end = stamps[10], stamps[19]
    async with integ:
        result = await integ.query(
            search({"index": ALERTS_ALIAS, "query": {"match_all": {}}, "start": start, "end": end})
        )
    assert len(result.records) == 10
    query = recorder.bodies("/_search")[0]["query"]
    assert query["bool"]["filter"][0] == {"match_all": {}}
    assert set(query["bool"]["filter"][1]["range"]["@timestamp"]) == {"gte", "lte"}


async def test_a_query_elasticsearch_refuses_is_a_config_error(elastic: Build) -> None:
    integ, _, _ = elastic()
    async with integ:
        with pytest.raises(ConfigError) as info:
            await integ.query(search({"index": ALERTS_ALIAS, "query": {"fuzzy_thing": {}}}))
    assert info.value.status_code == 400 and "unknown query [fuzzy_thing]" in str(info.value)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"query": "a:1", "common": {}}, "query"),
        ({}, "query"),
        ({"query": "a:1", "filter": "x"}, "filter"),
        ({"query": "a:1", "index": "../_security"}, "index"),
        ({"query": "a:1", "start": "yesterday"}, "start"),
        ({"common": {"filters": [{"field": "bad field", "value": "x"}]}}, "common.filters.0.field"),
        ({"query": ""}, "query"),
    ],
)
async def test_bad_search_parameters(elastic: Build, params: dict[str, Any], field: str) -> None:
    integ, _, recorder = elastic()
    async with integ:
        with pytest.raises(ConfigError) as info:
            await integ.query(search(params))
    assert field in info.value.fields
    assert recorder.requests == []


async def test_other_query_types_read_a_stream(elastic: Build) -> None:
    integ, _, _ = elastic(size=30)
    async with integ:
        result = await integ.query(QueryRequest(type="alerts", limit=10))
    assert len(result.records) == 10 and all(isinstance(r, Finding) for r in result.records)
