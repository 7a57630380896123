"""Files of a scaffolded integration package (``aria integration new``).

Kept as Python strings, not data files, so they ship inside the wheel without package-data
configuration. Placeholders use :class:`string.Template` (``$key``) because the generated
code is full of braces.
"""

from __future__ import annotations

from string import Template

PYPROJECT = Template("""\
[build-system]
requires = ["setuptools>=69", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "$dist"
version = "0.1.0"
description = "$name integration for the ARIA Integration Marketplace."
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["aria-marketplace>=0.1"]

[project.optional-dependencies]
test = ["pytest>=8.2"]

# ARIA discovers integrations through this entry point group.
[project.entry-points."aria.integrations"]
$key = "$module:$cls"

[tool.setuptools.packages.find]
where = ["src"]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["src"]
""")

INTEGRATION = Template('''\
"""$name for ARIA: alerts as detection findings (scaffolded by `aria integration new`).

Next: point ``Alerts`` at the vendor's real endpoint (path, params, ``records``, paginator),
map its fields in ``normalize``, and make ``sandbox.py`` serve the same shape. The
conformance suite in ``tests/`` tells you what still differs from the contract.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aria.sdk import Config, Finding, Integration, RateLimits, Secret, Stream, auth, paginate
from $module.sandbox import DEMO_API_KEY, make_sandbox


class ${cls}Config(Config):
    """What the installer enters in the install wizard."""

    base_url: str = "https://api.$host"
    api_key: Secret


class Alerts(Stream):
    """Alerts, read incrementally on ``updated_at`` with a five-minute look-back."""

    name = "alerts"
    path = "/api/v1/alerts"
    params = {"updated_since": "{since}", "limit": 50}
    records = "data"
    paginator = paginate.Cursor(token="next_cursor", param="cursor")
    cursor_field = "updated_at"
    lookback = timedelta(minutes=5)

    def normalize(self, record: dict[str, Any]) -> Finding:
        return Finding.detection(
            uid=record["id"],
            title=record["title"],
            description=record.get("description"),
            severity=record.get("severity"),
            status=record.get("status"),
            created_at=record.get("created_at"),
            modified_at=record.get("updated_at"),
            asset={"hostname": record.get("hostname")},
            source_product="$name",
            source_vendor="$vendor",
            raw=record,
        )


class $cls(Integration):
    """Catalog metadata and behaviour; the base class implements the lifecycle."""

    key = "$key"
    name = "$name"
    vendor = "$vendor"
    category = "$category"
    description = "Brings $name alerts into ARIA as detection findings, incrementally."
    features = ["Incremental alert sync", "Severity and status mapping", "Demo sandbox"]
    what_you_get = ["Detection findings linked to the affected host"]
    version = "0.1.0"
    status = "community"
    capabilities = ["ingest", "sync", "query"]
    data_types = ["alerts"]
    rate_limits = RateLimits(per_minute=600, burst=20)
    config = ${cls}Config
    auth = auth.Bearer("api_key")
    streams = (Alerts,)
    sandbox = staticmethod(make_sandbox)
    sandbox_config = {"api_key": DEMO_API_KEY}
''')

SANDBOX = Template('''\
"""A sandbox for $name: an in-process ASGI app that speaks the vendor's API.

It serves deterministic synthetic alerts (same seed, same data) with bearer auth and cursor
pagination, and applies the fault injection of ``aria.sdk.sandbox.Faults`` (429, 5xx, token
expiry, malformed pages, repeated cursors) so the conformance suite can exercise every error
path. Alert ``i`` is about ``i`` hours newer than alert 0, so a larger ``size`` adds newer
alerts: that is how the suite checks incremental reads.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Depends, FastAPI

from aria.sdk.sandbox import Faults, Sandbox

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)  # fixed, so every run serves identical data
DEMO_API_KEY = "demo-$key-api-key"
MAX_PAGE_SIZE = 100
TITLES = [
    "Suspicious PowerShell execution",
    "Credential dumping attempt",
    "Ransomware-like file activity",
    "Unusual outbound connection",
    "Malicious document opened",
]


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def make_sandbox(seed: int = 7, size: int = 200, faults: Faults | None = None) -> FastAPI:
    """The vendor API with ``size`` alerts."""
    sb = Sandbox(seed=seed, size=size, faults=faults, now=NOW)
    app = sb.install(FastAPI(title="$name sandbox"))
    gen = sb.gen
    first = NOW - timedelta(days=30)
    alerts = []
    for index in range(size):
        created = first + timedelta(hours=index, minutes=gen.integer(0, 29))
        alerts.append(
            {
                "id": gen.uuid(),
                "title": gen.choice(TITLES),
                "description": f"Detected on {gen.hostname()}",
                "severity": gen.weighted(["low", "medium", "high", "critical"], [4, 3, 2, 1]),
                "status": gen.choice(["new", "in_progress", "resolved"]),
                "hostname": gen.hostname(),
                "created_at": gen.iso(created),
                "updated_at": gen.iso(created + timedelta(minutes=gen.integer(0, 29))),
            }
        )
    app.state.alerts = alerts

    @app.get("/api/v1/alerts", dependencies=[Depends(sb.bearer(DEMO_API_KEY))])
    async def list_alerts(
        limit: int = 50, cursor: str | None = None, updated_since: str | None = None
    ) -> Any:
        rows = sorted(app.state.alerts, key=lambda a: (a["updated_at"], a["id"]))
        if updated_since:
            since = _at(updated_since)
            rows = [a for a in rows if _at(a["updated_at"]) > since]
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        offset = sb.decode_cursor(cursor)
        page_no = offset // limit + 1
        following = sb.encode_cursor(offset + limit) if offset + limit < len(rows) else None
        body = {
            "data": rows[offset : offset + limit],
            "next_cursor": sb.next_cursor(page_no, cursor, following),
            "total": len(rows),
        }
        return sb.page(body, page_no)

    return app
''')

CONFORMANCE_TEST = Template('''\
"""The ARIA conformance suite: every standard check for this integration, in one line."""

from aria.sdk.testing import conformance
from $module import $cls

TestConformance = conformance($cls)
''')

README = Template("""\
# $dist

$name integration for the ARIA Integration Marketplace, scaffolded by
`aria integration new $key`. It already passes the ARIA conformance suite against its sandbox.

## Layout

- `src/$module/__init__.py`: the integration (`$cls`): config, auth, the `alerts` stream,
  `normalize`, catalog metadata.
- `src/$module/sandbox.py`: an in-process fake of the vendor API with deterministic data.
- `tests/test_conformance.py`: one line that runs the whole conformance suite.
- `pyproject.toml`: registers `$key` in the `aria.integrations` entry point group.

## Run the checks

    pip install -e ".[test]"   # or: PYTHONPATH=src pytest
    pytest
    aria integration test $key  # once installed next to ARIA

## Next steps

1. Read the vendor's API reference and a real response. Change `Alerts.path`, `params`,
   `records` and `paginator` to match, and `normalize` to map its fields (`Finding`, `Asset`,
   `Identity`, `Incident` or `Indicator` from `aria.sdk`).
2. Change `sandbox.py` to serve the same paths, auth, envelope and record shape, with data
   generated from `sb.gen` so it stays deterministic.
3. Pick the right auth kind (`aria.sdk.auth`: `Bearer`, `ApiKey`, `Basic`,
   `OAuth2ClientCredentials`, ...) and keep every credential typed `Secret`.
4. Fill in the metadata (description, features, documentation_url, rate_limits).
5. Add more streams; run `pytest` after every change. See ARIA's docs/sdk.md and
   docs/sdk-testing.md.
""")

__all__ = ["CONFORMANCE_TEST", "INTEGRATION", "PYPROJECT", "README", "SANDBOX"]
