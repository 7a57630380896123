"""ARIA events -> the ``_bulk`` API, and its per-item results back.

``POST /_bulk`` takes NDJSON (``Content-Type: application/x-ndjson``): an action line, then
the document, each on its own line, the body ending with a newline::

    {"create":{"_index":"aria-events","_id":"<digest>"}}
    {"@timestamp":"2025-06-02T12:00:00Z","source":"aria","aria_event":"risk.created",...}

``create`` is the only operation a data stream accepts, and with an ``_id`` derived from the
document's content a retried request cannot store an event twice: Elasticsearch answers 409
for the copy, which counts as delivered. The response is 200 even when items fail; the
truth is in ``errors`` and in every item's ``status`` and ``error``, parsed here into
:class:`ItemResult`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aria.sdk.errors import FatalError

CHUNK = 500  # documents per _bulk request (Elastic suggests a few MB per request)
REJECTED = 429  # es_rejected_execution_exception: the write queue is full, try again
DUPLICATE = 409  # version_conflict_engine_exception on create: already stored


def document_id(document: Mapping[str, Any]) -> str:
    """A stable id from the document's content (so a retried create is a no-op)."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:40]


def ndjson(index: str, documents: Iterable[tuple[str, Mapping[str, Any]]]) -> bytes:
    """The ``_bulk`` body: a ``create`` action and the document per event, newline-ended."""
    lines: list[str] = []
    for doc_id, document in documents:
        lines.append(json.dumps({"create": {"_index": index, "_id": doc_id}}))
        lines.append(json.dumps(document, separators=(",", ":"), default=str))
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class ItemResult:
    """What Elasticsearch did with one document of a ``_bulk`` request."""

    status: int
    doc_id: str | None
    index: str | None
    error_type: str | None = None
    reason: str | None = None

    @property
    def stored(self) -> bool:
        """Created now, or already there from an earlier attempt."""
        return 200 <= self.status < 300 or self.status == DUPLICATE

    @property
    def retryable(self) -> bool:
        """Rejected by a full queue: worth sending again."""
        return self.status == REJECTED


def parse_items(body: Any, expected: int) -> list[ItemResult]:
    """Per-item results of a ``_bulk`` response, in request order."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise FatalError("malformed response from POST /_bulk: no items list")
    items = body["items"]
    if len(items) != expected:
        raise FatalError(
            f"malformed response from POST /_bulk: {len(items)} item results for "
            f"{expected} documents"
        )
    out: list[ItemResult] = []
    for item in items:
        result = next(iter(item.values()), None) if isinstance(item, dict) and item else None
        if not isinstance(result, dict) or not isinstance(result.get("status"), int):
            raise FatalError("malformed response from POST /_bulk: an item has no status")
        error = result.get("error")
        error_type = reason = None
        if isinstance(error, dict):
            error_type = str(error.get("type") or "error")
            reason = str(error.get("reason") or "")
            caused = error.get("caused_by")
            if isinstance(caused, dict) and caused.get("reason"):
                reason = f"{reason} (caused by {caused.get('type')}: {caused.get('reason')})"
        elif error is not None:
            error_type, reason = "error", str(error)
        out.append(
            ItemResult(
                status=int(result["status"]),
                doc_id=str(result["_id"]) if result.get("_id") is not None else None,
                index=str(result["_index"]) if result.get("_index") is not None else None,
                error_type=error_type,
                reason=reason,
            )
        )
    return out
