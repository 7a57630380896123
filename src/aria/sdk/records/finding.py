"""``Finding``: detections, vulnerabilities and compliance results in one model.

The three kinds share the lifecycle the risk register tracks (severity, status, asset, times), so
they are one table and one model; the kind-specific part sits in ``detection`` /
``vulnerability`` / ``compliance``. Each kind exports its own OCSF class (2004 / 2002 / 2003) and
has its own dedupe key (DESIGN.md).
"""

from __future__ import annotations

import contextlib
import math
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from aria.sdk.records._time import OptUtcDateTime, to_epoch_ms
from aria.sdk.records.asset import Asset, AssetRef
from aria.sdk.records.base import CanonicalRecord, compact
from aria.sdk.records.enums import (
    ComplianceResult,
    Confidence,
    FindingKind,
    FindingStatus,
)
from aria.sdk.records.normalize import CveList, CweList, LowerStr, OptStr, StrList, clean_str

_UID_NAMESPACE = uuid.UUID("6f3a8a52-3c55-4f0e-9a51-2f3c3a1d8e10")
_CVSS_VERSION = re.compile(r"^CVSS:(\d\.\d)/", re.IGNORECASE)
_CONFIDENCE_WORDS = {"none": 0, "low": 15, "medium": 50, "moderate": 50, "med": 50, "high": 85}


def _number(value: Any, what: str) -> float | None:
    """A finite float from a number or numeric string; blanks are ``None``."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError(f"{what} must be a number, got a boolean")
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text or text.lower() in {"null", "none", "n/a", "-"}:
            return None
        try:
            value = float(text)
        except ValueError as exc:
            raise ValueError(f"{what} must be a number: {text!r}") from exc
    if not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be finite")
    return number


def parse_confidence(value: Any) -> int | None:
    """0-100 integer; STIX words (low/medium/high); probabilities 0-1 scaled up."""
    if isinstance(value, str) and value.strip().lower() in _CONFIDENCE_WORDS:
        return _CONFIDENCE_WORDS[value.strip().lower()]
    number = _number(value, "confidence")
    if number is None:
        return None
    if 0 < number < 1:
        number *= 100
    if not 0 <= number <= 100:
        raise ValueError(f"confidence must be within 0-100: {value!r}")
    return round(number)


def parse_cvss(value: Any) -> float | None:
    """CVSS base score within 0.0-10.0."""
    number = _number(value, "CVSS score")
    if number is not None and not 0 <= number <= 10:
        raise ValueError(f"CVSS score must be within 0-10: {value!r}")
    return number


def parse_port(value: Any) -> int | None:
    """TCP/UDP port 0-65535; accepts ``"443"`` and ``"443/tcp"``."""
    if isinstance(value, str) and "/" in value:
        value = value.split("/", 1)[0]
    number = _number(value, "port")
    if number is None:
        return None
    if not number.is_integer() or not 0 <= number <= 65535:
        raise ValueError(f"port must be an integer within 0-65535: {value!r}")
    return int(number)


def _optional_bool(value: Any) -> Any:
    """Blank and null words mean unknown; pydantic parses the rest (``"false"``, 0, ``yes``)."""
    if value is None or (isinstance(value, str) and value.strip().lower() in {"", "null", "n/a"}):
        return None
    return value


def _drop_none(data: Mapping[str, Any]) -> dict[str, Any]:
    """Omit unset keyword arguments so model defaults apply."""
    return {k: v for k, v in data.items() if v is not None}


ConfidenceScore = Annotated[int | None, BeforeValidator(parse_confidence)]
CvssScore = Annotated[float | None, BeforeValidator(parse_cvss)]
Port = Annotated[int | None, BeforeValidator(parse_port)]
OptBool = Annotated[bool | None, BeforeValidator(_optional_bool)]
UpperStr = Annotated[
    str | None, BeforeValidator(lambda v: s.upper() if (s := clean_str(v)) else None)
]


class MitreAttack(BaseModel):
    """One MITRE ATT&CK tactic/technique pair as the vendor reported it."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    tactic_id: UpperStr = None
    tactic: OptStr = Field(default=None, validation_alias=AliasChoices("tactic", "tactic_name"))
    technique_id: UpperStr = None
    technique: OptStr = Field(
        default=None, validation_alias=AliasChoices("technique", "technique_name")
    )

    @model_validator(mode="after")
    def _something_named(self) -> MitreAttack:
        """An attack entry with no tactic or technique carries nothing."""
        if not (self.tactic_id or self.tactic or self.technique_id or self.technique):
            raise ValueError("a MITRE attack needs a tactic or a technique (id or name)")
        return self

    def to_ocsf(self) -> dict[str, Any]:
        """OCSF ``attack``; ``T1562.007`` becomes technique T1562 + sub-technique T1562.007."""
        attack: dict[str, Any] = {}
        if self.tactic_id or self.tactic:
            attack["tactic"] = {"uid": self.tactic_id, "name": self.tactic}
        parent_name, _, sub_name = (self.technique or "").partition(": ")
        if self.technique_id and "." in self.technique_id:
            attack["technique"] = {
                "uid": self.technique_id.split(".", 1)[0],
                "name": parent_name if sub_name else None,
            }
            attack["sub_technique"] = {"uid": self.technique_id, "name": sub_name or self.technique}
        elif self.technique_id or self.technique:
            attack["technique"] = {"uid": self.technique_id, "name": self.technique}
        return compact(attack)


class DetectionInfo(BaseModel):
    """What only detections have: ATT&CK mapping, confidence, the detecting engine, a link."""

    model_config = ConfigDict(extra="forbid")

    attacks: list[MitreAttack] = Field(default_factory=list)
    confidence: ConfidenceScore = None
    detection_source: OptStr = None
    url: OptStr = None


class VulnerabilityInfo(BaseModel):
    """What only vulnerabilities have: CVEs, CVSS, the vulnerable package or port, the fix."""

    model_config = ConfigDict(extra="forbid")

    cve_ids: CveList = Field(default_factory=list)
    cwe_ids: CweList = Field(default_factory=list)
    cvss_score: CvssScore = None
    cvss_vector: OptStr = None
    cvss_version: OptStr = None
    package_name: OptStr = None
    package_version: OptStr = None
    fixed_version: OptStr = None
    port: Port = None
    protocol: LowerStr = None
    remediation: OptStr = None
    exploit_available: OptBool = None
    kev: OptBool = Field(default=None, description="Listed in CISA Known Exploited Vulns.")
    references: StrList = Field(default_factory=list)

    @model_validator(mode="after")
    def _derive_cvss_version(self) -> VulnerabilityInfo:
        """``CVSS:3.1/AV:N/...`` says its version; a bare ``AV:N/AC:L/Au:N`` vector is v2."""
        if self.cvss_version is None and self.cvss_vector:
            match = _CVSS_VERSION.match(self.cvss_vector)
            if match:
                self.cvss_version = match.group(1)
            elif "Au:" in self.cvss_vector:
                self.cvss_version = "2.0"
        return self

    def locus(self) -> str:
        """Where on the asset: ``pkg:name`` for a package, ``port:443/tcp`` for a service."""
        if self.package_name:
            return f"pkg:{self.package_name.lower()}"
        if self.port is not None:
            return f"port:{self.port}/{self.protocol or ''}".rstrip("/")
        return ""


class ComplianceInfo(BaseModel):
    """What only compliance results have: which control of which standard, on what, and result."""

    model_config = ConfigDict(extra="forbid")

    standard: OptStr = None
    control_id: OptStr = Field(default=None, validation_alias=AliasChoices("control_id", "control"))
    requirement: OptStr = None
    resource_uid: OptStr = None
    result: Annotated[ComplianceResult, BeforeValidator(ComplianceResult.from_vendor)] = (
        ComplianceResult.UNKNOWN
    )
    remediation: OptStr = None


def _asset_ref(value: Any) -> Any:
    """Findings may be handed a full ``Asset``; they keep only the reference."""
    if isinstance(value, Asset):
        return value.ref()
    return value


class Finding(CanonicalRecord):
    """A detection, vulnerability or compliance finding (OCSF 2004 / 2002 / 2003)."""

    _status_enum: ClassVar[Any] = FindingStatus

    record_type: Literal["finding"] = "finding"
    kind: FindingKind
    title: OptStr = None
    description: OptStr = Field(default=None, validation_alias=AliasChoices("description", "desc"))
    status: FindingStatus = FindingStatus.NEW
    status_raw: str | int | float | None = None
    created_at: OptUtcDateTime = None
    modified_at: OptUtcDateTime = None
    asset: Annotated[AssetRef | None, BeforeValidator(_asset_ref)] = None
    # Named ``*_info`` because ``detection``/``vulnerability``/``compliance`` are constructors.
    detection_info: DetectionInfo | None = None
    vulnerability_info: VulnerabilityInfo | None = None
    compliance_info: ComplianceInfo | None = None

    @model_validator(mode="after")
    def _kind_consistent(self) -> Finding:
        """Each kind carries its own details and what its dedupe key needs."""
        others = {
            FindingKind.DETECTION: ("vulnerability_info", "compliance_info"),
            FindingKind.VULNERABILITY: ("detection_info", "compliance_info"),
            FindingKind.COMPLIANCE: ("detection_info", "vulnerability_info"),
        }[self.kind]
        for name in others:
            if getattr(self, name) is not None:
                raise ValueError(f"{name}: not allowed on a {self.kind.value} finding")
        if self.kind is FindingKind.DETECTION:
            if self.detection_info is None:
                self.detection_info = DetectionInfo()
            if not self.source_uid:
                raise ValueError("uid: a detection needs the vendor's finding id")
        elif self.kind is FindingKind.VULNERABILITY:
            if self.vulnerability_info is None:
                self.vulnerability_info = VulnerabilityInfo()
            if not (self.vulnerability_info.cve_ids or self.source_uid):
                raise ValueError("uid: a vulnerability needs a CVE id or the vendor's id")
        else:
            if self.compliance_info is None or not self.compliance_info.control_id:
                raise ValueError("compliance_info.control_id: a compliance finding needs one")
        return self

    # -- named constructors -------------------------------------------------------------------

    @classmethod
    def detection(
        cls,
        *,
        uid: Any,
        title: Any = None,
        description: Any = None,
        severity: Any = None,
        status: Any = None,
        created_at: Any = None,
        modified_at: Any = None,
        asset: AssetRef | Asset | Mapping[str, Any] | None = None,
        tactic_id: Any = None,
        tactic: Any = None,
        technique_id: Any = None,
        technique: Any = None,
        attacks: Iterable[MitreAttack | Mapping[str, Any]] = (),
        confidence: Any = None,
        detection_source: Any = None,
        url: Any = None,
        **common: Any,
    ) -> Finding:
        """A detection/alert (OCSF Detection Finding 2004); dedupe on (installation, uid).

        ``common`` takes the base fields: ``raw``, ``severity_raw``, ``severity_table``,
        ``status_table``, ``first_seen``, ``last_seen``, ``observed_at``, ``source_product``...
        """
        all_attacks: list[Any] = []
        if tactic_id or tactic or technique_id or technique:
            all_attacks.append(
                _drop_none(
                    {
                        "tactic_id": tactic_id,
                        "tactic": tactic,
                        "technique_id": technique_id,
                        "technique": technique,
                    }
                )
            )
        all_attacks.extend(attacks or ())
        info = _drop_none(
            {
                "attacks": all_attacks,
                "confidence": confidence,
                "detection_source": detection_source,
                "url": url,
            }
        )
        return cls.model_validate(
            _drop_none(
                {
                    "kind": "detection",
                    "uid": uid,
                    "title": title,
                    "description": description,
                    "severity": severity,
                    "status": status,
                    "created_at": created_at,
                    "modified_at": modified_at,
                    "asset": asset,
                    "detection_info": info,
                    **common,
                }
            )
        )

    @classmethod
    def vulnerability(
        cls,
        *,
        uid: Any = None,
        title: Any = None,
        description: Any = None,
        severity: Any = None,
        status: Any = None,
        created_at: Any = None,
        modified_at: Any = None,
        asset: AssetRef | Asset | Mapping[str, Any] | None = None,
        cve_ids: Any = None,
        cwe_ids: Any = None,
        cvss_score: Any = None,
        cvss_vector: Any = None,
        cvss_version: Any = None,
        package_name: Any = None,
        package_version: Any = None,
        fixed_version: Any = None,
        port: Any = None,
        protocol: Any = None,
        remediation: Any = None,
        exploit_available: Any = None,
        kev: Any = None,
        references: Any = None,
        **common: Any,
    ) -> Finding:
        """A vulnerability on an asset (OCSF Vulnerability Finding 2002).

        Dedupe on (installation, asset key, CVE(s) or vendor id, package or port). With no
        ``severity``, the CVSS score is used."""
        info = _drop_none(
            {
                "cve_ids": cve_ids,
                "cwe_ids": cwe_ids,
                "cvss_score": cvss_score,
                "cvss_vector": cvss_vector,
                "cvss_version": cvss_version,
                "package_name": package_name,
                "package_version": package_version,
                "fixed_version": fixed_version,
                "port": port,
                "protocol": protocol,
                "remediation": remediation,
                "exploit_available": exploit_available,
                "kev": kev,
                "references": references,
            }
        )
        if severity is None and common.get("severity_raw") is None and cvss_score is not None:
            # An invalid score is reported against its field by the validation below.
            with contextlib.suppress(ValueError):
                severity = _number(cvss_score, "cvss_score")
        return cls.model_validate(
            _drop_none(
                {
                    "kind": "vulnerability",
                    "uid": uid,
                    "title": title,
                    "description": description,
                    "severity": severity,
                    "status": status,
                    "created_at": created_at,
                    "modified_at": modified_at,
                    "asset": asset,
                    "vulnerability_info": info,
                    **common,
                }
            )
        )

    @classmethod
    def compliance(
        cls,
        *,
        control_id: Any,
        standard: Any = None,
        requirement: Any = None,
        resource_uid: Any = None,
        result: Any = None,
        uid: Any = None,
        title: Any = None,
        description: Any = None,
        severity: Any = None,
        status: Any = None,
        created_at: Any = None,
        modified_at: Any = None,
        asset: AssetRef | Asset | Mapping[str, Any] | None = None,
        remediation: Any = None,
        **common: Any,
    ) -> Finding:
        """A control check result (OCSF Compliance Finding 2003); ``result`` pass/fail/...

        Dedupe on (installation, resource uid, standard, control)."""
        info = _drop_none(
            {
                "control_id": control_id,
                "standard": standard,
                "requirement": requirement,
                "resource_uid": resource_uid,
                "result": result,
                "remediation": remediation,
            }
        )
        return cls.model_validate(
            _drop_none(
                {
                    "kind": "compliance",
                    "uid": uid,
                    "title": title,
                    "description": description,
                    "severity": severity,
                    "status": status,
                    "created_at": created_at,
                    "modified_at": modified_at,
                    "asset": asset,
                    "compliance_info": info,
                    **common,
                }
            )
        )

    # -- keys ---------------------------------------------------------------------------------

    def asset_key(self) -> str:
        """The asset's strongest identifier as ``kind:value`` ('' when unknown)."""
        return self.asset.key() if self.asset else ""

    def dedupe_key(self, installation_id: str | None = None) -> tuple[str, ...]:
        """Per DESIGN.md; missing parts are '' (not None) so SQL unique indexes still bite."""
        inst = installation_id or ""
        if self.kind is FindingKind.DETECTION:
            return (inst, self.source_uid or "")
        if self.kind is FindingKind.VULNERABILITY:
            vuln = self.vulnerability_info or VulnerabilityInfo()
            vuln_id = ",".join(sorted(vuln.cve_ids)) or self.source_uid or ""
            return (inst, self.asset_key(), vuln_id, vuln.locus())
        comp = self.compliance_info or ComplianceInfo()
        resource = comp.resource_uid or self.asset_key()
        return (inst, resource, comp.standard or "", comp.control_id or "")

    def finding_uid(self) -> str:
        """The vendor uid, or a stable uid derived from the dedupe key when the vendor has none
        (OCSF requires ``finding_info.uid``)."""
        if self.source_uid:
            return self.source_uid
        return str(uuid.uuid5(_UID_NAMESPACE, "|".join((self.kind.value, *self.dedupe_key()))))

    # -- OCSF ---------------------------------------------------------------------------------

    def _activity(self) -> tuple[int, str]:
        """Close when resolved/archived, Update when modified after creation, else Create."""
        if self.status in (FindingStatus.RESOLVED, FindingStatus.ARCHIVED):
            return 3, "Close"
        if self.modified_at and self.created_at and self.modified_at > self.created_at:
            return 2, "Update"
        return 1, "Create"

    def _finding_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "uid": self.finding_uid(),
            "title": self.title,
            "desc": self.description,
            "created_time": to_epoch_ms(self.created_at),
            "modified_time": to_epoch_ms(self.modified_at),
            "first_seen_time": to_epoch_ms(self.first_seen),
            "last_seen_time": to_epoch_ms(self.last_seen),
            "types": [self.kind.value],
        }
        det = self.detection_info
        if det is not None:
            info["attacks"] = [a.to_ocsf() for a in det.attacks]
            info["src_url"] = det.url
            if det.detection_source:
                info["data_sources"] = [det.detection_source]
        return info

    def to_ocsf(self, *, include_raw: bool = False) -> dict[str, Any]:
        """OCSF Detection (2004), Vulnerability (2002) or Compliance (2003) Finding."""
        class_uid, class_name = {
            FindingKind.DETECTION: (2004, "Detection Finding"),
            FindingKind.VULNERABILITY: (2002, "Vulnerability Finding"),
            FindingKind.COMPLIANCE: (2003, "Compliance Finding"),
        }[self.kind]
        activity_id, activity_name = self._activity()
        unmapped: dict[str, Any] = {}
        if self.status is FindingStatus.OTHER or self.status_raw is not None:
            unmapped["status_raw"] = self.status_raw
        event = self._ocsf_event(
            class_uid=class_uid,
            class_name=class_name,
            category_uid=2,
            category_name="Findings",
            activity_id=activity_id,
            activity_name=activity_name,
            time=(
                self.modified_at
                or self.created_at
                or self.last_seen
                or self.first_seen
                or self.observed_at
            ),
            include_raw=include_raw,
            unmapped=unmapped,
        )
        event["status_id"] = int(self.status)
        event["status"] = (
            str(self.status_raw)
            if self.status is FindingStatus.OTHER and self.status_raw is not None
            else self.status.caption
        )
        event["finding_info"] = self._finding_info()
        if self.asset is not None:
            if self.asset.has_device():
                event["device"] = self.asset.to_ocsf_device()
            resource = self.asset.to_ocsf_resource()
            if resource:
                event["resources"] = [resource]
        det = self.detection_info
        if det is not None and det.confidence is not None:
            event["confidence_score"] = det.confidence
            conf = Confidence.from_score(det.confidence)
            event["confidence_id"] = int(conf)
            event["confidence"] = conf.name.title()
        if self.vulnerability_info is not None:
            event["vulnerabilities"] = self._ocsf_vulnerabilities(event["unmapped"])
        if self.compliance_info is not None:
            comp = self.compliance_info
            event["compliance"] = {
                "standards": [comp.standard] if comp.standard else None,
                "control": comp.control_id,
                "requirements": [comp.requirement] if comp.requirement else None,
                "status_id": int(comp.result),
                "status": comp.result.caption,
            }
            if comp.resource_uid:
                event["resources"] = [{"uid": comp.resource_uid}]  # the checked resource wins
            if comp.remediation:
                event["remediation"] = {"desc": comp.remediation}
        return compact(event)

    def _ocsf_vulnerabilities(self, unmapped: dict[str, Any]) -> list[dict[str, Any]]:
        """One OCSF ``vulnerability`` per CVE (each needs exactly one of cve/advisory/cwe)."""
        vuln = self.vulnerability_info or VulnerabilityInfo()
        cvss = None
        if vuln.cvss_score is not None and vuln.cvss_version:
            cvss = [
                {
                    "base_score": vuln.cvss_score,
                    "version": vuln.cvss_version,
                    "vector_string": vuln.cvss_vector,
                }
            ]
        elif vuln.cvss_score is not None or vuln.cvss_vector:
            unmapped["cvss_score"] = vuln.cvss_score
            unmapped["cvss_vector"] = vuln.cvss_vector
        unmapped["port"] = vuln.port
        unmapped["protocol"] = vuln.protocol
        unmapped["kev"] = vuln.kev
        package = None
        if vuln.package_name:
            package = {
                "name": vuln.package_name,
                "version": vuln.package_version or "unknown",
                "fixed_in_version": vuln.fixed_version,
            }
        base = {
            "title": self.title,
            "desc": self.description,
            "severity": self.severity.caption,
            "references": vuln.references,
            "remediation": {"desc": vuln.remediation} if vuln.remediation else None,
            "affected_packages": [package] if package else None,
            "is_exploit_available": vuln.exploit_available,
            "is_fix_available": True if vuln.fixed_version else None,
            "vendor_name": self.source_vendor,
            "first_seen_time": to_epoch_ms(self.first_seen),
            "last_seen_time": to_epoch_ms(self.last_seen),
        }
        cwes = [{"uid": cwe} for cwe in vuln.cwe_ids]
        if vuln.cve_ids:
            return [
                {**base, "cve": {"uid": cve, "cvss": cvss, "related_cwes": cwes}}
                for cve in vuln.cve_ids
            ]
        advisory = {"uid": self.finding_uid(), "title": self.title, "related_cwes": cwes}
        return [{**base, "advisory": advisory}]
