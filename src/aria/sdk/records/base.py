"""``CanonicalRecord``: what every normalized record shares, and the OCSF plumbing they reuse.

A record keeps the vendor's raw payload beside the normalized fields (the store needs it for
audit and re-mapping), carries OCSF severity plus the vendor's raw severity, and exports OCSF JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from aria.sdk.records._time import OptUtcDateTime, UtcDateTime, to_epoch_ms, utcnow
from aria.sdk.records.enums import Severity
from aria.sdk.records.normalize import OptStr

OCSF_VERSION = "1.8.0"
"""The OCSF schema version our ``to_ocsf()`` output targets (and is validated against)."""

RawSeverity = str | int | float | None
_IDS = frozenset(int(member) for member in Severity)


def compact(value: Any) -> Any:
    """Drop ``None``, empty strings, lists and dicts recursively: OCSF types reject nulls."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            cleaned = compact(item)
            if cleaned is None or cleaned == "" or cleaned == [] or cleaned == {}:
                continue
            out[key] = cleaned
        return out
    if isinstance(value, list):
        items = [compact(item) for item in value]
        return [i for i in items if i is not None and i != "" and i != [] and i != {}]
    return value


class CanonicalRecord(BaseModel):
    """Base of every canonical record: vendor id, raw record, times, severity, OCSF export."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, use_enum_values=False)

    # The OCSF status enum of the subclass, if it has a ``status`` field (see _map_vendor_values).
    _status_enum: ClassVar[Any] = None

    source_uid: OptStr = Field(
        default=None,
        validation_alias=AliasChoices("source_uid", "uid"),
        description="The vendor's id for this record.",
    )
    source_product: OptStr = Field(default=None, description="Product that reported it.")
    source_vendor: OptStr = Field(default=None, description="Vendor of that product.")
    raw: dict[str, Any] = Field(default_factory=dict, description="The raw vendor record.")
    observed_at: UtcDateTime = Field(
        default_factory=utcnow, description="When ARIA saw it (defaults to now)."
    )
    first_seen: OptUtcDateTime = None
    last_seen: OptUtcDateTime = None
    severity: Severity = Severity.UNKNOWN
    severity_raw: RawSeverity = Field(default=None, description="The vendor's severity, as sent.")

    @property
    def uid(self) -> str | None:
        """Alias of ``source_uid``: the vendor id is the record's uid."""
        return self.source_uid

    @model_validator(mode="before")
    @classmethod
    def _map_vendor_values(cls, data: Any) -> Any:
        """Turn vendor severity/status into OCSF ids, keeping the raw value.

        ``severity`` may be a ``Severity``, an int that is an OCSF id, or a vendor value (word,
        CVSS or 0-100 score); ``severity_raw`` alone is mapped too. ``severity_table`` and
        ``status_table`` (vendor value -> OCSF) are consumed here, not stored.
        """
        if not isinstance(data, dict):
            return data
        data = dict(data)
        table = data.pop("severity_table", None)
        sev = data.get("severity")
        raw = data.get("severity_raw")
        if sev is None:
            data.pop("severity", None)
            if raw is not None or table:
                data["severity"] = Severity.from_vendor(raw, table)
        elif isinstance(sev, Severity):
            pass
        elif isinstance(sev, int) and not isinstance(sev, bool) and not table and sev in _IDS:
            # An int that is an OCSF severity_id is taken as one; other ints (Falcon's 70) are
            # vendor scores. Use ``severity_raw=`` to force a vendor reading of a small int.
            pass
        elif isinstance(sev, str | int | float):
            if raw is None:
                data["severity_raw"] = sev
            data["severity"] = Severity.from_vendor(sev, table)
        status_enum = cls._status_enum
        if status_enum is not None:
            status_table = data.pop("status_table", None)
            status = data.get("status")
            status_raw = data.get("status_raw")
            if status is None:
                data.pop("status", None)
                if status_raw is not None:
                    data["status"] = status_enum.from_vendor(status_raw, status_table)
            elif not isinstance(status, status_enum):
                is_ocsf_id = isinstance(status, int) and status in status_enum._value2member_map_
                if status_raw is None and not is_ocsf_id and isinstance(status, str | int | float):
                    data["status_raw"] = status
                data["status"] = status_enum.from_vendor(status, status_table)
        return data

    # -- interface ----------------------------------------------------------------------------

    def dedupe_key(self, installation_id: str | None = None) -> tuple[str, ...]:
        """The key under which the store upserts this record (DESIGN.md, Canonical model)."""
        raise NotImplementedError

    def to_ocsf(self, *, include_raw: bool = False) -> dict[str, Any]:
        """This record as OCSF JSON (a dict ready for ``json.dumps``)."""
        raise NotImplementedError

    # -- OCSF helpers -------------------------------------------------------------------------

    def _ocsf_metadata(self, profiles: list[str] | None = None) -> dict[str, Any]:
        """OCSF ``metadata``: schema version and the product that reported the record."""
        return {
            "version": OCSF_VERSION,
            "product": {
                "name": self.source_product or self.source_vendor or "Unknown",
                "vendor_name": self.source_vendor,
            },
            "original_event_uid": self.source_uid,
            "logged_time": to_epoch_ms(self.observed_at),
            "profiles": profiles or None,
        }

    def _ocsf_event(
        self,
        *,
        class_uid: int,
        class_name: str,
        category_uid: int,
        category_name: str,
        activity_id: int,
        activity_name: str,
        time: datetime,
        include_raw: bool,
        unmapped: Mapping[str, Any] | None = None,
        profiles: list[str] | None = None,
    ) -> dict[str, Any]:
        """The attributes every OCSF event class requires, filled consistently."""
        event: dict[str, Any] = {
            "class_uid": class_uid,
            "class_name": class_name,
            "category_uid": category_uid,
            "category_name": category_name,
            "activity_id": activity_id,
            "activity_name": activity_name,
            "type_uid": class_uid * 100 + activity_id,
            "type_name": f"{class_name}: {activity_name}",
            "time": to_epoch_ms(time),
            "severity_id": int(self.severity),
            "severity": self.severity.caption,
            "metadata": self._ocsf_metadata(profiles),
            "start_time": to_epoch_ms(self.first_seen),
            "end_time": to_epoch_ms(self.last_seen),
        }
        extra = dict(unmapped or {})
        if self.severity_raw is not None:
            extra["severity_raw"] = self.severity_raw
        event["unmapped"] = extra
        if include_raw and self.raw:
            event["raw_data"] = json.dumps(self.raw, default=str, sort_keys=True)
        return event


def ocsf_os(name: str | None, version: str | None = None) -> dict[str, Any] | None:
    """OCSF ``os`` object; ``type_id`` guessed from the name since vendors rarely send one."""
    if not name:
        return None
    return {"name": name, "version": version, "type_id": os_type_id(name)}


def os_type_id(name: str) -> int:
    """OCSF ``os.type_id`` from an OS name such as ``Windows Server 2016`` or ``Ubuntu 22.04``."""
    text = name.lower()
    checks: tuple[tuple[tuple[str, ...], int], ...] = (
        (("windows mobile", "windows phone"), 101),
        (("windows", "win10", "win11", "microsoft"), 100),
        (("android",), 201),
        (("ipados",), 302),
        (("ios", "iphone"), 301),
        (("macos", "mac os", "os x", "osx", "darwin"), 300),
        (("solaris", "sunos"), 400),
        (("aix",), 401),
        (("hp-ux", "hpux"), 402),
        (
            (
                "linux",
                "ubuntu",
                "debian",
                "centos",
                "red hat",
                "rhel",
                "fedora",
                "suse",
                "amazon",
                "alpine",
                "rocky",
                "alma",
                "oracle",
                "kali",
                "arch",
            ),
            200,
        ),
    )
    for needles, type_id in checks:
        if any(needle in text for needle in needles):
            return type_id
    return 99


_DEVICE_TYPES: tuple[tuple[tuple[str, ...], int], ...] = (
    (("load balancer", "loadbalancer", "lb"), 15),
    (("firewall",), 9),
    (("switch",), 10),
    (("router",), 12),
    (("hub",), 11),
    (("ips",), 14),
    (("ids",), 13),
    (("laptop", "notebook"), 3),
    (("desktop", "workstation", "pc"), 2),
    (("tablet", "ipad"), 4),
    (("mobile", "phone", "smartphone"), 5),
    (("virtual", "vm", "container", "instance", "ec2"), 6),
    (("iot", "camera", "printer"), 7),
    (("browser",), 8),
    (("server", "host"), 1),
)


def device_type_id(kind: str | None) -> int:
    """OCSF ``device.type_id`` from a vendor's machine type word."""
    if not kind:
        return 0
    text = kind.lower()
    words = set(text.replace("-", " ").replace("_", " ").split())
    for needles, type_id in _DEVICE_TYPES:
        if any((n in words) if len(n) <= 3 else (n in text) for n in needles):
            return type_id
    return 99
