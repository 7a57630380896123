"""Catalog search and browse through the one service function, on every database."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.orm import Session

from aria.accounts import service as accounts
from aria.catalog import search
from aria.catalog.models import CatalogEntry
from aria.catalog.pagination import InvalidCursor
from aria.db import migrate
from aria.db.engine import make_engine, make_session_factory
from aria.db.types import utcnow
from aria.installs.models import Installation
from aria.sdk.metadata import CATEGORIES

FALCON = ["crowdstrike-falcon"]
# User text holding FTS5 / tsquery syntax: what it must find (its words, nothing more).
NASTY: list[tuple[str, list[str]]] = [
    ('"', []),
    ('"crowd', ["crowdstrike-falcon", "splunk"]),
    ("crowd*", ["crowdstrike-falcon", "splunk"]),
    ("*", []),
    ("NEAR(crowd falcon)", []),  # "near" is a plain word here, found nowhere
    ("crowd falcon", FALCON),
    ("-falcon", FALCON),
    ("crowd -falcon", FALCON),  # no negation: both words required
    ("crowd AND OR NOT", []),
    ("name:crowd", []),
    ("{name vendor}: crowd", []),
    ("^crowd", ["crowdstrike-falcon", "splunk"]),
    ("falcon':* | !", FALCON),
    ("(((", []),
    ("'", []),
    ("\\", []),
    ("crowd & falcon", FALCON),
    ("%_", []),
    ("\x00falcon", FALCON),
    ("💥 falcon", FALCON),
]


def add_entry(session: Session, key: str, name: str, **values: Any) -> CatalogEntry:
    defaults: dict[str, Any] = {
        "vendor": name.split()[0],
        "product": name,
        "category": "edr",
        "description": f"{name} for security teams.",
        "features": [],
        "capabilities": ["ingest"],
        "data_types": ["alerts"],
        "auth_methods": ["api_key"],
        "version": "1.0.0",
    }
    entry = CatalogEntry(key=key, name=name, **{**defaults, **values})
    session.add(entry)
    session.flush()
    return entry


@pytest.fixture
def catalog(session: Session) -> dict[str, CatalogEntry]:
    """A small catalog whose words are chosen so ranking and filters have one right answer."""
    entries = [
        add_entry(
            session,
            "crowdstrike-falcon",
            "CrowdStrike Falcon",
            vendor="CrowdStrike",
            description="Endpoint detections, hosts and incidents from Falcon.",
            features=["Real-time detections", "Host inventory"],
            capabilities=["ingest", "sync", "webhook"],
            data_types=["alerts", "devices", "incidents"],
            auth_methods=["oauth2_client_credentials"],
            pricing_model="paid",
            avg_rating=Decimal("4.50"),
            total_reviews=10,
            total_installs=40,
        ),
        add_entry(
            session,
            "sentinelone",
            "SentinelOne Singularity",
            vendor="SentinelOne",
            description="Autonomous endpoint protection threats and agents.",
            features=["Threat ingestion", "Agent inventory"],
            capabilities=["ingest", "query"],
            data_types=["alerts", "devices"],
            pricing_model="enterprise",
            avg_rating=Decimal("4.50"),
            total_reviews=4,
            total_installs=25,
        ),
        add_entry(
            session,
            "microsoft-sentinel",
            "Microsoft Sentinel",
            vendor="Microsoft",
            category="siem",
            description="Cloud-native SIEM; push risks as incidents.",
            features=["Incident push", "Analytics rules"],
            capabilities=["push", "query"],
            data_types=["incidents", "events"],
            auth_methods=["oauth2_client_credentials"],
            pricing_model="paid",
            avg_rating=Decimal("3.90"),
            total_reviews=7,
            total_installs=60,
        ),
        add_entry(
            session,
            "splunk",
            "Splunk Enterprise",
            vendor="Splunk",
            category="siem",
            description="Forward notable events; works with CrowdStrike add-ons.",
            features=["HEC event push", "Notable event ingestion"],
            capabilities=["push", "ingest"],
            data_types=["events"],
            auth_methods=["bearer_token"],
            pricing_model="enterprise",
            status="community",
            avg_rating=Decimal("4.10"),
            total_reviews=3,
            total_installs=10,
        ),
        add_entry(
            session,
            "tenable-io",
            "Tenable Vulnerability Management",
            vendor="Tenable",
            product="Tenable.io",
            category="vuln_mgmt",
            description="Vulnerability findings and asset exposure.",
            features=["Scan export", "Asset inventory"],
            data_types=["vulnerabilities", "assets"],
            pricing_model="freemium",
            status="beta",
            total_installs=5,
        ),
        add_entry(
            session,
            "legacy-av",
            "Legacy Antivirus",
            vendor="OldCo",
            description="A retired endpoint agent.",
            status="deprecated",
            deprecated_at=utcnow(),
            total_installs=99,
        ),
    ]
    session.commit()
    return {e.key: e for e in entries}


def keys(page: search.SearchPage) -> list[str]:
    return [hit.entry.key for hit in page.items]


def find(session: Session, organization_id: uuid.UUID | None = None, **kw: Any) -> list[str]:
    return keys(search.search(session, organization_id=organization_id or uuid.uuid4(), **kw))


def test_prefix_matching_finds_while_typing(
    session: Session, catalog: dict[str, CatalogEntry]
) -> None:
    for typed in ("c", "cr", "crow", "crowd", "crowdstrike"):
        assert "crowdstrike-falcon" in find(session, q=typed)
    assert find(session, q="CROWDSTRIKE falc") == ["crowdstrike-falcon"]
    assert find(session, q="tenable.io") == ["tenable-io"]  # product, split like the index
    assert find(session, q="analytics rul") == ["microsoft-sentinel"]  # features
    assert find(session, q="microsoft") == ["microsoft-sentinel"]  # vendor
    assert find(session, q="nothingmatchesthis") == []


def test_relevance_ranks_name_over_description(
    session: Session, catalog: dict[str, CatalogEntry]
) -> None:
    # Splunk only mentions CrowdStrike in its description; the Falcon listing is named so.
    assert find(session, q="crowdstrike") == ["crowdstrike-falcon", "splunk"]
    page = search.search(session, organization_id=uuid.uuid4(), q="sentinel")
    assert page.sort == "relevance"
    assert set(keys(page)) == {"microsoft-sentinel", "sentinelone"}
    # Explicit sorts override relevance while keeping the text filter.
    assert find(session, q="crowdstrike", sort="name") == ["crowdstrike-falcon", "splunk"]
    assert find(session, q="crowdstrike", sort="installs") == ["crowdstrike-falcon", "splunk"]


def test_every_filter(session: Session, catalog: dict[str, CatalogEntry]) -> None:
    assert find(session, category="siem") == ["microsoft-sentinel", "splunk"]
    assert find(session, capability="webhook") == ["crowdstrike-falcon"]
    assert find(session, capability="push") == ["microsoft-sentinel", "splunk"]
    assert find(session, data_type="devices") == ["crowdstrike-falcon", "sentinelone"]
    assert find(session, auth_method="bearer_token") == ["splunk"]
    assert find(session, pricing_model="enterprise") == ["sentinelone", "splunk"]
    assert find(session, status="community") == ["splunk"]
    assert find(session, status="beta") == ["tenable-io"]
    assert find(session, status="official") == [
        "crowdstrike-falcon",
        "microsoft-sentinel",
        "sentinelone",
    ]
    assert "legacy-av" not in find(session)  # deprecated hidden unless asked
    assert find(session, status="deprecated") == ["legacy-av"]
    assert find(session, q="endpoint", category="edr", capability="query") == ["sentinelone"]
    # A value that looks like JSON or SQL is just a value.
    assert find(session, capability='push"]') == []
    assert find(session, data_type="x' OR 1=1 --") == []


def test_installed_filter_is_per_organization(
    session: Session, catalog: dict[str, CatalogEntry]
) -> None:
    org_a = accounts.create_organization(session, name="Org A")
    org_b = accounts.create_organization(session, name="Org B")
    session.add(Installation(organization_id=org_a.id, integration_id=catalog["splunk"].id))
    session.add(Installation(organization_id=org_b.id, integration_id=catalog["sentinelone"].id))
    session.commit()
    assert find(session, org_a.id, installed=True) == ["splunk"]
    assert find(session, org_b.id, installed=True) == ["sentinelone"]
    assert "splunk" not in find(session, org_a.id, installed=False)
    assert "splunk" in find(session, org_b.id, installed=False)
    page = search.search(session, organization_id=org_a.id)
    assert {hit.entry.key: hit.installed for hit in page.items}["splunk"] is True
    assert sum(hit.installed for hit in page.items) == 1
    assert search.installed_for(session, organization_id=org_b.id, entry=catalog["splunk"]) is None


def test_sorting(session: Session, catalog: dict[str, CatalogEntry]) -> None:
    assert find(session, sort="rating") == [
        "crowdstrike-falcon",  # 4.50 with 10 reviews beats 4.50 with 4
        "sentinelone",
        "splunk",
        "microsoft-sentinel",
        "tenable-io",
    ]
    assert find(session, sort="installs") == [
        "microsoft-sentinel",
        "crowdstrike-falcon",
        "sentinelone",
        "splunk",
        "tenable-io",
    ]
    assert find(session) == find(session, sort="name") == find(session, sort="relevance")
    assert find(session, sort="name")[0] == "crowdstrike-falcon"
    catalog["tenable-io"].description = "Vulnerability findings, asset exposure and more."
    catalog["tenable-io"].updated_at = utcnow() + timedelta(seconds=5)
    session.commit()
    assert find(session, sort="updated")[0] == "tenable-io"
    assert [hit.entry.key for hit in search.top_rated(session, organization_id=uuid.uuid4())] == [
        "crowdstrike-falcon",
        "sentinelone",
        "splunk",
        "microsoft-sentinel",
    ]


def test_pagination_has_no_duplicates_or_gaps(session: Session) -> None:
    for i in range(23):
        add_entry(
            session,
            f"tool-{i:02d}",
            f"Tool {i % 7} Endpoint",  # repeated names, ratings and installs force tie-breaks
            category=CATEGORIES[i % 3],
            avg_rating=Decimal(i % 4) + Decimal("0.25"),
            total_reviews=i % 2,
            total_installs=i % 5,
        )
    session.commit()
    org = uuid.uuid4()
    for sort in search.SORTS:
        q = "endpoint tool" if sort == "relevance" else None
        everything = find(session, org, q=q, sort=sort, limit=100)
        assert len(everything) == 23
        seen: list[str] = []
        cursor = None
        while True:
            page = search.search(
                session, organization_id=org, q=q, sort=sort, limit=4, cursor=cursor
            )
            seen.extend(keys(page))
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == everything, sort


def test_cursor_of_another_query_or_garbage_is_refused(
    session: Session, catalog: dict[str, CatalogEntry]
) -> None:
    org = uuid.uuid4()
    page = search.search(session, organization_id=org, limit=1)
    assert page.next_cursor
    for bad in ("garbage", "e30", page.next_cursor[:-2], "!!!", "a" * 2000):
        with pytest.raises(InvalidCursor):
            search.search(session, organization_id=org, limit=1, cursor=bad)
    payload = json.loads(base64.urlsafe_b64decode(page.next_cursor + "=="))
    payload["k"][0] = "a\x00"  # right scope, a value PostgreSQL could not even compare
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    with pytest.raises(InvalidCursor):
        search.search(session, organization_id=org, limit=1, cursor=forged)
    payload["k"][1] = "not-a-uuid"
    payload["k"][0] = "crowdstrike falcon"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    with pytest.raises(InvalidCursor):
        search.search(session, organization_id=org, limit=1, cursor=forged)
    with pytest.raises(InvalidCursor):
        search.search(session, organization_id=org, limit=1, sort="rating", cursor=page.next_cursor)
    with pytest.raises(InvalidCursor):
        search.search(session, organization_id=org, category="siem", cursor=page.next_cursor)


def test_category_counts_respect_every_other_filter(
    session: Session, catalog: dict[str, CatalogEntry]
) -> None:
    page = search.search(session, organization_id=uuid.uuid4(), category="siem")
    assert set(page.category_counts) == set(CATEGORIES)
    assert page.category_counts["edr"] == 2  # deprecated legacy-av not counted
    assert page.category_counts["siem"] == 2
    assert page.category_counts["vuln_mgmt"] == 1
    assert page.category_counts["dlp"] == 0
    counts = search.search(
        session, organization_id=uuid.uuid4(), q="crowdstrike", category="edr"
    ).category_counts
    assert (counts["edr"], counts["siem"], counts["vuln_mgmt"]) == (1, 1, 0)
    counts = search.search(session, organization_id=uuid.uuid4(), capability="push").category_counts
    assert (counts["edr"], counts["siem"]) == (0, 2)


def test_fts_syntax_in_user_text_is_inert(
    session: Session, catalog: dict[str, CatalogEntry]
) -> None:
    everything = find(session)
    for q, expected in NASTY:
        # Syntax-only input has no words, so it filters nothing (like an empty box).
        assert find(session, q=q) == (expected if search.terms(q) else everything), q


def test_terms_never_carry_query_syntax() -> None:
    assert search.terms("\"crowd* NEAR(a -b) 'x':*") == ["crowd", "near", "a", "b", "x"]
    assert search.fts5_query(["crowd", "near"]) == '"crowd"* "near"*'
    assert search.tsquery(["crowd", "near"]) == "'crowd':* & 'near':*"
    assert len(search.terms("w " * 100)) == search.MAX_TERMS


def test_index_follows_catalog_changes(session: Session, catalog: dict[str, CatalogEntry]) -> None:
    entry = catalog["tenable-io"]
    entry.description = "Exposure scores from Nessus sensors."
    session.commit()
    assert find(session, q="nessus", status="beta") == ["tenable-io"]
    assert find(session, q="vulnerability findings", status="beta") == []
    entry.name = "Tenable One"
    session.commit()
    assert find(session, q="one", status="beta") == ["tenable-io"]
    # Figures changing (every review/install) do not disturb the index.
    entry.total_installs = 6
    session.commit()
    assert find(session, q="nessus", status="beta") == ["tenable-io"]
    session.delete(catalog["legacy-av"])
    session.commit()
    assert find(session, q="retired", status="deprecated") == []


def test_featured_collections_in_order(session: Session) -> None:
    from aria.catalog.service import seed_collections

    falcon = add_entry(session, "crowdstrike-falcon", "CrowdStrike Falcon")
    add_entry(session, "acme-edr", "Acme EDR")
    add_entry(session, "old-edr", "Old EDR", status="deprecated")
    add_entry(session, "splunk", "Splunk", category="siem")
    seed_collections(session)
    org = accounts.create_organization(session, name="Org A")
    session.add(Installation(organization_id=org.id, integration_id=falcon.id))
    session.commit()
    found = search.featured_collections(session, organization_id=org.id)
    assert [f.collection.slug for f in found] == ["edr-suite", "vulnerability-management", "siem"]
    assert [h.entry.key for h in found[0].items] == ["crowdstrike-falcon", "acme-edr"]
    assert [h.installed for h in found[0].items] == [True, False]
    assert found[1].items == [] and [h.entry.key for h in found[2].items] == ["splunk"]


def test_postgresql_search_uses_the_gin_index(
    session: Session, catalog: dict[str, CatalogEntry]
) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite searches its FTS5 table")
    session.execute(text("SET LOCAL enable_seqscan = off"))
    query = select(CatalogEntry.key).where(
        search._PG_DOCUMENT.op("@@")(text("to_tsquery('simple', 'crowd:*')"))
    )
    compiled = query.compile(session.get_bind())
    plan = "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {compiled}")))
    assert "ix_integration_catalog_search" in plan
    session.rollback()


def test_migration_0004_indexes_existing_rows_and_downgrades(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate.upgrade(engine, "0003")
        with engine.begin() as connection:
            connection.execute(
                insert(CatalogEntry.__table__).values(
                    key="preexisting", name="Preexisting Scanner", vendor="Old", category="dlp"
                ),
                {"version": "1.0.0"},
            )
        migrate.upgrade(engine, "0004")
        with make_session_factory(engine)() as session:
            assert find(session, q="preexist") == ["preexisting"]
        with engine.begin() as connection:
            config = migrate.alembic_config(engine)
            config.attributes["connection"] = connection
            command.downgrade(config, "0003")
        inspector = inspect(engine)
        assert not [t for t in inspector.get_table_names() if not migrate.is_modelled(t)]
        columns = {c["name"] for c in inspector.get_columns("integration_catalog")}
        assert "search_document" not in columns
        migrate.upgrade(engine)
        with make_session_factory(engine)() as session:
            assert find(session, q="scanner") == ["preexisting"]
    finally:
        engine.dispose()
