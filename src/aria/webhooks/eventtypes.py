"""Which vendor event a delivery carries, so an endpoint can take only the types it lists.

Vendors name the event in a header (GitHub ``X-GitHub-Event``, Bitbucket/Atlassian
``X-Event-Key``, generic ``X-Event-Type``) or in the JSON body (Jira ``webhookEvent``, Linear
and many others ``type``, ``event_type``/``eventType``/``event``). Headers win over the body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

HEADERS = ("x-event-type", "x-github-event", "x-event-key", "x-webhook-event")
BODY_KEYS = ("webhookEvent", "event_type", "eventType", "type", "event")


def event_type(headers: Mapping[str, str], body: bytes) -> str | None:
    """The delivery's event type, or None when neither headers nor a JSON body name one."""
    for name in HEADERS:
        value = headers.get(name)
        if value:
            return value.strip()[:200]
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    for key in BODY_KEYS:
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value[:200]
    return None


def accepted(event_types: Sequence[str], found: str | None) -> bool:
    """An empty list takes everything; otherwise the type must match an entry exactly or a
    ``prefix*`` entry (``jira:issue_*``). A delivery naming no type is not taken."""
    if not event_types:
        return True
    if found is None:
        return False
    return any(
        found == wanted or (wanted.endswith("*") and found.startswith(wanted[:-1]))
        for wanted in event_types
    )
