"""OCSF enumerations (ids and captions as in the OCSF schema) and vendor-value mapping.

Vendors grade severity as words (``crit``, ``Moderate``), CVSS-like 0-10 numbers or 0-100 scores,
and name statuses freely. ``from_vendor`` maps all of these onto OCSF ids once, so integrations do
not each invent a table; the record keeps the raw value beside the mapped id.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from enum import IntEnum, StrEnum
from typing import Any, Literal, Self

_KEY_JUNK = re.compile(r"[\s_\-./]+")

SeverityScale = Literal["auto", "cvss", "percent"]


def _key(value: str) -> str:
    """Case- and separator-insensitive lookup key: ``In Progress`` == ``in_progress``."""
    return _KEY_JUNK.sub("", value.strip().lower())


def _lookup_table(value: Any, table: Mapping[Any, Any] | None) -> Any:
    """Find ``value`` in a caller table, trying the raw value then the folded string key."""
    if not table:
        return None
    try:
        if value in table:
            return table[value]
    except TypeError:  # unhashable raw value
        return None
    if isinstance(value, str):
        folded = {_key(k): v for k, v in table.items() if isinstance(k, str)}
        return folded.get(_key(value))
    return None


class _Captioned(IntEnum):
    """IntEnum whose members carry the OCSF caption."""

    @property
    def caption(self) -> str:
        """The OCSF caption, e.g. ``In Progress``."""
        return _CAPTIONS.get(self.name, self.name.replace("_", " ").title())

    @classmethod
    def _coerce_member(cls, value: Any) -> Self | None:
        """A member from a member, an id or an OCSF caption; ``None`` when not one of these."""
        if isinstance(value, cls):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value)
            except ValueError:
                return None
        if isinstance(value, str):
            folded = _key(value)
            for member in cls:
                if _key(member.name) == folded or _key(member.caption) == folded:
                    return member
        return None


_CAPTIONS = {"IN_PROGRESS": "In Progress", "ON_HOLD": "On Hold", "IOT": "IOT"}


class Severity(_Captioned):
    """OCSF ``severity_id``."""

    UNKNOWN = 0
    INFORMATIONAL = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    CRITICAL = 5
    FATAL = 6
    OTHER = 99

    @classmethod
    def from_vendor(
        cls,
        value: Any,
        table: Mapping[Any, Any] | None = None,
        *,
        scale: SeverityScale = "auto",
    ) -> Severity:
        """Map a vendor severity onto OCSF.

        ``table`` (vendor value -> ``Severity``/id/caption) wins when it has the value. Words use
        the usual vocabulary (crit, high, moderate, info...). Numbers use ``scale``: ``cvss``
        (0-10, CVSS v3 qualitative bands), ``percent`` (0-100 scores: <20 info, <40 low, <70
        medium, <90 high, else critical) or ``auto`` (0-10 read as CVSS, 10-100 as a score).
        Unrecognised values map to ``OTHER``, missing ones to ``UNKNOWN``; this never raises.
        """
        mapped = _lookup_table(value, table)
        if mapped is not None:
            member = cls._coerce_member(mapped)
            if member is None and isinstance(mapped, str):
                member = cls.from_vendor(mapped)
            return member if member is not None else cls.OTHER
        if value is None:
            return cls.UNKNOWN
        if isinstance(value, cls):
            return value
        if isinstance(value, bool):
            return cls.OTHER
        if isinstance(value, int | float):
            return cls._from_number(float(value), scale)
        if isinstance(value, str):
            folded = _key(value)
            if not folded:
                return cls.UNKNOWN
            if folded in _SEVERITY_WORDS:
                return _SEVERITY_WORDS[folded]
            try:
                number = float(value.strip())
            except ValueError:
                return cls.OTHER
            return cls._from_number(number, scale)
        return cls.OTHER

    @classmethod
    def _from_number(cls, number: float, scale: SeverityScale) -> Severity:
        """Numeric severities on a CVSS (0-10) or percentage (0-100) scale."""
        if math.isnan(number) or number < 0:
            return cls.OTHER
        if scale == "auto":
            scale = "cvss" if number <= 10 else "percent"
        if scale == "percent":
            if number > 100:
                return cls.OTHER
            number = number / 10
            if number < 2:
                return cls.INFORMATIONAL
            if number < 4:
                return cls.LOW
        else:
            if number > 10:
                return cls.OTHER
            if number == 0:
                return cls.INFORMATIONAL
            if number < 4:
                return cls.LOW
        if number < 7:
            return cls.MEDIUM
        if number < 9:
            return cls.HIGH
        return cls.CRITICAL


_SEVERITY_WORDS: dict[str, Severity] = {
    **dict.fromkeys(
        ("unknown", "unspecified", "undefined", "na", "notavailable", "unset"), Severity.UNKNOWN
    ),
    **dict.fromkeys(
        ("info", "informational", "information", "informative", "none", "notice", "debug", "log"),
        Severity.INFORMATIONAL,
    ),
    **dict.fromkeys(("low", "minor", "lo", "l"), Severity.LOW),
    **dict.fromkeys(
        ("medium", "moderate", "med", "mid", "warning", "warn", "m", "normal"), Severity.MEDIUM
    ),
    **dict.fromkeys(("high", "important", "major", "hi", "h", "error", "serious"), Severity.HIGH),
    **dict.fromkeys(
        ("critical", "crit", "severe", "urgent", "veryhigh", "emergency", "alert", "c"),
        Severity.CRITICAL,
    ),
    **dict.fromkeys(("fatal",), Severity.FATAL),
    **dict.fromkeys(("other",), Severity.OTHER),
}


class _StatusEnum(_Captioned):
    """Status enums: ids, captions, vendor words, or ``OTHER``."""

    @classmethod
    def _words(cls) -> dict[str, int]:
        return {}

    @classmethod
    def from_vendor(cls, value: Any, table: Mapping[Any, Any] | None = None) -> Self:
        """Map a vendor status word or id; unknown words become ``OTHER``, never an error."""
        mapped = _lookup_table(value, table)
        if mapped is not None:
            member = cls._coerce_member(mapped)
            return member if member is not None else cls(99)
        if value is None:
            return cls(0)
        member = cls._coerce_member(value)
        if member is not None:
            return member
        if isinstance(value, str):
            folded = _key(value)
            if not folded:
                return cls(0)
            if folded in cls._words():
                return cls(cls._words()[folded])
        return cls(99)


class FindingStatus(_StatusEnum):
    """OCSF finding ``status_id`` (Detection/Vulnerability/Compliance Finding)."""

    UNKNOWN = 0
    NEW = 1
    IN_PROGRESS = 2
    SUPPRESSED = 3
    RESOLVED = 4
    ARCHIVED = 5
    OTHER = 99

    @classmethod
    def _words(cls) -> dict[str, int]:
        return _FINDING_STATUS_WORDS

    @property
    def is_open(self) -> bool:
        """Whether the finding still needs attention (drives risk creation and reopen)."""
        closed = (FindingStatus.SUPPRESSED, FindingStatus.RESOLVED, FindingStatus.ARCHIVED)
        return self not in closed


_FINDING_STATUS_WORDS: dict[str, int] = {
    **dict.fromkeys(
        (
            "new",
            "open",
            "opened",
            "active",
            "unresolved",
            "reopened",
            "detected",
            "triggered",
            "unassigned",
            "notstarted",
            "todo",
            "firing",
            "unacknowledged",
        ),
        1,
    ),
    **dict.fromkeys(
        (
            "inprogress",
            "investigating",
            "underinvestigation",
            "triaged",
            "acknowledged",
            "assigned",
            "working",
            "inreview",
            "pending",
            "pendingverification",
            "mitigating",
            "reviewing",
            "truepositive",
            "confirmed",
        ),
        2,
    ),
    **dict.fromkeys(
        (
            "suppressed",
            "ignored",
            "muted",
            "snoozed",
            "falsepositive",
            "benign",
            "riskaccepted",
            "accepted",
            "exception",
            "excepted",
            "whitelisted",
            "allowlisted",
            "dismissed",
            "notapplicable",
            "wontfix",
        ),
        3,
    ),
    **dict.fromkeys(
        (
            "resolved",
            "closed",
            "fixed",
            "remediated",
            "mitigated",
            "done",
            "patched",
            "cleared",
            "solved",
            "completed",
        ),
        4,
    ),
    **dict.fromkeys(("archived", "deleted", "removed", "expired"), 5),
}


class IncidentStatus(_StatusEnum):
    """OCSF Incident Finding (2005) ``status_id``; unlike findings it has On Hold, Closed."""

    UNKNOWN = 0
    NEW = 1
    IN_PROGRESS = 2
    ON_HOLD = 3
    RESOLVED = 4
    CLOSED = 5
    OTHER = 99

    @classmethod
    def _words(cls) -> dict[str, int]:
        return _INCIDENT_STATUS_WORDS


_INCIDENT_STATUS_WORDS: dict[str, int] = {
    **{k: v for k, v in _FINDING_STATUS_WORDS.items() if v in (1, 2)},
    **dict.fromkeys(("onhold", "hold", "paused", "waiting", "waitingoncustomer", "deferred"), 3),
    **dict.fromkeys(("resolved", "fixed", "remediated", "mitigated", "solved"), 4),
    **dict.fromkeys(
        ("closed", "done", "completed", "archived", "falsepositive", "dismissed", "cancelled"), 5
    ),
}


class ComplianceResult(_StatusEnum):
    """OCSF ``compliance.status_id``: the result of a control check."""

    UNKNOWN = 0
    PASS = 1
    WARNING = 2
    FAIL = 3
    OTHER = 99

    @classmethod
    def _words(cls) -> dict[str, int]:
        return _COMPLIANCE_WORDS

    @classmethod
    def from_vendor(cls, value: Any, table: Mapping[Any, Any] | None = None) -> Self:
        """Also accepts booleans (``True`` = compliant)."""
        if isinstance(value, bool) and not table:
            return cls.PASS if value else cls.FAIL
        return super().from_vendor(value, table)


_COMPLIANCE_WORDS: dict[str, int] = {
    **dict.fromkeys(("pass", "passed", "compliant", "ok", "success", "succeeded", "true"), 1),
    **dict.fromkeys(("warning", "warn", "partial", "partiallycompliant"), 2),
    **dict.fromkeys(
        ("fail", "failed", "failure", "noncompliant", "notcompliant", "violation", "false"), 3
    ),
}


class Confidence(IntEnum):
    """OCSF ``confidence_id``; scores map via the STIX 2.1 None/Low/Med/High scale."""

    UNKNOWN = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    OTHER = 99

    @classmethod
    def from_score(cls, score: int | None) -> Confidence:
        """0-29 Low, 30-69 Medium, 70-100 High (STIX 2.1 Appendix A)."""
        if score is None:
            return cls.UNKNOWN
        if score < 30:
            return cls.LOW
        if score < 70:
            return cls.MEDIUM
        return cls.HIGH


class FindingKind(StrEnum):
    """The three finding shapes, each its own OCSF class."""

    DETECTION = "detection"
    VULNERABILITY = "vulnerability"
    COMPLIANCE = "compliance"


class IndicatorType(StrEnum):
    """Observable types an indicator can carry (STIX cyber-observable + OCSF osint type)."""

    IPV4 = "ipv4"
    IPV6 = "ipv6"
    DOMAIN = "domain"
    URL = "url"
    EMAIL = "email"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    SHA512 = "sha512"
    FILE_NAME = "file_name"

    @classmethod
    def from_vendor(cls, value: Any) -> IndicatorType:
        """Accept the common aliases (``ip``, ``ipv4-addr``, ``hostname``, ``SHA-256``...)."""
        if isinstance(value, cls):
            return value
        if not isinstance(value, str):
            raise ValueError(f"unknown indicator type: {value!r}")
        folded = _key(value)
        if folded in _INDICATOR_ALIASES:
            return _INDICATOR_ALIASES[folded]
        raise ValueError(f"unknown indicator type: {value!r}")


_INDICATOR_ALIASES: dict[str, IndicatorType] = {
    **{_key(m.value): m for m in IndicatorType},
    **dict.fromkeys(("ip", "ipaddress", "ipv4addr", "ipaddr", "ipv4address"), IndicatorType.IPV4),
    **dict.fromkeys(("ipv6addr", "ipv6address"), IndicatorType.IPV6),
    **dict.fromkeys(("domainname", "hostname", "fqdn", "host", "dns"), IndicatorType.DOMAIN),
    **dict.fromkeys(("uri", "link"), IndicatorType.URL),
    **dict.fromkeys(("emailaddr", "emailaddress", "mail"), IndicatorType.EMAIL),
    **dict.fromkeys(("filenamehash", "filehashmd5", "md5hash"), IndicatorType.MD5),
    **dict.fromkeys(("filehashsha1", "sha1hash"), IndicatorType.SHA1),
    **dict.fromkeys(("filehashsha256", "sha256hash"), IndicatorType.SHA256),
    **dict.fromkeys(("filehashsha512", "sha512hash"), IndicatorType.SHA512),
    **dict.fromkeys(("filename", "file"), IndicatorType.FILE_NAME),
}
