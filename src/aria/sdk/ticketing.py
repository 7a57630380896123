"""What ticketing integrations share: the push payload they receive and the state mapping.

ARIA pushes ``PushRequest(kind="ticket", payload=...)`` when a risk opens, reopens or closes
(``payload["action"]`` is "open", "reopen" or "close"; ``payload["ticket"]`` is the ticket
already linked to the risk, or None) and ``PushRequest(kind="comment", payload={"ticket": ...,
"body": ...})`` to add a comment. The integration answers with the ticket's key as
``external_id`` and ``details={"url": ..., "status": <vendor state>}``.

State flows both ways through one per-installation mapping, ``state_mapping`` in the Config:
ARIA risk status -> vendor state for pushes; its inverse, on top of the integration's defaults,
turns vendor states back into risk statuses on the ``tickets`` stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aria.sdk.errors import ConfigError
from aria.sdk.records.ticket import RiskStatus

RISK_STATUSES: tuple[RiskStatus, ...] = ("open", "in_progress", "closed")
ACTION_STATUS: dict[str, RiskStatus] = {"open": "open", "reopen": "open", "close": "closed"}
ARIA_LABEL = "aria-risk"
"""Label/tag ARIA puts on tickets it opens, so the tickets stream reads only those."""


class StateMapping:
    """Risk status <-> vendor state, case-insensitive on the vendor side."""

    def __init__(
        self, outbound: Mapping[str, str], inbound_defaults: Mapping[str, RiskStatus]
    ) -> None:
        unknown = sorted(set(outbound) - set(RISK_STATUSES))
        if unknown:
            raise ConfigError(
                f"state_mapping: unknown ARIA risk statuses {unknown}; use {list(RISK_STATUSES)}",
                fields={"state_mapping": f"unknown statuses {unknown}"},
            )
        self.outbound = dict(outbound)
        self.inbound: dict[str, RiskStatus] = {k.casefold(): v for k, v in inbound_defaults.items()}
        for status, state in outbound.items():
            self.inbound[state.casefold()] = status  # type: ignore[assignment]

    def vendor_state(self, action_or_status: str) -> str:
        """The vendor state for a push action ("open", "reopen", "close") or a risk status."""
        status = ACTION_STATUS.get(action_or_status, action_or_status)
        try:
            return self.outbound[status]
        except KeyError:
            raise ConfigError(
                f"state_mapping has no vendor state for ARIA status {status!r}",
                fields={"state_mapping": f"missing {status!r}"},
            ) from None

    def risk_status(self, vendor_state: Any) -> RiskStatus | None:
        """The risk status a vendor state means, or None when the mapping does not say."""
        if vendor_state is None:
            return None
        return self.inbound.get(str(vendor_state).casefold())


def ticket_title(payload: Mapping[str, Any]) -> str:
    """A ticket summary for a risk: "[ARIA risk 12] Title" (vendors cap summaries ~255)."""
    return f"[ARIA risk {payload.get('risk_id')}] {payload.get('title') or 'Untitled risk'}"[:250]


def ticket_description(payload: Mapping[str, Any]) -> str:
    """Plain-text ticket body: the risk, its score and a link back to it in ARIA."""
    lines = [
        str(payload.get("description") or payload.get("title") or ""),
        "",
        f"Risk score: {payload.get('score')} (likelihood {payload.get('likelihood')}, "
        f"impact {payload.get('impact')})",
    ]
    if payload.get("technique_id"):
        lines.append(f"MITRE ATT&CK technique: {payload['technique_id']}")
    if payload.get("link"):
        lines.append(f"Open in ARIA: {payload['link']}")
    lines.append(f"ARIA risk id: {payload.get('risk_id')}")
    return "\n".join(lines)


__all__ = [
    "ACTION_STATUS",
    "ARIA_LABEL",
    "RISK_STATUSES",
    "StateMapping",
    "ticket_description",
    "ticket_title",
]
