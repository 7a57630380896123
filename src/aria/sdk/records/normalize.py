"""Normalizers for identifiers found in vendor data.

One device, user or indicator is spelled many ways by many tools (``WEB01`` vs ``web01.corp.``,
``06-35-E6-62-53-2E`` vs ``0635.e662.532e``, ``hxxp://evil[.]com``). Dedupe and merging only work
on one spelling, so every record field that identifies something passes through here.

All functions are pure and idempotent, map empty input to ``None`` and raise only
``ValueError`` (which pydantic reports against the field being validated).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BeforeValidator

_MAC_SEPARATORS = re.compile(r"[\s:.\-]")
_HEX12 = re.compile(r"^[0-9a-f]{12}$")
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
_CWE = re.compile(r"^CWE-\d+$")
_HASH_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
_HEX = re.compile(r"^[0-9a-f]+$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")

# Values vendors put in a serial-number field when there is none; merging on them would fuse
# every white-box server in the fleet into one asset.
PLACEHOLDER_SERIALS = frozenset(
    {
        "0",
        "00000000",
        "0000000000",
        "0123456789",
        "1234567890",
        "123456789",
        "DEFAULT STRING",
        "NONE",
        "N/A",
        "NA",
        "NOT APPLICABLE",
        "NOT SPECIFIED",
        "SYSTEM SERIAL NUMBER",
        "TO BE FILLED BY O.E.M.",
        "TO BE FILLED BY OEM",
        "CHASSIS SERIAL NUMBER",
        "INVALID",
        "UNKNOWN",
        "SERIAL",
    }
)
PLACEHOLDER_MACS = frozenset({"00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"})
PLACEHOLDER_HOSTNAMES = frozenset({"localhost", "localhost.localdomain", "unknown"})
# NetBIOS workgroups are not DNS domains; appending them would split one host in two.
NON_DOMAINS = frozenset({"workgroup", "localdomain", "local"})


def clean_str(value: Any) -> str | None:
    """Strip strings, stringify numbers, map blanks and null words to ``None``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    text = value.strip()
    if text.lower() in {"", "null", "none"}:
        return None
    return text


def clean_str_list(value: Any) -> list[str]:
    """A list of cleaned, de-duplicated strings; accepts a single value or a comma list."""
    if value is None:
        return []
    if isinstance(value, str):
        items: Iterable[Any] = value.split(",") if "," in value else [value]
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    else:
        items = [value]
    out: list[str] = []
    for item in items:
        text = clean_str(item)
        if text is not None and text not in out:
            out.append(text)
    return out


def normalize_hostname(value: Any) -> str | None:
    """Lower-case, no surrounding whitespace, no trailing root dot."""
    text = clean_str(value)
    if text is None:
        return None
    text = text.lower().rstrip(".")
    return text or None


def normalize_domain(value: Any) -> str | None:
    """Lower-case DNS (or NetBIOS) domain, no leading wildcard or trailing dot."""
    text = normalize_hostname(value)
    if text is None:
        return None
    if text.startswith("*."):
        text = text[2:]
    return text or None


def fqdn(hostname: str | None, domain: str | None) -> str | None:
    """Host and domain joined once: ``WEB01`` + ``corp.example`` == ``web01.corp.example``."""
    host = normalize_hostname(hostname)
    if host is None or host in PLACEHOLDER_HOSTNAMES:
        return None
    dom = normalize_domain(domain)
    if dom is None or dom in NON_DOMAINS or host == dom or host.endswith("." + dom):
        return host
    if "." in host:  # already qualified, possibly by another domain: trust the host
        return host
    return f"{host}.{dom}"


def normalize_mac(value: Any) -> str | None:
    """``aa:bb:cc:dd:ee:ff`` from colon, dash, Cisco-dot or bare-hex spellings."""
    text = clean_str(value)
    if text is None:
        return None
    bare = _MAC_SEPARATORS.sub("", text.lower())
    if not _HEX12.match(bare):
        raise ValueError(f"not a MAC address: {text!r}")
    return ":".join(bare[i : i + 2] for i in range(0, 12, 2))


def normalize_ip(value: Any) -> str | None:
    """Canonical IPv4/IPv6 text (compressed IPv6, no leading zeros)."""
    text = clean_str(value)
    if text is None:
        return None
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError as exc:
        raise ValueError(f"not an IP address: {text!r}") from exc


def normalize_serial(value: Any) -> str | None:
    """Upper-case, inner whitespace collapsed."""
    text = clean_str(value)
    if text is None:
        return None
    return " ".join(text.upper().split())


def is_placeholder_serial(serial: str | None) -> bool:
    """True for BIOS filler such as ``To Be Filled By O.E.M.``, useless as an identity."""
    return serial is None or serial.upper() in PLACEHOLDER_SERIALS or set(serial) <= {"0"}


def normalize_email(value: Any) -> str | None:
    """Lower-case ``local@domain``; rejects anything that is not one address."""
    text = clean_str(value)
    if text is None:
        return None
    text = text.lower()
    if text.startswith("mailto:"):
        text = text[7:]
    text = refang(text)
    local, sep, domain = text.rpartition("@")
    if not sep or not local or not domain or any(ch.isspace() for ch in text) or "@" in local:
        raise ValueError(f"not an email address: {text!r}")
    return f"{local}@{domain.rstrip('.')}"


# OCSF ``email_t`` pattern, stricter than mail itself (dotted domain, ASCII local part).
_OCSF_EMAIL = re.compile(r"^[a-zA-Z0-9!#$%&'*+-/=?^_`{|}~.]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$")


def is_ocsf_email(email: str | None) -> bool:
    """Whether OCSF's ``email_t`` accepts this address (else it goes to ``unmapped``)."""
    return bool(email) and _OCSF_EMAIL.match(email) is not None


def normalize_cve(value: Any) -> str | None:
    """``CVE-YYYY-NNNN`` upper-case; anything else is an error, not a silent mismatch."""
    text = clean_str(value)
    if text is None:
        return None
    text = text.upper().replace("_", "-")
    if not _CVE.match(text):
        raise ValueError(f"not a CVE id: {text!r}")
    return text


def normalize_cwe(value: Any) -> str | None:
    """``CWE-NNN``; bare numbers are accepted."""
    text = clean_str(value)
    if text is None:
        return None
    text = text.upper()
    if text.isdigit():
        text = f"CWE-{text}"
    if not _CWE.match(text):
        raise ValueError(f"not a CWE id: {text!r}")
    return text


_REFANG = (
    (re.compile(r"^hxxp", re.IGNORECASE), "http"),
    (re.compile(r"^fxp", re.IGNORECASE), "ftp"),
    (re.compile(r"\[:\]|\(:\)|\{:\}"), ":"),
    (re.compile(r"\[/\]"), "/"),
    (re.compile(r"\[://\]"), "://"),
    (re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}", re.IGNORECASE), "."),
    (re.compile(r"\[@\]|\(@\)|\{@\}|\[at\]|\(at\)|\{at\}", re.IGNORECASE), "@"),
)


def refang(text: str) -> str:
    """Undo the defanging threat-intel feeds apply (``hxxp``, ``[.]``, ``[at]``...)."""
    text = text.strip()
    for pattern, replacement in _REFANG:
        text = pattern.sub(replacement, text)
    return text


def normalize_indicator_domain(value: Any) -> str | None:
    """Refanged, lower-case, IDNA (punycode) domain with no trailing dot."""
    text = clean_str(value)
    if text is None:
        return None
    text = refang(text).lower().rstrip(".")
    if text.startswith("*."):
        text = text[2:]
    try:
        text = text.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"not a domain name: {text!r}") from exc
    labels = text.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise ValueError(f"not a domain name: {text!r}")
    return text


def normalize_url(value: Any) -> str | None:
    """Refanged URL with lower-case scheme and host; path and query are left as sent."""
    text = clean_str(value)
    if text is None:
        return None
    text = refang(text)
    if any(ch.isspace() for ch in text):
        raise ValueError(f"not a URL: {text!r}")
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise ValueError(f"not a URL: {text!r}") from exc
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not a URL (scheme and host required): {text!r}")
    userinfo, _, hostport = parts.netloc.rpartition("@")
    netloc = f"{userinfo}@{hostport.lower()}" if userinfo else hostport.lower()
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))


def normalize_hash(value: Any, algorithm: str) -> str | None:
    """Lower-case hex digest of the right length for ``algorithm``."""
    text = clean_str(value)
    if text is None:
        return None
    text = text.lower()
    expected = _HASH_LENGTHS[algorithm]
    if len(text) != expected or not _HEX.match(text):
        raise ValueError(f"not a {algorithm} digest ({expected} hex characters): {text!r}")
    return text


def _list_of(normalizer: Any) -> Any:
    """Build a before-validator: one value or many, normalized, de-duplicated, order kept."""

    def validate(value: Any) -> list[str]:
        out: list[str] = []
        for item in clean_str_list(value):
            norm = normalizer(item)
            if norm is not None and norm not in out:
                out.append(norm)
        return out

    return validate


# Annotated field types used by the record models.
OptStr = Annotated[str | None, BeforeValidator(clean_str)]
StrList = Annotated[list[str], BeforeValidator(clean_str_list)]
Hostname = Annotated[str | None, BeforeValidator(normalize_hostname)]
Domain = Annotated[str | None, BeforeValidator(normalize_domain)]
Mac = Annotated[str | None, BeforeValidator(normalize_mac)]
IP = Annotated[str | None, BeforeValidator(normalize_ip)]
Serial = Annotated[str | None, BeforeValidator(normalize_serial)]
Email = Annotated[str | None, BeforeValidator(normalize_email)]
MacList = Annotated[list[str], BeforeValidator(_list_of(normalize_mac))]
IPList = Annotated[list[str], BeforeValidator(_list_of(normalize_ip))]
CveList = Annotated[list[str], BeforeValidator(_list_of(normalize_cve))]
CweList = Annotated[list[str], BeforeValidator(_list_of(normalize_cwe))]
LowerStr = Annotated[
    str | None, BeforeValidator(lambda v: s.lower() if (s := clean_str(v)) else None)
]
