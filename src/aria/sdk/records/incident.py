"""``Incident``: a vendor's grouping of findings under one case (OCSF Incident Finding 2005)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import AliasChoices, Field, model_validator

from aria.sdk.records._time import OptUtcDateTime, to_epoch_ms
from aria.sdk.records.base import CanonicalRecord, compact
from aria.sdk.records.enums import IncidentStatus
from aria.sdk.records.normalize import OptStr, StrList, is_ocsf_email

# OCSF 2005 requires an assignee or an assignee group; an unassigned incident says so plainly.
UNASSIGNED_GROUP = "Unassigned"


class Incident(CanonicalRecord):
    """An incident/case from an EDR, SIEM or SOAR; dedupe on (installation, vendor uid)."""

    _status_enum: ClassVar[Any] = IncidentStatus

    record_type: Literal["incident"] = "incident"
    title: OptStr = None
    description: OptStr = Field(default=None, validation_alias=AliasChoices("description", "desc"))
    status: IncidentStatus = IncidentStatus.NEW
    status_raw: str | int | float | None = None
    assignee: OptStr = None
    finding_uids: StrList = Field(default_factory=list)
    created_at: OptUtcDateTime = None
    modified_at: OptUtcDateTime = None
    url: OptStr = None

    @model_validator(mode="after")
    def _needs_uid(self) -> Incident:
        """Dedupe needs the vendor's incident id."""
        if not self.source_uid:
            raise ValueError("uid: an incident needs the vendor's incident id")
        return self

    def dedupe_key(self, installation_id: str | None = None) -> tuple[str, ...]:
        """(installation, vendor incident uid)."""
        return (installation_id or "", self.source_uid or "")

    def to_ocsf(self, *, include_raw: bool = False) -> dict[str, Any]:
        """OCSF Incident Finding (2005)."""
        if self.status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
            activity = (3, "Close")
        elif self.modified_at and self.created_at and self.modified_at > self.created_at:
            activity = (2, "Update")
        else:
            activity = (1, "Create")
        event = self._ocsf_event(
            class_uid=2005,
            class_name="Incident Finding",
            category_uid=2,
            category_name="Findings",
            activity_id=activity[0],
            activity_name=activity[1],
            time=(
                self.modified_at
                or self.created_at
                or self.last_seen
                or self.first_seen
                or self.observed_at
            ),
            include_raw=include_raw,
            unmapped={"incident_uid": self.source_uid, "status_raw": self.status_raw},
        )
        event["status_id"] = int(self.status)
        event["status"] = (
            str(self.status_raw)
            if self.status is IncidentStatus.OTHER and self.status_raw is not None
            else self.status.caption
        )
        event["message"] = self.title
        event["desc"] = self.description
        event["src_url"] = self.url
        event["finding_info_list"] = [{"uid": uid} for uid in self.finding_uids]
        if self.assignee:
            event["assignee"] = {
                "name": self.assignee,
                "email_addr": self.assignee.lower() if is_ocsf_email(self.assignee) else None,
            }
        else:
            event["assignee_group"] = {"name": UNASSIGNED_GROUP}
        event["start_time"] = to_epoch_ms(self.first_seen or self.created_at)
        compacted = compact(event)
        compacted.setdefault("finding_info_list", [])  # required, even when empty
        return compacted
