"""Zendesk Support as ARIA's ticketing system: open a ticket for a risk, move it with the risk,
comment on it, and read its status back.

The SDK does the generic work (retries, ``Retry-After``, checkpoints, redaction). This module
adds what Zendesk needs beyond declarations:

* API token (Basic ``<email>/token``) or OAuth (Bearer) credentials (:mod:`.auth`);
* the plan's rate limit from the settings (200 to 2,500 requests a minute), plus the export's
  own 10 a minute (:mod:`.streams`);
* a connection probe that sees through Zendesk's anonymous answer: ``/api/v2/users/me.json``
  returns 200 with an anonymous end user for wrong credentials, and the export needs an admin;
* ``push``: ``ticket`` creates (idempotently, by external id ``aria-risk-<id>``) or moves a
  ticket; reopening a *closed* ticket, which Zendesk forbids, opens a follow-up instead;
  ``comment`` adds a private note.
"""

from __future__ import annotations

from typing import Any

from aria.integrations.zendesk.auth import ZendeskAuth
from aria.integrations.zendesk.config import PLAN_LIMITS, ZendeskConfig
from aria.integrations.zendesk.logo import LOGO_SVG
from aria.integrations.zendesk.normalize import (
    browser_url,
    priority_for_score,
    risk_tag,
    state_mapping,
)
from aria.integrations.zendesk.sandbox import DEMO, make_sandbox
from aria.integrations.zendesk.streams import QUERIES, QUERY_PARAMS, STREAMS
from aria.sdk import (
    AuthError,
    Config,
    ConfigError,
    FatalError,
    Integration,
    PushRequest,
    PushResult,
    QueryRequest,
    QueryResult,
    RateLimits,
    ticketing,
)
from aria.sdk.ratelimit import limiter_for

TICKETS = "/api/v2/tickets.json"


def ticket_path(ticket_id: str) -> str:
    """``/api/v2/tickets/{id}.json`` for a numeric ticket id (anything else is refused)."""
    if not ticket_id.isdigit():
        raise ConfigError(
            f"Zendesk ticket ids are numbers, not {ticket_id[:40]!r}",
            fields={"ticket": "external_id must be the Zendesk ticket id"},
        )
    return f"/api/v2/tickets/{ticket_id}.json"


class Zendesk(Integration):
    """Zendesk Support tickets for ARIA risks, two-way."""

    key = "zendesk"
    name = "Zendesk"
    vendor = "Zendesk"
    product = "Zendesk Support (Ticketing API)"
    category = "ticketing"
    description = (
        "Open a Zendesk ticket for every ARIA risk that needs an owner, and keep both sides in "
        "step: the ticket follows the risk (open, in progress, closed) and ARIA's comments "
        "land as private notes, while status changes your agents make in Zendesk flow back to "
        "the risk on the next sync, with the ticket's comments beside it."
    )
    features = [
        "Create tickets with subject, description, priority from the risk score, tags "
        "aria-risk and aria-risk-<id>, and external id aria-risk-<id>",
        "Idempotent creation: a retried push finds the ticket by external id instead of "
        "opening a second one",
        "Move tickets when the risk opens, reopens or closes (configurable status mapping); a "
        "closed ticket is reopened as a follow-up, as Zendesk requires",
        "Add ARIA comments to tickets as private notes",
        "Incremental sync of ARIA's tickets through the cursor-based incremental export, with "
        "their comments",
        "Ticket search (Export Search Results API, cursor paging) as an on-demand query",
        "API token or OAuth access token; rate limits of your plan and of the export API",
    ]
    what_you_get = [
        "Tickets (OCSF Incident Finding 2005 with the OCSF ticket object) with status, the "
        "risk status it means, the ARIA risk id, priority as severity, and comments",
        "Risk status updated from Zendesk: new/open -> open, pending/hold -> in progress, "
        "solved/closed -> closed (overridable)",
        "Browser links to each ticket in the agent workspace",
    ]
    documentation_url = "https://developer.zendesk.com/api-reference/ticketing/introduction/"
    support_url = "https://support.zendesk.com/hc/en-us"
    version = "1.0.0"
    pricing_model = "paid"
    status = "official"
    min_platform_version = "0.1.0"
    capabilities = ["sync", "push", "query"]
    data_types = ["tickets"]
    webhook_support = False
    # The Team plan's 200 requests a minute; an installation uses its configured plan's limit.
    rate_limits = RateLimits(per_minute=PLAN_LIMITS["team"], burst=50)
    installation_complexity = "easy"
    logo_svg = LOGO_SVG

    config = ZendeskConfig
    auth = ZendeskAuth()
    streams = STREAMS
    queries = QUERIES
    sandbox = staticmethod(make_sandbox)
    sandbox_config = DEMO

    _plan_limiter = False

    def initialize(self, config: dict[str, Any] | Config) -> None:
        """Validate, pace requests at the plan's limit, and build the state mapping."""
        values = ZendeskConfig.parse(config)  # type: ignore[arg-type]
        if self._limiter is None or self._plan_limiter:
            clock = {"clock": self._clock} if self._clock else {}
            sleep = {"sleep": self._sleep} if self._sleep else {}
            limits = RateLimits(per_minute=values.requests_per_minute, burst=50)
            self._limiter = limiter_for(limits, **clock, **sleep)
            self._plan_limiter = True
        super().initialize(values)
        self.mapping = state_mapping(values.state_mapping)

    @property
    def settings(self) -> ZendeskConfig:
        """The validated settings, typed."""
        if not isinstance(self.config, ZendeskConfig):
            raise ConfigError("integration is not initialized: pass a config first")
        return self.config

    async def probe(self) -> None:
        """``GET /api/v2/users/me.json``: a real user (not the anonymous one) who is an admin."""
        body = await self.http.request_json("GET", "/api/v2/users/me.json")
        user = body.get("user") if isinstance(body, dict) else None
        if not isinstance(user, dict):
            raise FatalError("malformed response from GET /api/v2/users/me.json: no user")
        if user.get("id") is None:
            raise AuthError(
                "Zendesk did not accept the credentials (it answered as an anonymous user): "
                "check the email, the API token (or OAuth token) and that token access is "
                "enabled in Admin Center > Apps and integrations > APIs",
                status_code=401,
            )
        role = user.get("role")
        if role != "admin":
            raise AuthError(
                f"the Zendesk user is an {role or 'unknown role'}, not an admin: the tickets "
                "sync reads the incremental export API, which Zendesk allows only for admins",
                status_code=403,
                details={"role": role},
            )

    async def query(self, request: QueryRequest) -> QueryResult:
        """``search`` takes ``query`` (Zendesk search syntax); ``tickets`` takes nothing."""
        allowed = QUERY_PARAMS.get(request.type)
        if allowed is not None:
            unknown = sorted(set(request.params) - allowed)
            if unknown:
                raise ConfigError(
                    f"{self.key}: unknown query parameters {unknown} for {request.type!r}; "
                    f"use {sorted(allowed) or 'none'}",
                    fields={name: "unknown query parameter" for name in unknown},
                )
        return await super().query(request)

    # --- push --------------------------------------------------------------------------------

    async def push(self, request: PushRequest) -> PushResult:
        """``ticket``: create or move the risk's ticket. ``comment``: add a private note."""
        if request.kind == "ticket":
            return await self._push_ticket(request.payload)
        if request.kind == "comment":
            return await self._push_comment(request.payload)
        raise FatalError(
            f"{self.key} does not support push kind {request.kind!r} (use 'ticket' or 'comment')"
        )

    async def _push_ticket(self, payload: dict[str, Any]) -> PushResult:
        action = str(payload.get("action") or "open")
        status = self.mapping.vendor_state(action)
        linked = payload.get("ticket")
        if isinstance(linked, dict):
            return await self._move(_ticket_id(linked), status, payload)
        if linked is not None:
            raise ConfigError("payload 'ticket' must be an object or null", fields={"ticket": ""})
        existing = await self._find(payload.get("risk_id"))
        if existing is not None:
            if existing.get("status") == status:
                return self._result(existing, "ticket already exists for this risk")
            return await self._move(str(existing["id"]), status, payload)
        if ticketing.ACTION_STATUS.get(action) == "closed":
            return PushResult(
                ok=True,
                message="the risk closed before a ticket was opened; nothing to do",
                details={"skipped": True},
            )
        return await self._create(payload, status)

    async def _find(self, risk_id: Any) -> dict[str, Any] | None:
        """The ticket ARIA already opened for this risk (external id ``aria-risk-<id>``)."""
        if risk_id in (None, ""):
            return None
        body = await self.http.request_json(
            "GET", TICKETS, params={"external_id": risk_tag(risk_id), "page[size]": 100}
        )
        tickets = body.get("tickets") if isinstance(body, dict) else None
        if not isinstance(tickets, list):
            raise FatalError("malformed response from GET /api/v2/tickets.json: no tickets")
        usable = [t for t in tickets if isinstance(t, dict) and t.get("status") != "closed"]
        return usable[-1] if usable else None

    def _ticket_body(self, payload: dict[str, Any], status: str) -> dict[str, Any]:
        settings = self.settings
        risk_id = payload.get("risk_id")
        ticket: dict[str, Any] = {
            "subject": ticketing.ticket_title(payload),
            "comment": {"body": ticketing.ticket_description(payload)},
            "priority": priority_for_score(payload.get("score")),
            "tags": [ticketing.ARIA_LABEL]
            + ([risk_tag(risk_id)] if risk_id not in (None, "") else []),
            "status": status,
        }
        if risk_id not in (None, ""):
            ticket["external_id"] = risk_tag(risk_id)
        if settings.ticket_type:
            ticket["type"] = settings.ticket_type
        if settings.group_id:
            ticket["group_id"] = settings.group_id
        return ticket

    async def _create(
        self, payload: dict[str, Any], status: str, followup_of: str | None = None
    ) -> PushResult:
        ticket = self._ticket_body(payload, status)
        if followup_of is not None:
            ticket["via_followup_source_id"] = int(followup_of)
        # Not idempotent: a timed-out POST may have created the ticket (the next push finds
        # it by external id instead of creating a duplicate).
        body = await self.http.request_json(
            "POST", TICKETS, json={"ticket": ticket}, idempotent=False
        )
        created = _ticket_of(body, "POST /api/v2/tickets.json")
        result = self._result(
            created,
            f"Zendesk ticket {created['id']} created"
            + (f" as a follow-up of closed ticket {followup_of}" if followup_of else ""),
        )
        if followup_of is not None:
            result.details["followup_of"] = followup_of
        return result

    async def _move(self, ticket_id: str, status: str, payload: dict[str, Any]) -> PushResult:
        """Set the ticket's status; a closed ticket cannot change, so reopening makes a
        follow-up ticket and closing is already done."""
        path = ticket_path(ticket_id)
        try:
            # Setting a status is idempotent, so a timed-out PUT may be retried.
            body = await self.http.request_json("PUT", path, json={"ticket": {"status": status}})
        except ConfigError as exc:
            if exc.status_code != 404:
                raise
            return PushResult(
                ok=False,
                external_id=ticket_id,
                message=f"Zendesk ticket {ticket_id} was not found (deleted?)",
                details={"status": None},
            )
        except FatalError as exc:
            if exc.status_code != 422:
                raise
            current = _ticket_of(await self.http.request_json("GET", path), f"GET {path}")
            if current.get("status") != "closed":
                raise
            if self.mapping.risk_status(status) == "closed":
                return self._result(current, f"Zendesk ticket {ticket_id} is already closed")
            return await self._create(payload, status, followup_of=ticket_id)
        return self._result(
            _ticket_of(body, f"PUT {path}"), f"Zendesk ticket {ticket_id}: {status}"
        )

    async def _push_comment(self, payload: dict[str, Any]) -> PushResult:
        linked = payload.get("ticket")
        text = payload.get("body")
        if not isinstance(linked, dict):
            raise ConfigError("a comment needs the ticket it belongs to", fields={"ticket": ""})
        if not isinstance(text, str) or not text.strip():
            raise ConfigError("a comment needs a non-empty body", fields={"body": "required"})
        ticket_id = _ticket_id(linked)
        path = ticket_path(ticket_id)
        update = {"ticket": {"comment": {"body": text, "public": False}}}
        try:
            # Not idempotent: a retried PUT after a timeout could post the note twice.
            body = await self.http.request_json("PUT", path, json=update, idempotent=False)
        except FatalError as exc:
            if exc.status_code != 422:
                raise
            return PushResult(
                ok=False,
                external_id=ticket_id,
                message=f"Zendesk refused the comment on ticket {ticket_id} (closed tickets "
                "take no comments)",
            )
        except ConfigError as exc:
            if exc.status_code != 404:
                raise
            return PushResult(
                ok=False, external_id=ticket_id, message=f"Zendesk ticket {ticket_id} not found"
            )
        ticket = _ticket_of(body, f"PUT {path}")
        events = (body.get("audit") or {}).get("events") or []
        comment_ids = [
            e.get("id") for e in events if isinstance(e, dict) and e.get("type") == "Comment"
        ]
        result = self._result(ticket, f"comment added to Zendesk ticket {ticket_id}")
        result.details["comment_id"] = str(comment_ids[0]) if comment_ids else None
        return result

    # --- what the conformance suite and `aria integration test` pick up --------------------

    @classmethod
    def corpus_samples(cls) -> list[Any]:
        """The real incremental export page in ../shared/corpus the tickets stream normalizes."""
        from aria.sdk.testing import CorpusSample  # test-time only: it needs pytest

        return [
            CorpusSample("tickets", "vendor-api/zendesk/mixed_ticket_events.json", "tickets"),
        ]

    def _result(self, ticket: dict[str, Any], message: str) -> PushResult:
        return PushResult(
            ok=True,
            external_id=str(ticket["id"]),
            message=self.redact(message),
            details={
                "url": browser_url(str(self.settings.base_url), ticket["id"]),
                "status": ticket.get("status"),
                "risk_status": self.mapping.risk_status(ticket.get("status")),
            },
        )


def _ticket_id(linked: dict[str, Any]) -> str:
    value = linked.get("external_id") or linked.get("key") or linked.get("uid")
    if value in (None, ""):
        raise ConfigError(
            "the linked ticket has no external_id (the Zendesk ticket id)",
            fields={"ticket": "external_id required"},
        )
    return str(value)


def _ticket_of(body: Any, where: str) -> dict[str, Any]:
    ticket = body.get("ticket") if isinstance(body, dict) else None
    if not isinstance(ticket, dict) or ticket.get("id") is None:
        raise FatalError(f"malformed response from {where}: no ticket")
    return ticket
