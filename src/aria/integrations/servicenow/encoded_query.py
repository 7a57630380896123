"""The sandbox's small implementation of ServiceNow encoded queries (``sysparm_query``).

Enough of the language for what the integration and a curious demo user send: conditions
joined with ``^`` (AND), the operators ``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``,
``STARTSWITH``, ``ENDSWITH``, ``LIKE``, ``NOT LIKE``, ``IN``, ``NOT IN``, ``ISEMPTY``,
``ISNOTEMPTY``, and ``ORDERBY``/``ORDERBYDESC`` clauses. Values compare as the strings the
Table API stores, which orders ``yyyy-MM-dd HH:mm:ss`` times correctly. ``^OR`` and ``^NQ``
are refused rather than silently misread.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]
Predicate = Callable[[Row], bool]

# Longest operators first, so ">=" wins over ">" and "NOT IN" over "IN".
_OPERATORS = (
    "ISNOTEMPTY",
    "ISEMPTY",
    "STARTSWITH",
    "ENDSWITH",
    "NOT LIKE",
    "NOT IN",
    "LIKE",
    "IN",
    ">=",
    "<=",
    "!=",
    ">",
    "<",
    "=",
)
_CONDITION = re.compile(
    r"^(?P<field>[a-z_][a-z0-9_.]*)(?P<op>" + "|".join(re.escape(o) for o in _OPERATORS) + r")"
    r"(?P<value>.*)$",
    re.DOTALL,
)


class QueryError(ValueError):
    """An encoded query the sandbox cannot evaluate."""


@dataclass
class Query:
    """A parsed encoded query: a conjunction of conditions and an ordering."""

    conditions: list[Predicate] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)

    def matches(self, row: Row) -> bool:
        """True when every condition holds for ``row``."""
        return all(condition(row) for condition in self.conditions)

    def apply(self, rows: list[Row]) -> list[Row]:
        """The matching rows, in the query's order (stable; sys_id breaks remaining ties)."""
        chosen = [row for row in rows if self.matches(row)]
        chosen.sort(key=lambda r: str(r.get("sys_id", "")))
        for name, descending in reversed(self.order):
            chosen.sort(key=lambda r, n=name: _text(r.get(n)), reverse=descending)
        return chosen


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("value")
    return "" if value is None else str(value)


def _condition(name: str, op: str, value: str) -> Predicate:
    lowered = value.lower()
    items = [v.strip() for v in value.split(",")]
    tests: dict[str, Callable[[str], bool]] = {
        "=": lambda v: v == value,
        "!=": lambda v: v != value,
        ">": lambda v: v > value,
        ">=": lambda v: v >= value,
        "<": lambda v: v < value,
        "<=": lambda v: v <= value,
        "STARTSWITH": lambda v: v.lower().startswith(lowered),
        "ENDSWITH": lambda v: v.lower().endswith(lowered),
        "LIKE": lambda v: lowered in v.lower(),
        "NOT LIKE": lambda v: lowered not in v.lower(),
        "IN": lambda v: v in items,
        "NOT IN": lambda v: v not in items,
        "ISEMPTY": lambda v: v == "",
        "ISNOTEMPTY": lambda v: v != "",
    }
    test = tests[op]
    return lambda row: test(_text(row.get(name)))


def parse(text: str | None) -> Query:
    """Parse ``sysparm_query``; raises :class:`QueryError` for what the sandbox cannot do."""
    query = Query()
    if not text or not text.strip():
        return query
    for part in text.split("^"):
        part = part.strip()
        if not part:
            continue
        if part.startswith("ORDERBYDESC"):
            query.order.append((part[len("ORDERBYDESC") :], True))
            continue
        if part.startswith("ORDERBY"):
            query.order.append((part[len("ORDERBY") :], False))
            continue
        if part.startswith(("OR", "NQ")):
            raise QueryError(f"the sandbox does not support ^{part[:2]} clauses")
        match = _CONDITION.match(part)
        if match is None:
            raise QueryError(f"cannot read the condition {part[:80]!r}")
        query.conditions.append(_condition(match["field"], match["op"], match["value"]))
    return query
