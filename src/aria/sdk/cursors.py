"""Incremental cursor values: vendor timestamps in any common shape, compared as UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aria.sdk.errors import FatalError


def to_datetime(value: Any) -> datetime | None:
    """Parse ISO 8601 strings, epoch seconds or epoch milliseconds; naive means UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float) or (isinstance(value, str) and _numeric(value)):
        number = float(value)
        parsed = datetime.fromtimestamp(number / 1000 if number > 1e11 else number, tz=UTC)
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise FatalError(f"cursor value {value[:40]!r} is not a timestamp") from None
    else:
        raise FatalError(f"cursor value of type {type(value).__name__} is not a timestamp")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def to_iso(value: datetime) -> str:
    """Canonical state form: UTC, ISO 8601, ``Z`` suffix, microseconds kept."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
