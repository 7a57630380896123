"""Linear as ARIA's ticketing system: an issue per risk, moved with the risk, comments both
ways, and issue changes back into ARIA by sync and by webhook.

The SDK does the generic work (retries, ``Retry-After``, checkpoints, redaction); this module
adds what Linear needs:

* one GraphQL endpoint whose errors arrive in the body: :mod:`.graphql` gives them the HTTP
  meaning the SDK acts on (401, 403, 429 with the reset time, 5xx);
* the team, its workflow states and the ``aria-risk`` label are looked up once per instance
  (the label is created as a workspace label when missing);
* a connection probe that checks the key, the team and every mapped workflow state by name;
* ``push``: ``ticket`` creates (idempotently: an open ARIA issue titled ``[ARIA risk N]`` is
  reused) or moves an issue; ``comment`` adds a comment;
* webhooks: ``Linear-Signature`` (hex HMAC-SHA256 of the body) and a 60-second freshness window.
"""

from __future__ import annotations

import json
import time
from typing import Any

from aria.integrations.linear import webhooks
from aria.integrations.linear.auth import LinearAuth
from aria.integrations.linear.config import LinearConfig
from aria.integrations.linear.graphql import execute, translate
from aria.integrations.linear.logo import LOGO_SVG
from aria.integrations.linear.normalize import priority_for_score, state_mapping
from aria.integrations.linear.sandbox import DEMO, WEBHOOK_SECRET, make_sandbox
from aria.integrations.linear.streams import STREAMS, aria_filter
from aria.sdk import (
    Config,
    ConfigError,
    FatalError,
    Integration,
    PushRequest,
    PushResult,
    RateLimits,
    WebhookEvent,
    ticketing,
)
from aria.sdk.auth import hmac_sign
from aria.sdk.paths import resolve

LABEL_COLOR = "#e5484d"


class Linear(Integration):
    """Linear issues for ARIA risks, two-way, with webhooks."""

    key = "linear"
    name = "Linear"
    vendor = "Linear"
    product = "Linear (GraphQL API)"
    category = "ticketing"
    description = (
        "Track ARIA risks as Linear issues in the team that owns them. ARIA opens an issue "
        "with the risk's score as priority and the aria-risk label, moves it through your "
        "workflow as the risk opens, progresses and closes, and adds its comments; state "
        "changes and comments your team makes in Linear come back to the risk through the "
        "sync and, in real time, through a signed Linear webhook."
    )
    features = [
        "Create issues with a markdown description, priority from the risk score (urgent to "
        "low) and the aria-risk label (created for you when missing)",
        "Idempotent creation: a retried push reuses the open issue of the same risk",
        "Move issues between workflow states by name (Todo, In Progress, Done by default, "
        "configurable per ARIA status)",
        "Add ARIA comments to issues",
        "Incremental sync of ARIA's issues by updatedAt with their comments (GraphQL cursor "
        "pagination)",
        "Real-time updates from Linear webhooks (Issue and Comment events), HMAC-verified and "
        "refused after 60 seconds",
        "Personal API key or OAuth access token; Linear's request and complexity budgets respected",
    ]
    what_you_get = [
        "Tickets (OCSF Incident Finding 2005 with the OCSF ticket object): workflow state, the "
        "risk status it means (by name, else by state type), risk id, priority, comments",
        "Risk status from Linear: backlog/unstarted/triage -> open, started -> in progress, "
        "completed/canceled -> closed",
        "Links to each issue in Linear",
    ]
    documentation_url = "https://linear.app/developers/graphql"
    support_url = "https://linear.app/contact"
    version = "1.0.0"
    pricing_model = "freemium"
    status = "official"
    min_platform_version = "0.1.0"
    capabilities = ["sync", "push", "webhook"]
    data_types = ["tickets"]
    webhook_support = True
    # Linear's documented API-key budget: 1,500 requests an hour per user (leaky bucket), and
    # 250,000 complexity points an hour (the latter enforced through its headers, see graphql).
    rate_limits = RateLimits(per_hour=1500, burst=50)
    installation_complexity = "easy"
    logo_svg = LOGO_SVG

    config = LinearConfig
    auth = LinearAuth()
    streams = STREAMS
    sandbox = staticmethod(make_sandbox)
    sandbox_config = DEMO

    def initialize(self, config: dict[str, Any] | Config) -> None:
        """Validate, then read GraphQL errors as HTTP statuses (see :mod:`.graphql`)."""
        super().initialize(config)
        self.mapping = state_mapping(self.settings.state_mapping)
        self.http.client.event_hooks["response"].append(translate(self.http.clock))
        self._team: dict[str, Any] | None = None
        self._states: dict[str, dict[str, Any]] | None = None
        self._label_id: str | None = None
        self._viewer_id: str | None = None

    @property
    def settings(self) -> LinearConfig:
        """The validated settings, typed."""
        if not isinstance(self.config, LinearConfig):
            raise ConfigError("integration is not initialized: pass a config first")
        return self.config

    # --- lookups (once per instance) ------------------------------------------------------

    async def team(self) -> dict[str, Any]:
        """The configured team (by key or id)."""
        if self._team is None:
            settings = self.settings
            wanted = (
                {"id": {"eq": settings.team_id}}
                if settings.team_id
                else {"key": {"eq": str(settings.team_key).upper()}}
            )
            data = await execute(self.http, "AriaTeams", {"filter": wanted})
            nodes = resolve(data, "teams.nodes") or []
            if not nodes:
                field = "team_id" if settings.team_id else "team_key"
                raise ConfigError(
                    f"Linear has no team {settings.team_id or settings.team_key!r} visible to "
                    "these credentials",
                    fields={field: "team not found"},
                )
            self._team = nodes[0]
        return self._team

    async def states(self) -> dict[str, dict[str, Any]]:
        """The team's workflow states by lower-cased name."""
        if self._states is None:
            team = await self.team()
            data = await execute(self.http, "AriaWorkflowStates", {"teamId": team["id"]})
            nodes = resolve(data, "workflowStates.nodes") or []
            self._states = {str(s["name"]).casefold(): s for s in nodes if isinstance(s, dict)}
        return self._states

    async def state_for(self, action: str) -> dict[str, Any]:
        """The workflow state a push action moves the issue to."""
        name = self.mapping.vendor_state(action)
        states = await self.states()
        found = states.get(name.casefold())
        if found is None:
            raise ConfigError(
                f"the team has no workflow state named {name!r} (it has "
                f"{', '.join(sorted(s['name'] for s in states.values()))})",
                fields={"state_mapping": f"unknown state {name!r}"},
            )
        return found

    async def label_id(self) -> str:
        """The ``aria-risk`` label's id, creating a workspace label when there is none."""
        if self._label_id is None:
            team = await self.team()
            data = await execute(self.http, "AriaLabels", {"name": ticketing.ARIA_LABEL})
            usable = [
                lb
                for lb in resolve(data, "issueLabels.nodes") or []
                if lb.get("team") is None or (lb.get("team") or {}).get("id") == team["id"]
            ]
            if usable:
                self._label_id = str(usable[0]["id"])
            else:
                created = await execute(
                    self.http,
                    "AriaLabelCreate",
                    {
                        "input": {
                            "name": ticketing.ARIA_LABEL,
                            "color": LABEL_COLOR,
                            "description": "Issues ARIA opened for risks (do not remove: "
                            "ARIA syncs only issues with this label).",
                        }
                    },
                    idempotent=False,
                )
                label = resolve(created, "issueLabelCreate.issueLabel")
                if not isinstance(label, dict) or not label.get("id"):
                    raise FatalError("malformed response to AriaLabelCreate: no label")
                self._label_id = str(label["id"])
        return self._label_id

    # --- connection -------------------------------------------------------------------------

    async def probe(self) -> None:
        """The key works (viewer), the team exists, and every mapped state exists in it."""
        data = await execute(self.http, "AriaViewer")
        if not resolve(data, "viewer.id"):
            raise FatalError("malformed response to AriaViewer: no viewer")
        self._viewer_id = str(resolve(data, "viewer.id"))
        for status in ticketing.RISK_STATUSES:
            if status in self.mapping.outbound:
                await self.state_for(status)

    # --- push --------------------------------------------------------------------------------

    async def push(self, request: PushRequest) -> PushResult:
        """``ticket``: create or move the risk's issue. ``comment``: add a comment."""
        if request.kind == "ticket":
            return await self._push_ticket(request.payload)
        if request.kind == "comment":
            return await self._push_comment(request.payload)
        raise FatalError(
            f"{self.key} does not support push kind {request.kind!r} (use 'ticket' or 'comment')"
        )

    async def _push_ticket(self, payload: dict[str, Any]) -> PushResult:
        action = str(payload.get("action") or "open")
        target = await self.state_for(action)
        linked = payload.get("ticket")
        if isinstance(linked, dict):
            return await self._move(_issue_key(linked), target)
        if linked is not None:
            raise ConfigError("payload 'ticket' must be an object or null", fields={"ticket": ""})
        existing = await self._find(payload.get("risk_id"))
        if existing is not None:
            if (existing.get("state") or {}).get("id") == target["id"]:
                return self._result(existing, "issue already exists for this risk")
            return await self._move(str(existing["identifier"]), target)
        if ticketing.ACTION_STATUS.get(action) == "closed":
            return PushResult(
                ok=True,
                message="the risk closed before an issue was opened; nothing to do",
                details={"skipped": True},
            )
        team = await self.team()
        issue_input = {
            "teamId": team["id"],
            "title": ticketing.ticket_title(payload),
            "description": issue_description(payload),
            "priority": priority_for_score(payload.get("score")),
            "labelIds": [await self.label_id()],
            "stateId": target["id"],
        }
        # Not idempotent: a timed-out create may have worked (the next push finds the issue).
        data = await execute(self.http, "AriaIssueCreate", {"input": issue_input}, idempotent=False)
        issue = _issue_of(data, "issueCreate")
        self._viewer_id = resolve(issue, "creator.id") or self._viewer_id
        return self._result(issue, f"Linear issue {issue['identifier']} created")

    async def _find(self, risk_id: Any) -> dict[str, Any] | None:
        """An issue ARIA already opened for this risk and that is still open."""
        if risk_id in (None, ""):
            return None
        issue_filter = {**aria_filter(), "title": {"startsWith": f"[ARIA risk {risk_id}]"}}
        data = await execute(
            self.http, "AriaIssues", {"first": 10, "after": None, "filter": issue_filter}
        )
        nodes = [n for n in resolve(data, "issues.nodes") or [] if isinstance(n, dict)]
        open_ = [
            n
            for n in nodes
            if (n.get("state") or {}).get("type") not in ("completed", "canceled")
            and not n.get("archivedAt")
        ]
        return open_[0] if open_ else None

    async def _move(self, key: str, target: dict[str, Any]) -> PushResult:
        try:
            # Setting a state is idempotent, so a timed-out update may be retried.
            data = await execute(
                self.http, "AriaIssueUpdate", {"id": key, "input": {"stateId": target["id"]}}
            )
        except ConfigError as exc:
            if exc.status_code != 404:
                raise
            return PushResult(
                ok=False,
                external_id=key,
                message=f"Linear issue {key} was not found (deleted?)",
                details={"status": None},
            )
        issue = _issue_of(data, "issueUpdate")
        return self._result(issue, f"Linear issue {issue['identifier']}: {target['name']}")

    async def _push_comment(self, payload: dict[str, Any]) -> PushResult:
        linked = payload.get("ticket")
        text = payload.get("body")
        if not isinstance(linked, dict):
            raise ConfigError("a comment needs the ticket it belongs to", fields={"ticket": ""})
        if not isinstance(text, str) or not text.strip():
            raise ConfigError("a comment needs a non-empty body", fields={"body": "required"})
        key = _issue_key(linked)
        try:
            # Not idempotent: a retried create after a timeout could post the comment twice.
            data = await execute(
                self.http,
                "AriaCommentCreate",
                {"input": {"issueId": key, "body": text}},
                idempotent=False,
            )
        except ConfigError as exc:
            if exc.status_code != 404:
                raise
            return PushResult(ok=False, external_id=key, message=f"Linear issue {key} not found")
        comment = resolve(data, "commentCreate.comment")
        if not isinstance(comment, dict) or not comment.get("id"):
            raise FatalError("malformed response to AriaCommentCreate: no comment")
        self._viewer_id = resolve(comment, "user.id") or self._viewer_id
        return PushResult(
            ok=True,
            external_id=key,
            message=f"comment added to Linear issue {key}",
            details={"url": comment.get("url"), "comment_id": comment["id"]},
        )

    def _result(self, issue: dict[str, Any], message: str) -> PushResult:
        state = issue.get("state") or {}
        return PushResult(
            ok=True,
            external_id=str(issue["identifier"]),
            message=self.redact(message),
            details={
                "url": issue.get("url"),
                "status": state.get("name"),
                "id": issue.get("id"),
                "risk_status": self.mapping.risk_status(state.get("name")),
            },
        )

    # --- webhooks --------------------------------------------------------------------------

    def verify_webhook(self, event: WebhookEvent) -> bool:
        """``Linear-Signature`` over the exact body; live installations also refuse deliveries
        whose ``webhookTimestamp`` is over a minute from when ARIA received them (the sandbox
        replays recorded samples)."""
        secret = self.settings.webhook_secret
        return webhooks.verify(
            secret.get_secret_value() if secret else None, event, check_age=self.mode == "live"
        )

    def parse_webhook(self, payload: Any) -> list[Any]:
        """Issue and Comment events of ARIA's issues as tickets (a comment is ARIA's own when
        this instance has seen ARIA's user id: after a connection test or a push)."""
        return webhooks.parse(payload, self.mapping, aria_user=self._viewer_id)

    # --- what the conformance suite and `aria integration test` pick up --------------------

    @classmethod
    def webhook_samples(cls) -> list[tuple[dict[str, str], bytes]]:
        """An Issue update delivery signed with the sandbox's webhook secret."""
        body = sample_issue_webhook(int(time.time() * 1000))
        signature = hmac_sign(WEBHOOK_SECRET, body)
        return [
            (
                {
                    "Content-Type": "application/json; charset=utf-8",
                    "Linear-Delivery": "3f9d2c4e-8a1b-4c7d-9e2f-5a6b7c8d9e0f",
                    "Linear-Event": "Issue",
                    webhooks.SIGNATURE_HEADER: signature,
                },
                body,
            )
        ]


def issue_description(payload: dict[str, Any]) -> str:
    """The issue body in Linear's markdown: the risk, its score, the technique, a link."""
    lines = [str(payload.get("description") or payload.get("title") or ""), ""]
    lines.append(
        f"**Risk score:** {payload.get('score')} (likelihood {payload.get('likelihood')}, "
        f"impact {payload.get('impact')})"
    )
    if payload.get("technique_id"):
        lines.append(f"**MITRE ATT&CK technique:** {payload['technique_id']}")
    if payload.get("link"):
        lines.append(f"[Open in ARIA]({payload['link']})")
    lines += ["", f"ARIA risk id: {payload.get('risk_id')}"]
    return "\n".join(lines)


def sample_issue_webhook(timestamp_ms: int) -> bytes:
    """A Linear ``Issue``/``update`` delivery body for an ARIA issue (state moved to Done)."""
    data = {
        "id": "0b6f7c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e",
        "identifier": "SEC-42",
        "number": 42,
        "title": "[ARIA risk 4242] Exposed RDP on srv-fin-001",
        "description": "RDP answers from the internet.\n\nARIA risk id: 4242",
        "priority": 1,
        "priorityLabel": "Urgent",
        "url": "https://linear.app/acme-demo/issue/SEC-42/aria-risk-4242-exposed-rdp",
        "createdAt": "2025-06-01T09:00:00.000Z",
        "updatedAt": "2025-06-02T11:30:00.000Z",
        "completedAt": "2025-06-02T11:30:00.000Z",
        "teamId": "7e2a0c44-9d1b-4a63-8f0e-2b6c1d9a5e31",
        "team": {"id": "7e2a0c44-9d1b-4a63-8f0e-2b6c1d9a5e31", "key": "SEC", "name": "Security"},
        "stateId": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
        "state": {
            "id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
            "name": "Done",
            "type": "completed",
            "color": "#5e6ad2",
        },
        "labelIds": ["9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"],
        "labels": [{"id": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", "name": "aria-risk"}],
        "creatorId": "2f1e0d9c-8b7a-4f6e-9d5c-4b3a2f1e0d9c",
        "assigneeId": None,
    }
    body = {
        "action": "update",
        "type": "Issue",
        "actor": {"id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "name": "Priya Patel"},
        "createdAt": "2025-06-02T11:30:00.000Z",
        "data": data,
        "url": data["url"],
        "updatedFrom": {"stateId": "b0c1d2e3-f4a5-4b6c-7d8e-9f0a1b2c3d4e"},
        "organizationId": "5c1b0f6e-2a3d-4e5f-8a9b-0c1d2e3f4a5b",
        "webhookTimestamp": timestamp_ms,
        "webhookId": "e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9",
    }
    return json.dumps(body).encode()


def _issue_key(linked: dict[str, Any]) -> str:
    value = linked.get("external_id") or linked.get("key") or linked.get("uid")
    if value in (None, ""):
        raise ConfigError(
            "the linked ticket has no external_id (the Linear issue identifier or id)",
            fields={"ticket": "external_id required"},
        )
    return str(value)


def _issue_of(data: dict[str, Any], root: str) -> dict[str, Any]:
    payload = data.get(root)
    issue = payload.get("issue") if isinstance(payload, dict) else None
    if not isinstance(payload, dict) or not payload.get("success") or not isinstance(issue, dict):
        raise FatalError(f"Linear did not complete {root} (success is false or no issue)")
    return issue
