"""Settings of a Linear installation: credentials, the team ARIA files into, the state mapping.

Linear's GraphQL API takes a *personal API key* as the bare ``Authorization`` header value (no
``Bearer``), or an OAuth access token as ``Bearer <token>``; ``auth_method`` picks one. Issues
are created in one team (``team_key`` such as ``SEC``, or its id); the ``aria-risk`` label is a
workspace label, so the tickets stream also follows issues moved to other teams.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from aria.sdk import Config, Secret

SETTINGS = "Linear > Settings"
DEFAULT_STATE_MAPPING: dict[str, str] = {
    "open": "Todo",
    "in_progress": "In Progress",
    "closed": "Done",
}
MAX_PAGE = 100  # issues per page; with 25 nested comments each this stays under 10,000 points


class LinearConfig(Config):
    """What the install wizard asks for."""

    base_url: str = Field(
        default="https://api.linear.app",
        description="Linear API host; the GraphQL endpoint is <base_url>/graphql.",
        json_schema_extra={"where_to_find": "Keep https://api.linear.app unless you use a proxy."},
    )
    auth_method: Literal["api_key", "oauth"] = Field(
        default="api_key",
        description="A personal API key, or an OAuth access token from a Linear OAuth app.",
        json_schema_extra={
            "where_to_find": "Use a personal API key of a member who may create issues in the "
            "team; an OAuth app (actor=application) suits workspaces that forbid personal keys."
        },
    )
    api_key: Secret | None = Field(
        default=None,
        description="Personal API key (starts with lin_api_), sent as the Authorization header.",
        json_schema_extra={
            "where_to_find": f"{SETTINGS} > Account > Security & access > Personal API keys > "
            "New API key; give it read and write access (create issues and comments) to the "
            "team ARIA files into."
        },
    )
    oauth_access_token: Secret | None = Field(
        default=None,
        description="OAuth access token with the read, write (or issues:create, comments:create) "
        "scopes (with auth_method 'oauth').",
        json_schema_extra={
            "where_to_find": f"{SETTINGS} > API > OAuth applications: create an app, then "
            "authorize it for the workspace to obtain the access token."
        },
    )
    team_key: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9]{1,10}$",
        description="Key of the team ARIA creates issues in (the prefix of its issue ids, SEC "
        "for SEC-12).",
        json_schema_extra={
            "where_to_find": f"{SETTINGS} > Teams > your team: the Identifier field; issue ids "
            "of that team start with it."
        },
    )
    team_id: str | None = Field(
        default=None,
        description="The team's id (a UUID), instead of team_key.",
        json_schema_extra={
            "where_to_find": "Command menu (Ctrl/Cmd+K) > 'Copy model UUID' on the team's page, "
            "or leave empty and set team_key."
        },
    )
    state_mapping: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_STATE_MAPPING),
        description="ARIA risk status (open, in_progress, closed) -> workflow state name in the "
        "team (Todo, In Progress, Done by default).",
        json_schema_extra={
            "where_to_find": f"{SETTINGS} > Teams > your team > Workflow: use the state names "
            "exactly as listed there."
        },
    )
    webhook_secret: Secret | None = Field(
        default=None,
        description="Signing secret of the Linear webhook that sends Issue and Comment events.",
        json_schema_extra={
            "where_to_find": f"{SETTINGS} > API > Webhooks > New webhook (URL: ARIA's webhook "
            "URL for this installation; data change events: Issues, Comments); copy the "
            "signing secret shown on the webhook's page."
        },
    )
    page_size: int = Field(
        default=50,
        ge=1,
        le=MAX_PAGE,
        description="Issues per page of the tickets sync (first:), at most 100.",
        json_schema_extra={"where_to_find": "Keep the default (Linear's own default page)."},
    )

    @model_validator(mode="after")
    def _credentials_and_team(self) -> LinearConfig:
        """Each auth method needs its credential, and ARIA needs a team; name what is missing."""
        if self.auth_method == "api_key" and not self.api_key:
            raise ValueError("api_key: auth_method 'api_key' needs an API key")
        if self.auth_method == "oauth" and not self.oauth_access_token:
            raise ValueError("oauth_access_token: auth_method 'oauth' needs an access token")
        if not (self.team_key or self.team_id):
            raise ValueError("team_key: set the team's key (or team_id)")
        unknown = sorted(set(self.state_mapping) - set(DEFAULT_STATE_MAPPING))
        if unknown:
            raise ValueError(
                f"state_mapping: unknown ARIA statuses {unknown}; use open, in_progress, closed"
            )
        if any(not str(v).strip() for v in self.state_mapping.values()):
            raise ValueError("state_mapping: workflow state names cannot be empty")
        return self
