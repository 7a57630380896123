"""Property tests: normalization is idempotent, mapping never crashes, exports always validate."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from aria.sdk.records import (
    Asset,
    Finding,
    FindingStatus,
    Indicator,
    Severity,
    to_epoch_ms,
    to_utc,
)
from aria.sdk.records.normalize import normalize_mac

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@FAST
@given(
    octets=st.binary(min_size=6, max_size=6),
    sep=st.sampled_from([":", "-", "", "."]),
    upper=st.booleans(),
)
def test_mac_normalization_is_canonical_and_idempotent(
    octets: bytes, sep: str, upper: bool
) -> None:
    hex_pairs = [f"{b:02x}" for b in octets]
    if sep == ".":  # Cisco dotted quads
        text = ".".join("".join(hex_pairs[i : i + 2]) for i in range(0, 6, 2))
    else:
        text = sep.join(hex_pairs)
    text = text.upper() if upper else text
    normalized = normalize_mac(text)
    assert normalized == ":".join(hex_pairs)
    assert normalize_mac(normalized) == normalized


label = st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?", fullmatch=True)


@FAST
@given(
    labels=st.lists(label, min_size=2, max_size=4), defang=st.booleans(), trailing_dot=st.booleans()
)
def test_domain_indicator_normalization_idempotent(
    labels: list[str], defang: bool, trailing_dot: bool
) -> None:
    raw = ("[.]" if defang else ".").join(labels) + ("." if trailing_dot else "")
    first = Indicator(type="domain", value=raw)
    assert first.value == ".".join(labels).lower()
    again = Indicator(type="domain", value=first.value)
    assert again.value == first.value
    assert again.dedupe_key() == first.dedupe_key()
    assert first.to_stix().pattern == f"[domain-name:value = '{first.value}']"


@FAST
@given(ms=st.integers(min_value=10**11, max_value=4 * 10**12))
def test_epoch_ms_round_trip(ms: int) -> None:
    parsed = to_utc(ms)
    assert parsed is not None
    assert to_epoch_ms(parsed) == ms
    assert to_utc(parsed.isoformat()) == parsed


@settings(max_examples=300, deadline=None)
@given(value=anything)
def test_vendor_mapping_never_raises(value: Any) -> None:
    assert isinstance(Severity.from_vendor(value), Severity)
    assert isinstance(FindingStatus.from_vendor(value), FindingStatus)


@FAST
@given(title=anything, severity=anything, first_seen=anything, port=anything)
def test_messy_input_is_a_record_or_a_validation_error(
    title: Any, severity: Any, first_seen: Any, port: Any
) -> None:
    """Whatever a vendor sends, normalizers fail only with pydantic's ValidationError."""
    with contextlib.suppress(ValidationError):
        Finding.vulnerability(
            uid="v", title=title, severity=severity, first_seen=first_seen, port=port
        )


@FAST
@given(
    hostname=st.one_of(st.none(), label),
    agent=st.one_of(st.none(), st.text(alphabet="0123456789abcdefABCDEF", min_size=4, max_size=12)),
    macs=st.lists(st.binary(min_size=6, max_size=6), max_size=3),
)
def test_asset_identifiers_stable_under_renormalization(
    hostname: str | None, agent: str | None, macs: list[bytes]
) -> None:
    asset = Asset(hostname=hostname, agent_id=agent, macs=[m.hex("-").upper() for m in macs])
    again = Asset.model_validate(asset.model_dump())
    assert again.identifiers() == asset.identifiers()
    kinds = [kind for kind, _ in asset.identifiers()]
    order = ["instance", "arn", "agent", "serial", "mac", "hostname"]
    assert kinds == sorted(kinds, key=order.index)


@pytest.mark.filterwarnings("ignore")
@settings(max_examples=40, deadline=None)
@given(
    title=st.text(max_size=40),
    severity=st.sampled_from(["low", "High", 70, 9.8, None, "???"]),
    status=st.sampled_from(["new", "closed", "in progress", None, 7]),
    confidence=st.one_of(st.none(), st.integers(min_value=0, max_value=100)),
)
def test_detection_ocsf_always_validates(
    title: str, severity: Any, status: Any, confidence: int | None
) -> None:
    pytest.importorskip("ocsf_json_schema")
    from aria.sdk.records.ocsf_validate import validate_ocsf

    finding = Finding.detection(
        uid="d-1",
        title=title,
        severity=severity,
        status=status,
        confidence=confidence,
        tactic_id="TA0002",
    )
    validate_ocsf(finding.to_ocsf())
