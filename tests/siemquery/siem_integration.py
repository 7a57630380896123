"""A tiny SIEM ("Acme SIEM") with its sandbox: forwarded events are kept and searchable with a
query language of ``field=value`` / ``field~value`` terms joined by ``AND``."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import Depends, FastAPI, HTTPException

from aria.sdk import (
    Config,
    FatalError,
    Integration,
    PushRequest,
    PushResult,
    QueryRequest,
    QueryResult,
    Secret,
    auth,
)
from aria.sdk.sandbox import Faults, Sandbox
from aria.sdk.siem import SEARCH, CommonQuery, SearchHit, event_document

TOKEN = "siem-demo-token-1"


class SiemConfig(Config):
    base_url: str = "https://siem.acme.example"
    api_token: Secret


def _matches(event: dict[str, Any], query: str) -> bool:
    for term in filter(None, (t.strip() for t in query.split(" AND "))):
        field, op, value = term.partition("~") if "~" in term else term.partition("=")
        actual = str(event.get(field.strip(), ""))
        if (op == "~" and value not in actual) or (op == "=" and actual != value):
            return False
    return True


def make_sandbox(seed: int = 7, size: int = 0, faults: Faults | None = None) -> FastAPI:
    sb = Sandbox(seed=seed, size=size, faults=faults)
    app = sb.install(FastAPI())
    numbers = itertools.count(1)
    app.state.events = [{"id": f"seed-{i}", "host": f"h{i}"} for i in range(size)]

    @app.post("/ingest", dependencies=[Depends(sb.bearer(TOKEN))])
    async def ingest(body: list[dict[str, Any]]) -> dict[str, int]:
        for event in body:
            app.state.events.append({"id": f"ev-{next(numbers)}", **event})
        return {"accepted": len(body)}

    @app.get("/search", dependencies=[Depends(sb.bearer(TOKEN))])
    async def search(q: str) -> dict[str, Any]:
        if "(" in q:
            raise HTTPException(400, "syntax error near '('")
        return {"hits": [e for e in app.state.events if _matches(e, q)]}

    return app


class AcmeSiem(Integration):
    key = "acme-siem"
    name = "Acme SIEM"
    vendor = "Acme"
    category = "siem"
    description = "Keeps events and searches them."
    version = "1.0.0"
    capabilities = ["push", "query"]
    data_types = ["events"]
    config = SiemConfig
    auth = auth.Bearer(field="api_token")
    test_path = "/search?q=id=none"
    sandbox_config = {"api_token": TOKEN}

    @staticmethod
    def sandbox(seed: int = 7, size: int = 0, faults: Faults | None = None) -> FastAPI:
        return make_sandbox(seed=seed, size=size, faults=faults)

    def translate(self, query: CommonQuery) -> str:
        return " AND ".join(
            f"{f.field}{'=' if f.op == 'eq' else '~'}{f.value}" for f in query.filters
        )

    async def push(self, request: PushRequest) -> PushResult:
        if request.kind != "event":
            raise FatalError(f"acme-siem takes events, not {request.kind!r}")
        answer = await self.http.request_json(
            "POST", "/ingest", json=[event_document(request.payload)], idempotent=False
        )
        return PushResult(ok=True, details={"accepted": answer["accepted"]})

    async def query(self, request: QueryRequest) -> QueryResult:
        if request.type != SEARCH:
            return await super().query(request)
        if "common" in request.params:
            text = self.translate(CommonQuery.model_validate(request.params["common"]))
        else:
            text = str(request.params["query"])
        found = await self.http.request_json("GET", "/search", params={"q": text})
        hits = [SearchHit(message=h.get("title"), fields=h) for h in found["hits"]]
        return QueryResult(
            type=SEARCH,
            records=hits[: request.limit],
            raw=found["hits"][: request.limit],
            truncated=len(hits) > request.limit,
        )
