"""Settings of a Freshdesk installation: the helpdesk, the API key, who requests ARIA's
tickets, the plan (for the API rate limit) and how risk statuses map onto ticket statuses.

Freshdesk ticket statuses are numbers: 2 Open, 3 Pending, 4 Resolved, 5 Closed, and 6 or more
for custom statuses an admin adds. ``state_mapping`` takes those values.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from aria.sdk import Config, RateLimits, Secret, ticketing
from aria.sdk.records import RiskStatus

DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PROFILE = "Freshdesk > your profile picture (top right) > Profile settings"

DEFAULT_STATE_MAPPING: dict[str, str] = {"open": "2", "in_progress": "3", "closed": "4"}
INBOUND_STATES: dict[str, RiskStatus] = {
    "2": "open",  # Open
    "3": "in_progress",  # Pending
    "4": "closed",  # Resolved
    "5": "closed",  # Closed
}
STATUS_NAMES = {"2": "Open", "3": "Pending", "4": "Resolved", "5": "Closed"}
MAX_PAGE = 100  # per_page maximum of every Freshdesk list API

Plan = Literal["trial", "growth", "pro", "enterprise", "blossom", "garden", "estate", "forest"]
# Account-wide API limits by plan (Freshdesk support article 225439 and the API docs): per
# minute on current plans, per hour on the older Blossom/Garden/Estate/Forest plans. Current
# plans also cap single endpoints per minute (Tickets List 20/100/200, Ticket Create and
# Update 80/160/280 on Growth/Pro/Enterprise); ARIA's calls stay well inside those.
PLAN_LIMITS: dict[str, RateLimits] = {
    # Bursts of a quarter of the minute's quota: the quota is shared by every app on the account.
    "trial": RateLimits(per_minute=50, burst=12),
    "growth": RateLimits(per_minute=200, burst=50),
    "pro": RateLimits(per_minute=400, burst=100),
    "enterprise": RateLimits(per_minute=700, burst=175),
    "blossom": RateLimits(per_hour=3000, burst=50),
    "garden": RateLimits(per_hour=3000, burst=50),
    "estate": RateLimits(per_hour=5000, burst=50),
    "forest": RateLimits(per_hour=5000, burst=50),
}


class FreshdeskConfig(Config):
    """What the install wizard asks for."""

    base_url: str = Field(
        description="Your helpdesk URL, https://<domain>.freshdesk.com (the domain alone is "
        "accepted too).",
        json_schema_extra={
            "where_to_find": "The address of your helpdesk in the browser, e.g. "
            "https://acme.freshdesk.com. The API works only on the freshdesk.com domain, not "
            "on a custom CNAME."
        },
    )
    api_key: Secret = Field(
        description="API key of the agent ARIA acts as (sent as the HTTP Basic user name, "
        "with X as the password).",
        json_schema_extra={
            "where_to_find": f"{PROFILE} > View API key (complete the captcha). Use an agent "
            "that can see and update the tickets of the group ARIA files into."
        },
    )
    requester_email: str = Field(
        description="E-mail of the requester on tickets ARIA opens (Freshdesk creates the "
        "contact if it does not exist yet).",
        json_schema_extra={
            "where_to_find": "An address your team recognises, e.g. security-alerts@your "
            "company; Contacts lists existing contacts."
        },
    )
    group_id: int | None = Field(
        default=None,
        ge=1,
        description="Group that receives ARIA's tickets (its numeric id).",
        json_schema_extra={
            "where_to_find": "Admin > Team > Groups > open the group: the number at the end of "
            "the URL (…/admin/groups/<id>/edit)."
        },
    )
    plan: Plan = Field(
        default="growth",
        description="Your Freshdesk plan, which sets the API rate limit ARIA stays under.",
        json_schema_extra={
            "where_to_find": "Admin > Account > Plans & Billing. Trial accounts allow 50 calls "
            "a minute; Growth 200, Pro 400, Enterprise 700."
        },
    )
    state_mapping: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_STATE_MAPPING),
        description="ARIA risk status (open, in_progress, closed) -> ticket status value "
        "(2 Open, 3 Pending, 4 Resolved, 5 Closed, 6+ custom statuses).",
        json_schema_extra={
            "where_to_find": "Keep the defaults, or use a custom status: Admin > Workflows > "
            "Ticket Fields > Status lists them; the API value of a custom status is shown by "
            "GET /api/v2/ticket_fields (choices of the status field)."
        },
    )
    include_comments: bool = Field(
        default=True,
        description="Read the notes and replies of each synced ARIA ticket (one call per "
        "changed ticket).",
        json_schema_extra={"where_to_find": "Turn off to save API calls if comments are unused."},
    )
    page_size: int = Field(
        default=MAX_PAGE,
        ge=1,
        le=MAX_PAGE,
        description="Tickets per list request (per_page).",
        json_schema_extra={"where_to_find": "Keep the default (100, the API maximum)."},
    )

    @field_validator("base_url", mode="before")
    @classmethod
    def _helpdesk_url(cls, value: Any) -> Any:
        """Accept the bare domain and drop trailing slashes and paths users paste."""
        if not isinstance(value, str):
            return value
        text = value.strip().rstrip("/")
        if DOMAIN.match(text):
            return f"https://{text}.freshdesk.com"
        for suffix in ("/a/dashboard/default", "/a/tickets", "/helpdesk", "/a"):
            if text.endswith(suffix):
                text = text[: -len(suffix)]
        return text

    @field_validator("requester_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError("must be an e-mail address")
        return value

    @field_validator("state_mapping")
    @classmethod
    def _known_statuses(cls, value: dict[str, str]) -> dict[str, str]:
        """Only ARIA's three statuses, each to a Freshdesk status number."""
        unknown = sorted(set(value) - set(ticketing.RISK_STATUSES))
        if unknown:
            raise ValueError(f"unknown ARIA risk statuses {unknown}; use open, in_progress, closed")
        cleaned = {k: str(v).strip() for k, v in value.items()}
        bad = sorted(k for k, v in cleaned.items() if not v.isdigit() or int(v) < 2)
        if bad:
            raise ValueError(f"statuses for {bad} must be Freshdesk status numbers (2 or more)")
        return {**DEFAULT_STATE_MAPPING, **cleaned}

    def state_map(self) -> ticketing.StateMapping:
        """Outbound mapping from the settings, inbound on top of Freshdesk's own statuses."""
        return ticketing.StateMapping(self.state_mapping, INBOUND_STATES)
