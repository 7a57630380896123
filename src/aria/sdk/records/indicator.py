"""``Indicator``: an observable worth watching for (STIX 2.1 Indicator + OCSF ``osint``).

Feeds spell one indicator many ways (``HXXP://Evil[.]COM/``, ``evil.com.``), so the value is
refanged and normalized per type before it becomes the dedupe key ``(type, value)``. Export is to
a ``stix2.Indicator`` with the right STIX pattern, and to an OCSF ``osint`` object.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from aria.sdk.records._time import OptUtcDateTime, to_epoch_ms
from aria.sdk.records.base import CanonicalRecord, compact
from aria.sdk.records.enums import Confidence, IndicatorType
from aria.sdk.records.finding import ConfidenceScore
from aria.sdk.records.normalize import (
    OptStr,
    StrList,
    clean_str,
    normalize_email,
    normalize_hash,
    normalize_indicator_domain,
    normalize_url,
    refang,
)

if TYPE_CHECKING:
    import stix2

# Stable STIX ids: the same (type, value) always exports as the same indicator id.
_STIX_NAMESPACE = uuid.UUID("0e7c1bb1-2f6b-4a8e-bb0c-6a4f3b0d8a55")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_HASH_BY_LENGTH = {
    32: IndicatorType.MD5,
    40: IndicatorType.SHA1,
    64: IndicatorType.SHA256,
    128: IndicatorType.SHA512,
}
_STIX_PATH = {
    IndicatorType.IPV4: "ipv4-addr:value",
    IndicatorType.IPV6: "ipv6-addr:value",
    IndicatorType.DOMAIN: "domain-name:value",
    IndicatorType.URL: "url:value",
    IndicatorType.EMAIL: "email-addr:value",
    IndicatorType.MD5: "file:hashes.MD5",
    IndicatorType.SHA1: "file:hashes.'SHA-1'",
    IndicatorType.SHA256: "file:hashes.'SHA-256'",
    IndicatorType.SHA512: "file:hashes.'SHA-512'",
    IndicatorType.FILE_NAME: "file:name",
}
# OCSF osint.type_id and caption.
_OSINT_TYPE = {
    IndicatorType.IPV4: (1, "IP Address"),
    IndicatorType.IPV6: (1, "IP Address"),
    IndicatorType.DOMAIN: (2, "Domain"),
    IndicatorType.URL: (5, "URL"),
    IndicatorType.EMAIL: (9, "Email Address"),
    IndicatorType.MD5: (4, "Hash"),
    IndicatorType.SHA1: (4, "Hash"),
    IndicatorType.SHA256: (4, "Hash"),
    IndicatorType.SHA512: (4, "Hash"),
    IndicatorType.FILE_NAME: (11, "File"),
}


def _normalize_ip(value: str, version: int) -> str:
    """Address or CIDR block (STIX allows both); a host-sized block is the bare address."""
    text = refang(value).strip("[]")
    try:
        if "/" in text:
            network = ipaddress.ip_network(text, strict=False)
            if network.version != version:
                raise ValueError
            if network.num_addresses == 1:
                return str(network.network_address)
            return str(network)
        address = ipaddress.ip_address(text)
    except ValueError as exc:
        raise ValueError(f"not an IPv{version} address: {value!r}") from exc
    if address.version != version:
        raise ValueError(f"not an IPv{version} address: {value!r}")
    return str(address)


def normalize_indicator_value(kind: IndicatorType, value: Any) -> str:
    """The one canonical spelling of ``value`` for ``kind``; idempotent."""
    text = clean_str(value)
    if text is None:
        raise ValueError("indicator value is required")
    result: str | None
    match kind:
        case IndicatorType.IPV4:
            result = _normalize_ip(text, 4)
        case IndicatorType.IPV6:
            result = _normalize_ip(text, 6)
        case IndicatorType.DOMAIN:
            result = normalize_indicator_domain(text)
        case IndicatorType.URL:
            result = normalize_url(text)
        case IndicatorType.EMAIL:
            result = normalize_email(text)
        case IndicatorType.FILE_NAME:
            result = text
        case _:
            result = normalize_hash(text, kind.value)
    if result is None:
        raise ValueError("indicator value is required")
    return result


def infer_indicator_type(value: Any) -> IndicatorType:
    """Guess the type of a bare observable (feeds that send only values).

    Order matters: IPs, then hex digests by length, URLs, emails, and finally domains. A file
    name such as ``evil.exe`` reads as a domain, so pass ``type`` for file names."""
    text = clean_str(value)
    if text is None:
        raise ValueError("indicator value is required")
    text = refang(text)
    try:
        address = ipaddress.ip_network(text.strip("[]"), strict=False)
        return IndicatorType.IPV4 if address.version == 4 else IndicatorType.IPV6
    except ValueError:
        pass
    if _HEX.match(text) and len(text) in _HASH_BY_LENGTH:
        return _HASH_BY_LENGTH[len(text)]
    if "://" in text:
        return IndicatorType.URL
    if "@" in text:
        return IndicatorType.EMAIL
    try:
        normalize_indicator_domain(text)
    except ValueError as exc:
        raise ValueError(f"cannot infer the indicator type of {text!r}") from exc
    return IndicatorType.DOMAIN


def stix_quote(value: str) -> str:
    """A STIX pattern string literal: backslash and quote escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Indicator(CanonicalRecord):
    """An IOC from a threat-intel source; dedupe on the normalized ``(type, value)``."""

    record_type: Literal["indicator"] = "indicator"
    type: Annotated[IndicatorType, BeforeValidator(IndicatorType.from_vendor)] = Field(
        validation_alias=AliasChoices("type", "indicator_type")
    )
    value: str
    confidence: ConfidenceScore = None
    valid_from: OptUtcDateTime = None
    valid_until: OptUtcDateTime = None
    labels: StrList = Field(default_factory=list, validation_alias=AliasChoices("labels", "tags"))
    source: OptStr = None
    name: OptStr = None
    description: OptStr = Field(default=None, validation_alias=AliasChoices("description", "desc"))

    @field_validator("value", mode="before")
    @classmethod
    def _normalize_value(cls, value: Any, info: ValidationInfo) -> Any:
        """Refang and normalize for the declared type (skipped if the type itself was bad)."""
        kind = info.data.get("type")
        if kind is None:
            return value
        return normalize_indicator_value(kind, value)

    @model_validator(mode="after")
    def _validity_window(self) -> Indicator:
        """STIX requires ``valid_until`` after ``valid_from``; catch it at the source."""
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until: must be later than valid_from")
        return self

    @classmethod
    def from_value(cls, value: Any, **fields: Any) -> Indicator:
        """Build from a bare value, inferring ``type`` (see ``infer_indicator_type``)."""
        kind = fields.pop("type", None) or infer_indicator_type(value)
        return cls.model_validate({**fields, "type": kind, "value": value})

    def dedupe_key(self, installation_id: str | None = None) -> tuple[str, ...]:
        """``(type, normalized value)``: one IOC from any feed is one row."""
        return (self.type.value, self.value)

    # -- STIX ---------------------------------------------------------------------------------

    def stix_pattern(self) -> str:
        """e.g. ``[ipv4-addr:value = '1.2.3.4']`` or ``[file:hashes.'SHA-256' = '...']``."""
        return f"[{_STIX_PATH[self.type]} = {stix_quote(self.value)}]"

    def stix_id(self) -> str:
        """Deterministic ``indicator--<uuid5>`` so re-exports update rather than duplicate."""
        return f"indicator--{uuid.uuid5(_STIX_NAMESPACE, f'{self.type.value}:{self.value}')}"

    def to_stix(self) -> stix2.Indicator:
        """A STIX 2.1 Indicator (stix2 validates the pattern on construction)."""
        import stix2

        created = self.first_seen or self.valid_from or self.observed_at
        modified = max(created, self.last_seen or self.observed_at)
        valid_from = self.valid_from or created
        if self.valid_until is not None and self.valid_until <= valid_from:
            valid_from = self.valid_until - timedelta(seconds=1)
        external = None
        if self.source:  # STIX wants an external_id, url or description beside the name
            ref = {"source_name": self.source, "external_id": self.source_uid}
            if not self.source_uid:
                ref["description"] = "Threat-intelligence source that reported this indicator."
            external = [compact(ref)]
        kwargs: dict[str, Any] = compact(
            {
                "id": self.stix_id(),
                "created": created,
                "modified": modified,
                "name": self.name or f"{self.type.value}: {self.value}",
                "description": self.description,
                "pattern": self.stix_pattern(),
                "pattern_type": "stix",
                "pattern_version": "2.1",
                "valid_from": valid_from,
                "valid_until": self.valid_until,
                "labels": self.labels,
                "confidence": self.confidence,
                "external_references": external,
            }
        )
        return stix2.Indicator(**kwargs)

    def to_stix_json(self) -> str:
        """The STIX 2.1 Indicator serialized as JSON."""
        return str(self.to_stix().serialize())

    # -- OCSF ---------------------------------------------------------------------------------

    def to_ocsf(self, *, include_raw: bool = False) -> dict[str, Any]:
        """An OCSF ``osint`` object (indicators are an object in OCSF, not an event class)."""
        type_id, type_caption = _OSINT_TYPE[self.type]
        confidence = Confidence.from_score(self.confidence)
        osint: dict[str, Any] = {
            "type_id": type_id,
            "type": type_caption,
            "value": self.value,
            "uid": self.source_uid,
            "name": self.name,
            "desc": self.description,
            "vendor_name": self.source or self.source_vendor,
            "confidence_id": int(confidence) if self.confidence is not None else None,
            "confidence": confidence.name.title() if self.confidence is not None else None,
            "severity_id": int(self.severity),
            "severity": self.severity.caption,
            "labels": self.labels,
            "created_time": to_epoch_ms(self.first_seen or self.valid_from),
            "modified_time": to_epoch_ms(self.last_seen),
            "expiration_time": to_epoch_ms(self.valid_until),
            "detection_pattern": self.stix_pattern(),
            "detection_pattern_type_id": 1,
            "detection_pattern_type": "STIX",
        }
        return compact(osint)
