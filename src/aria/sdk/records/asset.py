"""Assets (OCSF ``device``, Device Inventory Info 5001) and the ``AssetRef`` findings point at.

One laptop is reported by the EDR (agent id), the scanner (MAC, hostname) and the cloud API
(instance ARN). ``identifiers()`` yields the normalized keys in DESIGN.md's order of trust
(instance/ARN, agent id, serial, MAC, hostname+domain) so the store can fuse those three views.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

from aria.sdk.records._time import OptUtcDateTime, to_epoch_ms
from aria.sdk.records.base import (
    CanonicalRecord,
    compact,
    device_type_id,
    ocsf_os,
)
from aria.sdk.records.normalize import (
    IP,
    PLACEHOLDER_MACS,
    Domain,
    Hostname,
    IPList,
    LowerStr,
    Mac,
    MacList,
    OptStr,
    Serial,
    clean_str,
    fqdn,
    is_placeholder_serial,
)

_EC2_ARN = re.compile(r"^arn:aws[a-z-]*:ec2:[^:]*:[^:]*:instance/(i-[0-9a-f]+)$", re.IGNORECASE)

IdentifierKind = Literal["instance", "arn", "agent", "serial", "mac", "hostname", "resource", "ip"]
Identifier = tuple[IdentifierKind, str]


def normalize_cloud_id(value: Any) -> str | None:
    """Instance ids and Azure resource ids are case-insensitive: lower-case them; keep ARNs."""
    text = clean_str(value)
    if text is None:
        return None
    if text.lower().startswith("arn:"):
        return text
    return text.lower()


def normalize_agent_id(value: Any) -> str | None:
    """Agent ids are hex/uuid strings whose case varies by API: lower-case, no braces."""
    text = clean_str(value)
    if text is None:
        return None
    return text.strip("{}").lower()


def device_identifiers(
    *,
    instance_id: str | None,
    cloud_arn: str | None,
    agent_id: str | None,
    serial: str | None,
    macs: Iterable[str],
    hostname: str | None,
    domain: str | None,
) -> list[Identifier]:
    """Ordered, de-duplicated identifiers; placeholders (zero MACs, OEM serials) are skipped."""
    found = _identifiers(instance_id, cloud_arn, agent_id, serial, tuple(macs), hostname, domain)
    return list(found)


@functools.lru_cache(maxsize=4096)
def _identifiers(
    instance_id: str | None,
    cloud_arn: str | None,
    agent_id: str | None,
    serial: str | None,
    macs: tuple[str, ...],
    hostname: str | None,
    domain: str | None,
) -> tuple[Identifier, ...]:
    """``device_identifiers``, remembered: a sync asks for one device's identifiers for every
    finding on it, and twice per finding (its asset key, then its link to the asset)."""
    out: list[Identifier] = []

    def add(kind: IdentifierKind, value: str | None) -> None:
        if value and (kind, value) not in out:
            out.append((kind, value))

    arn_instance = None
    if cloud_arn and (match := _EC2_ARN.match(cloud_arn)):
        arn_instance = match.group(1).lower()
    add("instance", instance_id or arn_instance)
    if arn_instance and instance_id and arn_instance != instance_id:
        add("instance", arn_instance)
    add("arn", cloud_arn)
    add("agent", agent_id)
    if not is_placeholder_serial(serial):
        add("serial", serial)
    for mac in macs:
        if mac not in PLACEHOLDER_MACS:
            add("mac", mac)
    add("hostname", fqdn(hostname, domain))
    return tuple(out)


CloudId = Annotated[str | None, BeforeValidator(normalize_cloud_id)]
AgentId = Annotated[str | None, BeforeValidator(normalize_agent_id)]


class AssetRef(BaseModel):
    """The asset a finding is about, as the finding's source names it (single values).

    ``resource_uid`` covers what is not a device: a container image, repository, bucket,
    security group. It ranks after the device identifiers and before a bare IP."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    hostname: Hostname = None
    domain: Domain = None
    ip: IP = None
    mac: Mac = None
    agent_id: AgentId = None
    serial: Serial = None
    instance_id: CloudId = None
    cloud_arn: CloudId = Field(default=None, validation_alias=AliasChoices("cloud_arn", "arn"))
    os: OptStr = None
    os_version: OptStr = None
    device_type: OptStr = Field(default=None, validation_alias=AliasChoices("device_type", "type"))
    resource_uid: OptStr = None
    resource_type: OptStr = None

    def identifiers(self) -> list[Identifier]:
        """Identifiers in merge order; see ``Asset.identifiers``."""
        return device_identifiers(
            instance_id=self.instance_id,
            cloud_arn=self.cloud_arn,
            agent_id=self.agent_id,
            serial=self.serial,
            macs=[self.mac] if self.mac else [],
            hostname=self.hostname,
            domain=self.domain,
        )

    def key(self) -> str:
        """``kind:value`` of the strongest identifier; IP as a last resort (scanners), else ''."""
        ids = self.identifiers()
        if ids:
            kind, value = ids[0]
            return f"{kind}:{value}"
        if self.resource_uid:
            return f"resource:{self.resource_uid}"
        return f"ip:{self.ip}" if self.ip else ""

    def has_device(self) -> bool:
        """Whether anything here describes a device (as opposed to only a cloud resource)."""
        return any(
            (
                self.hostname,
                self.ip,
                self.mac,
                self.agent_id,
                self.serial,
                self.instance_id,
                self.cloud_arn,
            )
        )

    def to_ocsf_resource(self) -> dict[str, Any] | None:
        """OCSF ``resource_details`` for a non-device resource, if any."""
        if not self.resource_uid:
            return None
        return compact({"uid": self.resource_uid, "type": self.resource_type})

    def to_ocsf_device(self) -> dict[str, Any]:
        """OCSF ``device`` object."""
        return _ocsf_device(
            hostname=self.hostname,
            domain=self.domain,
            ips=[self.ip] if self.ip else [],
            macs=[self.mac] if self.mac else [],
            agent_id=self.agent_id,
            serial=self.serial,
            instance_id=self.instance_id,
            cloud_arn=self.cloud_arn,
            os_name=self.os,
            os_version=self.os_version,
            device_type=self.device_type,
            fallback_uid=self.key(),
        )


def _ocsf_device(
    *,
    hostname: str | None,
    domain: str | None,
    ips: list[str],
    macs: list[str],
    agent_id: str | None,
    serial: str | None,
    instance_id: str | None,
    cloud_arn: str | None,
    os_name: str | None,
    os_version: str | None,
    device_type: str | None,
    fallback_uid: str | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build an OCSF ``device``; it needs one of ip/uid/name/hostname/instance_uid, so the
    strongest identifier becomes ``uid`` when nothing else names the device."""
    interfaces = []
    for index in range(max(len(ips), len(macs))):
        interfaces.append(
            {
                "ip": ips[index] if index < len(ips) else None,
                "mac": macs[index] if index < len(macs) else None,
            }
        )
    device: dict[str, Any] = {
        "type_id": device_type_id(device_type),
        "type": device_type,
        "hostname": hostname,
        "name": hostname.split(".", 1)[0] if hostname else None,
        "domain": domain,
        "ip": ips[0] if ips else None,
        "mac": macs[0] if macs else None,
        "network_interfaces": interfaces,
        "instance_uid": instance_id,
        "uid": cloud_arn or agent_id,
        "agent_list": [{"uid": agent_id}] if agent_id else None,
        "hw_info": {"serial_number": serial} if serial else None,
        "os": ocsf_os(os_name, os_version),
        **(extra or {}),
    }
    device = compact(device)
    if not any(k in device for k in ("ip", "uid", "name", "hostname", "instance_uid")):
        device["uid"] = fallback_uid or "unknown"
    return device


class Asset(CanonicalRecord):
    """A device as inventoried by one source (OCSF Device Inventory Info, class 5001)."""

    record_type: Literal["asset"] = "asset"
    hostname: Hostname = None
    domain: Domain = None
    ips: IPList = Field(default_factory=list, validation_alias=AliasChoices("ips", "ip"))
    macs: MacList = Field(default_factory=list, validation_alias=AliasChoices("macs", "mac"))
    os_name: OptStr = Field(default=None, validation_alias=AliasChoices("os_name", "os"))
    os_version: OptStr = None
    device_type: OptStr = Field(default=None, validation_alias=AliasChoices("device_type", "type"))
    agent_id: AgentId = None
    serial: Serial = None
    instance_id: CloudId = None
    cloud_arn: CloudId = Field(default=None, validation_alias=AliasChoices("cloud_arn", "arn"))
    owner: OptStr = None
    criticality: LowerStr = None
    created_at: OptUtcDateTime = None

    def identifiers(self) -> list[Identifier]:
        """Normalized ``(kind, value)`` pairs, strongest first, used to merge one device seen by
        several tools: instance id / ARN ▸ agent id ▸ serial ▸ MAC(s) ▸ hostname+domain.
        IPs are deliberately absent: DHCP reuses them."""
        return device_identifiers(
            instance_id=self.instance_id,
            cloud_arn=self.cloud_arn,
            agent_id=self.agent_id,
            serial=self.serial,
            macs=self.macs,
            hostname=self.hostname,
            domain=self.domain,
        )

    def key(self) -> str:
        """``kind:value`` of the strongest identifier, the same spelling ``AssetRef.key`` uses."""
        ids = self.identifiers()
        if ids:
            return f"{ids[0][0]}:{ids[0][1]}"
        return f"ip:{self.ips[0]}" if self.ips else ""

    def ref(self) -> AssetRef:
        """The ``AssetRef`` a finding on this asset would carry."""
        return AssetRef(
            hostname=self.hostname,
            domain=self.domain,
            ip=self.ips[0] if self.ips else None,
            mac=self.macs[0] if self.macs else None,
            agent_id=self.agent_id,
            serial=self.serial,
            instance_id=self.instance_id,
            cloud_arn=self.cloud_arn,
            os=self.os_name,
            os_version=self.os_version,
            device_type=self.device_type,
        )

    def dedupe_key(self, installation_id: str | None = None) -> tuple[str, ...]:
        """Per-installation upsert key: (installation, vendor id or strongest identifier).

        Cross-source merging uses ``identifiers()``, not this key."""
        return (installation_id or "", self.source_uid or self.key())

    def to_ocsf(self, *, include_raw: bool = False) -> dict[str, Any]:
        """OCSF Device Inventory Info (5001), activity Collect."""
        device = _ocsf_device(
            hostname=self.hostname,
            domain=self.domain,
            ips=self.ips,
            macs=self.macs,
            agent_id=self.agent_id,
            serial=self.serial,
            instance_id=self.instance_id,
            cloud_arn=self.cloud_arn,
            os_name=self.os_name,
            os_version=self.os_version,
            device_type=self.device_type,
            fallback_uid=self.source_uid or self.key(),
            extra={
                "owner": {"name": self.owner} if self.owner else None,
                "first_seen_time": to_epoch_ms(self.first_seen),
                "last_seen_time": to_epoch_ms(self.last_seen),
                "created_time": to_epoch_ms(self.created_at),
            },
        )
        event = self._ocsf_event(
            class_uid=5001,
            class_name="Device Inventory Info",
            category_uid=5,
            category_name="Discovery",
            activity_id=2,
            activity_name="Collect",
            time=self.last_seen or self.observed_at,
            include_raw=include_raw,
            unmapped={"criticality": self.criticality},
        )
        event["device"] = device
        return compact(event)
