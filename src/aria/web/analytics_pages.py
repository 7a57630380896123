"""Analytics dashboard: per organization and per installation, daily charts rendered as SVG
(records synced, API calls, errors, response time, uptime) plus the totals behind them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from aria.analytics import service as analytics
from aria.db.types import utcnow
from aria.installs import health as installs_health
from aria.installs import service as installs
from aria.web import charts
from aria.web.context import CurrentPage, PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

RANGES = {"7": 7, "30": 30, "90": 90}
METRICS = (
    ("records_synced", "Records synced", ""),
    ("api_calls", "API calls", ""),
    ("failed_calls", "Errors (failed calls)", ""),
    ("avg_response_time_ms", "Average response time", "ms"),
    ("uptime_percentage", "Uptime", "%"),
)


def _range(days: str) -> tuple[date, date, str]:
    chosen = days if days in RANGES else "30"
    today = utcnow().date()
    start = date.fromordinal(today.toordinal() - RANGES[chosen] + 1)
    return start, today, chosen


def _charts(rows: list[Any], start: date, end: date) -> list[tuple[str, Markup]]:
    out = []
    for attr, title, unit in METRICS:
        points = [(r.day, getattr(r, attr)) for r in rows]
        out.append(
            (
                title,
                charts.bar_chart(
                    points,
                    start=start,
                    end=end,
                    title=title,
                    unit=unit,
                    ceiling=100.0 if unit == "%" else None,
                ),
            )
        )
    return out


class _Day:
    """One day summed across installations (uptime and response time averaged)."""

    def __init__(self, day: date) -> None:
        self.day = day
        self.records_synced = 0
        self.api_calls = 0
        self.failed_calls = 0
        self._latency_weight = Decimal(0)
        self._uptimes: list[Decimal] = []

    def add(self, row: Any) -> None:
        self.records_synced += row.records_synced
        self.api_calls += row.api_calls
        self.failed_calls += row.failed_calls
        self._latency_weight += Decimal(row.avg_response_time_ms) * row.api_calls
        self._uptimes.append(Decimal(row.uptime_percentage))

    @property
    def avg_response_time_ms(self) -> Decimal:
        return self._latency_weight / self.api_calls if self.api_calls else Decimal(0)

    @property
    def uptime_percentage(self) -> Decimal:
        return (
            sum(self._uptimes, Decimal(0)) / len(self._uptimes) if self._uptimes else Decimal(100)
        )


@router.get("/analytics")
def organization_dashboard(page: CurrentPage, days: str = "30") -> HTMLResponse:
    """Every installation's usage over the range, summed per day, and a table per install."""
    start, end, chosen = _range(days)
    today = utcnow().date()
    per_day: dict[date, _Day] = defaultdict(lambda: _Day(date.min))
    table = []
    for installation, entry in installs.list_(page.session, organization_id=page.organization_id):
        used = analytics.usage(
            page.session, installation=installation, start=start, end=end, today=today
        )
        table.append((installation, entry, used.totals))
        for row in used.days:
            if row.day not in per_day:
                per_day[row.day] = _Day(row.day)
            per_day[row.day].add(row)
    rows = sorted(per_day.values(), key=lambda d: d.day)
    return page.render(
        "analytics/dashboard.html",
        charts=_charts(rows, start, end),
        table=table,
        days=chosen,
        ranges=RANGES,
        start=start,
        end=end,
        totals={
            "records_synced": sum(t.records_synced for _, _, t in table),
            "api_calls": sum(t.api_calls for _, _, t in table),
            "failed_calls": sum(t.failed_calls for _, _, t in table),
            "estimated_cost": sum((t.estimated_cost for _, _, t in table), Decimal(0)),
        },
    )


@router.get("/analytics/installations/{installation_id}")
def installation_dashboard(
    page: CurrentPage, installation_id: uuid.UUID, days: str = "30"
) -> HTMLResponse:
    installed = installs_health.installed_or_raise(page.session, page.principal, installation_id)
    start, end, chosen = _range(days)
    used = analytics.usage(
        page.session,
        installation=installed.installation,
        start=start,
        end=end,
        today=utcnow().date(),
    )
    return page.render(
        "analytics/installation.html",
        inst=installed.installation,
        entry=installed.entry,
        charts=_charts(used.days, start, end),
        totals=used.totals,
        days=chosen,
        ranges=RANGES,
        start=start,
        end=end,
    )
