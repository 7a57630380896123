"""The schema's promises hold on every database: uniqueness, checks, cascades, UTC, JSON."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from aria.accounts.models import Membership, Organization, User
from aria.catalog.models import CatalogEntry, Review
from aria.installs.models import ActivityLog, Configuration, Installation


def _org(session: Session, name: str = "Acme") -> Organization:
    org = Organization(name=name, slug=name.lower())
    session.add(org)
    session.flush()
    return org


def _user(session: Session, email: str = "a@example.com") -> User:
    user = User(email=email, password_hash="x")
    session.add(user)
    session.flush()
    return user


def _entry(session: Session, key: str = "crowdstrike-falcon") -> CatalogEntry:
    entry = CatalogEntry(
        key=key,
        name="CrowdStrike Falcon",
        vendor="CrowdStrike",
        category="edr",
        version="1.0.0",
        config_schema={"type": "object", "properties": {"client_id": {"type": "string"}}},
    )
    session.add(entry)
    session.flush()
    return entry


def test_one_installation_per_organization_and_integration(session: Session) -> None:
    org, entry = _org(session), _entry(session)
    session.add(Installation(organization_id=org.id, integration_id=entry.id))
    session.flush()
    session.add(Installation(organization_id=org.id, integration_id=entry.id))
    with pytest.raises(IntegrityError):
        session.flush()


@pytest.mark.parametrize("rating", [0, 6])
def test_review_rating_must_be_between_1_and_5(session: Session, rating: int) -> None:
    org, user, entry = _org(session), _user(session), _entry(session)
    session.add(
        Review(
            integration_id=entry.id,
            organization_id=org.id,
            user_id=user.id,
            rating=rating,
            title="t",
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_unknown_enum_values_are_refused_by_the_database(session: Session) -> None:
    org, entry = _org(session), _entry(session)
    session.add(Installation(organization_id=org.id, integration_id=entry.id, status="bogus"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    user = _user(session)
    org = _org(session, "Other")
    session.add(Membership(organization_id=org.id, user_id=user.id, role="superuser"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_deleting_an_installation_keeps_activity_but_cascades_configuration(
    session: Session,
) -> None:
    org, entry = _org(session), _entry(session)
    install = Installation(organization_id=org.id, integration_id=entry.id)
    session.add(install)
    session.flush()
    session.add(Configuration(installation_id=install.id, version=1, config_hash="h"))
    session.add(
        ActivityLog(
            organization_id=org.id,
            installation_id=install.id,
            integration_id=entry.id,
            activity_type="install",
            status="success",
        )
    )
    session.commit()
    session.delete(install)
    session.commit()
    session.expire_all()
    assert session.scalars(select(Configuration)).all() == []
    (log,) = session.scalars(select(ActivityLog)).all()
    assert log.installation_id is None
    assert log.organization_id == org.id


def test_deleting_an_organization_cascades_its_tenant_data(session: Session) -> None:
    org, entry, user = _org(session), _entry(session), _user(session)
    session.add(Installation(organization_id=org.id, integration_id=entry.id))
    session.add(Membership(organization_id=org.id, user_id=user.id, role="owner"))
    session.commit()
    session.delete(org)
    session.commit()
    assert session.scalars(select(Installation)).all() == []
    assert session.scalars(select(Membership)).all() == []
    assert session.get(CatalogEntry, entry.id) is not None
    assert session.get(User, user.id) is not None


def test_catalog_entry_in_use_cannot_be_deleted(session: Session) -> None:
    """Catalog rows are deprecated, never deleted: installations point at them."""
    org, entry = _org(session), _entry(session)
    session.add(Installation(organization_id=org.id, integration_id=entry.id))
    session.commit()
    session.delete(entry)
    with pytest.raises(IntegrityError):
        session.commit()


def test_timestamps_round_trip_as_aware_utc(session: Session) -> None:
    org = _org(session)
    eastern = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    org.created_at = eastern
    session.commit()
    session.expire_all()
    loaded = session.get(Organization, org.id)
    assert loaded is not None
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset() == timedelta(0)
    assert loaded.created_at == datetime(2026, 3, 1, 17, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused(session: Session) -> None:
    org = _org(session)
    org.created_at = datetime(2026, 3, 1, 12, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_json_columns_round_trip(session: Session) -> None:
    entry = _entry(session)
    entry.features = ["Alerts", "Devices", {"nested": [1, 2, None]}]  # type: ignore[list-item]
    session.commit()
    session.expire_all()
    loaded = session.get(CatalogEntry, entry.id)
    assert loaded is not None
    assert loaded.features == ["Alerts", "Devices", {"nested": [1, 2, None]}]
    assert loaded.config_schema["properties"]["client_id"]["type"] == "string"
    assert isinstance(loaded.id, uuid.UUID)
