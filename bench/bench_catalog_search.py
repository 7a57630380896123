"""Catalog search latency: a filtered search (q + category + sort by rating) over a synthetic
marketplace of 100 integrations in all 12 categories with 10,000 reviews.

Measured through the service function and through the API in process (TestClient, Bearer
token), on SQLite, and on PostgreSQL too when ARIA_BENCH_DATABASE_URL points at a server (a
throwaway database is created there and dropped). Target from the issue: p95 under 15 ms.
Prints figures; never asserts on time.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from aria.accounts import service as accounts
from aria.accounts import tokens
from aria.accounts.models import Organization, User
from aria.app import create_app
from aria.catalog import reviews, search
from aria.catalog.models import CatalogEntry, Review
from aria.config import load_settings
from aria.db import migrate
from aria.db.engine import make_engine, make_session_factory
from aria.db.types import utcnow
from aria.runtime import Runtime
from aria.sdk.registry import Registry

INTEGRATIONS = 100
REVIEWS = 10_000
ROUNDS = 400

# (category, vendor products, what it brings) — realistic words for the full-text index.
CATALOG: dict[str, tuple[list[str], str, list[str]]] = {
    "edr": (
        [
            "CrowdStrike Falcon",
            "SentinelOne Singularity",
            "Microsoft Defender for Endpoint",
            "Sophos Intercept X",
            "Trend Micro Vision One",
            "Carbon Black Cloud",
            "Cybereason Defense",
            "Cortex XDR",
            "Elastic Endpoint",
        ],
        "Endpoint detections, host inventory and incident response actions",
        ["Real-time detections", "Host inventory", "Network containment", "Incident timeline"],
    ),
    "vuln_mgmt": (
        [
            "Tenable Vulnerability Management",
            "Qualys VMDR",
            "Rapid7 InsightVM",
            "Tenable Nessus",
            "Wiz Vulnerability",
            "Snyk Open Source",
            "Orca Vulnerabilities",
            "Greenbone OpenVAS",
            "Nucleus Security",
        ],
        "Vulnerability findings with CVSS, exploitability and affected assets",
        ["Scan export", "CVE enrichment", "Asset correlation", "Remediation tracking"],
    ),
    "threat_intel": (
        [
            "Recorded Future",
            "MISP",
            "Mandiant Advantage",
            "AlienVault OTX",
            "ThreatConnect",
            "Anomali ThreatStream",
            "VirusTotal",
            "GreyNoise",
        ],
        "Threat indicators, actors and campaigns as STIX objects",
        ["Indicator feeds", "Actor profiles", "IOC enrichment", "STIX export"],
    ),
    "siem": (
        [
            "Splunk Enterprise Security",
            "Microsoft Sentinel",
            "IBM QRadar",
            "Elastic Security",
            "Sumo Logic",
            "Google Chronicle",
            "LogRhythm",
            "Exabeam",
            "Securonix",
        ],
        "Send risks and events to the SIEM and pull notable alerts back",
        ["Event forwarding", "Notable alerts", "Saved searches", "Correlation rules"],
    ),
    "ticketing": (
        [
            "Jira Service Management",
            "ServiceNow ITSM",
            "Zendesk",
            "Freshservice",
            "PagerDuty",
            "Opsgenie",
            "Linear",
            "GitHub Issues",
        ],
        "Open and sync remediation tickets for risks and findings",
        ["Ticket creation", "Status sync", "Assignee mapping", "SLA tracking"],
    ),
    "cloud_security": (
        [
            "AWS Security Hub",
            "Wiz Cloud",
            "Prisma Cloud",
            "Orca Security",
            "Lacework",
            "Microsoft Defender for Cloud",
            "Google Security Command Center",
            "Aqua Security",
            "Sysdig Secure",
        ],
        "Cloud misconfigurations, posture findings and workload risks",
        ["CSPM findings", "Compliance benchmarks", "Resource inventory", "Attack paths"],
    ),
    "iam": (
        [
            "Okta Workforce Identity",
            "Microsoft Entra ID",
            "Ping Identity",
            "CyberArk Identity",
            "JumpCloud",
            "OneLogin",
            "SailPoint IdentityNow",
            "Duo Security",
        ],
        "Identities, groups, MFA status and risky sign-ins",
        ["User inventory", "MFA coverage", "Risky sign-ins", "Group membership"],
    ),
    "network_security": (
        [
            "Palo Alto Networks NGFW",
            "Fortinet FortiGate",
            "Cisco Secure Firewall",
            "Zscaler Internet Access",
            "Cloudflare Zero Trust",
            "Check Point Quantum",
            "Darktrace",
            "ExtraHop Reveal(x)",
            "Vectra AI",
        ],
        "Firewall policies, threat logs and network detections",
        ["Threat logs", "Policy audit", "Blocked traffic", "Network detections"],
    ),
    "dlp": (
        [
            "Microsoft Purview DLP",
            "Symantec DLP",
            "Forcepoint DLP",
            "Digital Guardian",
            "Netskope DLP",
            "Code42 Incydr",
            "Varonis",
            "Nightfall AI",
        ],
        "Data loss incidents, sensitive data exposure and policy violations",
        ["Policy violations", "Sensitive data discovery", "Incident triage", "File exposure"],
    ),
    "email_security": (
        [
            "Proofpoint Email Protection",
            "Mimecast",
            "Abnormal Security",
            "Microsoft Defender for Office 365",
            "Cisco Secure Email",
            "Barracuda Email Protection",
            "Ironscales",
            "Sublime Security",
        ],
        "Phishing detections, malicious messages and user reports",
        ["Phishing alerts", "Message trace", "URL rewriting", "User-reported phish"],
    ),
    "backup": (
        [
            "Veeam Backup",
            "Rubrik Security Cloud",
            "Cohesity DataProtect",
            "Commvault",
            "Druva",
            "Acronis Cyber Protect",
            "Datto BCDR",
            "Backblaze B2",
        ],
        "Backup job health, ransomware anomalies and recovery readiness",
        ["Job status", "Anomaly detection", "Immutable copies", "Recovery testing"],
    ),
    "config_mgmt": (
        [
            "Ansible Automation Platform",
            "Puppet Enterprise",
            "Chef Infra",
            "Microsoft Intune",
            "Jamf Pro",
            "Tanium",
            "SaltStack",
            "ManageEngine Endpoint Central",
        ],
        "Configuration drift, patch levels and device compliance",
        ["Patch compliance", "Drift detection", "Device posture", "Software inventory"],
    ),
}
QUERIES = ["crowd", "vuln", "cloud", "identity", "phish", "backup", "security", "alert", "micro"]


def synthetic_catalog() -> list[dict[str, object]]:
    """Exactly 100 listings, spread over all 12 categories, with varied figures."""
    rng = random.Random(7)
    rows: list[dict[str, object]] = []
    pools = {category: list(names) for category, (names, _, _) in CATALOG.items()}
    categories = list(CATALOG)
    i = 0
    while len(rows) < INTEGRATIONS:
        category = categories[i % len(categories)]
        i += 1
        if not pools[category]:
            continue
        name = pools[category].pop(0)
        _, blurb, features = CATALOG[category]
        vendor = name.split()[0]
        rows.append(
            {
                "key": "-".join(name.lower().replace("(", "").replace(")", "").split()),
                "name": name,
                "vendor": vendor,
                "product": name,
                "category": category,
                "description": f"{name}: {blurb}. Built by {vendor} for security operations.",
                "features": rng.sample(features, k=3),
                "capabilities": rng.sample(["ingest", "query", "sync", "push", "webhook"], k=2),
                "data_types": ["alerts", "devices"],
                "auth_methods": [rng.choice(["api_key", "oauth2_client_credentials"])],
                "version": "1.0.0",
                "pricing_model": rng.choice(["free", "freemium", "paid", "enterprise"]),
                "status": rng.choice(["official", "official", "community", "beta"]),
                "total_installs": rng.randint(0, 5000),
            }
        )
    assert len({r["category"] for r in rows}) == 12
    return rows


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def measure(label: str, call: Callable[[int], object]) -> None:
    for i in range(20):
        call(i)  # warm caches and statement cache
    timings = []
    for i in range(ROUNDS):
        started = time.perf_counter()
        call(i)
        timings.append((time.perf_counter() - started) * 1000)
    print(
        f"{label}: p50 {statistics.median(timings):.2f} ms "
        f"p95 {percentile(timings, 95):.2f} ms max {max(timings):.2f} ms (n={ROUNDS})"
    )


def populate(url: str) -> tuple[uuid.UUID, uuid.UUID]:
    """Catalog, 100 reviewers in 4 organizations, 10,000 reviews, aggregates recomputed."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    rng = random.Random(11)
    with make_session_factory(engine)() as session:
        entries = [CatalogEntry(**row) for row in synthetic_catalog()]
        session.add_all(entries)
        orgs = [Organization(name=f"Org {n}", slug=f"org-{n}") for n in range(4)]
        session.add_all(orgs)
        users = [User(email=f"user{n}@example.com", password_hash="x") for n in range(100)]
        session.add_all(users)
        session.flush()
        now = utcnow()
        rows = [
            {
                "id": uuid.uuid4(),
                "integration_id": entry.id,
                "organization_id": orgs[n % 4].id,
                "user_id": user.id,
                "rating": rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 3, 6, 8])[0],
                "title": "Works well for our SOC",
                "review_text": "Setup took an afternoon; the sandbox helped.",
                "is_verified_purchase": rng.random() < 0.5,
                "helpful_count": rng.randint(0, 30),
                "not_helpful_count": 0,
                "created_at": now,
                "updated_at": now,
            }
            for entry in entries
            for n, user in enumerate(users)
        ]
        assert len(rows) == REVIEWS
        session.execute(insert(Review), rows)
        for entry in entries:
            reviews.refresh_aggregates(session, entry=entry)
        org = accounts.create_organization(session, name="Bench Org")
        session.commit()
        organization_id = org.id
    engine.dispose()
    return organization_id, entries[0].id


def run(url: str, label: str, tmp: Path) -> None:
    organization_id, _ = populate(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    categories = list(CATALOG)

    def service_call(i: int) -> object:
        with sessions() as session:
            return search.search(
                session,
                organization_id=organization_id,
                q=QUERIES[i % len(QUERIES)],
                category=categories[i % len(categories)],
                sort="rating",
                limit=20,
            )

    head = f"catalog search ({label}, {INTEGRATIONS} integrations, {REVIEWS} reviews)"
    measure(f"{head} service", service_call)
    engine.dispose()

    settings = load_settings(
        data_dir=tmp / "aria-data", database_url=url, queue_url=f"sqlite:///{tmp / 'q.db'}"
    )
    runtime = Runtime(settings, _registry=Registry())
    with runtime.sessions() as session:
        owner = accounts.create_user(session, email="bench@example.com", password="x" * 16)
        org = session.get(Organization, organization_id)
        assert org is not None
        accounts.add_membership(session, organization=org, user=owner, role="viewer")
        token = tokens.create(session, organization_id=org.id, user_id=owner.id, name="bench")
        session.commit()
    headers = {"Authorization": f"Bearer {token.plaintext}"}
    with TestClient(create_app(runtime=runtime)) as client:

        def api_call(i: int) -> object:
            response = client.get(
                "/api/v1/catalog",
                params={
                    "q": QUERIES[i % len(QUERIES)],
                    "category": categories[i % len(categories)],
                    "sort": "rating",
                },
                headers=headers,
            )
            assert response.status_code == 200, response.text
            return response

        measure(f"{head} GET /api/v1/catalog", api_call)
        # The floor every in-process request pays (TestClient, middleware, thread hops).
        measure(
            "  baseline GET /api/v1/meta (no auth, no DB)", lambda _: client.get("/api/v1/meta")
        )


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    url = make_url(server_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"aria_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", "sqlite", Path(tmp))
    pg = os.environ.get("ARIA_BENCH_DATABASE_URL")
    if pg:
        with tempfile.TemporaryDirectory() as tmp, postgres_database(pg) as url:
            run(url, "postgresql", Path(tmp))
    else:
        print("(set ARIA_BENCH_DATABASE_URL to a PostgreSQL server to measure it too)")


if __name__ == "__main__":
    main()
