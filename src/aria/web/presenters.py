"""Template filters: how numbers, dates, severities and states read on a page.

Dates render as ``<time datetime="…">`` with a UTC fallback text; ``static/app.js`` rewrites
them into the reader's time zone (the server does not know it).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape

from aria.db.types import utcnow
from aria.sdk.records.enums import FindingStatus, IncidentStatus, Severity

SEVERITY_CLASS = {
    0: "sev-0",
    1: "sev-1",
    2: "sev-2",
    3: "sev-3",
    4: "sev-4",
    5: "sev-5",
    6: "sev-5",
}
STATUS_LIGHT = {
    "enabled": ("ok", "Active"),
    "configuring": ("idle", "Setting up"),
    "disabled": ("idle", "Disabled"),
    "suspended": ("warn", "Suspended"),
    "error": ("bad", "Error"),
}
HEALTH_CLASS = {"healthy": "ok", "degraded": "warn", "down": "bad", "unknown": "idle"}
CATEGORY_LABELS = {
    "edr": "EDR",
    "vuln_mgmt": "Vulnerability management",
    "threat_intel": "Threat intelligence",
    "siem": "SIEM",
    "ticketing": "Ticketing",
    "cloud_security": "Cloud security",
    "iam": "Identity & access",
    "network_security": "Network security",
    "dlp": "Data loss prevention",
    "email_security": "Email security",
    "backup": "Backup",
    "config_mgmt": "Configuration management",
}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def time_tag(value: datetime | None, relative: bool = False) -> Markup:
    """A ``<time>`` element; JS shows it in the reader's zone (relative ones stay relative)."""
    if value is None:
        return Markup('<span class="muted">never</span>')
    value = _aware(value)
    iso = value.isoformat()
    text = ago(value) if relative else value.strftime("%Y-%m-%d %H:%M UTC")
    kind = "relative" if relative else "absolute"
    return Markup('<time datetime="{}" data-format="{}">{}</time>').format(iso, kind, text)


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """ "2 min ago" — the card's last-sync line."""
    if value is None:
        return "never"
    seconds = int(((now or utcnow()) - _aware(value)).total_seconds())
    if seconds < 0:
        seconds = -seconds
        for size, unit in ((86400, "day"), (3600, "h"), (60, "min")):
            if seconds >= size:
                n = seconds // size
                return f"in {n} {unit}{'s' if unit == 'day' and n > 1 else ''}"
        return "in a moment"
    if seconds < 45:
        return "just now"
    for size, unit in ((86400, "day"), (3600, "h"), (60, "min")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if unit == 'day' and n > 1 else ''} ago"
    return "just now"


def severity(value: int | None) -> Markup:
    value = value or 0
    try:
        caption = Severity(value).caption
    except ValueError:
        caption = str(value)
    css = SEVERITY_CLASS.get(value, "sev-0")
    return Markup('<span class="sev {}">{}</span>').format(css, caption)


def finding_status(value: int | None) -> str:
    try:
        return FindingStatus(value or 0).caption
    except ValueError:
        return str(value)


def incident_status(value: int | None) -> str:
    try:
        return IncidentStatus(value or 0).caption
    except ValueError:
        return str(value)


def status_light(status: str) -> Markup:
    css, label = STATUS_LIGHT.get(status, ("idle", status))
    return Markup('<span class="light {}" aria-hidden="true"></span><span>{}</span>').format(
        css, label
    )


def health(status: str | None) -> Markup:
    status = status or "unknown"
    css = HEALTH_CLASS.get(status, "idle")
    return Markup('<span class="pill {}">{}</span>').format(css, status)


def logo_uri(svg: str | None) -> str | None:
    """A logo as a ``data:`` URI for an ``<img>``: scripts inside an SVG never run there."""
    if not svg:
        return None
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def stars(value: Any) -> Markup:
    rating = float(value or 0)
    full = round(rating)
    shown = "★" * full + "☆" * (5 - full)
    return Markup('<span class="stars" aria-label="{} out of 5">{}</span>').format(
        f"{rating:.1f}", shown
    )


def number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal | float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{int(value):,}"
    return f"{value:,}"


def category(value: str | None) -> str:
    if not value:
        return ""
    return CATEGORY_LABELS.get(value, value.replace("_", " ").capitalize())


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def humanize(value: str | None) -> str:
    return (value or "").replace("_", " ")


def install(env: Environment) -> None:
    env.filters.update(
        time=time_tag,
        ago=ago,
        severity=severity,
        finding_status=finding_status,
        incident_status=incident_status,
        light=status_light,
        health=health,
        logo_uri=logo_uri,
        stars=stars,
        number=number,
        category=category,
        as_json=as_json,
        humanize=humanize,
    )
    env.globals["escape"] = escape
