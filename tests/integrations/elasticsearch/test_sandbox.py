"""The Elasticsearch sandbox on the wire: auth and error shapes, PIT rules, _bulk framing,
mappings, and the query engine's semantics (keyword vs text, query_string)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from aria.integrations.elasticsearch.sandbox import API_KEY_ENCODED, make_sandbox
from aria.integrations.elasticsearch.sandbox_data import ALERTS_ALIAS, ALERTS_BACKING
from aria.integrations.elasticsearch.sandbox_query import (
    Doc,
    ElasticError,
    FieldMapping,
    QueryCompiler,
)

pytestmark = pytest.mark.anyio
ES = "https://aria-demo.es.us-east-1.aws.found.io:443"
AUTH = {"Authorization": f"ApiKey {API_KEY_ENCODED}"}


def client(**kwargs: Any) -> httpx.AsyncClient:
    app = make_sandbox(size=kwargs.pop("size", 30), **kwargs)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ES, headers=AUTH)


async def test_authentication_errors_look_like_elasticsearch() -> None:
    async with client() as http:
        missing = await http.get("/", headers={"Authorization": ""})
        wrong = await http.get("/", headers={"Authorization": "ApiKey bm9wZTpub3Bl"})
        fine = await http.get("/")
    for response, why in ((missing, "missing authentication credentials"), (wrong, "unable")):
        assert response.status_code == 401
        body = response.json()
        assert body["status"] == 401 and body["error"]["type"] == "security_exception"
        assert body["error"]["root_cause"][0]["reason"].startswith(why)
        assert "ApiKey" in response.headers["www-authenticate"]
    assert fine.status_code == 200 and fine.json()["tagline"] == "You Know, for Search"
    assert fine.headers["x-elastic-product"] == "Elasticsearch"


async def test_point_in_time_rules() -> None:
    async with client() as http:
        no_keep_alive = await http.post(f"/{ALERTS_ALIAS}/_pit")
        pit = (await http.post(f"/{ALERTS_ALIAS}/_pit", params={"keep_alive": "1m"})).json()["id"]
        with_index = await http.post(f"/{ALERTS_ALIAS}/_search", json={"pit": {"id": pit}})
        shard_doc = await http.post(
            f"/{ALERTS_ALIAS}/_search", json={"sort": [{"_shard_doc": "asc"}]}
        )
        page = await http.post(
            "/_search", json={"pit": {"id": pit}, "size": 5, "sort": [{"@timestamp": "asc"}]}
        )
        short_after = await http.post(
            "/_search",
            json={"pit": {"id": pit}, "sort": [{"@timestamp": "asc"}], "search_after": [1]},
        )
        closed = await http.request("DELETE", "/_pit", json={"id": pit})
        again = await http.request("DELETE", "/_pit", json={"id": pit})
        gone = await http.post("/_search", json={"pit": {"id": pit}})
    assert no_keep_alive.status_code == 400
    assert with_index.status_code == 400 and "point in time" in with_index.json()["error"]["reason"]
    assert shard_doc.status_code == 400
    hits = page.json()["hits"]["hits"]
    assert page.json()["pit_id"] == pit and len(hits) == 5
    assert all(len(h["sort"]) == 2 and h["_index"] == ALERTS_BACKING for h in hits)
    assert short_after.status_code == 400
    assert short_after.json()["error"]["reason"] == "search_after has 1 value(s) but sort has 2."
    assert closed.json() == {"succeeded": True, "num_freed": 1}
    assert again.status_code == 404 and again.json()["num_freed"] == 0
    assert gone.status_code == 404
    assert gone.json()["error"]["type"] == "search_context_missing_exception"


async def test_pit_expires_after_keep_alive() -> None:
    now = [1_000.0]
    async with client(clock=lambda: now[0]) as http:
        pit = (await http.post(f"/{ALERTS_ALIAS}/_pit", params={"keep_alive": "30s"})).json()["id"]
        now[0] += 20
        alive = await http.post("/_search", json={"pit": {"id": pit, "keep_alive": "30s"}})
        now[0] += 29  # the search extended it
        still = await http.post("/_search", json={"pit": {"id": pit}})
        now[0] += 31
        expired = await http.post("/_search", json={"pit": {"id": pit}})
    assert alive.status_code == 200 and still.status_code == 200
    assert expired.status_code == 404


async def test_without_pit_support_the_open_is_refused() -> None:
    async with client(pit=False) as http:
        response = await http.post(f"/{ALERTS_ALIAS}/_pit", params={"keep_alive": "1m"})
    assert response.status_code == 400
    assert "unrecognized parameter: [keep_alive]" in response.json()["error"]["reason"]


async def test_index_resolution() -> None:
    async with client() as http:
        missing = await http.post("/nope/_search")
        hidden = await http.post("/*/_search", json={"size": 0})
        dotted = await http.post("/.alerts-security.alerts-*/_search", json={"size": 0})
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "index_not_found_exception"
    assert hidden.json()["hits"]["total"]["value"] == 0  # hidden indices need a dotted pattern
    assert dotted.json()["hits"]["total"]["value"] == 30


async def test_bulk_framing() -> None:
    line = json.dumps({"create": {"_index": "aria-events"}}) + "\n" + json.dumps({"a": 1})
    ndjson = {"Content-Type": "application/x-ndjson"}
    async with client() as http:
        unterminated = await http.post("/_bulk", content=line, headers=ndjson)
        plain = await http.post(
            "/_bulk", content=line + "\n", headers={"Content-Type": "text/plain"}
        )
        bad_action = await http.post("/_bulk", content='{"upsert":{}}\n{}\n', headers=ndjson)
        ok = await http.post("/_bulk", content=line + "\n", headers=ndjson)
        metadata = await http.post(
            "/_bulk",
            content=json.dumps({"create": {"_index": "aria-events"}}) + '\n{"_id": "x"}\n',
            headers=ndjson,
        )
    assert unterminated.status_code == 400 and "newline" in unterminated.json()["error"]["reason"]
    assert plain.status_code == 406
    assert bad_action.status_code == 400 and "[upsert]" in bad_action.json()["error"]["reason"]
    item = ok.json()["items"][0]["create"]
    assert ok.json()["errors"] is False and item["status"] == 201 and len(item["_id"]) == 20
    failed = metadata.json()["items"][0]["create"]
    assert metadata.json()["errors"] is True and failed["status"] == 400
    assert "metadata field" in failed["error"]["reason"]


async def test_field_caps_reflect_dynamic_mapping() -> None:
    body = (
        json.dumps({"create": {"_index": "aria-events"}})
        + "\n"
        + json.dumps({"title": "x", "risk_id": 1, "@timestamp": "2025-06-02T12:00:00Z"})
        + "\n"
    )
    async with client() as http:
        await http.post("/_bulk", content=body, headers={"Content-Type": "application/x-ndjson"})
        caps = await http.get("/aria-events/_field_caps", params={"fields": "title*,risk_id,@*"})
    fields = caps.json()["fields"]
    assert set(fields) == {"title", "title.keyword", "risk_id", "@timestamp"}
    assert list(fields["title"]) == ["text"] and list(fields["title.keyword"]) == ["keyword"]
    assert list(fields["risk_id"]) == ["long"] and list(fields["@timestamp"]) == ["date"]


def compiled(query: dict[str, Any], docs: list[dict[str, Any]], strings: str = "text") -> list[int]:
    mapping = FieldMapping(strings=strings)
    stored = []
    for n, source in enumerate(docs):
        mapping.learn(source, mapping.check(source, str(n)))
        stored.append(Doc("i", str(n), source, n))
    predicate = QueryCompiler(mapping.type_of).compile(query)
    return [n for n, doc in enumerate(stored) if predicate(doc)]


def test_text_and_keyword_semantics() -> None:
    docs = [{"t": "R-1"}, {"t": "R-1-2"}, {"t": "r 1 extra"}, {"t": "Open case"}]
    assert compiled({"term": {"t.keyword": "R-1"}}, docs) == [0]
    assert compiled({"match_phrase": {"t": "R-1"}}, docs) == [0, 1, 2]  # phrase r,1
    assert compiled({"term": {"t": "open"}}, docs) == [3]  # a token, lowercased
    assert compiled({"term": {"t": "Open"}}, docs) == []  # term is not analyzed
    assert compiled(
        {"wildcard": {"t.keyword": {"value": "r-1*", "case_insensitive": True}}}, docs
    ) == [0, 1]
    assert compiled({"term": {"t": "R-1"}}, docs, strings="keyword") == [0]
    assert compiled({"wildcard": {"t": "*1-*"}}, docs, strings="keyword") == [1]


def test_query_string_subset() -> None:
    docs = [
        {"a": "x", "n": 1, "tags": ["p", "q"]},
        {"a": "y", "n": 2, "tags": ["q"]},
        {"a": "x y", "n": 3},
    ]

    def qs(text: str) -> list[int]:
        return compiled({"query_string": {"query": text}}, docs, strings="keyword")

    assert qs("a:x") == [0]
    assert qs('a:"x y"') == [2]
    assert qs("a:x OR n:2") == [0, 1]
    assert qs("tags:q AND NOT n:1") == [1]
    assert qs("a:(x OR y) AND -tags:p") == [1]
    assert qs("a:x*") == [0, 2]
    assert qs("y") == [1]  # any field
    for broken in ('a:"x', "(a:x", "a:x AND"):
        with pytest.raises(ElasticError) as info:
            qs(broken)
        assert info.value.type == "query_shard_exception"


def test_query_errors_carry_elasticsearch_types() -> None:
    docs = [{"n": 1, "when": "2025-01-01T00:00:00Z"}]
    cases = [
        ({"nope": {}}, "parsing_exception"),
        ({"term": {"n": "abc"}}, "query_shard_exception"),
        ({"wildcard": {"n": "1*"}}, "query_shard_exception"),
        ({"range": {"when": {"gte": "not a date"}}}, "parse_exception"),
        ({"term": {"a": 1, "b": 2}}, "parsing_exception"),
    ]
    for query, kind in cases:
        with pytest.raises(ElasticError) as info:
            compiled(query, docs)
        assert info.value.type == kind and info.value.status == 400
    assert compiled({"range": {"when": {"gte": "2024-12-31T23:59:59.999999999Z"}}}, docs) == [0]
    assert compiled({"bool": {"should": [{"term": {"n": 2}}, {"term": {"n": 1}}]}}, docs) == [0]


def test_mapping_conflicts() -> None:
    mapping = FieldMapping()
    mapping.learn({"n": 1, "o": {"k": "v"}}, mapping.check({"n": 1, "o": {"k": "v"}}, "1"))
    mapping.check({"n": "2"}, "2")  # numeric strings are coerced
    for source, why in (
        ({"n": "two"}, "failed to parse field [n] of type [long]"),
        ({"o": "flat"}, "tried to parse field [o] as object"),
        ({"_index": "x"}, "metadata field"),
    ):
        with pytest.raises(ElasticError) as info:
            mapping.check(source, "3")
        assert info.value.type == "document_parsing_exception" and why in info.value.reason
