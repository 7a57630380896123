"""Writing AQL (Ariel Query Language) safely: literals, field names, the common query form.

AQL string literals are single-quoted ANSI strings, so a quote inside a value is doubled
(``O'Brien`` -> ``'O''Brien'``); names are double-quoted (``"username"``), with a double quote
inside a name doubled too. Nothing a value contains can end its literal, so a filter value can
never add a clause. ``%`` and ``_`` inside a *contains* value stay LIKE wildcards (AQL has no
documented ESCAPE clause): they can only widen the match, never leave the literal.

Time bounds are written as epoch milliseconds (``START 1717315200000 STOP 1717318800000``):
the quoted ``'yyyy-MM-dd HH:mm'`` forms are read in the console's time zone and to the minute,
while epoch milliseconds are exact and zone-free (QRadar's own offense searches use them).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Literal

from aria.sdk.siem import CommonQuery

# A clause that already bounds time: START/STOP/LAST outside string literals.
_TIME_CLAUSE = re.compile(r"\b(START|STOP|LAST)\b", re.IGNORECASE)
_LITERALS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


def quote_literal(value: str) -> str:
    """``value`` as an AQL string literal: single quotes, embedded quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def quote_name(field: str) -> str:
    """``field`` as a double-quoted AQL name, embedded double quotes doubled."""
    return '"' + field.replace('"', '""') + '"'


def epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds of ``moment`` (naive means UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


def timeframe(start: datetime | None, end: datetime | None, window_hours: int) -> str:
    """``START <ms> [STOP <ms>]``; without a start, the ``window_hours`` before ``end``
    (or ``LAST n HOURS`` when neither is given: AQL itself would search only 5 minutes)."""
    if start is None and end is None:
        return f"LAST {window_hours} HOURS"
    if start is None:
        assert end is not None
        start = end - timedelta(hours=window_hours)
    clause = f"START {epoch_ms(start)}"
    if end is not None:
        clause += f" STOP {epoch_ms(end)}"
    return clause


def translate(
    query: CommonQuery, *, window_hours: int = 24, table: Literal["events", "flows"] = "events"
) -> str:
    """A :class:`CommonQuery` as AQL over ``events`` (or ``flows``).

    ``eq`` is ``"field" = 'value'``, ``contains`` is ``"field" ILIKE '%value%'``
    (case-insensitive), all joined with AND; then ``LIMIT`` and the time frame, in the clause
    order the AQL guide prescribes (``... LIMIT n START ... STOP ...``).
    """
    conditions = []
    for condition in query.filters:
        if condition.op == "contains":
            like = "%" + condition.value + "%"
            conditions.append(f"{quote_name(condition.field)} ILIKE {quote_literal(like)}")
        else:
            conditions.append(f"{quote_name(condition.field)} = {quote_literal(condition.value)}")
    text = f"SELECT * FROM {table}"  # noqa: S608 - AQL, with every value quoted above
    if conditions:
        text += " WHERE " + " AND ".join(conditions)
    text += f" LIMIT {query.limit} " + timeframe(query.start, query.end, window_hours)
    return text


def has_timeframe(aql: str) -> bool:
    """True when ``aql`` already has a START, STOP or LAST clause (outside literals)."""
    return bool(_TIME_CLAUSE.search(_LITERALS.sub("''", aql)))


def bounded(aql: str, start: datetime | None, end: datetime | None, window_hours: int) -> str:
    """A native query with ``start``/``end`` appended, unless it bounds time itself."""
    if (start is None and end is None) or has_timeframe(aql):
        return aql
    return f"{aql.rstrip().rstrip(';')} {timeframe(start, end, window_hours)}"
