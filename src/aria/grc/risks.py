"""Automatic risk creation from findings, inside the same transaction as the upsert.

A rule (per organization; a sensible default when none is configured) says which findings
matter (minimum severity, kinds) and how they group (per asset and ATT&CK technique, per
asset, or per technique). Matching findings create or join the open risk of their group;
likelihood comes from the worst severity, impact from the asset's criticality, and
score = likelihood x impact (1-25). A risk closes, with the reason recorded, when every
finding behind it is resolved; a reopened finding reopens its risk.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from aria.db.types import utcnow
from aria.grc import models
from aria.grc.events import LifecycleEvent
from aria.grc.store import among, insert_ignoring_conflicts

SEVERITY_NAMES = {
    0: "unknown",
    1: "informational",
    2: "low",
    3: "medium",
    4: "high",
    5: "critical",
    6: "fatal",
}
DEFAULT_LIKELIHOOD = {"3": 3, "4": 4, "5": 5, "6": 5}
DEFAULT_IMPACT = {"critical": 5, "high": 4, "medium": 3, "low": 2, "default": 3}


CHUNK = 500  # ids per IN (...) list


@dataclass
class Outcome:
    """What a batch did to risks: counts, and which risks changed (for push-outs)."""

    created: list[int] = field(default_factory=list)
    joined: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)

    def __getitem__(self, kind: str) -> int:
        return len(getattr(self, kind))

    @property
    def changed(self) -> dict[str, list[int]]:
        return {"created": self.created, "reopened": self.reopened, "closed": self.closed}


@dataclass(frozen=True)
class Rule:
    id: int | None
    name: str
    min_severity_id: int
    kinds: tuple[str, ...]
    group_by: str
    likelihood_by_severity: dict[str, int]
    impact_by_criticality: dict[str, int]


DEFAULT_RULE = Rule(
    id=None,
    name="High and critical findings, per asset and technique",
    min_severity_id=4,
    kinds=("detection", "vulnerability", "compliance"),
    group_by="asset_technique",
    likelihood_by_severity=DEFAULT_LIKELIHOOD,
    impact_by_criticality=DEFAULT_IMPACT,
)


def rules_for(session: Session, organization_id: uuid.UUID) -> list[Rule]:
    rows = session.scalars(
        select(models.RiskRule).where(
            models.RiskRule.organization_id == organization_id, models.RiskRule.is_active.is_(True)
        )
    ).all()
    if not rows:
        return [DEFAULT_RULE]
    return [
        Rule(
            id=row.id,
            name=row.name,
            min_severity_id=row.min_severity_id,
            kinds=tuple(row.finding_kinds) or DEFAULT_RULE.kinds,
            group_by=row.group_by,
            likelihood_by_severity=row.likelihood_by_severity or DEFAULT_LIKELIHOOD,
            impact_by_criticality=row.impact_by_criticality or DEFAULT_IMPACT,
        )
        for row in rows
    ]


def _group_key(rule: Rule, finding: Any) -> str:
    asset = str(finding.asset_id) if finding.asset_id else (finding.asset_key or "no-asset")
    technique = finding.technique_id or finding.kind
    part = {"asset": asset, "technique": technique}.get(rule.group_by, f"{asset}|{technique}")
    return f"{rule.id or 'default'}:{rule.group_by}:{part}"


def _likelihood(rule: Rule, severity_id: int) -> int:
    return max(1, min(5, rule.likelihood_by_severity.get(str(severity_id), min(5, severity_id))))


def _impact(rule: Rule, criticality: str | None) -> int:
    table = rule.impact_by_criticality
    return max(1, min(5, table.get(criticality or "", table.get("default", 3))))


def _title(rule: Rule, finding: Any, hostname: str | None) -> str:
    what = finding.technique_id or finding.cve or finding.kind
    where = hostname or finding.asset_key or "an unidentified asset"
    return f"{SEVERITY_NAMES.get(finding.severity_id, 'high').capitalize()} {what} on {where}"


def evaluate(
    session: Session,
    *,
    organization_id: uuid.UUID,
    events: list[LifecycleEvent],
    now: datetime | None = None,
) -> Outcome:
    """Apply the organization's risk rules to a batch of finding lifecycle events."""
    now = now or utcnow()
    counts = Outcome()
    finding_events = [e for e in events if e.entity == "finding"]
    if not finding_events:
        return counts
    active = [e.record_id for e in finding_events if e.kind in ("new", "updated", "reopened")]
    resolved = [e.record_id for e in finding_events if e.kind == "resolved"]
    if active:
        _assign(session, organization_id, active, now, counts)
    if resolved:
        _close_if_done(session, resolved, now, counts)
    session.flush()
    return counts


def _assign(
    session: Session,
    organization_id: uuid.UUID,
    finding_ids: list[int],
    now: datetime,
    counts: Outcome,
) -> None:
    rules = rules_for(session, organization_id)
    # Only the columns rules need: loading whole rows would decode every raw JSON payload.
    # Plain rows through the session's connection (the same transaction), not the ORM's
    # result machinery: this runs on every page of every sync. Flushed first, so assets an
    # asset stream changed on this page read as changed.
    session.flush()
    connection = session.connection()
    f = models.Finding
    rows = connection.execute(
        select(
            f.id,
            f.severity_id,
            f.status_id,
            f.kind,
            f.asset_id,
            f.asset_key,
            f.technique_id,
            f.cve,
            models.Asset.criticality,
            models.Asset.hostname,
        )
        .outerjoin(models.Asset, models.Asset.id == f.asset_id)
        .where(among(session, f.id, finding_ids))
    ).all()
    wanted: dict[str, tuple[Rule, list[tuple[Any, str | None, str | None]]]] = {}
    for finding in rows:
        criticality, hostname = finding.criticality, finding.hostname
        if finding.status_id in (4, 5):
            continue
        for rule in rules:
            if finding.severity_id >= rule.min_severity_id and finding.kind in rule.kinds:
                key = _group_key(rule, finding)
                wanted.setdefault(key, (rule, []))[1].append((finding, criticality, hostname))
    if not wanted:
        return
    # Open risks win; otherwise the newest closed one of the group is reopened.
    r = models.Risk
    risks: dict[str, Any] = {}
    for row in connection.execute(
        select(r.id, r.group_key, r.status, r.likelihood, r.impact)
        .where(r.organization_id == organization_id, among(session, r.group_key, list(wanted)))
        .order_by(r.id)
    ):
        current = risks.get(row.group_key)
        if current is None or current.status == "closed":
            risks[row.group_key] = row
    created: list[tuple[dict[str, Any], list[int]]] = []
    links: list[dict[str, object]] = []
    rescored: list[dict[str, Any]] = []
    for key, (rule, members) in wanted.items():
        worst = max(members, key=lambda m: m[0].severity_id)
        likelihood = _likelihood(rule, worst[0].severity_id)
        impact = _impact(rule, worst[1])
        finding_ids = [f.id for f, _, _ in members]
        risk = risks.get(key)
        if risk is None:
            values = {
                "organization_id": organization_id,
                "rule_id": rule.id,
                "group_key": key,
                "title": _title(rule, worst[0], worst[2]),
                "description": f"Created by rule: {rule.name}",
                "likelihood": likelihood,
                "impact": impact,
                "score": likelihood * impact,
                "treatment": "mitigate",
                "status": "open",
                "asset_id": worst[0].asset_id,
                "technique_id": worst[0].technique_id,
                "created_at": now,
                "updated_at": now,
            }
            created.append((values, finding_ids))
            continue
        (counts.reopened if risk.status == "closed" else counts.joined).append(risk.id)
        if likelihood > risk.likelihood or impact > risk.impact:
            worse_likelihood = max(risk.likelihood, likelihood)
            worse_impact = max(risk.impact, impact)
            rescored.append(
                {
                    "id": risk.id,
                    "likelihood": worse_likelihood,
                    "impact": worse_impact,
                    "score": worse_likelihood * worse_impact,
                }
            )
        links.extend({"risk_id": risk.id, "finding_id": f, "created_at": now} for f in finding_ids)
    _touch(session, counts, rescored, now)
    if created:
        ids = _insert_risks(session, [values for values, _ in created])
        for values, finding_ids in created:
            risk_id = ids[values["group_key"]]
            counts.created.append(risk_id)
            links.extend(
                {"risk_id": risk_id, "finding_id": f, "created_at": now} for f in finding_ids
            )
    insert_ignoring_conflicts(
        session, models.RiskFinding.__table__, links, ("risk_id", "finding_id")
    )


def _insert_risks(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """One executemany INSERT ... RETURNING for every new risk of a page; id by group key
    (unique among them). Asking for the ids in parameter order instead makes SQLite, whose
    RETURNING order is unspecified, fall back to one INSERT per risk."""
    table = models.Risk.__table__
    inserted = session.execute(insert(table).returning(table.c.id, table.c.group_key), rows)
    return {group_key: risk_id for risk_id, group_key in inserted}


def _touch(
    session: Session, counts: Outcome, rescored: list[dict[str, Any]], now: datetime
) -> None:
    """Set-based updates of the risks a page joined or reopened (never one UPDATE per risk)."""
    r = models.Risk
    reopen = {
        "status": "open",
        "closed_at": None,
        "status_reason": "reopened: a finding behind it is open again",
        "updated_at": now,
    }
    for ids, values in ((counts.reopened, reopen), (counts.joined, {"updated_at": now})):
        for start in range(0, len(ids), CHUNK):
            session.execute(
                update(r).where(r.id.in_(ids[start : start + CHUNK])).values(**values),
                execution_options={"synchronize_session": False},
            )
    if rescored:
        session.execute(update(r), rescored)  # executemany by primary key


def _close_if_done(
    session: Session, finding_ids: list[int], now: datetime, counts: Outcome
) -> None:
    risk_ids = set(
        session.scalars(
            select(models.RiskFinding.risk_id).where(
                among(session, models.RiskFinding.finding_id, finding_ids)
            )
        )
    )
    if not risk_ids:
        return
    open_counts: dict[int, int] = defaultdict(int)
    totals: dict[int, int] = defaultdict(int)
    for risk_id, status_id, n in session.execute(
        select(models.RiskFinding.risk_id, models.Finding.status_id, func.count())
        .join(models.Finding, models.Finding.id == models.RiskFinding.finding_id)
        .where(models.RiskFinding.risk_id.in_(risk_ids))
        .group_by(models.RiskFinding.risk_id, models.Finding.status_id)
    ):
        totals[risk_id] += n
        if status_id not in (4, 5):
            open_counts[risk_id] += n
    for risk in session.scalars(
        select(models.Risk).where(models.Risk.id.in_(risk_ids), models.Risk.status != "closed")
    ):
        if open_counts[risk.id] == 0:
            risk.status = "closed"
            risk.closed_at = now
            risk.updated_at = now
            risk.status_reason = f"all {totals[risk.id]} findings behind it were resolved"
            counts.closed.append(risk.id)
