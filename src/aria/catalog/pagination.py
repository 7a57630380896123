"""Opaque keyset cursors shared by catalog search and review lists.

Why keyset and not offsets: a page boundary is a position in the sort order, so rows added or
re-rated between two requests neither repeat nor vanish from the pages a client walks.
The cursor carries the last row's sort values and a fingerprint of the query it belongs to;
one from another query (other filters or sort) or a tampered one is refused with 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, or_

from aria.errors import AppError

Kind = Literal["int", "float", "decimal", "str", "datetime", "uuid"]
MAX_CURSOR_LENGTH = 1000


class InvalidCursor(AppError):
    status_code = 400
    code = "invalid_cursor"


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY term: the SQL expression, its direction and how its value travels."""

    expression: ColumnElement[Any]
    descending: bool
    kind: Kind

    def ordering(self) -> ColumnElement[Any]:
        return self.expression.desc() if self.descending else self.expression.asc()


def fingerprint(*parts: Any) -> str:
    """A short stable hash of the query a cursor belongs to."""
    raw = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _dump(kind: Kind, value: Any) -> Any:
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "datetime":
        return value.isoformat()
    return str(value)


def _load(kind: Kind, value: Any) -> Any:
    if kind == "int":
        if type(value) is not int:
            raise TypeError
        return value
    if kind == "float":
        if type(value) not in (int, float):
            raise TypeError
        return float(value)
    if not isinstance(value, str):
        raise TypeError
    if kind == "decimal":
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError
        return number
    if kind == "datetime":
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError
        return parsed
    if kind == "uuid":
        return uuid.UUID(value)
    if "\x00" in value:  # PostgreSQL text cannot hold NUL; no name of ours has one
        raise ValueError
    return value


def encode(scope: str, keys: Sequence[SortKey], values: Sequence[Any]) -> str:
    payload = {"s": scope, "k": [_dump(k.kind, v) for k, v in zip(keys, values, strict=True)]}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, scope: str, keys: Sequence[SortKey]) -> list[Any]:
    """The sort values in ``cursor``; InvalidCursor (400) for anything we did not issue."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        if not isinstance(payload, dict) or payload.get("s") != scope:
            raise ValueError
        values = payload.get("k")
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError
        return [_load(k.kind, v) for k, v in zip(keys, values, strict=True)]
    except (ValueError, TypeError, InvalidOperation, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor("cursor is invalid for this query; start again without it") from None


def after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order ``keys`` define (mixed directions allowed)."""
    alternatives = []
    for i, key in enumerate(keys):
        equal = [keys[j].expression == values[j] for j in range(i)]
        beyond = key.expression < values[i] if key.descending else key.expression > values[i]
        alternatives.append(and_(*equal, beyond))
    return or_(*alternatives)
