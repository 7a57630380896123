"""ServiceNow ITSM: an incident for every ARIA risk, its state and work notes flowing back.

Everything generic (retries, ``Retry-After``, checkpoints, rate limiting) comes from the SDK.
This module declares ServiceNow and adds what the SDK has no declaration for:

* sign-in by HTTP Basic or OAuth password grant, per installation (:mod:`.auth`);
* a connection probe that names the missing role or ACL (incident read, journal read);
* ``push``: ``kind="ticket"`` creates an incident (``POST /api/now/table/incident``) or moves
  it to the mapped state (``PATCH /api/now/table/incident/{sys_id}``; resolution code and
  notes when resolving), ``kind="comment"`` adds a work note (``PATCH`` of ``work_notes``);
* ServiceNow's error text (``{"error": {"message", "detail"}}``) in push failures.

The ticket key ARIA stores is the incident number (``INC0010001``); the tickets stream's
records carry it as ``key`` and the ``sys_id`` as ``uid``. Pushes accept either.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from aria.integrations.servicenow.auth import ServiceNowAuth
from aria.integrations.servicenow.config import (
    RESOLVED_STATES,
    STATE_NAMES,
    ServiceNowConfig,
)
from aria.integrations.servicenow.logo import LOGO_SVG
from aria.integrations.servicenow.normalize import (
    ARIA_MARK,
    CORRELATION_PREFIX,
    record_url,
    score_level,
    text,
    urgency,
)
from aria.integrations.servicenow.sandbox import DEMO, make_sandbox
from aria.integrations.servicenow.sandbox_data import counts_for
from aria.integrations.servicenow.streams import FIELDS, INCIDENT_PATH, JOURNAL_PATH, STREAMS
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

SYS_ID = re.compile(r"^[0-9a-f]{32}$")
TICKET_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
READ_ONLY_STATES = frozenset({"7", "8"})  # Closed, Canceled: only admins may change them
SHORT_DESCRIPTION_MAX = 160
RECORD_PARAMS = {
    "sysparm_fields": FIELDS,
    "sysparm_display_value": "false",
    "sysparm_exclude_reference_link": "true",
}
VERBS = {"open": "opened", "reopen": "reopened", "close": "closed"}


def vendor_message(response: httpx.Response) -> str | None:
    """ServiceNow's own words from an error body: ``error.message: error.detail``."""
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    parts = [str(error.get(k)).strip() for k in ("message", "detail") if error.get(k)]
    return ": ".join(p for p in parts if p)[:300] or None


class ServiceNow(Integration):
    """ServiceNow IT Service Management: Incident Management through the Table API."""

    key = "servicenow"
    name = "ServiceNow"
    vendor = "ServiceNow"
    product = "ServiceNow IT Service Management (Incident Management)"
    category = "ticketing"
    description = (
        "Open a ServiceNow incident for every ARIA risk and keep both sides in step. New risks "
        "become incidents with urgency and impact from the risk's likelihood and impact, a "
        "correlation id that points back to the risk, and the assignment group you choose; "
        "closing the risk resolves the incident with your resolution code, reopening it "
        "reopens the incident. Incidents your team resolves, puts on hold or cancels in "
        "ServiceNow move the risk on the next sync, with their work notes and comments."
    )
    features = [
        "Create incidents (Table API) for new risks: short description, description, urgency "
        "and impact from the risk, correlation_id aria-risk-<id>, assignment group and caller",
        "Resolve incidents with a resolution code and notes when the risk closes; reopen them "
        "when it reopens (a Closed incident, which is read-only, is followed by a new one)",
        "Work notes (or customer-visible comments) from ARIA on the incident",
        "Incremental sync of ARIA's incidents on sys_updated_on, with their work notes and "
        "additional comments from the journal",
        "Configurable mapping between risk statuses and incident states, both ways",
        "HTTP Basic or OAuth 2.0 (password grant at /oauth_token.do) sign-in",
        "Honours the instance's REST API rate limit rules (429 with Retry-After)",
    ]
    what_you_get = [
        "Tickets (OCSF 2005 with the OCSF ticket object) for every incident ARIA opened, with "
        "state, priority, link and comments",
        "Risk status updates from incident states (New -> open; In Progress, On Hold -> in "
        "progress; Resolved, Closed, Canceled -> closed)",
        "A link from each risk to its incident in ServiceNow",
    ]
    documentation_url = (
        "https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_TableAPI"
    )
    support_url = "https://support.servicenow.com/"
    version = "1.0.0"
    pricing_model = "enterprise"
    status = "official"
    min_platform_version = "0.1.0"
    capabilities = ["sync", "push", "query"]
    data_types = ["tickets"]
    webhook_support = False  # outbound REST from ServiceNow is per-instance scripting, unsigned
    # ServiceNow publishes no fixed limit: admins set REST rate limit rules per user or role
    # per hour. Stay well under a typical integration-user rule (3000 an hour, bursts of 20 at
    # up to 5 a second); the rule's 429 + Retry-After is honoured anyway.
    rate_limits = RateLimits(per_minute=300, per_hour=3000, burst=20)
    installation_complexity = "moderate"
    logo_svg = LOGO_SVG

    config = ServiceNowConfig
    auth = ServiceNowAuth()
    streams = STREAMS
    sandbox = staticmethod(make_sandbox)
    sandbox_config = DEMO

    _vendor_error: str | None = None

    def initialize(self, config: dict[str, Any] | ServiceNowConfig) -> None:  # type: ignore[override]
        """Also remember ServiceNow's error text, so push failures can quote it."""
        super().initialize(config)
        self.http.client.event_hooks["response"].append(self._note_error)

    async def _note_error(self, response: httpx.Response) -> None:
        if not response.is_success:
            self._vendor_error = vendor_message(response)

    @property
    def settings(self) -> ServiceNowConfig:
        """The validated settings, typed."""
        if not isinstance(self.config, ServiceNowConfig):
            raise ConfigError("integration is not initialized: pass a config first")
        return self.config

    @property
    def mapping(self) -> ticketing.StateMapping:
        """Risk status <-> incident state for this installation."""
        return self.settings.state_map()

    # --- connection --------------------------------------------------------------------------

    async def probe(self) -> None:
        """Read one incident, and one journal row when comments are synced, naming what the
        integration user lacks."""
        try:
            await self.http.request(
                "GET", INCIDENT_PATH, params={"sysparm_limit": 1, "sysparm_fields": "sys_id"}
            )
        except AuthError as exc:
            if exc.status_code != 403:
                raise
            raise AuthError(
                "the integration user may not read incidents: give it the itil role "
                "(User Administration > Users > Roles)",
                status_code=403,
                details={"missing": "incident read (itil)"},
            ) from None
        if not self.settings.include_comments:
            return
        try:
            await self.http.request(
                "GET", JOURNAL_PATH, params={"sysparm_limit": 1, "sysparm_fields": "sys_id"}
            )
        except AuthError as exc:
            if exc.status_code != 403:
                raise
            raise AuthError(
                "the integration user may not read work notes (table sys_journal_field is "
                "admin-only out of the box): add a read ACL on sys_journal_field for its role "
                "(System Security > Access Control), or turn off include_comments",
                status_code=403,
                details={"missing": "sys_journal_field read"},
            ) from None

    # --- push --------------------------------------------------------------------------------

    async def push(self, request: PushRequest) -> PushResult:
        """``ticket``: open or move the risk's incident; ``comment``: add a work note."""
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
        record = await self._lookup(str(key)) if key else None
        if record is None and payload.get("risk_id") is not None:
            # No linked incident (or it was deleted): reuse an active one for this risk, which
            # a create whose answer was lost may have left behind.
            record = await self._active_for(payload["risk_id"])
        if record is None:
            if ticketing.ACTION_STATUS[action] == "closed":
                return PushResult(
                    ok=True,
                    external_id=str(key) if key else None,
                    message="no open ServiceNow incident for this risk; nothing to close",
                    details={"skipped": True},
                )
            return self._result(await self._create(payload), "incident created")
        return await self._move(record, action, payload)

    async def _move(
        self, record: dict[str, Any], action: str, payload: dict[str, Any]
    ) -> PushResult:
        wanted = ticketing.ACTION_STATUS[action]
        state = text(record, "state")
        now = self.mapping.risk_status(state)
        if (wanted == "closed" and now == "closed") or (wanted == "open" and now != "closed"):
            return self._result(record, f"already {STATE_NAMES.get(state or '', state)}")
        if wanted == "open" and state in READ_ONLY_STATES:
            follow_up = await self._create(payload, follows=text(record, "number"))
            return self._result(
                follow_up,
                f"{text(record, 'number')} is {STATE_NAMES[state or '']} (read-only); "
                f"opened {text(follow_up, 'number')}",
            )
        target = self.mapping.vendor_state(action)
        body: dict[str, Any] = {"state": target}
        note = _note(payload, action)
        if target in RESOLVED_STATES:
            body.update(close_code=self.settings.close_code, close_notes=note)
        else:
            body["work_notes"] = note
        updated = await self._table("PATCH", f"{INCIDENT_PATH}/{text(record, 'sys_id')}", body)
        return self._result(updated, f"incident {VERBS[action]}")

    async def _create(self, payload: dict[str, Any], follows: str | None = None) -> dict[str, Any]:
        settings = self.settings
        risk = payload.get("risk_id")
        likelihood, impact = payload.get("likelihood"), payload.get("impact")
        fallback = score_level(payload.get("score"))
        note = f"{ARIA_MARK} Opened by ARIA for risk {risk} (score {payload.get('score')})."
        if follows:
            note += f" Follows {follows}, which is closed."
        if payload.get("link"):
            note += f" {payload['link']}"
        body: dict[str, Any] = {
            "short_description": ticketing.ticket_title(payload)[:SHORT_DESCRIPTION_MAX],
            "description": ticketing.ticket_description(payload),
            "urgency": urgency(likelihood) if likelihood is not None else fallback,
            "impact": urgency(impact) if impact is not None else fallback,
            "state": self.mapping.vendor_state("open"),
            "correlation_id": f"{CORRELATION_PREFIX}{risk}",
            "correlation_display": "ARIA",
            "work_notes": note,
        }
        if settings.assignment_group:
            body["assignment_group"] = settings.assignment_group
        if settings.caller_id:
            body["caller_id"] = settings.caller_id
        # Not idempotent: a timed-out create is not resent (the next push finds it by
        # correlation id instead of opening a duplicate).
        return await self._table("POST", INCIDENT_PATH, body, idempotent=False)

    async def _push_comment(self, payload: dict[str, Any]) -> PushResult:
        ticket = payload.get("ticket") or {}
        key = ticket.get("external_id") if isinstance(ticket, dict) else None
        body = str(payload.get("body") or "").strip()
        if not key or not body:
            raise FatalError("a comment push needs ticket.external_id and a non-empty body")
        record = await self._lookup(str(key))
        if record is None:
            raise FatalError(f"ServiceNow incident {key} was not found")
        field = self.settings.comment_field
        note = body if body.startswith(ARIA_MARK) else f"{ARIA_MARK} {body}"
        updated = await self._table(
            "PATCH", f"{INCIDENT_PATH}/{text(record, 'sys_id')}", {field: note}
        )
        result = self._result(updated, f"{field.replace('_', ' ')} added")
        result.details["field"] = field
        return result

    # --- helpers -----------------------------------------------------------------------------

    async def _table(
        self, method: str, path: str, body: dict[str, Any], *, idempotent: bool = True
    ) -> dict[str, Any]:
        """A Table API write; returns ``result`` and quotes ServiceNow's error on failure."""
        answer = await self._call(
            method, path, params=RECORD_PARAMS, json=body, idempotent=idempotent
        )
        result = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(result, dict) or not result.get("sys_id"):
            raise FatalError(f"malformed response from {method} {path}: no record in 'result'")
        return result

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        self._vendor_error = None
        try:
            return await self.http.request_json(method, path, **kwargs)
        except IntegrationError as exc:
            if self._vendor_error:
                exc.message = self.redact(f"{exc.message} (ServiceNow: {self._vendor_error})")
            raise

    async def _lookup(self, key: str) -> dict[str, Any] | None:
        """An incident by sys_id or number, or None when it does not exist."""
        if SYS_ID.match(key):
            try:
                answer = await self._call("GET", f"{INCIDENT_PATH}/{key}", params=RECORD_PARAMS)
            except ConfigError as exc:
                if exc.status_code == 404:
                    return None
                raise
            result = answer.get("result") if isinstance(answer, dict) else None
            return result if isinstance(result, dict) else None
        if not TICKET_KEY.match(key):
            raise FatalError(f"{key[:50]!r} is not a ServiceNow incident number or sys_id")
        return await self._first(f"number={key}")

    async def _active_for(self, risk_id: Any) -> dict[str, Any] | None:
        """The newest active incident carrying this risk's correlation id."""
        if not str(risk_id).isdigit():
            return None
        return await self._first(
            f"correlation_id={CORRELATION_PREFIX}{risk_id}^active=true^ORDERBYDESCsys_created_on"
        )

    async def _first(self, query: str) -> dict[str, Any] | None:
        answer = await self._call(
            "GET",
            INCIDENT_PATH,
            params={**RECORD_PARAMS, "sysparm_query": query, "sysparm_limit": 1},
        )
        rows = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(rows, list):
            raise FatalError(f"malformed response from GET {INCIDENT_PATH}: no 'result' list")
        return rows[0] if rows and isinstance(rows[0], dict) else None

    def _result(self, record: dict[str, Any], message: str) -> PushResult:
        state = text(record, "state")
        number = text(record, "number")
        return PushResult(
            ok=True,
            external_id=number,
            message=f"{number}: {message}",
            details={
                "url": record_url(str(self.settings.base_url), record),
                "status": state,
                "state_name": STATE_NAMES.get(state or ""),
                "sys_id": text(record, "sys_id"),
            },
        )

    # --- what the conformance suite and `aria integration test` pick up --------------------

    @classmethod
    def sandbox_counts(cls, size: int) -> dict[str, int]:
        """Records per stream in a sandbox of ``size`` (the incidents ARIA opened)."""
        return counts_for(size)


def _note(payload: dict[str, Any], action: str) -> str:
    """Resolution notes or a work note saying which risk changed, and why."""
    text_ = f"{ARIA_MARK} Risk {payload.get('risk_id')} {VERBS[action]} in ARIA"
    if payload.get("status_reason"):
        text_ += f": {payload['status_reason']}"
    return text_[:4000]
