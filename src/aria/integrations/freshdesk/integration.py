"""Freshdesk: a ticket for every ARIA risk, its status and notes flowing back.

Everything generic (retries, ``Retry-After``, checkpoints, rate limiting) comes from the SDK.
This module declares Freshdesk and adds what the SDK has no declaration for:

* the API key as HTTP Basic user name (:mod:`.auth`);
* the rate limit of the installation's plan (Freshdesk's limits are per account and plan);
* ``push``: ``kind="ticket"`` creates a ticket (``POST /api/v2/tickets``) tagged
  ``aria-risk`` and ``aria-risk-<id>``, or sets the mapped status (``PUT
  /api/v2/tickets/{id}``) with a private note saying why; ``kind="comment"`` adds a private
  note (``POST /api/v2/tickets/{id}/notes``);
* Freshdesk's error text (``{"description", "errors": [{"field", "message", "code"}]}`` or
  ``{"code", "message"}``) in push failures.

Webhooks: Freshdesk sends them from automation rules ("Trigger webhook") without any
signature (only custom headers or basic auth), so a delivery cannot be verified against a
tampered body; ARIA polls the tickets stream instead.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from aria.integrations.freshdesk.auth import FreshdeskApiKey
from aria.integrations.freshdesk.config import PLAN_LIMITS, STATUS_NAMES, FreshdeskConfig
from aria.integrations.freshdesk.logo import LOGO_SVG
from aria.integrations.freshdesk.normalize import (
    ARIA_MARK,
    html_body,
    priority_for,
    ticket_url,
)
from aria.integrations.freshdesk.sandbox import DEMO, make_sandbox
from aria.integrations.freshdesk.sandbox_data import counts_for
from aria.integrations.freshdesk.streams import STREAMS, TICKETS_PATH
from aria.sdk import (
    AuthError,
    ConfigError,
    FatalError,
    Integration,
    IntegrationError,
    PushRequest,
    PushResult,
    RateLimits,
    ticketing,
)

TICKET_ID = re.compile(r"^\d{1,18}$")
SOURCE_PORTAL = 2  # what Freshdesk assumes for API-created tickets; sent explicitly
SUBJECT_MAX = 255
VERBS = {"open": "opened", "reopen": "reopened", "close": "closed"}


def vendor_message(response: httpx.Response) -> str | None:
    """Freshdesk's own words from an error body."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    parts = []
    if body.get("description") or body.get("message"):
        parts.append(str(body.get("description") or body.get("message")))
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            parts.append(f"{error.get('field')}: {error.get('message')} ({error.get('code')})")
    return "; ".join(parts)[:300] or None


class Freshdesk(Integration):
    """Freshdesk (Freshworks) helpdesk tickets through the API v2."""

    key = "freshdesk"
    name = "Freshdesk"
    vendor = "Freshworks"
    product = "Freshdesk"
    category = "ticketing"
    description = (
        "Open a Freshdesk ticket for every ARIA risk and keep both sides in step. New risks "
        "become tickets for your security group, with a priority from the risk score and "
        "tags that tie them back to the risk; closing the risk resolves the ticket, reopening "
        "it reopens the ticket, and ARIA's remarks land as private notes. Tickets your agents "
        "set to pending, resolve or close in Freshdesk move the risk on the next sync, with "
        "their notes and replies."
    )
    features = [
        "Create tickets (API v2) for new risks: subject, HTML description, priority from the "
        "risk score, requester, group, tags aria-risk and aria-risk-<id>",
        "Resolve the ticket when the risk closes and reopen it when the risk reopens, with a "
        "private note that says why",
        "Private notes from ARIA on the ticket",
        "Incremental sync on updated_at (list API, Link header paging) of the tickets ARIA "
        "opened, with their notes and replies",
        "Configurable mapping between risk statuses and ticket statuses (custom statuses too)",
        "Stays under your plan's API limit and honours 429 Retry-After",
    ]
    what_you_get = [
        "Tickets (OCSF 2005 with the OCSF ticket object) for every ticket ARIA opened, with "
        "status, priority, link and conversations",
        "Risk status updates from ticket statuses (Open -> open; Pending -> in progress; "
        "Resolved, Closed -> closed)",
        "A link from each risk to its ticket in Freshdesk",
    ]
    documentation_url = "https://developers.freshdesk.com/api/"
    support_url = "https://support.freshdesk.com/"
    version = "1.0.0"
    pricing_model = "freemium"
    status = "official"
    min_platform_version = "0.1.0"
    capabilities = ["sync", "push", "query"]
    data_types = ["tickets"]
    webhook_support = False  # automation webhooks are unsigned; see the module docstring
    rate_limits = PLAN_LIMITS["growth"]  # per installation: the configured plan's limit
    installation_complexity = "easy"
    logo_svg = LOGO_SVG

    config = FreshdeskConfig
    auth = FreshdeskApiKey()
    streams = STREAMS
    sandbox = staticmethod(make_sandbox)
    sandbox_config = DEMO

    _vendor_error: str | None = None

    def initialize(self, config: dict[str, Any] | FreshdeskConfig) -> None:  # type: ignore[override]
        """Rate-limit to the configured plan, and remember Freshdesk's error text."""
        values = FreshdeskConfig.parse(config)
        self.rate_limits: RateLimits = PLAN_LIMITS[values.plan]  # type: ignore[misc]
        super().initialize(values)
        self.http.client.event_hooks["response"].append(self._note_error)

    async def _note_error(self, response: httpx.Response) -> None:
        if not response.is_success:
            self._vendor_error = vendor_message(response)

    @property
    def settings(self) -> FreshdeskConfig:
        """The validated settings, typed."""
        if not isinstance(self.config, FreshdeskConfig):
            raise ConfigError("integration is not initialized: pass a config first")
        return self.config

    @property
    def mapping(self) -> ticketing.StateMapping:
        """Risk status <-> ticket status for this installation."""
        return self.settings.state_map()

    # --- connection --------------------------------------------------------------------------

    async def probe(self) -> None:
        """``GET /api/v2/agents/me``: the key is valid and belongs to an agent (not a
        ticket list call, which has a tight per-minute cap of its own)."""
        try:
            await self.http.request("GET", "/api/v2/agents/me")
        except AuthError as exc:
            if exc.status_code != 403:
                raise
            raise AuthError(
                "the API key's user is not an agent who may use the API (Freshdesk answered "
                "403 access_denied)",
                status_code=403,
            ) from None

    # --- push --------------------------------------------------------------------------------

    async def push(self, request: PushRequest) -> PushResult:
        """``ticket``: open or move the risk's ticket; ``comment``: add a private note."""
        if request.kind == "ticket":
            return await self._push_ticket(request.payload)
        if request.kind == "comment":
            return await self._push_comment(request.payload)
        raise FatalError(
            f"{self.key} does not support push kind {request.kind!r} (use 'ticket' or 'comment')"
        )

    async def _push_ticket(self, payload: dict[str, Any]) -> PushResult:
        action = str(payload.get("action") or "open")
        if action not in ticketing.ACTION_STATUS:
            raise FatalError(f"unknown ticket action {action!r}: use open, reopen or close")
        ticket = payload.get("ticket") or {}
        key = ticket.get("external_id") if isinstance(ticket, dict) else None
        record = await self._view(str(key)) if key else None
        if record is None and payload.get("risk_id") is not None:
            # No linked ticket (or it was deleted): reuse an open one tagged for this risk,
            # which a create whose answer was lost may have left behind.
            record = await self._open_for(payload["risk_id"])
        if record is None:
            if ticketing.ACTION_STATUS[action] == "closed":
                return PushResult(
                    ok=True,
                    external_id=str(key) if key else None,
                    message="no open Freshdesk ticket for this risk; nothing to close",
                    details={"skipped": True},
                )
            return self._result(await self._create(payload), "ticket created")
        return await self._move(record, action, payload)

    async def _move(
        self, record: dict[str, Any], action: str, payload: dict[str, Any]
    ) -> PushResult:
        wanted = ticketing.ACTION_STATUS[action]
        status = str(record.get("status"))
        now = self.mapping.risk_status(status)
        if (wanted == "closed" and now == "closed") or (wanted == "open" and now != "closed"):
            return self._result(record, f"already {STATUS_NAMES.get(status, status)}")
        target = int(self.mapping.vendor_state(action))
        path = f"{TICKETS_PATH}/{record['id']}"
        updated = await self._call("PUT", path, json={"status": target})
        if not isinstance(updated, dict) or "id" not in updated:
            raise FatalError(f"malformed response from PUT {path}: no ticket")
        note = f"{ARIA_MARK} Risk {payload.get('risk_id')} {VERBS[action]} in ARIA"
        if payload.get("status_reason"):
            note += f": {payload['status_reason']}"
        await self._call("POST", f"{path}/notes", json={"body": html_body(note), "private": True})
        return self._result(updated, f"ticket {VERBS[action]}")

    async def _create(self, payload: dict[str, Any]) -> dict[str, Any]:
        settings = self.settings
        risk = payload.get("risk_id")
        body: dict[str, Any] = {
            "subject": ticketing.ticket_title(payload)[:SUBJECT_MAX],
            "description": html_body(ticketing.ticket_description(payload)),
            "email": settings.requester_email,
            "priority": priority_for(payload.get("score")),
            "status": int(self.mapping.vendor_state("open")),
            "source": SOURCE_PORTAL,
            "tags": [ticketing.ARIA_LABEL, f"{ticketing.ARIA_LABEL}-{risk}"],
        }
        if settings.group_id is not None:
            body["group_id"] = settings.group_id
        # Not idempotent: a timed-out create is not resent (the next push finds the ticket by
        # its risk tag instead of opening a duplicate).
        created = await self._call("POST", TICKETS_PATH, json=body, idempotent=False)
        if not isinstance(created, dict) or "id" not in created:
            raise FatalError(f"malformed response from POST {TICKETS_PATH}: no ticket id")
        return created

    async def _push_comment(self, payload: dict[str, Any]) -> PushResult:
        ticket = payload.get("ticket") or {}
        key = str(ticket.get("external_id") or "") if isinstance(ticket, dict) else ""
        body = str(payload.get("body") or "").strip()
        if not key or not body:
            raise FatalError("a comment push needs ticket.external_id and a non-empty body")
        if not TICKET_ID.match(key):
            raise FatalError(f"{key[:50]!r} is not a Freshdesk ticket id")
        text = body if body.startswith(ARIA_MARK) else f"{ARIA_MARK} {body}"
        try:
            note = await self._call(
                "POST",
                f"{TICKETS_PATH}/{key}/notes",
                json={"body": html_body(text), "private": True},
            )
        except ConfigError as exc:
            if exc.status_code == 404:
                raise FatalError(f"Freshdesk ticket {key} was not found") from None
            raise
        return PushResult(
            ok=True,
            external_id=key,
            message=f"#{key}: private note added",
            details={
                "url": ticket_url(str(self.settings.base_url), key),
                "note_id": note.get("id") if isinstance(note, dict) else None,
            },
        )

    # --- helpers -----------------------------------------------------------------------------

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """A request whose failure quotes Freshdesk's error text."""
        self._vendor_error = None
        try:
            return await self.http.request_json(method, path, **kwargs)
        except IntegrationError as exc:
            if self._vendor_error:
                exc.message = self.redact(f"{exc.message} (Freshdesk: {self._vendor_error})")
            raise

    async def _view(self, key: str) -> dict[str, Any] | None:
        """A ticket by id, or None when it does not exist."""
        if not TICKET_ID.match(key):
            raise FatalError(f"{key[:50]!r} is not a Freshdesk ticket id")
        try:
            found = await self._call("GET", f"{TICKETS_PATH}/{key}")
        except ConfigError as exc:
            if exc.status_code == 404:
                return None
            raise
        return found if isinstance(found, dict) else None

    async def _open_for(self, risk_id: Any) -> dict[str, Any] | None:
        """The newest ticket tagged for this risk that is not closed (search API; its index
        trails writes by a little, so this guards against retries, not races)."""
        if not str(risk_id).isdigit():
            return None
        query = f"\"tag:'{ticketing.ARIA_LABEL}-{risk_id}'\""
        found = await self._call("GET", "/api/v2/search/tickets", params={"query": query})
        results = found.get("results") if isinstance(found, dict) else None
        if not isinstance(results, list):
            raise FatalError("malformed response from GET /api/v2/search/tickets: no results")
        for row in results:
            if isinstance(row, dict) and self.mapping.risk_status(row.get("status")) != "closed":
                return row
        return None

    def _result(self, record: dict[str, Any], message: str) -> PushResult:
        ticket_id = str(record.get("id"))
        status = str(record.get("status"))
        return PushResult(
            ok=True,
            external_id=ticket_id,
            message=f"#{ticket_id}: {message}",
            details={
                "url": ticket_url(str(self.settings.base_url), ticket_id),
                "status": status,
                "status_name": STATUS_NAMES.get(status),
            },
        )

    # --- what the conformance suite and `aria integration test` pick up --------------------

    @classmethod
    def sandbox_counts(cls, size: int) -> dict[str, int]:
        """Tickets the list API serves in a sandbox of ``size`` (the stream reads them all
        and keeps ARIA's ``size``)."""
        return counts_for(size)
