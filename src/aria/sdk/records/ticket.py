"""``Ticket``: a ticket in a ticketing system that ARIA opened for a risk or incident.

Tickets are not stored in the risk register; the sync pipeline uses them to flow ticket state
back to the risk that opened them (``risk_status``) and to keep the ticket's comments beside it.
OCSF has no ticket event class, so a ticket exports as an Incident Finding (2005) carrying the
OCSF ``ticket`` object in ``tickets``, which is how OCSF attaches external tickets to findings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from aria.sdk.records._time import to_epoch_ms
from aria.sdk.records.base import compact
from aria.sdk.records.incident import Incident
from aria.sdk.records.normalize import OptStr

RiskStatus = Literal["open", "in_progress", "closed"]
"""ARIA's risk statuses, the values a ticket state maps to."""


class TicketComment(BaseModel):
    """One comment (or work note) on a ticket."""

    uid: OptStr = None
    author: OptStr = None
    body: str
    created_at: datetime | None = None
    from_aria: bool = Field(default=False, description="Posted by ARIA (do not echo back).")


class Ticket(Incident):
    """A vendor ticket; dedupe on (installation, ticket key).

    ``state`` is the vendor's state name as sent ("Done", "7", "resolved"); ``risk_status`` is
    what it means for the risk that opened the ticket, from the installation's state mapping
    (a data mapping on the ``tickets`` stream can override it per installation).
    """

    record_type: Literal["ticket"] = "ticket"  # type: ignore[assignment]
    key: OptStr = Field(default=None, description="Human key such as PROJ-12 or INC0010001.")
    state: OptStr = None
    risk_status: RiskStatus | None = None
    risk_id: int | None = Field(default=None, description="The ARIA risk, when the ticket says.")
    comments: list[TicketComment] = Field(default_factory=list)

    def to_ocsf(self, *, include_raw: bool = False) -> dict[str, Any]:
        """Incident Finding (2005) with the OCSF ``ticket`` object."""
        event = super().to_ocsf(include_raw=include_raw)
        ticket = compact(
            {
                "uid": self.key or self.source_uid,
                "title": self.title,
                "src_url": self.url,
                "status": self.state,
                "status_details": [c.body[:200] for c in self.comments[-3:]] or None,
            }
        )
        event["tickets"] = [ticket]
        event.setdefault("unmapped", {})["risk_status"] = self.risk_status
        if self.modified_at:
            event["time"] = to_epoch_ms(self.modified_at)
        return event


__all__ = ["RiskStatus", "Ticket", "TicketComment"]
