"""A synthetic EDR for sync benchmarks: records generated on demand by index (no list held in
memory), 1,000 per page, offset cursor — so the benchmark measures our pipeline, not the
sandbox."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request

from aria.sdk import Config, Finding, Integration, Secret, Stream, auth, paginate

START = datetime(2026, 1, 1, tzinfo=UTC)
SEVERITIES = ("low", "medium", "high", "critical")
TECHNIQUES = ("T1003", "T1059", "T1486", "T1566", "T1078")


def alert(index: int) -> dict[str, Any]:
    digest = hashlib.blake2b(index.to_bytes(8, "big"), digest_size=8).hexdigest()
    host = f"host-{index % 2000:04d}"
    return {
        "id": f"alert-{index:08d}-{digest}",
        "name": f"Suspicious activity {index % 97}",
        "severity": SEVERITIES[index % 4],
        "technique": TECHNIQUES[index % 5],
        "hostname": host,
        "agent_id": f"agent-{index % 2000:04d}",
        "updated_at": (START + timedelta(seconds=index)).isoformat(),
    }


class BenchConfig(Config):
    base_url: str = "https://bench.example"
    token: Secret


class Alerts(Stream):
    name = "alerts"
    path = "/alerts"
    records = "items"
    params = {"limit": 1000}
    paginator = paginate.Cursor(token="next", param="cursor")

    def normalize(self, record: dict[str, Any]) -> Finding:
        return Finding.detection(
            uid=record["id"],
            title=record["name"],
            severity=record["severity"],
            technique_id=record["technique"],
            modified_at=record["updated_at"],
            asset={"hostname": record["hostname"], "agent_id": record["agent_id"]},
            raw=record,
        )


def make_sandbox(size: int) -> FastAPI:
    app = FastAPI()

    @app.get("/alerts")
    async def alerts(request: Request, cursor: str | None = None, limit: int = 1000) -> Any:
        start = int(cursor or 0)
        end = min(size, start + limit)
        return {
            "items": [alert(i) for i in range(start, end)],
            "next": str(end) if end < size else None,
        }

    return app


class BenchEdr(Integration):
    key = "bench-edr"
    name = "Bench EDR"
    vendor = "Bench"
    category = "edr"
    description = "Synthetic alerts for benchmarks."
    version = "1.0.0"
    data_types = ["alerts"]
    capabilities = ["ingest", "sync"]
    config = BenchConfig
    auth = auth.Bearer(field="token")
    streams = (Alerts,)
    sandbox_config = {"token": "bench-token-123"}
    size = 1000

    @classmethod
    def sandbox_app(cls, seed: int = 7, size: int = 200, faults: Any = None) -> Any:
        return make_sandbox(cls.size)
