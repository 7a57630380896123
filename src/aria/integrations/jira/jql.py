"""The JQL ARIA sends: quoting, the tickets query, and dates in the searching user's zone.

JQL date literals (``"2025/06/01 10:05"``) have minute precision and no offset: Jira reads
them in the time zone of the account that searches (its profile setting, ``timeZone`` of
``GET /rest/api/3/myself``). An incremental read therefore formats its window start in that
zone, floored to the minute; if the zone is unknown here it formats UTC twelve hours early
(the furthest any zone lags UTC), so a read may fetch more but never misses an update. The
SDK drops what is older than the real window start.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aria.sdk import ticketing

TICKET_FIELDS = (
    "summary",
    "status",
    "updated",
    "created",
    "labels",
    "priority",
    "comment",
    "assignee",
    "issuetype",
    "project",
)
RISK_LABEL_PREFIX = f"{ticketing.ARIA_LABEL}-"
DATE_FORMAT = "%Y/%m/%d %H:%M"
UNKNOWN_ZONE_MARGIN = timedelta(hours=12)


def quote(value: str) -> str:
    """A JQL string literal: double quotes, with backslashes and quotes escaped."""
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", " ").replace("\r", " ")
    return f'"{escaped}"'


def zone(name: str | None) -> tzinfo | None:
    """The IANA zone called ``name`` (None when unknown here); no name means UTC."""
    if not name:
        return UTC
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def date_literal(moment: datetime, time_zone: str | None) -> str:
    """``moment`` as a JQL date in the searching user's zone, floored to the minute."""
    where = zone(time_zone)
    if where is None:
        moment, where = moment - UNKNOWN_ZONE_MARGIN, UTC
    return moment.astimezone(where).strftime(DATE_FORMAT)


def risk_label(risk_id: object) -> str:
    """The label that ties an issue to its ARIA risk: ``aria-risk-<id>``."""
    return f"{RISK_LABEL_PREFIX}{risk_id}"


def tickets_jql(
    project_key: str, since: datetime | None = None, time_zone: str | None = None
) -> str:
    """Issues ARIA opened in the project, oldest change first, from ``since`` when given."""
    clauses = [f"project = {quote(project_key)}", f"labels = {quote(ticketing.ARIA_LABEL)}"]
    if since is not None:
        clauses.append(f"updated >= {quote(date_literal(since, time_zone))}")
    return " AND ".join(clauses) + " ORDER BY updated ASC"


def issue_for_risk_jql(project_key: str, risk_id: object) -> str:
    """The issue already opened for a risk (a retried push must not open a second one)."""
    return (
        f"project = {quote(project_key)} AND labels = {quote(risk_label(risk_id))} "
        "ORDER BY created ASC"
    )
