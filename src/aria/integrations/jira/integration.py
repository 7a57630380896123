"""Jira Cloud: ARIA opens a ticket for each risk, moves it through the workflow as the risk
opens, reopens and closes, posts comments, and reads ticket state back (sync and webhooks).

Everything generic (retries, ``Retry-After``, checkpoints, rate limiting) comes from the SDK.
This module declares Jira and adds what the SDK has no declaration for:

* auth chosen per installation (Basic e-mail + API token, or an OAuth Bearer token);
* Jira's ``X-RateLimit-Reset`` is ISO 8601 (``2025-06-02T12:01Z``), which a response hook
  turns into epoch seconds so the SDK's quota handling reads it;
* a connection probe that checks the account, the project and the issue type;
* ``push``: create an issue (ADF description, labels ``aria-risk`` and ``aria-risk-<id>``,
  priority from the score), move it with the transition whose target status is the mapped
  one, and add comments;
* signed admin webhooks (``X-Hub-Signature``) turned into Tickets.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import httpx

from aria.integrations.jira import adf, webhooks
from aria.integrations.jira.auth import JiraAuth
from aria.integrations.jira.config import JiraConfig
from aria.integrations.jira.jql import issue_for_risk_jql, risk_label
from aria.integrations.jira.logo import LOGO_SVG
from aria.integrations.jira.normalize import ARIA_FOOTER
from aria.integrations.jira.sandbox import DEMO, make_sandbox
from aria.integrations.jira.sandbox_data import counts_for
from aria.integrations.jira.streams import (
    MYSELF_PATH,
    QUERIES,
    QUERY_PARAMS,
    SEARCH_PATH,
    STREAMS,
)
from aria.sdk import (
    ConfigError,
    FatalError,
    Integration,
    IntegrationError,
    IntegrationMetadata,
    PushRequest,
    PushResult,
    QueryRequest,
    QueryResult,
    RateLimits,
    WebhookEvent,
    ticketing,
)
from aria.sdk.cursors import to_datetime

ISSUE_PATH = "/rest/api/3/issue"
TICKET_KEY = re.compile(r"^(?:[A-Z][A-Z0-9_]*-\d+|\d+)$")
CREATE_FIELD_SETTINGS = {
    "project": "project_key",
    "issuetype": "issue_type",
    "priority": "priority_mapping",
}


class Jira(Integration):
    """Jira Cloud (Jira Software / Jira Work Management) as ARIA's ticketing system."""

    key = "jira"
    name = "Jira"
    vendor = "Atlassian"
    product = "Jira Cloud (Jira Software, Jira Work Management)"
    category = "ticketing"
    description = (
        "Track ARIA risks as Jira Cloud issues. When a risk opens, ARIA files an issue in your "
        "project with the risk's score, description and a link back, labelled so both sides "
        "can find each other; when the risk is closed or reopened the issue moves through your "
        "workflow, and comments flow to the issue. Status changes made in Jira come back to "
        "ARIA on every sync, or within seconds through a signed Jira webhook, so resolving "
        "the issue resolves the risk."
    )
    features = [
        "Create an issue per risk: ADF description with the score and a link back to ARIA, "
        "labels aria-risk and aria-risk-<id>, priority from the risk score",
        "Move issues through your workflow when risks close or reopen, using the transition "
        "that reaches the mapped status (To Do / In Progress / Done by default)",
        "Add comments to the issue from ARIA",
        "Incremental sync of ARIA's issues with the enhanced JQL search (/rest/api/3/search/"
        "jql, nextPageToken paging), in the account's time zone",
        "Two-way status mapping per installation, with Jira status categories as fallback",
        "Real-time updates from Jira admin webhooks signed with X-Hub-Signature (HMAC-SHA256)",
        "On-demand JQL queries",
        "API token (Basic) or OAuth 2.0 access token (Bearer) authentication",
    ]
    what_you_get = [
        "Tickets (OCSF Incident Finding 2005 with the OCSF ticket object) for every issue ARIA "
        "opened: status, the risk status it means, priority, assignee and comments",
        "Risks closed automatically when their Jira issue is resolved, and reopened with it",
        "A Jira issue, kept in step, for every ARIA risk",
    ]
    documentation_url = "https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/"
    support_url = "https://support.atlassian.com/jira-software-cloud/"
    version = "1.0.0"
    pricing_model = "freemium"
    status = "official"
    min_platform_version = "0.1.0"
    capabilities = ["sync", "query", "push", "webhook"]
    data_types = ["tickets"]
    webhook_support = True
    # Jira Cloud limits API-token traffic with per-second burst limits per endpoint (and OAuth
    # apps with an hourly points quota); it does not publish the numbers, so stay modest.
    rate_limits = RateLimits(per_second=10, per_minute=300, burst=10)
    installation_complexity = "easy"
    logo_svg = LOGO_SVG

    config = JiraConfig
    auth = JiraAuth()
    streams = STREAMS
    queries = QUERIES
    sandbox = staticmethod(make_sandbox)
    sandbox_config = DEMO

    @classmethod
    def metadata(cls) -> IntegrationMetadata:
        """The catalog entry; both credential kinds are listed as auth methods."""
        return super().metadata().model_copy(update={"auth_methods": ["basic", "bearer"]})

    def initialize(self, config: dict[str, Any] | JiraConfig) -> None:  # type: ignore[override]
        """Also read Jira's ISO 8601 ``X-RateLimit-Reset`` (see :meth:`_rate_limit_reset`)."""
        super().initialize(config)
        self.http.client.event_hooks["response"].append(self._rate_limit_reset)

    @property
    def settings(self) -> JiraConfig:
        """The validated settings, typed."""
        if not isinstance(self.config, JiraConfig):
            raise ConfigError("integration is not initialized: pass a config first")
        return self.config

    async def _rate_limit_reset(self, response: httpx.Response) -> None:
        """Jira sends ``X-RateLimit-Reset: 2025-06-02T12:01Z``; the SDK reads epoch seconds
        there (after ``Retry-After``), so translate it. A 429 without ``Retry-After`` then
        waits until the reset instead of backing off blindly."""
        reset = response.headers.get("x-ratelimit-reset")
        if not reset or reset.strip().replace(".", "", 1).isdigit():
            return
        try:
            moment = to_datetime(reset.strip())
        except IntegrationError:
            return
        if moment is not None:
            response.headers["X-RateLimit-Reset"] = f"{moment.timestamp():.0f}"

    async def probe(self) -> None:
        """The account signs in, the project is visible, and it offers the issue type."""
        await self.http.request("GET", MYSELF_PATH)
        settings = self.settings
        try:
            body = await self.http.request_json(
                "GET", f"/rest/api/3/project/{quote(settings.project_key, safe='')}"
            )
        except ConfigError as exc:
            if exc.status_code != 404:
                raise
            raise ConfigError(
                f"Jira project {settings.project_key} was not found, or the account cannot "
                "browse it (Project settings > Access: Browse projects)",
                fields={"project_key": "not found or not visible"},
                status_code=404,
            ) from None
        types = [
            str(t.get("name"))
            for t in (body.get("issueTypes") if isinstance(body, dict) else None) or []
            if isinstance(t, dict) and t.get("name")
        ]
        if types and settings.issue_type.casefold() not in {t.casefold() for t in types}:
            raise ConfigError(
                f"project {settings.project_key} has no issue type {settings.issue_type!r}; "
                f"it offers {', '.join(types)}",
                fields={"issue_type": f"use one of {types}"},
            )

    async def query(self, request: QueryRequest) -> QueryResult:
        """``search`` takes ``params={"jql": ...}``; ``tickets`` takes no parameters."""
        allowed = QUERY_PARAMS.get(request.type)
        if allowed is not None:
            unknown = sorted(set(request.params) - allowed)
            if unknown:
                raise ConfigError(
                    f"{self.key}: unknown parameters {unknown} for query {request.type!r}"
                    + (f"; use {sorted(allowed)}" if allowed else ""),
                    fields={name: "unknown query parameter" for name in unknown},
                )
        return await super().query(request)

    # --- push ------------------------------------------------------------------------------

    async def push(self, request: PushRequest) -> PushResult:
        """``ticket``: open, reopen or close the risk's issue; ``comment``: add a comment."""
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
            raise FatalError(
                f"unknown ticket action {action!r}; use {sorted(ticketing.ACTION_STATUS)}"
            )
        target = self.settings.mapping().vendor_state(action)
        key = ticket_key(payload.get("ticket"))
        status = await self._status(key) if key is not None else None
        created = False
        if key is not None and status is None:
            if action == "close":
                return PushResult(
                    ok=False,
                    external_id=key,
                    message=f"Jira issue {key} no longer exists (deleted or moved); "
                    "nothing to close",
                    details={"url": self.settings.browse_url(key)},
                )
            key = None  # reopened risk whose issue is gone: open a new one
        if key is None:
            if action == "close":
                return PushResult(
                    ok=True,
                    message="the risk was closed before a Jira issue was opened; nothing to do",
                    details={"skipped": True},
                )
            key, status = await self._find_issue(payload.get("risk_id"))
            if key is None:
                key = await self._create_issue(payload)
                created = True
                status = await self._status(key)
        reached, moved = await self._move(key, action, target, status or {})
        verb = "created" if created else ("moved" if moved else "already")
        return PushResult(
            ok=True,
            external_id=key,
            message=f"Jira issue {key} {verb} {'in' if verb != 'moved' else 'to'} {reached}",
            details={"url": self.settings.browse_url(key), "status": reached, "created": created},
        )

    async def _status(self, key: str) -> dict[str, Any] | None:
        """The issue's status object (name, statusCategory), or None when it is gone."""
        try:
            issue = await self.http.request_json("GET", _issue(key), params={"fields": "status"})
        except ConfigError as exc:
            if exc.status_code == 404:
                return None
            raise
        return _status_of(issue)

    async def _find_issue(self, risk_id: Any) -> tuple[str | None, dict[str, Any] | None]:
        """The issue already opened for this risk and its status (a retried push must not
        open a second issue)."""
        if risk_id is None:
            return None, None
        body = await self.http.request_json(
            "GET",
            SEARCH_PATH,
            params={
                "jql": issue_for_risk_jql(self.settings.project_key, risk_id),
                "fields": "status",
                "maxResults": 1,
            },
        )
        issues = body.get("issues") if isinstance(body, dict) else None
        if issues and isinstance(issues[0], dict) and issues[0].get("key"):
            return str(issues[0]["key"]), _status_of(issues[0])
        return None, None

    async def _create_issue(self, payload: dict[str, Any]) -> str:
        settings = self.settings
        fields = issue_fields(payload, settings)
        try:
            body = await self.http.request_json(
                "POST", ISSUE_PATH, json={"fields": fields}, idempotent=False
            )
        except FatalError as exc:
            if exc.status_code != 400:
                raise
            raise ConfigError(
                f"Jira refused to create the issue in project {settings.project_key}: "
                f"{exc.message}",
                fields=_create_problems(exc.message),
                status_code=400,
            ) from None
        if not isinstance(body, dict) or not body.get("key"):
            raise FatalError(f"malformed response from POST {ISSUE_PATH}: no issue key")
        return str(body["key"])

    async def _move(
        self, key: str, action: str, target: str, status: dict[str, Any]
    ) -> tuple[str, bool]:
        """Transition ``key`` from ``status`` to the status named ``target``; returns (status
        reached, moved?). An issue whose status already means what the action asks for stays
        where people put it: closing leaves "Won't Do" alone, reopening leaves work that is in
        progress alone."""
        current = str(status.get("name") or "")
        if current.casefold() == target.casefold():
            return current, False
        mapping = self.settings.mapping()
        category = (status.get("statusCategory") or {}).get("key")
        means = mapping.risk_status(current) or mapping.risk_status(category)
        wanted = ticketing.ACTION_STATUS[action]
        if means == wanted or (wanted == "open" and means == "in_progress"):
            return current, False
        body = await self.http.request_json("GET", f"{_issue(key)}/transitions")
        transitions = [
            t
            for t in (body.get("transitions") if isinstance(body, dict) else None) or []
            if isinstance(t, dict) and isinstance(t.get("to"), dict)
        ]
        chosen = next(
            (
                t
                for t in transitions
                if str(t["to"].get("name", "")).casefold() == target.casefold()
            ),
            None,
        )
        if chosen is None:
            reachable = sorted({str(t["to"].get("name")) for t in transitions})
            raise ConfigError(
                f"Jira issue {key} (status {current!r}) has no transition to {target!r}; from "
                f"there the workflow reaches {', '.join(repr(s) for s in reachable) or 'nothing'}"
                ". Set state_mapping to status names of your workflow (Project settings > "
                "Workflows).",
                fields={"state_mapping": f"{target!r} is not reachable from {current!r}"},
                details={"issue": key, "status": current, "available_states": reachable},
            )
        await self.http.request(
            "POST",
            f"{_issue(key)}/transitions",
            json={"transition": {"id": str(chosen["id"])}},
            idempotent=False,
        )
        return str(chosen["to"].get("name") or target), True

    async def _push_comment(self, payload: dict[str, Any]) -> PushResult:
        key = ticket_key(payload.get("ticket"))
        if key is None:
            raise FatalError("a comment push needs payload['ticket']['external_id'] (issue key)")
        text = payload.get("body")
        if not isinstance(text, str) or not text.strip():
            raise FatalError("a comment push needs a non-empty payload['body']")
        body = await self.http.request_json(
            "POST",
            f"{_issue(key)}/comment",
            json={"body": adf.document(text, footer=ARIA_FOOTER)},
            idempotent=False,
        )
        comment_id = str(body.get("id")) if isinstance(body, dict) and body.get("id") else None
        url = self.settings.browse_url(key)
        return PushResult(
            ok=True,
            external_id=key,
            message=f"comment added to Jira issue {key}",
            details={
                "url": f"{url}?focusedCommentId={comment_id}" if comment_id else url,
                "comment_id": comment_id,
            },
        )

    # --- webhooks --------------------------------------------------------------------------

    def verify_webhook(self, event: WebhookEvent) -> bool:
        """``X-Hub-Signature: sha256=<hex>`` over the exact body, under ``webhook_secret``."""
        secret = self.settings.webhook_secret
        return webhooks.verify(secret.get_secret_value() if secret else None, event)

    def parse_webhook(self, payload: Any) -> list[Any]:
        """Issue and comment events -> Tickets (see :mod:`.webhooks`)."""
        settings = self.settings
        return webhooks.parse(payload, mapping=settings.mapping(), browse_base=settings.browse_base)

    # --- what the conformance suite and `aria integration test` pick up --------------------

    @classmethod
    def sandbox_counts(cls, size: int) -> dict[str, int]:
        """Records per stream in a sandbox of ``size``."""
        return counts_for(size)

    @classmethod
    def webhook_samples(cls) -> list[tuple[dict[str, str], bytes]]:
        """An issue update and a new comment, signed with the demo webhook secret."""
        from aria.integrations.jira.sandbox_webhooks import samples

        secret = str(DEMO["webhook_secret"])
        return [(dict(e.headers), e.body) for e in samples(secret)]

    @classmethod
    def corpus_samples(cls) -> list[Any]:
        """Real Jira Cloud v3 responses in ../shared/corpus the stream must normalize."""
        from aria.sdk.testing import CorpusSample  # test-time only: it needs pytest

        return [
            CorpusSample(
                "tickets", "vendor-api/jira/get_issue_query_test/raw_response.json", "issues"
            ),
            CorpusSample("tickets", "vendor-api/jira/get_issue_test/raw_response.json", None),
        ]


def ticket_key(ticket: Any) -> str | None:
    """The issue key ARIA stored for a risk (``ticket["external_id"]``), checked."""
    if not isinstance(ticket, dict):
        return None
    value = ticket.get("external_id") or ticket.get("key")
    if value in (None, ""):
        return None
    key = str(value).strip()
    if not TICKET_KEY.match(key):
        raise FatalError(f"{key[:40]!r} is not a Jira issue key or id")
    return key


def issue_fields(payload: dict[str, Any], settings: JiraConfig) -> dict[str, Any]:
    """The ``fields`` of ``POST /rest/api/3/issue`` for a risk."""
    risk_id = payload.get("risk_id")
    labels = [ticketing.ARIA_LABEL]
    if risk_id is not None:
        labels.append(risk_label(risk_id))
    fields: dict[str, Any] = {
        "project": {"key": settings.project_key},
        "summary": " ".join(ticketing.ticket_title(payload).split()),
        "issuetype": {"name": settings.issue_type},
        "description": adf.document(ticketing.ticket_description(payload)),
        "labels": labels,
    }
    name = settings.priority_for(payload.get("score"))
    if name:
        fields["priority"] = {"name": name}
    return fields


def _status_of(issue: Any) -> dict[str, Any]:
    fields = issue.get("fields") if isinstance(issue, dict) else None
    status = fields.get("status") if isinstance(fields, dict) else None
    return status if isinstance(status, dict) else {}


def _issue(key: str) -> str:
    return f"{ISSUE_PATH}/{quote(key, safe='')}"


def _create_problems(message: str) -> dict[str, str]:
    """Config fields behind Jira's per-field create errors (when the message shows them)."""
    start = message.find("{")
    try:
        body = json.loads(message[start:]) if start >= 0 else {}
    except ValueError:
        return {}
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, dict):
        return {}
    return {
        CREATE_FIELD_SETTINGS[name]: str(text)
        for name, text in errors.items()
        if name in CREATE_FIELD_SETTINGS
    }
