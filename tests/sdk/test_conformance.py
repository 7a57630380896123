"""The conformance suite: it passes on the example integration as written, and its pieces
(secret heuristic, corpus loader, webhook tampering, fault transport) behave."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from aria.sdk.testing import (
    CHECKS,
    ConformanceSuite,
    CorpusSample,
    TransportFault,
    WebhookCase,
    conformance,
    find_corpus_root,
    load_corpus_records,
    looks_secret,
)
from aria.sdk.testing.transport import SuiteTransport
from tests.sdk.example_integration import AcmeEdr, sign_webhook

TestAcmeConformance = conformance(AcmeEdr)


def test_conformance_builds_a_collectable_bound_class() -> None:
    assert TestAcmeConformance.__name__ == "TestConformanceAcmeEdr"
    assert issubclass(TestAcmeConformance, ConformanceSuite)
    assert TestAcmeConformance.integration is AcmeEdr
    assert "test_metadata_valid" in CHECKS and "test_corpus_sample_normalizes" in CHECKS
    with pytest.raises(TypeError, match="Integration subclass"):
        conformance(dict)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("api_key", True),
        ("apiKey", True),
        ("client_secret", True),
        ("Password", True),
        ("refresh_token", True),
        ("private_key", True),
        ("secret_key", True),
        ("aws_access_key", True),
        ("webhook_secret", True),
        ("token_url", False),
        ("access_key_id", False),
        ("api_key_header", False),
        ("client_id", False),
        ("base_url", False),
        ("username", False),
    ],
)
def test_secret_name_heuristic(name: str, secret: bool) -> None:
    assert looks_secret(name) is secret


# --- corpus -------------------------------------------------------------------------------


def _corpus(tmp_path: Path, alerts: list[dict]) -> Path:
    root = tmp_path / "corpus"
    (root / "vendor-api" / "acme").mkdir(parents=True)
    (root / "vendor-api" / "acme" / "alerts.json").write_text(json.dumps({"resources": alerts}))
    return root


GOOD_ALERT = {"id": "c-1", "name": "Real alert", "severity": "high", "updated_at": "2024-04-01"}
SAMPLE = CorpusSample(stream="alerts", path="vendor-api/acme/alerts.json", records="resources")


def test_corpus_sample_normalizes_real_records(tmp_path: Path) -> None:
    root = _corpus(tmp_path, [GOOD_ALERT])
    assert find_corpus_root(root) == root
    assert load_corpus_records(root, SAMPLE) == [GOOD_ALERT]
    suite = conformance(AcmeEdr, corpus=[SAMPLE], corpus_dir=root)
    suite().test_corpus_sample_normalizes(SAMPLE)


def test_corpus_sample_failure_names_the_problem(tmp_path: Path) -> None:
    root = _corpus(tmp_path, [GOOD_ALERT, {"id": "c-2"}])  # no name: normalize raises
    suite = conformance(AcmeEdr, corpus=[SAMPLE], corpus_dir=root)
    with pytest.raises(pytest.fail.Exception, match="#1: normalize raised KeyError"):
        suite().test_corpus_sample_normalizes(SAMPLE)
    wrong = CorpusSample(stream="nope", path=SAMPLE.path)
    with pytest.raises(pytest.fail.Exception, match="names stream 'nope'"):
        suite().test_corpus_sample_normalizes(wrong)


def test_missing_corpus_skips_with_a_reason(tmp_path: Path) -> None:
    suite = conformance(AcmeEdr, corpus=[SAMPLE], corpus_dir=tmp_path / "absent")
    suite.anchors = ()
    with pytest.raises(pytest.skip.Exception, match="corpus not found"):
        suite().test_corpus_sample_normalizes(SAMPLE)
    present = conformance(AcmeEdr, corpus_dir=_corpus(tmp_path, []))
    with pytest.raises(pytest.skip.Exception, match="not found under"):
        present().test_corpus_sample_normalizes(
            CorpusSample(stream="alerts", path="vendor-api/acme/missing.json")
        )


# --- webhooks and transport -------------------------------------------------------------------


def test_webhook_case_tampering() -> None:
    event = sign_webhook({"alert": GOOD_ALERT})
    case = WebhookCase(headers={**event.headers, "Content-Type": "x"}, body=event.body)
    assert case.signature_headers() == ["X-Acme-Signature"]
    assert case.with_bad_signature().header("X-Acme-Signature") != event.header("X-Acme-Signature")
    assert case.with_bad_signature().header("Content-Type") == "x"
    assert case.without_signature().header("X-Acme-Signature") is None
    tampered = json.loads(case.with_tampered_body().body)
    assert tampered["aria_conformance_tampered"] is True and tampered["alert"] == GOOD_ALERT
    assert WebhookCase.coerce((event.headers, event.body), 3).name == "sample3"


@pytest.mark.anyio
async def test_suite_transport_injects_and_bounds() -> None:
    app = AcmeEdr.sandbox_app(size=4)
    now = [0.0]
    wire = SuiteTransport(
        httpx.ASGITransport(app=app), clock=lambda: now[0], exempt_paths=["/oauth2/token"], budget=3
    )
    async with httpx.AsyncClient(transport=wire, base_url="https://x.example") as client:
        wire.inject(TransportFault("status", status=503, every=2))
        assert (await client.get("/alerts/v1")).status_code == 401  # passed through
        assert (await client.get("/alerts/v1")).status_code == 503  # injected
        assert (await client.post("/oauth2/token")).status_code != 503  # token calls exempt
        wire.inject(TransportFault("timeout"))
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/alerts/v1")
        wire.inject(None)
        from aria.sdk.testing import RunawayRead

        with pytest.raises(RunawayRead):
            await client.get("/alerts/v1")
    assert [e.injected for e in wire.data_requests] == [False, True, True, False]


@pytest.mark.anyio
async def test_rate_limiter_terminates_on_an_injected_epoch_clock() -> None:
    """Regression: waits below the clock's float resolution (~2e-7 s near 1.7e9) made
    TokenBucketLimiter.acquire spin forever under the suite's instant clock."""
    from aria.sdk.ratelimit import RateLimits, TokenBucketLimiter
    from aria.sdk.testing import InstantTime

    clock = InstantTime()
    limiter = TokenBucketLimiter(
        RateLimits(per_minute=6000, burst=5), clock=clock.clock, sleep=clock.sleep
    )
    for _ in range(200):
        await limiter.acquire()
    assert len(clock.sleeps) < 1000 and 1.9 <= clock.now - 1_700_000_000.0 <= 2.1
