"""Settings of a ServiceNow installation: the instance, how ARIA signs in, and how risks map
onto incidents (assignment, caller, states, resolution code).

ServiceNow incident states are numbers (``state`` is an integer choice list): 1 New,
2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled. ``state_mapping`` takes those
values; resolving needs a resolution code and notes (a data policy on the incident table), so
``close_code`` names the code ARIA sets when it resolves or closes an incident.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from aria.sdk import Config, Secret, ticketing
from aria.sdk.records import RiskStatus

INSTANCE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
USERS = "All > User Administration > Users"
OAUTH_REGISTRY = "All > System OAuth > Application Registry"

DEFAULT_STATE_MAPPING: dict[str, str] = {"open": "1", "in_progress": "2", "closed": "6"}
# Every incident state and what it means for the risk behind it (out-of-box choice list).
INBOUND_STATES: dict[str, RiskStatus] = {
    "1": "open",  # New
    "2": "in_progress",  # In Progress
    "3": "in_progress",  # On Hold
    "6": "closed",  # Resolved
    "7": "closed",  # Closed
    "8": "closed",  # Canceled
}
STATE_NAMES = {
    "1": "New",
    "2": "In Progress",
    "3": "On Hold",
    "6": "Resolved",
    "7": "Closed",
    "8": "Canceled",
}
RESOLVED_STATES = frozenset({"6", "7"})
MAX_PAGE = 100  # sys_ids per journal query stay well inside URL limits at this page size


class ServiceNowConfig(Config):
    """What the install wizard asks for."""

    base_url: str = Field(
        description="Your instance URL, https://<instance>.service-now.com (an instance name "
        "alone is accepted too).",
        json_schema_extra={
            "where_to_find": "The address of your ServiceNow instance in the browser, without "
            "any path, e.g. https://acme.service-now.com (or your custom instance domain)."
        },
    )
    auth_type: Literal["basic", "oauth"] = Field(
        default="basic",
        description="How ARIA signs in: HTTP Basic with an integration user, or OAuth 2.0 "
        "(password grant at /oauth_token.do) with that user and an OAuth client.",
        json_schema_extra={
            "where_to_find": "Basic works on every instance; choose OAuth if your instance "
            "requires OAuth for REST (an API access policy) or you prefer expiring tokens."
        },
    )
    username: str = Field(
        description="User name of the ServiceNow integration user ARIA acts as.",
        json_schema_extra={
            "where_to_find": f"{USERS} > New: a user with 'Web service access only' ticked and "
            "the itil role (read and write incidents, read the sys_journal_field table); its "
            "User ID field is the user name."
        },
    )
    password: Secret = Field(
        description="Password of that integration user.",
        json_schema_extra={
            "where_to_find": f"{USERS} > the integration user > Set Password (copy it when "
            "generated; it is shown once)."
        },
    )
    client_id: str | None = Field(
        default=None,
        description="OAuth only: Client ID of the OAuth API endpoint for external clients.",
        json_schema_extra={
            "where_to_find": f"{OAUTH_REGISTRY} > New > Create an OAuth API endpoint for "
            "external clients; the Client ID is generated on save."
        },
    )
    client_secret: Secret | None = Field(
        default=None,
        description="OAuth only: Client Secret of that OAuth application.",
        json_schema_extra={
            "where_to_find": f"{OAUTH_REGISTRY} > your OAuth application > Client Secret "
            "(click the lock icon to reveal it)."
        },
    )
    assignment_group: str | None = Field(
        default=None,
        description="Assignment group for new incidents: a group sys_id or its exact name.",
        json_schema_extra={
            "where_to_find": "All > User Administration > Groups > your security team's group; "
            "right-click the header > Copy sys_id (or use the Name)."
        },
    )
    caller_id: str | None = Field(
        default=None,
        description="Caller of new incidents: a user sys_id or exact name (the integration "
        "user when empty).",
        json_schema_extra={
            "where_to_find": f"{USERS} > the user that should appear as caller > right-click "
            "the header > Copy sys_id."
        },
    )
    state_mapping: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_STATE_MAPPING),
        description="ARIA risk status (open, in_progress, closed) -> incident state value "
        "(1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled).",
        json_schema_extra={
            "where_to_find": "Keep the defaults unless your instance customised the incident "
            "state choices: All > System Definition > Choice Lists, table incident, element "
            "state, shows each label and value."
        },
    )
    close_code: str = Field(
        default="Solution provided",
        min_length=1,
        max_length=40,
        description="Resolution code ARIA sets when it resolves or closes an incident.",
        json_schema_extra={
            "where_to_find": "A value of the incident Resolution code (close_code) choice list: "
            "'Solution provided' on current releases; instances upgraded from older releases "
            "may use 'Solved (Permanently)'. See System Definition > Choice Lists, table "
            "incident, element close_code."
        },
    )
    comment_field: Literal["work_notes", "comments"] = Field(
        default="work_notes",
        description="Where ARIA writes comments: internal work notes, or customer-visible "
        "additional comments.",
        json_schema_extra={"where_to_find": "Keep work_notes unless callers should see them."},
    )
    include_comments: bool = Field(
        default=True,
        description="Read each synced incident's work notes and comments (one journal query "
        "per page of incidents).",
        json_schema_extra={"where_to_find": "Turn off to save API calls if comments are unused."},
    )
    page_size: int = Field(
        default=MAX_PAGE,
        ge=1,
        le=MAX_PAGE,
        description="Incidents per request (sysparm_limit).",
        json_schema_extra={"where_to_find": "Keep the default (100)."},
    )

    @field_validator("base_url", mode="before")
    @classmethod
    def _instance_url(cls, value: Any) -> Any:
        """Accept a bare instance name and drop trailing slashes and paths users paste."""
        if not isinstance(value, str):
            return value
        text = value.strip().rstrip("/")
        if INSTANCE.match(text):
            return f"https://{text}.service-now.com"
        for suffix in ("/now/nav/ui/home", "/navpage.do", "/nav_to.do"):
            if text.endswith(suffix):
                text = text[: -len(suffix)]
        return text

    @field_validator("state_mapping")
    @classmethod
    def _known_statuses(cls, value: dict[str, str]) -> dict[str, str]:
        """Only ARIA's three statuses may be mapped, each to a non-empty state value."""
        unknown = sorted(set(value) - set(ticketing.RISK_STATUSES))
        if unknown:
            raise ValueError(f"unknown ARIA risk statuses {unknown}; use open, in_progress, closed")
        if any(not str(v).strip() for v in value.values()):
            raise ValueError("every mapped state needs a value such as '1' or '6'")
        return {**DEFAULT_STATE_MAPPING, **{k: str(v).strip() for k, v in value.items()}}

    @model_validator(mode="after")
    def _oauth_needs_client(self) -> ServiceNowConfig:
        """OAuth needs the OAuth application's client id and secret as well as the user."""
        if self.auth_type == "oauth" and not (self.client_id and self.client_secret):
            raise ValueError("OAuth needs client_id and client_secret")
        return self

    def state_map(self) -> ticketing.StateMapping:
        """Outbound mapping from the settings, inbound on top of ServiceNow's own states."""
        return ticketing.StateMapping(self.state_mapping, INBOUND_STATES)
