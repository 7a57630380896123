"""A tiny ticketing integration ("Acme Tickets") with its sandbox, to test push-outs and ticket
state flowing back through its ``tickets`` stream."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import Depends, FastAPI, HTTPException

from aria.sdk import Config, Integration, PushRequest, PushResult, Secret, Stream, Ticket, auth
from aria.sdk.sandbox import Faults, Sandbox
from aria.sdk.ticketing import StateMapping

TOKEN = "tickets-demo-token-1"


class TicketsConfig(Config):
    base_url: str = "https://tickets.acme.example"
    api_token: Secret
    state_mapping: dict[str, str] = {"open": "open", "in_progress": "working", "closed": "resolved"}


def states(config: Any) -> StateMapping:
    return StateMapping(config.state_mapping, {"done": "closed", "wontfix": "closed"})


def make_sandbox(seed: int = 7, size: int = 0, faults: Faults | None = None) -> FastAPI:
    sb = Sandbox(seed=seed, size=size, faults=faults)
    app = sb.install(FastAPI())
    numbers = itertools.count(1001)
    app.state.tickets = {}

    @app.post("/api/tickets", dependencies=[Depends(sb.bearer(TOKEN))], status_code=201)
    async def create(body: dict[str, Any]) -> dict[str, Any]:
        number = f"TCK-{next(numbers)}"
        app.state.tickets[number] = {"id": number, "status": "open", **body}
        return {"id": number, "url": f"https://tickets.acme.example/{number}", "status": "open"}

    @app.get("/api/tickets", dependencies=[Depends(sb.bearer(TOKEN))])
    async def listing() -> dict[str, Any]:
        return {"tickets": list(app.state.tickets.values())}

    @app.get("/api/me", dependencies=[Depends(sb.bearer(TOKEN))])
    async def me() -> dict[str, str]:
        return {"user": "demo"}

    @app.patch("/api/tickets/{number}", dependencies=[Depends(sb.bearer(TOKEN))])
    async def change(number: str, body: dict[str, Any]) -> dict[str, Any]:
        if number not in app.state.tickets:
            raise HTTPException(404)
        app.state.tickets[number].update(body)
        return app.state.tickets[number]

    return app


class Tickets(Stream):
    name = "tickets"
    path = "/api/tickets"
    records = "tickets"
    full_refresh_only = True

    def normalize(self, record: dict[str, Any]) -> Ticket:
        return Ticket(
            uid=record["id"],
            key=record["id"],
            title=record.get("title"),
            state=record["status"],
            risk_status=states(self.config).risk_status(record["status"]),
            comments=[{"body": c} for c in record.get("comments", [])],
        )


class AcmeTickets(Integration):
    key = "acme-tickets"
    name = "Acme Tickets"
    vendor = "Acme"
    category = "ticketing"
    description = "Opens and closes tickets for ARIA risks."
    version = "1.0.0"
    capabilities = ["push", "sync"]
    streams = (Tickets,)
    data_types = ["tickets"]
    config = TicketsConfig
    auth = auth.Bearer(field="api_token")
    test_path = None
    sandbox_config = {"api_token": TOKEN}

    @staticmethod
    def sandbox(seed: int = 7, size: int = 0, faults: Faults | None = None) -> FastAPI:
        return make_sandbox(seed=seed, size=size, faults=faults)

    async def probe(self) -> None:
        """Nothing to list: a ticket system is reachable when an authenticated call works."""
        await self.http.request_json("GET", "/api/me")

    async def push(self, request: PushRequest) -> PushResult:
        payload = request.payload
        ticket = payload.get("ticket")
        status = states(self.config).vendor_state(payload["action"])
        if ticket is None:
            created = await self.http.request_json(
                "POST",
                "/api/tickets",
                json={
                    "title": payload["title"],
                    "priority": payload["score"],
                    "status": status,
                    "link": payload["link"],
                },
                idempotent=False,
            )
            return PushResult(
                ok=True,
                external_id=created["id"],
                details={"url": created["url"], "status": status},
            )
        await self.http.request_json(
            "PATCH", f"/api/tickets/{ticket['external_id']}", json={"status": status}
        )
        return PushResult(
            ok=True,
            external_id=ticket["external_id"],
            details={"url": ticket["url"], "status": status},
        )
