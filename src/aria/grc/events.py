"""Lifecycle events of risk-register records, and a tiny in-process bus to subscribe to them.

The sync runner publishes a batch's events after its transaction commits, so subscribers
(risk rules, push-outs) never see a record that was rolled back.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

KINDS = ("new", "updated", "resolved", "reopened")


@dataclass(frozen=True)
class LifecycleEvent:
    kind: str  # new | updated | resolved | reopened
    entity: str  # finding | incident | asset | identity | indicator
    record_id: int
    organization_id: uuid.UUID
    installation_id: uuid.UUID | None
    severity_id: int
    status_id: int


Subscriber = Callable[[list[LifecycleEvent]], None]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> Subscriber:
    """Register ``subscriber`` for every published batch (usable as a decorator)."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)
    return subscriber


def unsubscribe(subscriber: Subscriber) -> None:
    if subscriber in _subscribers:
        _subscribers.remove(subscriber)


def publish(events: list[LifecycleEvent]) -> None:
    """Hand events to every subscriber; one failing subscriber does not starve the others."""
    if not events:
        return
    for subscriber in list(_subscribers):
        try:
            subscriber(events)
        except Exception:
            log.exception("lifecycle subscriber %r failed", subscriber)
