"""Sync through the public API and the queue, then read the risk register."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from aria.runtime import Runtime
from aria.sync.queue import EmbeddedWorker, build_huey, register_tasks
from tests.support import bearer
from tests.sync.conftest import Installed


def _wait_for(client: TestClient, headers: dict[str, str], job_id: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    pytest.fail(f"job {job_id} did not finish")


def test_sync_via_api_on_each_queue(
    client: TestClient, installed: Installed, queue_url: str
) -> None:
    runtime: Runtime = installed.runtime
    runtime.__dict__["huey"] = build_huey(queue_url, name="aria-test-sync")
    runtime.__dict__.pop("tasks", None)
    tasks = register_tasks(runtime.huey, runtime=runtime)
    runtime.__dict__["tasks"] = tasks
    installed.sandbox(size=60)
    # No periodic tasks: the scheduler would otherwise queue its own sync of this (due)
    # installation and the POST below would meet a 409.
    worker = EmbeddedWorker(runtime.huey, tasks, workers=1, periodic=False)
    worker.start()
    headers = bearer(installed.world.owner_a)
    path = f"/api/v1/installations/{installed.installation_id}"
    try:
        started = client.post(f"{path}/sync", json={"type": "full"}, headers=headers)
        assert started.status_code == 202, started.text
        job = _wait_for(client, headers, started.json()["id"])
    finally:
        worker.stop()
    assert job["status"] == "succeeded", job
    assert job["records_created"] == 60 + 30
    findings = client.get("/api/v1/findings", params={"limit": 500}, headers=headers).json()
    assert len(findings["items"]) == 60
    jobs = client.get(f"{path}/jobs", headers=headers).json()
    assert [j["id"] for j in jobs] == [job["id"]]


def test_register_reads_filters_exports_and_is_tenant_scoped(
    client: TestClient, installed: Installed
) -> None:
    from aria.sync.runner import run_job

    installed.sandbox(size=40)
    assert run_job(installed.runtime, installed.new_job("full")) == "succeeded"
    headers = bearer(installed.world.owner_a)
    page = client.get("/api/v1/findings", params={"limit": 15}, headers=headers).json()
    assert len(page["items"]) == 15 and page["next_cursor"]
    rest = client.get(
        "/api/v1/findings", params={"limit": 100, "cursor": page["next_cursor"]}, headers=headers
    ).json()
    ids = [f["id"] for f in page["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 40
    high = client.get("/api/v1/findings", params={"min_severity": 4}, headers=headers).json()
    assert all(f["severity_id"] >= 4 for f in high["items"])
    one = ids[0]
    ocsf = client.get(f"/api/v1/findings/{one}", params={"format": "ocsf"}, headers=headers)
    assert ocsf.status_code == 200 and ocsf.json()["class_uid"] == 2004
    from aria.sdk.records.ocsf_validate import validate_ocsf

    validate_ocsf(ocsf.json())
    detail = client.get(f"/api/v1/findings/{one}", headers=headers).json()
    assert detail["raw"]["id"] == detail["uid"]
    assert (
        client.get(f"/api/v1/findings/{one}", params={"format": "xml"}, headers=headers).status_code
        == 422
    )
    assets = client.get("/api/v1/assets", headers=headers).json()["items"]
    assert assets
    asset = client.get(f"/api/v1/assets/{assets[0]['id']}", headers=headers).json()
    assert asset["identifiers"]
    risks = client.get("/api/v1/risks", params={"status": "open"}, headers=headers).json()["items"]
    assert risks and all(r["score"] == r["likelihood"] * r["impact"] for r in risks)
    risk = client.get(f"/api/v1/risks/{risks[0]['id']}", headers=headers).json()
    assert risk["finding_ids"]
    other = bearer(installed.world.owner_b)
    assert client.get("/api/v1/findings", headers=other).json()["items"] == []
    assert client.get(f"/api/v1/findings/{one}", headers=other).status_code == 404
    assert client.get(f"/api/v1/risks/{risks[0]['id']}", headers=other).status_code == 404
    assert (
        client.get("/api/v1/findings", params={"cursor": "x"}, headers=headers).status_code == 400
    )


def test_sync_conflicts_and_cancel(client: TestClient, installed: Installed) -> None:
    headers = bearer(installed.world.owner_a)
    path = f"/api/v1/installations/{installed.installation_id}"
    installed.runtime.__dict__["tasks"] = type(
        "NoQueue", (), {"sync": type("S", (), {"enqueue": lambda self, *a: None})()}
    )()
    first = client.post(f"{path}/sync", headers=headers)
    assert first.status_code == 202
    second = client.post(f"{path}/sync", headers=headers)
    assert second.status_code == 409
    assert second.json()["error"]["details"]["job_id"] == first.json()["id"]
    cancelled = client.post(f"/api/v1/jobs/{first.json()['id']}/cancel", headers=headers)
    assert cancelled.json()["status"] == "cancelled"
    again = client.post(f"/api/v1/jobs/{first.json()['id']}/cancel", headers=headers)
    assert again.status_code == 409
    viewer = installed.world.member("v@example.com", installed.world.org_a, "viewer")
    assert client.post(f"{path}/sync", headers=bearer(viewer)).status_code == 403


def test_uninstall_keeps_records_marked_as_from_a_removed_source(
    client: TestClient, installed: Installed
) -> None:
    from aria.sync.runner import run_job

    installed.sandbox(size=10)
    assert run_job(installed.runtime, installed.new_job("full")) == "succeeded"
    headers = bearer(installed.world.owner_a)
    gone = client.delete(f"/api/v1/installations/{installed.installation_id}", headers=headers)
    assert gone.status_code == 204
    findings = client.get("/api/v1/findings", headers=headers).json()["items"]
    assert len(findings) == 10
    assert all(f["source_removed_at"] and f["installation_id"] is None for f in findings)
