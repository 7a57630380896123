"""A tiny example integration ("Acme EDR") and its sandbox, used to test the SDK end to end.

Alerts: OAuth2 client credentials, cursor pagination in the query, incremental on
``updated_at`` with a server-side filter. Devices: query ids with offset/limit, then hydrate
them with a POST (CrowdStrike style). Webhooks: HMAC-SHA256 over the body.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Depends, FastAPI, Request

from aria.sdk import (
    Asset,
    Config,
    Finding,
    Integration,
    RateLimits,
    Secret,
    Stream,
    WebhookEvent,
    auth,
    paginate,
    verify_hmac,
)
from aria.sdk.sandbox import Faults, Sandbox

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
DEMO = {
    "client_id": "demo-client",
    "client_secret": "demo-secret-123",
    "webhook_secret": "whsec-demo-456",
}


class AcmeConfig(Config):
    base_url: str = "https://api.acme-edr.example"
    client_id: str
    client_secret: Secret
    webhook_secret: Secret | None = None


class Alerts(Stream):
    name = "alerts"
    path = "/alerts/v1"
    params = {"filter": "updated_at:>'{since}'", "limit": 25}
    records = "resources"
    paginator = paginate.Cursor(token="meta.pagination.after", param="after")
    cursor_field = "updated_at"
    lookback = timedelta(minutes=5)

    def normalize(self, record: dict[str, Any]) -> Finding:
        return Finding.detection(
            uid=record["id"],
            title=record["name"],
            severity=record["severity"],
            modified_at=record["updated_at"],
            raw=record,
        )


class Devices(Stream):
    name = "devices"
    path = "/devices/queries/v1"
    records = "resources"
    paginator = paginate.IdsThenHydrate(
        paginate.OffsetLimit(limit=20, total="meta.pagination.total"),
        "/devices/entities/v1",
        hydrate_method="POST",
        batch=10,
    )
    primary_key = "device_id"
    full_refresh_only = True

    def normalize(self, record: dict[str, Any]) -> Asset:
        return Asset(
            uid=record["device_id"],
            hostname=record["hostname"],
            ips=[record["local_ip"]],
            macs=[record["mac"]],
            raw=record,
        )


class AcmeEdr(Integration):
    key = "acme-edr"
    name = "Acme EDR"
    vendor = "Acme"
    product = "Acme Endpoint Defense"
    category = "edr"
    description = "Alerts and devices from Acme EDR."
    features = ["Alert ingestion", "Device inventory"]
    what_you_get = ["Detection findings", "Assets"]
    documentation_url = "https://docs.acme-edr.example/api"
    version = "1.2.0"
    capabilities = ["ingest", "sync", "query", "webhook"]
    data_types = ["alerts", "devices"]
    webhook_support = True
    rate_limits = RateLimits(per_minute=6000, burst=50)
    config = AcmeConfig
    auth = auth.OAuth2ClientCredentials(token_url="/oauth2/token")
    streams = (Alerts, Devices)
    sandbox_config = DEMO

    @staticmethod
    def sandbox(seed: int = 7, size: int = 200, faults: Faults | None = None) -> FastAPI:
        return make_sandbox(seed=seed, size=size, faults=faults)

    def verify_webhook(self, event: WebhookEvent) -> bool:
        secret = self.config.webhook_secret
        return secret is not None and verify_hmac(
            secret.get_secret_value(),
            event.body,
            event.header("X-Acme-Signature"),
            prefix="sha256=",
        )

    def parse_webhook(self, payload: Any) -> list[Any]:
        return [self.stream("alerts").normalize(payload["alert"])]

    # --- hooks the conformance suite (aria.sdk.testing) picks up ---------------------------

    @classmethod
    def sandbox_counts(cls, size: int) -> dict[str, int]:
        """The sandbox serves ``size`` alerts but only ``size // 2`` devices."""
        return {"alerts": size, "devices": size // 2}

    @classmethod
    def webhook_samples(cls) -> list[tuple[dict[str, str], bytes]]:
        """One alert delivery, signed with the sandbox's webhook secret."""
        alert = {
            "id": "wh-sample-1",
            "name": "Credential dumping",
            "severity": "high",
            "updated_at": "2024-05-01T11:00:00Z",
        }
        event = sign_webhook({"alert": alert})
        return [(event.headers, event.body)]


def make_sandbox(seed: int = 7, size: int = 200, faults: Faults | None = None) -> FastAPI:
    """Acme's API with ``size`` alerts (one per hour from ten days before NOW, so a larger
    size adds newer ones) and ``size // 2`` devices."""
    sb = Sandbox(seed=seed, size=size, faults=faults, now=NOW)
    app = sb.install(FastAPI())
    sb.add_token_endpoint(
        app, "/oauth2/token", client_id=DEMO["client_id"], client_secret=DEMO["client_secret"]
    )
    gen = sb.gen
    alerts = []
    first = NOW - timedelta(days=10)
    for index in range(size):
        # Later alerts are newer, so a larger ``size`` (same seed) adds records past the cursor.
        updated = first + timedelta(hours=index, minutes=gen.integer(0, 59))
        alerts.append(
            {
                "id": gen.uuid(),
                "name": gen.choice(
                    ["Credential dumping", "Ransomware behaviour", "Suspicious PowerShell"]
                ),
                "severity": gen.choice(["low", "medium", "high", "critical"]),
                "hostname": gen.hostname(),
                "updated_at": gen.iso(updated),
            }
        )
    devices = [
        {
            "device_id": gen.hex_id(),
            "hostname": gen.hostname(),
            "local_ip": gen.private_ip(),
            "mac": gen.mac(),
        }
        for _ in range(size // 2)
    ]
    app.state.alerts = alerts
    app.state.devices = devices

    @app.get("/alerts/v1", dependencies=[Depends(sb.bearer())])
    async def list_alerts(
        limit: int = 25, after: str | None = None, filter: str | None = None
    ) -> Any:
        rows = sorted(app.state.alerts, key=lambda a: (a["updated_at"], a["id"]))
        if filter:
            inclusive = ">=" in filter
            since = filter.split(">", 1)[1].lstrip("=").strip("'")
            rows = [
                a
                for a in rows
                if a["updated_at"] > since or (inclusive and a["updated_at"] == since)
            ]
        offset = sb.decode_cursor(after)
        page_no = offset // limit + 1
        chunk = rows[offset : offset + limit]
        following = sb.encode_cursor(offset + limit) if offset + limit < len(rows) else None
        token = sb.next_cursor(page_no, after, following)
        body = {
            "meta": {"pagination": {"after": token, "total": len(rows)}},
            "resources": chunk,
            "errors": [],
        }
        return sb.page(body, page_no)

    @app.get("/devices/queries/v1", dependencies=[Depends(sb.bearer())])
    async def query_devices(offset: int = 0, limit: int = 20) -> Any:
        ids = [d["device_id"] for d in app.state.devices]
        body = {
            "meta": {"pagination": {"offset": offset, "limit": limit, "total": len(ids)}},
            "resources": ids[offset : offset + limit],
            "errors": [],
        }
        return sb.page(body, offset // limit + 1)

    @app.post("/devices/entities/v1", dependencies=[Depends(sb.bearer())])
    async def device_entities(request: Request) -> Any:
        wanted = set((await request.json())["ids"])
        found = [d for d in app.state.devices if d["device_id"] in wanted]
        return {"meta": {}, "resources": found, "errors": []}

    return app


def sign_webhook(body: dict[str, Any], secret: str = DEMO["webhook_secret"]) -> WebhookEvent:
    """A webhook event as Acme would deliver it."""
    from aria.sdk.auth import hmac_sign

    raw = json.dumps(body).encode()
    return WebhookEvent(headers={"X-Acme-Signature": "sha256=" + hmac_sign(secret, raw)}, body=raw)
