"""ARIA's common query -> Elasticsearch Query DSL, and the native query forms ARIA accepts.

A common query is field filters joined with AND plus a time range. It becomes a ``bool``
query in filter context (no scoring)::

    {"bool": {"filter": [
        {"term": {"risk_id": "42"}},                                   # eq
        {"wildcard": {"title": {"value": "*lsass*", "case_insensitive": true}}},  # contains
        {"range": {"@timestamp": {"gte": "...", "lte": "..."}}}]}}

Which field a filter targets depends on its mapping, which :func:`field_kinds` reads from the
field capabilities API: ``keyword`` (ECS and alert fields) is matched whole with ``term``;
``text`` that has the ``.keyword`` sub-field of a default dynamic mapping (how ARIA's events
index maps its strings) is matched on that sub-field; plain ``text`` uses ``match_phrase``;
numbers, dates and booleans use ``term`` (``contains`` degrades to equality, since
``wildcard`` only runs on strings). Without mapping information fields are taken as
``keyword``. Values never leave their JSON string, and wildcard metacharacters in a
``contains`` value are escaped, so a value can only ever be matched literally.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from aria.sdk.siem import CommonQuery, FieldFilter

Kind = Literal["keyword", "text+keyword", "text", "exact"]
TIME_FIELD = "@timestamp"
STRING_TYPES = {"keyword", "constant_keyword", "wildcard", "version"}
TEXT_TYPES = {"text", "match_only_text"}


def escape_wildcard(value: str) -> str:
    """A literal for a wildcard pattern: ``\\``, ``*`` and ``?`` escaped."""
    return value.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def kind_from_caps(caps: Mapping[str, Any], field: str) -> Kind | None:
    """How to match ``field``, from a ``_field_caps`` response's ``fields``."""
    types = set((caps.get(field) or {}).keys()) - {"unmapped"}
    if not types:
        return None
    if types & TEXT_TYPES:
        sub = set((caps.get(f"{field}.keyword") or {}).keys())
        return "text+keyword" if sub & STRING_TYPES else "text"
    if types <= STRING_TYPES:
        return "keyword"
    return "exact"


def field_kinds(caps: Mapping[str, Any], fields: list[str]) -> dict[str, Kind]:
    """Kinds of the fields the field capabilities API knows (others stay unknown)."""
    out: dict[str, Kind] = {}
    for name in fields:
        kind = kind_from_caps(caps, name)
        if kind is not None:
            out[name] = kind
    return out


def filter_clause(flt: FieldFilter, kind: Kind | None) -> dict[str, Any]:
    """One common-query filter as a query clause for a field of ``kind``."""
    field, value = flt.field, flt.value
    if kind == "text+keyword":
        field = f"{field}.keyword"
    if kind == "text":
        return {"match_phrase": {field: value}}
    if flt.op == "eq" or kind == "exact":
        return {"term": {field: value}}
    pattern = f"*{escape_wildcard(value)}*"
    return {"wildcard": {field: {"value": pattern, "case_insensitive": True}}}


def common_dsl(query: CommonQuery, kinds: Mapping[str, Kind] | None = None) -> dict[str, Any]:
    """A common query as Query DSL (a ``bool`` filter, or ``match_all``)."""
    kinds = kinds or {}
    clauses = [filter_clause(f, kinds.get(f.field)) for f in query.filters]
    bounds = {}
    if query.start is not None:
        bounds["gte"] = query.start.isoformat()
    if query.end is not None:
        bounds["lte"] = query.end.isoformat()
    if bounds:
        clauses.append({"range": {TIME_FIELD: bounds}})
    return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


def translate(query: CommonQuery, kinds: Mapping[str, Kind] | None = None) -> str:
    """The Query DSL of a common query as a JSON string (what ``query`` accepts back)."""
    return json.dumps(common_dsl(query, kinds), separators=(",", ":"))


def native_dsl(native: Any) -> dict[str, Any]:
    """A native query as Query DSL: a DSL object (or a search body holding ``query``), a
    JSON string of one, or a Lucene query string for ``query_string``."""
    if isinstance(native, str):
        stripped = native.strip()
        if stripped.startswith("{"):
            try:
                decoded = json.loads(stripped)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict):
                return native_dsl(decoded)
        if not stripped:
            raise ValueError("the query is empty")
        return {"query_string": {"query": stripped}}
    if isinstance(native, Mapping):
        inner = native.get("query")
        if isinstance(inner, Mapping):
            return dict(inner)
        if len(native) != 1:
            raise ValueError(
                "a Query DSL object has exactly one query type at its top level "
                f"(bool, term, match, query_string, ...), got {sorted(native)[:5]}"
            )
        return dict(native)
    raise ValueError(f"a query is Query DSL (an object) or a Lucene string, not {type(native)}")


def with_time(dsl: dict[str, Any], start: datetime | None, end: datetime | None) -> dict[str, Any]:
    """``dsl`` restricted to ``@timestamp`` between ``start`` and ``end`` (when given), in
    the ISO 8601 form :func:`common_dsl` writes."""
    bounds = {k: v.isoformat() for k, v in (("gte", start), ("lte", end)) if v is not None}
    if not bounds:
        return dsl
    return {"bool": {"filter": [dsl, {"range": {TIME_FIELD: bounds}}]}}
