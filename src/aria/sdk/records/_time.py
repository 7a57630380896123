"""Timestamp coercion: vendors send ISO strings, epoch seconds/ms/µs/ns, RFC 2822 and worse.

Every canonical timestamp is a tz-aware UTC ``datetime``; naive inputs are taken as UTC. Only
``ValueError`` escapes from here so that pydantic turns it into a ``ValidationError`` that names
the field.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NUMERIC = re.compile(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")
_TZ_WORDS = re.compile(r"\s*\b(UTC|GMT|Z)$", re.IGNORECASE)
# Formats seen in vendor APIs and reports that ``fromisoformat`` does not read.
_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d %b %Y %H:%M:%S",
    "%b %d, %Y %I:%M:%S %p",
    "%b %d, %Y %H:%M:%S",
    "%b %d %Y %H:%M:%S",
    "%a %b %d %H:%M:%S %Y",
)


def utcnow() -> datetime:
    """Now, tz-aware UTC (the default for ``observed_at``)."""
    return datetime.now(UTC)


def _from_epoch(value: float | int | Decimal) -> datetime:
    """Epoch seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"timestamp is not a finite number: {value!r}")
    magnitude = abs(number)
    if magnitude < 1e11:  # seconds up to year 5138
        seconds = number
    elif magnitude < 1e14:
        seconds = number / 1e3
    elif magnitude < 1e17:
        seconds = number / 1e6
    else:
        seconds = number / 1e9
    try:
        return _EPOCH + timedelta(seconds=seconds)
    except OverflowError as exc:
        raise ValueError(f"timestamp out of range: {value!r}") from exc


def _from_string(text: str) -> datetime:
    """ISO 8601 first (fast path), then RFC 2822, then a few common vendor layouts."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    stripped = _TZ_WORDS.sub("", text).strip()
    if stripped != text:
        try:
            return datetime.fromisoformat(stripped)
        except ValueError:
            pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _FORMATS:
        try:
            return datetime.strptime(stripped, fmt)  # noqa: DTZ007 - naive means UTC here
        except ValueError:
            continue
    raise ValueError(f"unrecognised timestamp: {text!r}")


def to_utc(value: Any) -> datetime | None:
    """Coerce any supported timestamp to tz-aware UTC; ``None``/empty stay ``None``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif isinstance(value, bool):
        raise ValueError("a boolean is not a timestamp")
    elif isinstance(value, int | float | Decimal):
        parsed = _from_epoch(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text or text.lower() in {"null", "none", "n/a", "-"}:
            return None
        parsed = _from_epoch(float(text)) if _NUMERIC.match(text) else _from_string(text)
    else:
        raise ValueError(f"unsupported timestamp type: {type(value).__name__}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"timestamp out of range: {value!r}") from exc


def _required_utc(value: Any) -> datetime:
    """Like ``to_utc`` but a missing value is an error."""
    parsed = to_utc(value)
    if parsed is None:
        raise ValueError("timestamp is required")
    return parsed


def to_epoch_ms(value: datetime | None) -> int | None:
    """OCSF ``timestamp_t``: integer milliseconds since the epoch."""
    if value is None:
        return None
    return int((value - _EPOCH) // timedelta(milliseconds=1))


UtcDateTime = Annotated[datetime, BeforeValidator(_required_utc)]
OptUtcDateTime = Annotated[datetime | None, BeforeValidator(to_utc)]
