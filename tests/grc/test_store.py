"""Batch upserts: every record lands once; lifecycle transitions are classified exactly."""

from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aria.grc import models, store
from aria.grc.store import Source, resolve_absent, upsert
from aria.sdk import Finding, Incident, Indicator
from aria.sdk.records import FindingStatus


def detection(
    uid: str, *, title: str = "Mimikatz", status: str = "new", host: str = "web01"
) -> Finding:
    return Finding.detection(
        uid=uid,
        title=title,
        severity="high",
        status=status,
        asset={"hostname": host, "agent_id": f"agent-{host}"},
        technique_id="T1003",
        raw={"id": uid, "title": title},
    )


def count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_new_then_unchanged_then_updated(session: Session, source: Source) -> None:
    first = upsert(
        session, source=source, stream="alerts", records=[detection("a"), detection("b")]
    )
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert [e.kind for e in first.events] == ["new", "new"]
    again = upsert(
        session, source=source, stream="alerts", records=[detection("a"), detection("b")]
    )
    assert (again.created, again.updated, again.unchanged, again.events) == (0, 0, 2, [])
    changed = upsert(
        session, source=source, stream="alerts", records=[detection("a", title="Mimikatz v2")]
    )
    assert (changed.updated, [e.kind for e in changed.events]) == (1, ["updated"])
    assert count(session, models.Finding) == 2
    row = session.scalar(select(models.Finding).where(models.Finding.uid == "a"))
    assert row is not None
    assert row.title == "Mimikatz v2" and row.raw == {"id": "a", "title": "Mimikatz v2"}
    assert row.technique_id == "T1003" and row.kind == "detection" and row.severity_id == 4


def test_duplicates_within_a_page_land_once(session: Session, source: Source) -> None:
    stats = upsert(
        session,
        source=source,
        stream="alerts",
        records=[detection("x", title="one"), detection("x", title="two")],
    )
    assert stats.created == 1
    assert session.scalar(select(models.Finding.title)) == "two"


def test_resolve_and_reopen(session: Session, source: Source) -> None:
    upsert(session, source=source, stream="alerts", records=[detection("r")])
    resolved = upsert(
        session, source=source, stream="alerts", records=[detection("r", status="resolved")]
    )
    assert [e.kind for e in resolved.events] == ["resolved"]
    row = session.scalar(select(models.Finding))
    assert row is not None and row.resolved_at is not None
    reopened = upsert(session, source=source, stream="alerts", records=[detection("r")])
    assert [e.kind for e in reopened.events] == ["reopened"]
    session.refresh(row)
    assert row.reopened_count == 1 and row.resolved_at is None
    assert row.status_id == int(FindingStatus.NEW)


def test_absent_from_a_full_sync_is_resolved_and_reopens_when_seen(
    session: Session, source: Source
) -> None:
    upsert(session, source=source, stream="alerts", records=[detection("k"), detection("gone")])
    full = dataclasses.replace(source, job_id=uuid.uuid4())
    upsert(session, source=full, stream="alerts", records=[detection("k")])
    stats = resolve_absent(session, source=full, stream="alerts", entity="finding")
    assert stats.resolved == 1
    gone = session.scalar(select(models.Finding).where(models.Finding.uid == "gone"))
    assert gone is not None and gone.status_id == 4
    back = upsert(session, source=full, stream="alerts", records=[detection("gone")])
    assert [e.kind for e in back.events] == ["reopened"]


def test_one_device_seen_by_three_tools_is_one_asset(session: Session, source: Source) -> None:
    from aria.sdk import Asset
    from tests.grc.conftest import make_source

    org_id = source.organization_id
    from aria.accounts.models import Organization

    org = session.get(Organization, org_id)
    edr = source
    scanner = make_source(session, key="scanner", org=org)
    cmdb = make_source(session, key="cmdb", org=org)
    upsert(
        session,
        source=edr,
        stream="devices",
        records=[
            Asset(uid="d1", hostname="web01", agent_id="agent-web01", macs=["AA-BB-CC-DD-EE-01"])
        ],
    )
    upsert(
        session,
        source=scanner,
        stream="hosts",
        records=[
            Asset(uid="s1", hostname="web01.corp", macs=["aa:bb:cc:dd:ee:01"], serial="SN123")
        ],
    )
    upsert(
        session,
        source=cmdb,
        stream="cis",
        records=[Asset(uid="c1", hostname="WEB01", serial="SN123", ips=["10.0.0.5"])],
    )
    assert count(session, models.AssetSource) == 3
    assets = session.scalars(select(models.Asset)).all()
    assert len(assets) == 1
    assert set(assets[0].sources) == {"acme-edr", "scanner", "cmdb"}
    assert "10.0.0.5" in assets[0].ips
    finding = upsert(session, source=edr, stream="alerts", records=[detection("f", host="web01")])
    assert finding.created == 1
    row = session.scalar(select(models.Finding))
    assert row is not None and row.asset_id == assets[0].id


def test_two_assets_merge_when_a_record_links_them(session: Session, source: Source) -> None:
    from aria.sdk import Asset

    upsert(
        session,
        source=source,
        stream="devices",
        records=[
            Asset(uid="1", hostname="a1", agent_id="agent-1"),
            Asset(uid="2", hostname="b2", serial="SERIAL-2"),
        ],
    )
    upsert(session, source=source, stream="alerts", records=[detection("on-a1", host="a1")])
    assert count(session, models.Asset) == 2
    upsert(
        session,
        source=source,
        stream="devices",
        records=[Asset(uid="1", hostname="a1", agent_id="agent-1", serial="SERIAL-2")],
    )
    assets = session.scalars(select(models.Asset)).all()
    assert len(assets) == 1
    survivor = assets[0].id
    assert set(session.scalars(select(models.AssetIdentifier.asset_id))) == {survivor}
    assert set(session.scalars(select(models.Finding.asset_id))) == {survivor}


def test_other_entities_and_organization_scope(session: Session, source: Source) -> None:
    from tests.grc.conftest import make_source

    other = make_source(session)
    records = [
        Incident(uid="inc-1", title="Ransomware", severity="critical"),
        Indicator(type="domain", value="EVIL[.]example.COM", severity="high"),
    ]
    upsert(session, source=source, stream="mixed", records=records)
    upsert(session, source=other, stream="mixed", records=records)
    assert count(session, models.Incident) == 2
    indicators = session.scalars(select(models.Indicator)).all()
    assert {i.value for i in indicators} == {"evil.example.com"}
    assert len(indicators) == 2  # one per organization, never shared across tenants


def test_a_record_stored_meanwhile_by_another_writer_is_overwritten_once(
    session: Session, source: Source, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Between the classification SELECT and the INSERT another writer stores one of the
    page's records: the page still lands each record once, with its own content."""
    name = "_insert_unnest" if session.get_bind().dialect.name == "postgresql" else "_insert_values"
    real = getattr(store, name)

    def racing(session_: Session, core, rows):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(store, name, real)
        theirs = upsert(
            session_, source=source, stream="alerts", records=[detection("raced", title="theirs")]
        )
        assert theirs.created == 1
        return real(session_, core, rows)

    monkeypatch.setattr(store, name, racing)
    stats = upsert(
        session,
        source=source,
        stream="alerts",
        records=[detection("raced", title="ours"), detection("calm")],
    )
    assert stats.created == 2 and len({e.record_id for e in stats.events}) == 2
    titles = dict(session.execute(select(models.Finding.uid, models.Finding.title)).all())
    assert titles == {"raced": "ours", "calm": "Mimikatz"}
