"""KQL for common queries: literals that cannot break out, and Data Collector column names.

A common query becomes one tabular expression::

    AriaRiskEvents_CL
    | where TimeGenerated between (datetime(2025-06-01T00:00:00.0000000Z) .. datetime(...))
    | where (tostring(column_ifexists("risk_id", "")) == "42" or ... )
    | take 100

Values and field names only ever appear inside double-quoted string literals (escaped with
:func:`string`) or inside typed literals built from values this module parsed itself
(``real(42)``, ``bool(true)``, ``guid(...)``, ``datetime(...)``), so no value can end its
literal and add KQL of its own.

The HTTP Data Collector API stores a property under its name plus a type suffix it infers
from the JSON value (``_s`` string, ``_d`` number, ``_b`` boolean, ``_t`` date-time, ``_g``
GUID): ARIA's ``risk_id`` (a number) becomes ``risk_id_d`` and ``title`` becomes ``title_s``.
A filter therefore tests every column the value could be stored in, each through
``column_ifexists`` (referring to a column a table lacks is a semantic error in KQL), plus the
bare name, so tables written by other means (DCR-based custom tables, built-in tables) match too.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from aria.sdk import ConfigError
from aria.sdk.cursors import to_datetime
from aria.sdk.errors import FatalError
from aria.sdk.siem import CommonQuery, FieldFilter

TIME_COLUMN = "TimeGenerated"
SUFFIXES = {"s": "string", "d": "real", "b": "bool", "t": "datetime", "g": "guid"}
_NUMBER = re.compile(r"^-?\d{1,17}(?:\.\d{1,17})?$")
_GUID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EMPTY = '""'
_ISO_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def string(value: str) -> str:
    """``value`` as a double-quoted KQL string literal.

    KQL escapes the enclosing quote, the backslash, tab, newline and return with a backslash;
    other control characters have no escape, so they are refused rather than passed raw.
    """
    if _CONTROL.search(value):
        raise ConfigError(
            "a KQL string cannot hold control characters", fields={"value": "control character"}
        )
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


def datetime_literal(moment: datetime) -> str:
    """``datetime(2025-06-02T12:00:00.0000000Z)`` (UTC, 100 ns precision as Kusto prints)."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"datetime({utc.strftime('%Y-%m-%dT%H:%M:%S')}.{utc.microsecond:06d}0Z)"


def guid_literal(value: str) -> str | None:
    """``guid(...)`` for a GUID written with or without dashes, else None."""
    if not _GUID.match(value):
        return None
    digits = value.replace("-", "").lower()
    dashed = f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
    return f"guid({dashed})"


def _column(name: str, default: str) -> str:
    return f"column_ifexists({string(name)}, {default})"


def condition(item: FieldFilter) -> str:
    """One filter as a parenthesised KQL predicate over every column the field may use."""
    field, value = item.field, item.value
    literal = string(value)
    if item.op == "contains":
        return (
            f"(tostring({_column(field, EMPTY)}) contains {literal}"
            f" or {_column(field + '_s', EMPTY)} contains {literal})"
        )
    tests = [
        f"tostring({_column(field, EMPTY)}) == {literal}",
        f"{_column(field + '_s', EMPTY)} == {literal}",
    ]
    if _NUMBER.match(value):
        tests.append(f"{_column(field + '_d', 'real(null)')} == real({value})")
    if value in ("true", "false"):
        tests.append(f"{_column(field + '_b', 'bool(null)')} == {value}")
    guid = guid_literal(value)
    if guid:
        tests.append(f"{_column(field + '_g', 'guid(null)')} == {guid}")
    moment = _moment(value)
    if moment is not None:
        tests.append(f"{_column(field + '_t', 'datetime(null)')} == {datetime_literal(moment)}")
    return "(" + " or ".join(tests) + ")"


def _moment(value: str) -> datetime | None:
    if not _ISO_LIKE.match(value):
        return None
    try:
        return to_datetime(value)
    except FatalError:
        return None


def time_filter(start: datetime | None, end: datetime | None) -> str | None:
    """``TimeGenerated`` bounds (inclusive, as ``between`` is)."""
    if start and end:
        return f"{TIME_COLUMN} between ({datetime_literal(start)} .. {datetime_literal(end)})"
    if start:
        return f"{TIME_COLUMN} >= {datetime_literal(start)}"
    if end:
        return f"{TIME_COLUMN} <= {datetime_literal(end)}"
    return None


def table_name(name: str) -> str:
    """A table reference: plain when it is an identifier, else ``['bracketed']``."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,1023}", name):
        return name
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    if _CONTROL.search(name) or "\n" in name or "\r" in name:
        raise ConfigError("a table name cannot hold control characters", fields={"table": "bad"})
    return f"['{escaped}']"


def translate(query: CommonQuery, table: str) -> str:
    """The whole KQL query for ``query`` against ``table``."""
    lines = [table_name(table)]
    bounds = time_filter(query.start, query.end)
    if bounds:
        lines.append(f"| where {bounds}")
    lines.extend(f"| where {condition(item)}" for item in query.filters)
    lines.append(f"| take {query.limit}")
    return "\n".join(lines)


__all__ = [
    "SUFFIXES",
    "TIME_COLUMN",
    "condition",
    "datetime_literal",
    "guid_literal",
    "string",
    "table_name",
    "time_filter",
    "translate",
]
