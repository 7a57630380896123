"""Server time per web page with 100 integrations in the catalog and 10,000 findings (plus
the risks, assets and activity a sync leaves): the issue's "every page under 200 ms".

Runs the app in process (TestClient, a signed-in owner) on SQLite; each page is fetched
warm-up + N times and the median and p95 wall time are printed. Prints figures; never
asserts on time.
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from aria.app import create_app
from aria.catalog.models import CatalogEntry
from aria.catalog.service import sync_catalog
from aria.config import load_settings
from aria.db import migrate
from aria.db.engine import make_engine, transaction
from aria.db.types import utcnow
from aria.grc.models import Finding, Risk
from aria.runtime import Runtime
from aria.sdk.metadata import CATEGORIES

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support import PASSWORD, World, example_registry

INTEGRATIONS = 100
FINDINGS = 10_000
RUNS = 15


def seed_catalog(runtime: Runtime) -> None:
    """99 more listings cloned from the example one, across every category."""
    with transaction(runtime.sessions) as session:
        sync_catalog(session, registry=runtime.registry)
        base = session.scalar(select(CatalogEntry).where(CatalogEntry.key == "acme-edr"))
        assert base is not None
        columns = {c.key: getattr(base, c.key) for c in CatalogEntry.__table__.columns}
        rows = []
        for i in range(INTEGRATIONS - 1):
            row = dict(columns)
            row.update(
                id=uuid.uuid4(),
                key=f"vendor-{i:03d}",
                name=f"Vendor {i:03d} {CATEGORIES[i % len(CATEGORIES)].upper()}",
                vendor=f"Vendor {i:03d}",
                category=CATEGORIES[i % len(CATEGORIES)],
                avg_rating=(i % 50) / 10,
                total_reviews=i % 7,
                total_installs=i * 3,
            )
            rows.append(row)
        session.execute(insert(CatalogEntry), rows)


def seed_findings(runtime: Runtime, organization_id: uuid.UUID, installation_id: uuid.UUID) -> None:
    now = utcnow()
    rows = []
    for i in range(FINDINGS):
        digest = hashlib.md5(str(i).encode(), usedforsecurity=False).hexdigest()
        rows.append(
            {
                "organization_id": organization_id,
                "installation_id": installation_id,
                "integration_key": "acme-edr",
                "stream": "alerts",
                "dedupe_hash": digest,
                "content_hash": digest,
                "uid": f"alert-{i}",
                "severity_id": i % 6,
                "status_id": 1,
                "title": f"Synthetic alert {i}",
                "data": {"uid": f"alert-{i}", "title": f"Synthetic alert {i}"},
                "raw": {"id": f"alert-{i}", "name": f"Synthetic alert {i}"},
                "kind": "detection",
                "first_seen_at": now,
                "last_seen_at": now,
                "updated_at": now,
            }
        )
    risks = [
        {
            "organization_id": organization_id,
            "group_key": f"g{i}",
            "title": f"Synthetic risk {i}",
            "likelihood": 4,
            "impact": 3,
            "score": 12,
        }
        for i in range(500)
    ]
    with transaction(runtime.sessions) as session:
        session.execute(insert(Finding), rows)
        session.execute(insert(Risk), risks)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        settings = load_settings(
            data_dir=data / "aria-data",
            database_url=f"sqlite:///{data / 'aria.db'}",
            queue_url=f"sqlite:///{data / 'queue.db'}",
        )
        engine = make_engine(settings.resolved_database_url)
        migrate.upgrade(engine)
        engine.dispose()
        runtime = Runtime(settings, _registry=example_registry())
        seed_catalog(runtime)
        with TestClient(create_app(runtime=runtime)) as client:
            world = World(runtime)
            login = client.post(
                "/auth/login", json={"email": world.owner_a.user.email, "password": PASSWORD}
            )
            csrf = login.json()["csrf_token"]
            demo = client.post(
                "/integrations/acme-edr/demo", data={"csrf_token": csrf}, follow_redirects=False
            )
            installation = demo.headers["location"].split("/")[2]
            client.post(
                f"/installations/{installation}/setup/activate",
                data={"csrf_token": csrf, "action": "activate", "sync_frequency": "daily"},
            )
            seed_findings(runtime, world.org_a.id, uuid.UUID(installation))
            pages = [
                "/integrations",
                "/integrations/results?q=vendor",
                "/integrations?category=edr",
                "/integrations/acme-edr",
                "/integrations/installed",
                f"/installations/{installation}",
                f"/installations/{installation}/activity",
                f"/installations/{installation}/error",
                f"/installations/{installation}/setup/credentials",
                f"/installations/{installation}/setup/activate",
                "/register/risks",
                "/register/findings",
                "/register/findings?min_severity=4&status=open",
                "/register/findings/5000",
                "/register/assets",
                "/register/incidents",
                "/register/indicators",
                "/analytics",
                f"/analytics/installations/{installation}",
                "/admin/members",
                "/admin/tokens",
                "/admin/audit",
                f"/installations/{installation}/setup/mapping",  # fetches sandbox samples
            ]
            print(
                f"{INTEGRATIONS} integrations, {FINDINGS:,} findings, SQLite; "
                f"median / p95 of {RUNS} requests (ms)"
            )
            for url in pages:
                client.get(url)
                times = []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (url, response.status_code)
                times.sort()
                p95 = times[int(len(times) * 0.95) - 1]
                print(f"  {url:<60} {statistics.median(times):7.1f} {p95:7.1f}")


if __name__ == "__main__":
    main()
