"""OData v4 as Defender speaks it: ``@odata.nextLink`` paging, and a small ``$filter`` engine.

:class:`ODataPages` follows ``@odata.nextLink`` (the SDK's :class:`~aria.sdk.paginate.NextUrl`)
and, where a service returns a full page (``$top`` records) without a next link, continues
with ``$skip`` itself: Microsoft documents ``$top`` and ``$skip`` on every list API but not
whether a ``$top``-limited page carries a next link, so both behaviours are read to the end.

:func:`compile_filter` is the sandbox's implementation of the ``$filter`` subset Defender
accepts: ``field op literal`` comparisons (``eq ne gt ge lt le``) joined by ``and``/``or``,
with unquoted ISO 8601 date-times, quoted strings, numbers, booleans and ``null``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from aria.sdk import paginate
from aria.sdk.cursors import to_datetime
from aria.sdk.errors import FatalError

NEXT_LINK = "@odata.nextLink"


class ODataPages(paginate.NextUrl):
    """``@odata.nextLink`` pages, with a ``$skip`` fallback for full pages without a link."""

    def __init__(self, *, max_pages: int = paginate.DEFAULT_MAX_PAGES) -> None:
        super().__init__(NEXT_LINK, max_pages=max_pages)

    def advance(
        self,
        position: paginate.Position,
        response: httpx.Response,
        body: Any,
        records: list[dict[str, Any]],
    ) -> paginate.Position | None:
        followed = super().advance(position, response, body, records)
        if followed is not None or not records:
            return followed
        url = response.request.url
        top = _int(url.params.get("$top"))
        if top is None or len(records) < top:
            return None
        skip = (_int(url.params.get("$skip")) or 0) + len(records)
        return {"url": str(url.copy_set_param("$skip", str(skip)))}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


# --- $filter (sandbox side) ------------------------------------------------------------------


class ODataError(ValueError):
    """A ``$filter`` the service would answer with 400."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) |
        (?P<string>'(?:[^']|'')*') |
        (?P<datetime>\d{4}-\d{2}-\d{2}(?:T[0-9:.]+)?(?:Z|[+-]\d{2}:\d{2})?) |
        (?P<number>-?\d+(?:\.\d+)?) |
        (?P<word>[A-Za-z_][A-Za-z0-9_/.]*)
    )""",
    re.VERBOSE,
)
_OPS = {"eq", "ne", "gt", "ge", "lt", "le"}
Predicate = Callable[[dict[str, Any]], bool]


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ODataError(f"syntax error at position {pos} in $filter")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _literal(kind: str, text: str) -> Any:
    if kind == "string":
        return text[1:-1].replace("''", "'")
    if kind == "datetime":
        return to_datetime(text if "T" in text else f"{text}T00:00:00Z")
    if kind == "number":
        return float(text) if "." in text else int(text)
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    raise ODataError(f"expected a literal, got {text!r}")


def _comparable(value: Any, literal: Any) -> Any:
    """The record's value in the literal's type (date-times compare as date-times)."""
    if isinstance(literal, datetime):
        try:
            return to_datetime(value)
        except FatalError:
            return None
    if isinstance(literal, str) and value is not None:
        return str(value).lower()
    return value


def _compare(field: str, op: str, literal: Any) -> Predicate:
    wanted = literal.lower() if isinstance(literal, str) else literal

    def predicate(record: dict[str, Any]) -> bool:
        raw = record.get(field)
        if isinstance(raw, list):  # collection properties: any element matches
            return any(_compare(field, op, literal)({field: item}) for item in raw)
        value = _comparable(raw, literal)
        if op == "eq":
            return bool(value == wanted)
        if op == "ne":
            return bool(value != wanted)
        if value is None or wanted is None:
            return False
        try:
            return {
                "gt": value > wanted,
                "ge": value >= wanted,
                "lt": value < wanted,
                "le": value <= wanted,
            }[op]
        except TypeError:
            return False

    return predicate


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], fields: set[str] | None) -> None:
        self.tokens, self.pos, self.fields = tokens, 0, fields

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ODataError("unexpected end of $filter")
        self.pos += 1
        return token

    def expression(self) -> Predicate:
        left = self.conjunction()
        while (token := self.peek()) and token[1].lower() == "or":
            self.take()
            right, first = self.conjunction(), left
            left = lambda r, a=first, b=right: a(r) or b(r)  # noqa: E731
        return left

    def conjunction(self) -> Predicate:
        left = self.term()
        while (token := self.peek()) and token[1].lower() == "and":
            self.take()
            right, first = self.term(), left
            left = lambda r, a=first, b=right: a(r) and b(r)  # noqa: E731
        return left

    def term(self) -> Predicate:
        kind, text = self.take()
        if kind == "lparen":
            inner = self.expression()
            if self.take()[0] != "rparen":
                raise ODataError("missing ')' in $filter")
            return inner
        if kind != "word":
            raise ODataError(f"expected a property name, got {text!r}")
        if self.fields is not None and text not in self.fields:
            raise ODataError(f"filtering on '{text}' is not supported")
        op = self.take()[1].lower()
        if op not in _OPS:
            raise ODataError(f"unsupported operator {op!r}")
        literal = _literal(*self.take())
        return _compare(text, op, literal)


def compile_filter(text: str | None, fields: set[str] | None = None) -> Predicate:
    """A predicate for an OData ``$filter``; ``fields`` limits the filterable properties."""
    if not text or not text.strip():
        return lambda record: True
    parser = _Parser(_tokens(text), fields)
    predicate = parser.expression()
    if parser.peek() is not None:
        raise ODataError(f"unexpected {parser.peek()[1]!r} in $filter")  # type: ignore[index]
    return predicate
