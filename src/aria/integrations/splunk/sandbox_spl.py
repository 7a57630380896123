"""The sandbox's small SPL evaluator: enough of Splunk's search language for ARIA.

Supported, with Splunk's semantics:

* the ``search`` command (first or later in the pipeline): ``field=value`` and
  ``field="quoted \\"value\\""`` (case-insensitive, ``*`` wildcards, any value of a multivalue
  field), ``field!=value``, bare words and quoted phrases (matched in ``_raw``), ``NOT term``,
  ``index=...`` (default: ``main``; ``index=*`` every non-internal index), ``earliest=`` and
  ``latest=`` (epoch seconds, ``now``, ``-7d``-style relative times; earliest inclusive, latest
  exclusive), and ES's `` `notable` `` macro;
* ``| where`` with ``match('field', "regex")``, ``'field'=="value"`` and ``field="value"``
  conditions joined by ``AND``;
* ``| head N`` and ``| sort [N] [-]field ...``.

Anything else is refused the way Splunk's parser refuses a bad search: ``SplError`` becomes a
400 with a FATAL message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aria.sdk.cursors import to_datetime

Event = dict[str, Any]
Predicate = Callable[[Event], bool]

_RELATIVE = re.compile(r"^([+-])(\d+)(s|sec|m|min|h|hr|d|day|w|week)s?$", re.IGNORECASE)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400, "day": 86400}
_UNITS |= {"w": 604800, "week": 604800}
_TERM = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)(!=|=)(.*)$", re.DOTALL)
_MATCH = re.compile(r"""^match\(\s*'([^']+)'\s*,\s*(".*")\s*\)$""", re.DOTALL)
_EQUALS = re.compile(r"""^'?([A-Za-z_][A-Za-z0-9_.]*)'?\s*==?\s*(".*")$""", re.DOTALL)


class SplError(ValueError):
    """A search Splunk's parser would reject (the text is Splunk-like)."""


@dataclass
class Query:
    """A parsed search: where to look, when, what must match, then the pipeline."""

    indexes: list[str] | None = None
    notable: bool = False
    earliest: str | None = None
    latest: str | None = None
    predicates: list[Predicate] = field(default_factory=list)
    pipeline: list[Callable[[list[Event]], list[Event]]] = field(default_factory=list)


def resolve_time(value: str | None, now: float) -> float | None:
    """Epoch seconds of a Splunk time: epoch, ``now``, ``-24h``-style relative, or ISO 8601."""
    if value is None or value == "":
        return None
    text = value.strip()
    if text.lower() == "now":
        return now
    relative = _RELATIVE.match(text)
    if relative:
        sign = -1 if relative.group(1) == "-" else 1
        unit = _UNITS[relative.group(3).lower()]
        return now + sign * int(relative.group(2)) * unit
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = to_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise SplError(f"Invalid time value '{text}'.")
    return moment.timestamp()


def tokens(text: str) -> list[str]:
    """Whitespace-separated tokens; double quotes (backslash escapes kept) and backticks group."""
    out: list[str] = []
    current: list[str] = []
    quote: str | None = None
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            current.append(char)
            if char == "\\" and quote == '"' and index + 1 < len(text):
                current.append(text[index + 1])
                index += 1
            elif char == quote:
                quote = None
        elif char in ('"', "`"):
            quote = char
            current.append(char)
        elif char.isspace():
            if current:
                out.append("".join(current))
                current = []
        else:
            current.append(char)
        index += 1
    if quote:
        raise SplError("Unbalanced quotes.")
    if current:
        out.append("".join(current))
    return out


def split_pipeline(text: str) -> list[str]:
    """The commands of a search, split on ``|`` outside quotes."""
    parts: list[str] = []
    current: list[str] = []
    quote: str | None = None
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            current.append(char)
            if char == "\\" and quote == '"' and index + 1 < len(text):
                current.append(text[index + 1])
                index += 1
            elif char == quote:
                quote = None
        elif char in ('"', "`"):
            quote = char
            current.append(char)
        elif char == "|":
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current).strip())
    return parts


def unquote(text: str) -> str:
    """The value of a token: a ``"quoted"`` literal loses its quotes and escapes."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def wildcard(value: str) -> re.Pattern[str]:
    """Splunk value matching: case-insensitive, whole value, ``*`` matches anything."""
    return re.compile("^" + ".*".join(re.escape(p) for p in value.split("*")) + "$", re.I | re.S)


def field_values(event: Event, name: str) -> list[str]:
    """The values of a field (multivalue fields are lists)."""
    value = event.get(name)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def parse(spl: str) -> Query:
    """Parse a search string; raises ``SplError``."""
    commands = split_pipeline(spl.strip())
    first, rest = commands[0], commands[1:]
    if not first:
        name = (tokens(rest[0]) or ["?"])[0] if rest else "?"
        raise SplError(f"The ARIA sandbox does not support the generating command '{name}'.")
    words = tokens(first)
    if words and words[0].lower() == "search":
        words = words[1:]
    elif words and not first.startswith("`"):
        raise SplError(f"Unknown search command '{words[0]}'.")
    query = Query()
    _search_terms(words, query, top=True)
    for command in rest:
        query.pipeline.append(_command(command))
    return query


def _search_terms(words: list[str], query: Query, *, top: bool) -> None:
    negate = False
    for word in words:
        upper = word.upper()
        if upper == "AND":
            continue
        if upper == "NOT":
            negate = not negate
            continue
        if upper == "OR" or word in ("(", ")") or word.startswith("("):
            raise SplError("The ARIA sandbox evaluates only AND-ed search terms (no OR, no ()).")
        if word.startswith("`"):
            if word != "`notable`" or not top:
                raise SplError(
                    f"Error in 'SearchParser': The search specifies a macro {word} "
                    "that cannot be found."
                )
            query.notable = True
            continue
        term = _TERM.match(word)
        if term and top and term.group(1) in ("earliest", "latest") and term.group(2) == "=":
            setattr(query, term.group(1), unquote(term.group(3)))
            continue
        if term and top and term.group(1) == "index" and term.group(2) == "=" and not negate:
            query.indexes = [*(query.indexes or []), unquote(term.group(3))]
            continue
        predicate = _term_predicate(word, term)
        query.predicates.append(_negated(predicate) if negate else predicate)
        negate = False


def _term_predicate(word: str, term: re.Match[str] | None) -> Predicate:
    if term:
        name, op, raw = term.group(1), term.group(2), term.group(3)
        pattern = wildcard(unquote(raw))
        if op == "=":
            return lambda e: any(pattern.match(v) for v in field_values(e, name))
        return lambda e: (
            bool(field_values(e, name)) and not any(pattern.match(v) for v in field_values(e, name))
        )
    needle = wildcard(f"*{unquote(word)}*")
    return lambda e: bool(needle.match(str(e.get("_raw", ""))))


def _negated(predicate: Predicate) -> Predicate:
    return lambda e: not predicate(e)


def _command(text: str) -> Callable[[list[Event]], list[Event]]:
    words = tokens(text)
    if not words:
        raise SplError("Error in 'SearchParser': Missing a search command before '|'.")
    name, args = words[0].lower(), words[1:]
    if name == "search":
        sub = Query()
        _search_terms(args, sub, top=False)
        return lambda events: [e for e in events if all(p(e) for p in sub.predicates)]
    if name == "where":
        condition = _where(text[len(words[0]) :].strip())
        return lambda events: [e for e in events if condition(e)]
    if name == "head":
        try:
            limit = int(args[0]) if args else 10
        except ValueError:
            raise SplError("Error in 'head' command: Invalid argument.") from None
        return lambda events: events[:limit]
    if name == "sort":
        return _sort(args)
    raise SplError(f"Unknown search command '{words[0]}'.")


def _where(text: str) -> Predicate:
    parts = [p.strip() for p in re.split(r"\s+AND\s+", text) if p.strip()]
    if not parts:
        raise SplError("Error in 'where' command: The expression is malformed.")
    checks: list[Predicate] = []
    for part in parts:
        found = _MATCH.match(part)
        if found:
            name, regex = found.group(1), re.compile(unquote(found.group(2)))
            checks.append(lambda e, n=name, r=regex: any(r.search(v) for v in field_values(e, n)))
            continue
        equal = _EQUALS.match(part)
        if equal:
            name, literal = equal.group(1), unquote(equal.group(2))
            checks.append(lambda e, n=name, v=literal: v in field_values(e, n))
            continue
        raise SplError(f"Error in 'where' command: The sandbox cannot evaluate '{part[:60]}'.")
    return lambda e: all(check(e) for check in checks)


def _sort(args: list[str]) -> Callable[[list[Event]], list[Event]]:
    limit: int | None = None
    if args and args[0].isdigit():
        limit = int(args[0]) or None
        args = args[1:]
    keys = [a.strip(",") for a in args if a.strip(",")]
    if not keys:
        raise SplError("Error in 'sort' command: Missing a field to sort by.")

    def apply(events: list[Event]) -> list[Event]:
        ordered = list(events)
        for key in reversed(keys):
            descending = key.startswith("-")
            name = key.lstrip("+-")
            ordered.sort(key=lambda e, n=name: _sort_key(e, n), reverse=descending)
        return ordered[:limit] if limit else ordered

    return apply


def _sort_key(event: Event, name: str) -> tuple[int, float, str]:
    values = field_values(event, name)
    if not values:
        return (1, 0.0, "")
    try:
        return (0, float(values[0]), "")
    except ValueError:
        pass
    if name == "_time":
        moment = to_datetime(values[0])
        return (0, moment.timestamp() if moment else 0.0, "")
    return (0, 0.0, values[0].lower())


def in_indexes(event_index: str, wanted: Iterable[str] | None) -> bool:
    """Whether an event's index is searched: default ``main``; ``*`` skips ``_internal``."""
    patterns = list(wanted) if wanted else ["main"]
    for pattern in patterns:
        if pattern == "*" and event_index.startswith("_"):
            continue
        if wildcard(pattern).match(event_index):
            return True
    return False


def iso(epoch: float) -> str:
    """Splunk's JSON ``_time``: ``2025-06-02T12:00:00.000+00:00``."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"
