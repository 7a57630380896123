"""A small Falcon Query Language (FQL) evaluator for the sandbox.

Enough of FQL to serve the integration and demo users realistically: ``field:value``
equality, ``field:>'2024-01-01T00:00:00Z'`` comparisons (``>``, ``>=``, ``<``, ``<=``),
``!`` (not equal), ``~`` (contains, case-insensitive), ``['a','b']`` lists, ``*`` wildcards,
``+`` (AND), ``,`` (OR) and parentheses. Dotted fields reach into nested objects and lists
(``device.hostname``, ``hosts.hostname``). Invalid filters raise :class:`FqlError` (HTTP 400).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]
_TERM = re.compile(r"^\s*(?P<field>[A-Za-z_][\w.]*)\s*:\s*(?P<op>!~|>=|<=|>|<|!|~)?(?P<value>.*)$")


class FqlError(ValueError):
    """The filter is not valid FQL (the API answers 400)."""


def compile_filter(text: str | None) -> Predicate:
    """A predicate for ``text``; an empty filter matches everything."""
    if text is None or not text.strip():
        return lambda record: True
    return _parse_or(text.strip())


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside quotes, brackets and parentheses."""
    parts, depth, quote, current = [], 0, "", []
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                raise FqlError(f"unbalanced brackets in filter {text!r}")
        elif ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    if quote or depth:
        raise FqlError(f"unterminated quote or bracket in filter {text!r}")
    parts.append("".join(current))
    return parts


def _parse_or(text: str) -> Predicate:
    options = [_parse_and(part) for part in _split(text, ",")]
    return lambda record: any(option(record) for option in options)


def _parse_and(text: str) -> Predicate:
    terms = [_parse_term(part.strip()) for part in _split(text, "+")]
    return lambda record: all(term(record) for term in terms)


def _parse_term(text: str) -> Predicate:
    if not text:
        raise FqlError("empty term in filter")
    if text.startswith("(") and text.endswith(")"):
        return _parse_or(text[1:-1].strip())
    match = _TERM.match(text)
    if not match:
        raise FqlError(f"invalid FQL term {text!r}")
    field, op, raw = match["field"], match["op"] or "", match["value"].strip()
    values = _values(raw)
    if op in (">", ">=", "<", "<=") and len(values) != 1:
        raise FqlError(f"comparison {text!r} needs exactly one value")

    def predicate(record: dict[str, Any]) -> bool:
        found = list(_lookup(record, field.split(".")))
        if op == "!":
            return not any(_equal(f, v) for f in found for v in values)
        if op == "!~":
            return not any(_contains(f, v) for f in found for v in values)
        if op == "~":
            return any(_contains(f, v) for f in found for v in values)
        if op:
            return any(_compare(f, op, values[0]) for f in found)
        return any(_equal(f, v) for f in found for v in values)

    return predicate


def _values(raw: str) -> list[str]:
    if raw.startswith("[") and raw.endswith("]"):
        return [_unquote(v.strip()) for v in _split(raw[1:-1], ",") if v.strip()]
    return [_unquote(raw)]


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    if not raw:
        raise FqlError("missing value in filter")
    return raw


def _lookup(value: Any, parts: list[str]) -> Iterator[Any]:
    if not parts:
        if isinstance(value, list):
            yield from value
        else:
            yield value
        return
    if isinstance(value, list):
        for item in value:
            yield from _lookup(item, parts)
    elif isinstance(value, dict) and parts[0] in value:
        yield from _lookup(value[parts[0]], parts[1:])


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 (nanoseconds cut to microseconds) or None when ``value`` is not a time."""
    if not isinstance(value, str) or len(value) < 10 or value[4:5] != "-":
        return None
    return _parse_time(value)


@functools.lru_cache(maxsize=65_536)
def _parse_time(value: str) -> datetime | None:
    """Cached: the sandbox sorts and filters the same timestamps on every page."""
    text = value.strip().replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        digits = re.match(r"\d+", rest)
        frac = digits.group(0) if digits else ""
        text = f"{head}.{frac[:6].ljust(6, '0')}{rest[len(frac) :]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _compare(found: Any, op: str, wanted: str) -> bool:
    left: Any
    right: Any
    if (t := parse_time(wanted)) is not None:
        left, right = parse_time(found), t
    elif (n := _number(wanted)) is not None:
        left, right = _number(found), n
    else:
        left, right = (str(found).lower() if found is not None else None), wanted.lower()
    if left is None:
        return False
    return {
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }[op]


def _equal(found: Any, wanted: str) -> bool:
    if found is None:
        return False
    if isinstance(found, bool):
        return str(found).lower() == wanted.lower()
    if isinstance(found, int | float):
        return _number(wanted) == float(found)
    text = str(found).lower()
    if "*" in wanted:
        return fnmatch.fnmatchcase(text, wanted.lower())
    return text == wanted.lower()


def _contains(found: Any, wanted: str) -> bool:
    return found is not None and wanted.lower() in str(found).lower()


def sort_key(spec: str | None, default: str) -> tuple[str, bool]:
    """``updated_timestamp.asc`` / ``updated_timestamp|desc`` -> (field, descending)."""
    text = (spec or default).strip()
    for sep in ("|", "."):
        field, found, direction = text.rpartition(sep)
        if found and direction.lower() in ("asc", "desc"):
            return field, direction.lower() == "desc"
    return text, False
