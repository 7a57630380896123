"""Risks are created from high findings, grouped per asset and technique, and close (with
a reason) when all their findings are resolved; a reopened finding reopens its risk."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from aria.grc import models, risks
from aria.grc.store import Source, upsert
from tests.grc.test_store import detection


def _apply(session: Session, source: Source, records: list) -> dict[str, int]:
    stats = upsert(session, source=source, stream="alerts", records=records)
    return risks.evaluate(session, organization_id=source.organization_id, events=stats.events)


def test_high_findings_create_and_join_one_risk_per_asset_and_technique(
    session: Session, source: Source
) -> None:
    counts = _apply(
        session, source, [detection("a1"), detection("a2"), detection("b1", host="db02")]
    )
    assert counts["created"] == 2
    all_risks = session.scalars(select(models.Risk).order_by(models.Risk.id)).all()
    assert len(all_risks) == 2
    first = all_risks[0]
    assert first.likelihood == 4 and first.impact == 3 and first.score == 12
    assert "T1003" in first.title and first.status == "open"
    links = session.scalars(
        select(models.RiskFinding).where(models.RiskFinding.risk_id == first.id)
    )
    assert len(links.all()) == 2


def test_low_findings_create_no_risk(session: Session, source: Source) -> None:
    from aria.sdk import Finding

    low = Finding.detection(uid="low", title="Adware", severity="low", asset={"hostname": "x1"})
    assert _apply(session, source, [low])["created"] == 0


def test_risk_closes_when_all_findings_resolve_and_reopens(
    session: Session, source: Source
) -> None:
    _apply(session, source, [detection("a1"), detection("a2")])
    _apply(session, source, [detection("a1", status="resolved")])
    risk = session.scalar(select(models.Risk))
    assert risk is not None and risk.status == "open"
    counts = _apply(session, source, [detection("a2", status="resolved")])
    assert counts["closed"] == 1
    session.refresh(risk)
    assert risk.status == "closed" and risk.closed_at is not None
    assert risk.status_reason == "all 2 findings behind it were resolved"
    counts = _apply(session, source, [detection("a2")])
    assert counts["reopened"] == 1
    session.refresh(risk)
    assert risk.status == "open" and risk.closed_at is None


def test_configured_rule_replaces_the_default(session: Session, source: Source) -> None:
    session.add(
        models.RiskRule(
            organization_id=source.organization_id,
            name="Everything per technique",
            min_severity_id=1,
            group_by="technique",
            finding_kinds=["detection"],
            likelihood_by_severity={"4": 2},
            impact_by_criticality={"default": 5},
        )
    )
    session.flush()
    _apply(session, source, [detection("a1"), detection("b1", host="other")])
    (risk,) = session.scalars(select(models.Risk)).all()
    assert (risk.likelihood, risk.impact, risk.score) == (2, 5, 10)
