"""Each verification method and preset, on good and bad deliveries (pure functions)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from aria.webhooks import verify

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
BODY = b'{"alert": {"id": "a1"}}'
SECRET = "s3cret-value-123"


def check(
    method: str,
    config: dict,
    headers: dict,
    *,
    secrets=(SECRET,),
    ip="203.0.113.7",
    body=BODY,
    now=NOW,
):  # type: ignore[no-untyped-def]
    return verify.verify(
        method,
        verify.normalize(method, config),
        secrets=list(secrets),
        headers=headers,
        body=body,
        client_ip=ip,
        now=now,
    )


def mac(secret: str, message: bytes, algorithm: str = "sha256") -> bytes:
    return hmac.new(secret.encode(), message, getattr(hashlib, algorithm)).digest()


@pytest.mark.parametrize(
    ("algorithm", "encoding", "prefix"),
    [
        ("sha256", "hex", "sha256="),
        ("sha1", "hex", "sha1="),
        ("sha256", "base64", ""),
        ("sha512", "hex", ""),
    ],
)
def test_hmac_variants(algorithm: str, encoding: str, prefix: str) -> None:
    digest = mac(SECRET, BODY, algorithm)
    value = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
    config = {
        "header": "X-Hub-Signature",
        "algorithm": algorithm,
        "encoding": encoding,
        "prefix": prefix,
    }
    assert check("hmac", config, {"x-hub-signature": prefix + value}).ok
    # Header names are case-insensitive; the prefix is required when configured.
    assert check("hmac", config, {"X-HUB-SIGNATURE": prefix + value}).ok
    wrong = check("hmac", config, {"x-hub-signature": prefix + mac("other", BODY, algorithm).hex()})
    assert (wrong.ok, wrong.reason) == (False, "bad_signature")
    tampered = check("hmac", config, {"x-hub-signature": prefix + value}, body=BODY + b" ")
    assert tampered.reason == "bad_signature"
    assert check("hmac", config, {}).reason == "missing_signature"
    if prefix:
        assert check("hmac", config, {"x-hub-signature": value}).reason == "bad_signature"


def test_hmac_garbage_signature_is_refused_not_crashing() -> None:
    for junk in ("sha256=zz", "sha256=", "", "sha256=" + "0" * 64, "sha256=Ω"):
        assert not check("hmac", {"prefix": "sha256="}, {"x-signature": junk}).ok


def test_previous_secret_works_during_overlap() -> None:
    value = mac("old-secret-xyz", BODY).hex()
    assert check("hmac", {}, {"x-signature": value}, secrets=(SECRET, "old-secret-xyz")).ok
    assert not check("hmac", {}, {"x-signature": value}, secrets=(SECRET,)).ok


def test_no_secret_configured_refuses() -> None:
    assert check("hmac", {}, {"x-signature": "00"}, secrets=()).reason == "no_secret_configured"


def stripe_style(secret: str, body: bytes, ts: int) -> str:
    return verify.sign_timestamped(secret, body, ts)


def test_signature_t_v1_scheme_and_tolerance() -> None:
    ts = int(NOW.timestamp())
    header = {"x-signature": stripe_style(SECRET, BODY, ts)}
    good = check("signature", {}, header)
    assert good.ok and good.replay_ttl_s == 600
    # Several v1 values (the sender is rotating): any one may match.
    both = f"t={ts},v1={'00' * 32},v1={mac(SECRET, f'{ts}.'.encode() + BODY).hex()}"
    assert check("signature", {}, {"x-signature": both}).ok
    stale = check("signature", {}, header, now=NOW + timedelta(seconds=301))
    assert (stale.ok, stale.reason) == (False, "stale_timestamp")
    future = check("signature", {}, header, now=NOW - timedelta(seconds=301))
    assert future.reason == "stale_timestamp"
    assert check("signature", {"tolerance_s": 900}, header, now=NOW + timedelta(seconds=600)).ok
    # The timestamp is signed: moving it breaks the signature.
    moved = header["x-signature"].replace(f"t={ts}", f"t={ts + 1}")
    assert check("signature", {}, {"x-signature": moved}).reason == "bad_signature"
    assert check("signature", {}, {"x-signature": "t=abc,v1=00"}).reason == "bad_timestamp"
    assert check("signature", {}, {"x-signature": "v1=00"}).reason == "missing_signature"


def test_signature_with_separate_timestamp_header_and_custom_payload() -> None:
    ts = str(int(NOW.timestamp()) * 1000)  # milliseconds are understood
    signed = base64.b64encode(mac(SECRET, BODY + ts.encode())).decode()
    config = {
        "header": "X-Cs-Primary-Signature",
        "timestamp_header": "X-Cs-Delivery-Timestamp",
        "payload": "{body}{timestamp}",
        "encoding": "base64",
    }
    headers = {"x-cs-primary-signature": signed, "x-cs-delivery-timestamp": ts}
    assert check("signature", config, headers).ok
    assert (
        check("signature", config, headers, now=NOW + timedelta(hours=1)).reason
        == "stale_timestamp"
    )


def test_ip_whitelist_cidrs() -> None:
    config = {"cidrs": ["203.0.113.0/24", "2001:db8::/32"]}
    assert check("ip_whitelist", config, {}, ip="203.0.113.200").ok
    assert check("ip_whitelist", config, {}, ip="2001:db8::1").ok
    assert check("ip_whitelist", config, {}, ip="::ffff:203.0.113.9").ok
    assert check("ip_whitelist", config, {}, ip="198.51.100.1").reason == "ip_not_allowed"
    assert check("ip_whitelist", config, {}, ip=None).reason == "ip_not_allowed"
    with pytest.raises(verify.InvalidVerification):
        verify.normalize("ip_whitelist", {"cidrs": []})
    with pytest.raises(verify.InvalidVerification):
        verify.normalize("ip_whitelist", {"cidrs": ["not-a-network"]})


def test_allowed_cidrs_add_to_any_method() -> None:
    value = mac(SECRET, BODY).hex()
    config = {"allowed_cidrs": ["10.0.0.0/8"]}
    assert check("hmac", config, {"x-signature": value}, ip="10.1.2.3").ok
    assert (
        check("hmac", config, {"x-signature": value}, ip="203.0.113.7").reason == "ip_not_allowed"
    )


def test_bearer_token() -> None:
    assert check("bearer_token", {}, {"authorization": f"Bearer {SECRET}"}).ok
    assert check("bearer_token", {}, {"authorization": f"bearer {SECRET}"}).ok
    assert check("bearer_token", {}, {"authorization": "Bearer nope"}).reason == "bad_token"
    assert check("bearer_token", {}, {"authorization": f"Basic {SECRET}"}).reason == "bad_token"
    assert check("bearer_token", {}, {}).reason == "missing_token"
    custom = {"header": "X-Webhook-Token", "scheme": ""}
    assert check("bearer_token", custom, {"x-webhook-token": SECRET}).ok


def test_delivery_keys_identify_replays() -> None:
    value = mac(SECRET, BODY).hex()
    first = check("hmac", {}, {"x-signature": value})
    again = check("hmac", {}, {"x-signature": value})
    assert first.delivery_key == again.delivery_key
    with_id = check(
        "hmac", {"id_header": "X-Delivery"}, {"x-signature": value, "x-delivery": "d-1"}
    )
    other_id = check(
        "hmac", {"id_header": "X-Delivery"}, {"x-signature": value, "x-delivery": "d-2"}
    )
    assert with_id.delivery_key != other_id.delivery_key


def test_invalid_configurations_are_refused() -> None:
    with pytest.raises(verify.InvalidVerification) as error:
        verify.normalize("hmac", {"algorithm": "md5"})
    assert "algorithm" in error.value.fields
    with pytest.raises(verify.InvalidVerification):
        verify.normalize("hmac", {"unknown": 1})
    with pytest.raises(verify.InvalidVerification):
        verify.normalize("signature", {"payload": "{body}"})
    with pytest.raises(verify.InvalidVerification):
        verify.normalize("rot13", {})


def test_acme_preset_matches_the_example_integration() -> None:
    from tests.sdk.example_integration import DEMO, sign_webhook

    event = sign_webhook({"alert": {"id": "x"}}, secret=DEMO["webhook_secret"])
    preset = verify.PRESETS["acme-edr"]
    verdict = verify.verify(
        preset.method,
        verify.normalize(preset.method, preset.config),
        secrets=[DEMO["webhook_secret"]],
        headers={k.lower(): v for k, v in event.headers.items()},
        body=event.body,
        client_ip=None,
        now=NOW,
    )
    assert verdict.ok


def test_crowdstrike_preset_uses_falcons_own_verifier() -> None:
    falcon = pytest.importorskip("aria.integrations.crowdstrike_falcon.webhooks")
    preset = verify.PRESETS["crowdstrike-falcon"]
    assert preset.method == "integration"
    ts = str(int(NOW.timestamp()))
    event = falcon.signed_event(falcon.SAMPLE_DETECTION, SECRET, ts)
    headers = {k.lower(): v for k, v in event.headers.items()}

    def run(secret: str, now: datetime) -> verify.Verdict:
        return verify.verify(
            preset.method,
            verify.normalize(preset.method, preset.config),
            secrets=[secret],
            headers=headers,
            body=event.body,
            client_ip=None,
            now=now,
            integration_verify=lambda: falcon.verify(secret, event, now),
        )

    good = run(SECRET, NOW)
    assert good.ok
    # The signature header identifies the delivery in the seen-id store.
    assert good.delivery_key == run(SECRET, NOW).delivery_key
    assert not run("wrong-secret-123", NOW).ok
    assert not run(SECRET, NOW + timedelta(minutes=10)).ok


def test_outbound_signature_verifies_with_the_inbound_signature_method() -> None:
    from aria.webhooks.outbound import signature_headers, verify_signature

    body = json.dumps({"type": "finding.created"}).encode()
    ts = int(NOW.timestamp())
    headers = signature_headers(SECRET, body, ts)
    assert verify_signature(SECRET, body, headers, now=ts + 10)
    assert not verify_signature(SECRET, body + b"x", headers, now=ts + 10)
    assert not verify_signature("other-secret-1", body, headers, now=ts + 10)
    assert not verify_signature(SECRET, body, headers, now=ts + 1000)


def test_jira_preset_keys_replays_on_the_delivery_identifier() -> None:
    """Jira signs no timestamp: a retry re-sends the same identifier, perhaps with a body that
    differs; the identifier, not the body, decides whether it was seen."""
    jira = pytest.importorskip("aria.integrations.jira.webhooks")
    preset = verify.PRESETS["jira"]
    assert preset.method == "integration"
    config = verify.normalize(preset.method, preset.config)

    def check(payload: dict[str, object], identifier: str, secret: str) -> verify.Verdict:
        event = jira.signed(payload, SECRET, identifier)
        return verify.verify(
            preset.method,
            config,
            secrets=[SECRET],
            headers={k.lower(): v for k, v in event.headers.items()},
            body=event.body,
            client_ip=None,
            now=NOW,
            integration_verify=lambda: jira.verify(secret, event),
        )

    first = check({"timestamp": 1, "webhookEvent": "jira:issue_updated"}, "hook-1", SECRET)
    retry = check({"timestamp": 2, "webhookEvent": "jira:issue_updated"}, "hook-1", SECRET)
    other = check({"timestamp": 1, "webhookEvent": "jira:issue_updated"}, "hook-2", SECRET)
    assert first.ok and retry.ok and other.ok
    assert first.delivery_key == retry.delivery_key != other.delivery_key
    forged = check({"timestamp": 1, "webhookEvent": "jira:issue_updated"}, "hook-3", "wrong")
    assert not forged.ok and forged.reason == "bad_signature"
