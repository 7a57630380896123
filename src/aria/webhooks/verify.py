"""Inbound verification methods and vendor presets: pure functions over headers and bytes.

Why pure: the receiver calls these on its hot path and the tests call them directly; nothing
here touches the database or logs a header value. Every comparison of attacker-supplied
material with an expected value goes through `hmac.compare_digest` (constant time).

Methods (``Webhook.verification_method``):

* ``hmac`` — HMAC (SHA-256/SHA-1/SHA-512) of the body in a configurable header, with an
  optional prefix (``sha256=``), hex or base64.
* ``signature`` — timestamped schemes: ``t=<unix>,v1=<sig>`` in one header (Stripe style) or
  the timestamp in its own header; the signed message is built from ``payload``
  (``{timestamp}.{body}`` by default) and the timestamp must lie within ``tolerance_s``.
* ``ip_whitelist`` — the client address must lie in one of ``cidrs``.
* ``bearer_token`` — ``Authorization: Bearer <secret>`` (header and scheme configurable).
* ``integration`` — the integration's own ``verify_webhook`` (the receiver supplies it).

Any method may add ``allowed_cidrs`` (defence in depth) and ``id_header`` (a delivery id for
the seen-id store; without one the signature, or the body, identifies a delivery).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_REPLAY_WINDOW_S = 86_400
ALGORITHMS = {"sha256": hashlib.sha256, "sha1": hashlib.sha1, "sha512": hashlib.sha512}


class InvalidVerification(ValueError):
    """A verification method or its configuration is not acceptable (a 422 for the API)."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_header: str | None = Field(default=None, max_length=100)
    allowed_cidrs: list[str] = Field(default_factory=list, max_length=100)
    replay_window_s: int = Field(default=DEFAULT_REPLAY_WINDOW_S, ge=60, le=30 * 86_400)

    @field_validator("allowed_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        return [str(ipaddress.ip_network(item, strict=False)) for item in value]


class HmacConfig(_Common):
    header: str = Field(default="X-Signature", min_length=1, max_length=100)
    algorithm: Literal["sha256", "sha1", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = Field(default="", max_length=40)


class SignatureConfig(_Common):
    header: str = Field(default="X-Signature", min_length=1, max_length=100)
    timestamp_header: str | None = Field(default=None, max_length=100)
    timestamp_key: str = Field(default="t", min_length=1, max_length=20)
    signature_key: str = Field(default="v1", min_length=1, max_length=20)
    payload: str = Field(default="{timestamp}.{body}", max_length=100)
    algorithm: Literal["sha256", "sha1", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = Field(default="", max_length=40)
    tolerance_s: int = Field(default=300, ge=1, le=86_400)

    @field_validator("payload")
    @classmethod
    def _payload(cls, value: str) -> str:
        if value.count("{body}") != 1 or value.count("{timestamp}") != 1:
            raise ValueError("must contain {timestamp} and {body} exactly once")
        return value


class IpWhitelistConfig(_Common):
    cidrs: list[str] = Field(min_length=1, max_length=100)

    @field_validator("cidrs")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return [str(ipaddress.ip_network(item, strict=False)) for item in value]


class BearerConfig(_Common):
    header: str = Field(default="Authorization", min_length=1, max_length=100)
    scheme: str = Field(default="Bearer", max_length=20)


class IntegrationConfig(_Common):
    pass


CONFIG_MODELS: dict[str, type[_Common]] = {
    "hmac": HmacConfig,
    "signature": SignatureConfig,
    "ip_whitelist": IpWhitelistConfig,
    "bearer_token": BearerConfig,
    "integration": IntegrationConfig,
}
#: Methods that need a shared secret (generated at creation unless the caller gives one).
SECRET_METHODS = frozenset({"hmac", "signature", "bearer_token"})


@dataclass(frozen=True)
class Preset:
    method: str
    config: dict[str, Any]
    description: str


PRESETS: dict[str, Preset] = {
    # tests/sdk/example_integration.py: X-Acme-Signature: sha256=<hex HMAC-SHA256 of the body>.
    "acme-edr": Preset(
        "hmac",
        {
            "header": "X-Acme-Signature",
            "algorithm": "sha256",
            "encoding": "hex",
            "prefix": "sha256=",
        },
        "Acme EDR: X-Acme-Signature = 'sha256=' + hex HMAC-SHA256 of the body",
    ),
    # aria.integrations.crowdstrike_falcon.webhooks: X-Cs-Primary-Signature over body and
    # X-Cs-Delivery-Timestamp (either order, base64 or hex), ±300 s in live mode. Falcon's own
    # verifier is used; the signature identifies a delivery for the seen-id store.
    "crowdstrike-falcon": Preset(
        "integration",
        {"id_header": "X-Cs-Primary-Signature"},
        "CrowdStrike Falcon: the integration's verifier (X-Cs-Primary-Signature, "
        "X-Cs-Delivery-Timestamp, HMAC-SHA256)",
    ),
    # aria.integrations.jira.webhooks: X-Hub-Signature = 'sha256=' + hex HMAC of the body.
    # Jira signs no timestamp; X-Atlassian-Webhook-Identifier is the same on every retry of a
    # delivery, so it is the replay key (a retry after a lost 202 is not processed twice).
    "jira": Preset(
        "integration",
        {"id_header": "X-Atlassian-Webhook-Identifier"},
        "Jira Cloud: the integration's verifier (X-Hub-Signature, HMAC-SHA256); "
        "X-Atlassian-Webhook-Identifier identifies a delivery across retries",
    ),
}


def normalize(method: str, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate a method and its configuration; returns the stored (defaults filled) form."""
    model = CONFIG_MODELS.get(method)
    if model is None:
        raise InvalidVerification(
            f"unknown verification method {method!r}",
            {"verification_method": f"one of {', '.join(CONFIG_MODELS)}"},
        )
    try:
        return model.model_validate(dict(config or {})).model_dump()
    except ValidationError as error:
        fields = {
            ".".join(str(p) for p in item["loc"]) or "verification_config": str(item["msg"])
            for item in error.errors()
        }
        raise InvalidVerification("verification_config is invalid", fields) from None


@dataclass(frozen=True)
class Verdict:
    """The outcome: ``reason`` names why a delivery was refused (never a secret or header)."""

    ok: bool
    reason: str | None = None
    delivery_key: str | None = None
    replay_ttl_s: int = DEFAULT_REPLAY_WINDOW_S


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Headers come lower-cased from the receiver; tests may pass any case."""
    value = headers.get(name.lower())
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def _digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\x1f")
    return h.hexdigest()


def _mac(secret: str, message: bytes, algorithm: str) -> bytes:
    return hmac.new(secret.encode(), message, ALGORITHMS[algorithm]).digest()


def _presented_mac(value: str, prefix: str, encoding: str) -> bytes | None:
    """The raw MAC bytes a sender presented (prefix stripped, decoded), or None if malformed."""
    value = value.strip()
    if prefix:
        if not value.startswith(prefix):
            return None
        value = value[len(prefix) :]
    try:
        if encoding == "hex":
            return bytes.fromhex(value)
        return base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        return None


def _any_mac_matches(
    presented: list[bytes], secrets: list[str], message: bytes, algorithm: str
) -> bool:
    matched = False
    for secret in secrets:
        expected = _mac(secret, message, algorithm)
        for candidate in presented:
            # No early exit on a match: the work done does not depend on which one matched.
            matched |= hmac.compare_digest(expected, candidate)
    return matched


def _ip_allowed(client_ip: str | None, cidrs: list[str]) -> bool:
    if client_ip is None:
        return False
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    candidates = [address] + ([mapped] if mapped is not None else [])
    return any(
        a in net
        for a in candidates
        for net in (ipaddress.ip_network(c) for c in cidrs)
        if a.version == net.version
    )


def _verify_hmac(
    cfg: HmacConfig, secrets: list[str], headers: Mapping[str, str], body: bytes
) -> Verdict:
    raw = _header(headers, cfg.header)
    if not raw:
        return Verdict(False, "missing_signature")
    presented = _presented_mac(raw, cfg.prefix, cfg.encoding)
    if presented is None or not _any_mac_matches([presented], secrets, body, cfg.algorithm):
        return Verdict(False, "bad_signature")
    return Verdict(True, delivery_key=_digest("hmac", raw))


def _parse_signature_header(value: str, cfg: SignatureConfig) -> tuple[str | None, list[str]]:
    """``t=1700000000,v1=abc,v1=def`` → ("1700000000", ["abc", "def"])."""
    stamp: str | None = None
    signatures: list[str] = []
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        if key == cfg.timestamp_key and stamp is None:
            stamp = item.strip()
        elif key == cfg.signature_key:
            signatures.append(item.strip())
    return stamp, signatures


def _verify_signature(
    cfg: SignatureConfig,
    secrets: list[str],
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
) -> Verdict:
    raw = _header(headers, cfg.header)
    if not raw:
        return Verdict(False, "missing_signature")
    if cfg.timestamp_header:
        stamp = _header(headers, cfg.timestamp_header)
        signatures = [raw]
    else:
        stamp, signatures = _parse_signature_header(raw, cfg)
    if not stamp or not signatures:
        return Verdict(False, "missing_signature")
    try:
        sent = float(stamp)
    except ValueError:
        return Verdict(False, "bad_timestamp")
    if sent > 1e11:  # milliseconds
        sent /= 1000
    if abs(now.timestamp() - sent) > cfg.tolerance_s:
        return Verdict(False, "stale_timestamp")
    before, _, after = cfg.payload.replace("{timestamp}", stamp).partition("{body}")
    message = before.encode() + body + after.encode()
    presented = [
        mac
        for mac in (_presented_mac(s, cfg.prefix, cfg.encoding) for s in signatures[:5])
        if mac is not None
    ]
    if not presented or not _any_mac_matches(presented, secrets, message, cfg.algorithm):
        return Verdict(False, "bad_signature")
    # A captured delivery stays valid for ``tolerance_s`` around its timestamp; remember it
    # for twice that so a replay inside the window is recognised.
    return Verdict(True, delivery_key=_digest("sig", stamp, raw), replay_ttl_s=2 * cfg.tolerance_s)


def _verify_bearer(cfg: BearerConfig, secrets: list[str], headers: Mapping[str, str]) -> Verdict:
    raw = (_header(headers, cfg.header) or "").strip()
    if not raw:
        return Verdict(False, "missing_token")
    if cfg.scheme:
        scheme, _, raw = raw.partition(" ")
        if scheme.lower() != cfg.scheme.lower():
            return Verdict(False, "bad_token")
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(secret.encode(), raw.strip().encode())
    return Verdict(True) if matched else Verdict(False, "bad_token")


def parse(method: str, config: Mapping[str, Any]) -> _Common:
    """The typed configuration of a stored endpoint (parse once, verify many times)."""
    return CONFIG_MODELS[method].model_validate(dict(config))


def verify(
    method: str,
    config: Mapping[str, Any] | _Common,
    *,
    secrets: list[str],
    headers: Mapping[str, str],
    body: bytes,
    client_ip: str | None,
    now: datetime,
    integration_verify: Callable[[], bool] | None = None,
) -> Verdict:
    """Check one delivery. ``secrets`` holds the current secret and, during a rotation's
    overlap window, the previous one. ``integration_verify`` runs the integration's own
    verifier (method ``integration``)."""
    cfg = config if isinstance(config, _Common) else parse(method, config)
    if cfg.allowed_cidrs and not _ip_allowed(client_ip, cfg.allowed_cidrs):
        return Verdict(False, "ip_not_allowed")
    if method in SECRET_METHODS and not secrets:
        return Verdict(False, "no_secret_configured")
    if isinstance(cfg, HmacConfig):
        verdict = _verify_hmac(cfg, secrets, headers, body)
    elif isinstance(cfg, SignatureConfig):
        verdict = _verify_signature(cfg, secrets, headers, body, now)
    elif isinstance(cfg, IpWhitelistConfig):
        verdict = (
            Verdict(True) if _ip_allowed(client_ip, cfg.cidrs) else Verdict(False, "ip_not_allowed")
        )
    elif isinstance(cfg, BearerConfig):
        verdict = _verify_bearer(cfg, secrets, headers)
    else:
        ok = integration_verify is not None and integration_verify()
        verdict = Verdict(True) if ok else Verdict(False, "bad_signature")
    if not verdict.ok:
        return verdict
    key = verdict.delivery_key or _digest("body", body)
    if cfg.id_header:
        delivery_id = _header(headers, cfg.id_header)
        if delivery_id:
            key = _digest("id", delivery_id[:500])
    ttl = verdict.replay_ttl_s if verdict.replay_ttl_s != DEFAULT_REPLAY_WINDOW_S else 0
    return Verdict(True, delivery_key=key, replay_ttl_s=ttl or cfg.replay_window_s)


def sign_hmac(secret: str, body: bytes, *, algorithm: str = "sha256", encoding: str = "hex") -> str:
    """The MAC a sender of the ``hmac`` method puts in its header (tests, docs)."""
    mac = _mac(secret, body, algorithm)
    return mac.hex() if encoding == "hex" else base64.b64encode(mac).decode()


def sign_timestamped(secret: str, body: bytes, timestamp: int, *, algorithm: str = "sha256") -> str:
    """``t=<ts>,v1=<hex>`` over ``<ts>.<body>``: the default ``signature`` scheme, and exactly
    what our outbound deliveries carry (so an ARIA can receive another ARIA's webhooks)."""
    message = str(timestamp).encode() + b"." + body
    return f"t={timestamp},v1={_mac(secret, message, algorithm).hex()}"
