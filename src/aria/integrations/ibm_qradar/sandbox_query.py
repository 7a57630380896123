"""The sandbox's small implementations of QRadar's two query languages.

* The REST ``filter`` parameter (``last_updated_time >= 1717315200000 and domain_id = 0``):
  comparisons (``= != < > <= >=``), ``in (...)``, ``between``, ``is [not] null``,
  ``and``/``or``/``not`` and parentheses,
  double-quoted strings, numbers, ``true``/``false``/``null``.
* AQL for Ariel searches: ``SELECT * | columns | QIDNAME(qid) ... FROM events|flows
  [WHERE ...] [LIMIT n] [START x STOP y | LAST n MINUTES|HOURS|DAYS]``, where conditions are
  comparisons, ``[NOT] LIKE``/``ILIKE`` (``%``/``_`` wildcards), ``IS [NOT] NULL`` joined with
  AND/OR/NOT and parentheses; single-quoted literals with ``''`` escapes, double-quoted names;
  times as epoch milliseconds or the quoted ``yyyy-MM-dd HH:mm[:ss]`` forms (UTC here).

Anything else raises :class:`QueryError`, which the sandbox answers the way QRadar does
(422, code 1010 for a bad filter and 2000 for bad AQL).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]


class QueryError(ValueError):
    """The filter or AQL text cannot be parsed or uses something the sandbox lacks."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<squote>'(?:[^']|'')*')
      | (?P<dquote>"(?:[^"]|"")*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),*])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)


@dataclass
class Token:
    """One lexical token: its kind and its (unescaped) text."""

    kind: str
    text: str

    def is_word(self, *words: str) -> bool:
        """True for a bare word equal (case-insensitively) to one of ``words``."""
        return self.kind == "word" and self.text.upper() in words


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text``; quotes are removed and doubled quotes unescaped."""
    tokens: list[Token] = []
    position = 0
    text = text.rstrip().rstrip(";")
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            if text[position:].strip() == "":
                break
            raise QueryError(f"unexpected input at character {position}: {text[position:][:20]!r}")
        kind = match.lastgroup or ""
        raw = match.group(kind)
        if kind == "squote":
            tokens.append(Token("string", raw[1:-1].replace("''", "'")))
        elif kind == "dquote":
            tokens.append(Token("name", raw[1:-1].replace('""', '"')))
        else:
            tokens.append(Token(kind, raw))
        position = match.end()
    return tokens


@dataclass
class _Cursor:
    tokens: list[Token]
    index: int = 0

    def peek(self, ahead: int = 0) -> Token | None:
        at = self.index + ahead
        return self.tokens[at] if at < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise QueryError("unexpected end of the query")
        self.index += 1
        return token

    def accept_word(self, *words: str) -> bool:
        token = self.peek()
        if token is not None and token.is_word(*words):
            self.index += 1
            return True
        return False

    def expect_word(self, word: str) -> None:
        if not self.accept_word(word):
            found = self.peek()
            raise QueryError(f"expected {word}, found {found.text if found else 'the end'!r}")

    def accept_punct(self, char: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "punct" and token.text == char:
            self.index += 1
            return True
        return False

    def done(self) -> bool:
        return self.index >= len(self.tokens)


def _lookup(row: Row, column: str) -> Any:
    """A column, case-insensitively (AQL and filter names ignore case)."""
    if column in row:
        return row[column]
    lowered = column.lower()
    for key, value in row.items():
        if key.lower() == lowered:
            return value
    return None


def _compare(left: Any, op: str, right: Any) -> bool:
    if left is None or right is None:
        return False if op not in ("!=", "<>") else left is not right
    if isinstance(left, bool) or isinstance(right, bool):
        a, b = str(left).lower(), str(right).lower()
    else:
        try:
            a, b = float(left), float(right)  # type: ignore[assignment]
        except (TypeError, ValueError):
            a, b = str(left), str(right)
    if op == "=":
        return a == b
    if op in ("!=", "<>"):
        return a != b
    try:
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]  # type: ignore[operator]
    except TypeError:
        return False


def like(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    """A LIKE pattern (``%`` any run, ``_`` one character) as an anchored regex."""
    parts = [".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


# --- the REST filter parameter -----------------------------------------------------------------


def compile_filter(text: str | None) -> Predicate:
    """A predicate for a QRadar ``filter`` expression (None or blank: everything)."""
    if text is None or not text.strip():
        return lambda row: True
    cursor = _Cursor(tokenize(text))
    predicate = _filter_or(cursor)
    if not cursor.done():
        raise QueryError(f"unexpected {cursor.take().text!r} in filter")
    return predicate


def _filter_or(cursor: _Cursor) -> Predicate:
    parts = [_filter_and(cursor)]
    while cursor.accept_word("OR"):
        parts.append(_filter_and(cursor))
    return parts[0] if len(parts) == 1 else lambda row: any(p(row) for p in parts)


def _filter_and(cursor: _Cursor) -> Predicate:
    parts = [_filter_not(cursor)]
    while cursor.accept_word("AND"):
        parts.append(_filter_not(cursor))
    return parts[0] if len(parts) == 1 else lambda row: all(p(row) for p in parts)


def _filter_not(cursor: _Cursor) -> Predicate:
    if cursor.accept_word("NOT"):
        inner = _filter_not(cursor)
        return lambda row: not inner(row)
    if cursor.accept_punct("("):
        inner = _filter_or(cursor)
        if not cursor.accept_punct(")"):
            raise QueryError("missing ) in filter")
        return inner
    return _filter_comparison(cursor)


def _filter_value(token: Token) -> Any:
    if token.kind == "number":
        return float(token.text)
    if token.kind == "name":  # QRadar filter strings are double-quoted
        return token.text
    if token.is_word("TRUE", "FALSE"):
        return token.text.lower() == "true"
    if token.is_word("NULL"):
        return None
    raise QueryError(f"{token.text!r} is not a value (strings need double quotes)")


def _filter_comparison(cursor: _Cursor) -> Predicate:
    name = cursor.take()
    if name.kind != "word":
        raise QueryError(f"expected a field name, found {name.text!r}")
    column = name.text
    if cursor.accept_word("IS"):
        absent = not cursor.accept_word("NOT")
        cursor.expect_word("NULL")
        return lambda row: (_lookup(row, column) is None) == absent
    negate = cursor.accept_word("NOT")
    if cursor.accept_word("IN"):
        if not cursor.accept_punct("("):
            raise QueryError("IN needs a parenthesised list")
        values = [_filter_value(cursor.take())]
        while cursor.accept_punct(","):
            values.append(_filter_value(cursor.take()))
        if not cursor.accept_punct(")"):
            raise QueryError("missing ) after IN list")
        return lambda row: negate != any(_compare(_lookup(row, column), "=", v) for v in values)
    if negate:
        raise QueryError("NOT must precede IN here")
    if cursor.accept_word("BETWEEN"):
        low = _filter_value(cursor.take())
        cursor.expect_word("AND")
        high = _filter_value(cursor.take())
        return lambda row: (
            _compare(_lookup(row, column), ">=", low) and _compare(_lookup(row, column), "<=", high)
        )
    op = cursor.take()
    if op.kind != "op":
        raise QueryError(f"expected an operator after {column!r}, found {op.text!r}")
    value = _filter_value(cursor.take())
    operator = op.text
    if value is None and operator in ("=", "!=", "<>"):
        return lambda row: (_lookup(row, column) is None) == (operator == "=")
    return lambda row: _compare(_lookup(row, column), operator, value)


# --- AQL ---------------------------------------------------------------------------------------

FUNCTIONS = {
    "QIDNAME": "_qidname",
    "LOGSOURCENAME": "_logsourcename",
    "CATEGORYNAME": "_categoryname",
    "UTF8": "_payload",
}
TABLES = ("events", "flows")
UNITS = {"MINUTES": 60, "MINUTE": 60, "HOURS": 3600, "HOUR": 3600, "DAYS": 86400, "DAY": 86400}
TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d-%H:%M:%S",
    "%Y:%m:%d-%H:%M:%S",
)
DEFAULT_WINDOW = timedelta(minutes=5)  # AQL searches the last 5 minutes without a time frame


@dataclass
class Column:
    """A selected column: where its value comes from and the key it is returned under."""

    source: str
    key: str
    function: str | None = None

    def value(self, row: Row) -> Any:
        if self.function is not None:
            if self.source.lower() == "category" or self.function != "_categoryname":
                return row.get(self.function)
            return None
        return _lookup(row, self.source)


@dataclass
class AqlQuery:
    """A parsed AQL search: columns (None for ``*``), table, predicate, limit, time frame."""

    text: str
    columns: list[Column] | None
    table: str
    where: Predicate
    limit: int | None
    start: datetime | None
    stop: datetime | None
    last: timedelta | None
    functions: list[str] = field(default_factory=list)

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """The [start, stop) interval the search covers."""
        if self.last is not None:
            return now - self.last, now
        if self.start is not None:
            return self.start, self.stop or now
        return now - DEFAULT_WINDOW, now

    def run(self, rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
        """The result rows, in the order of ``rows``."""
        low, high = self.window(now)
        low_ms, high_ms = low.timestamp() * 1000, high.timestamp() * 1000
        out: list[dict[str, Any]] = []
        for row in rows:
            when = row.get("starttime")
            if not isinstance(when, int | float) or not low_ms <= when < high_ms:
                continue
            if not self.where(row):
                continue
            out.append(self.project(row))
            if self.limit is not None and len(out) >= self.limit:
                break
        return out

    def project(self, row: Row) -> dict[str, Any]:
        if self.columns is None:
            return {k: v for k, v in row.items() if not k.startswith("_")}
        return {c.key: c.value(row) for c in self.columns}


def parse_aql(text: str) -> AqlQuery:
    """Parse the AQL subset above; :class:`QueryError` names what is not understood."""
    cursor = _Cursor(tokenize(text))
    cursor.expect_word("SELECT")
    columns = _select_list(cursor)
    cursor.expect_word("FROM")
    table = cursor.take()
    if table.kind not in ("word", "name") or table.text.lower() not in TABLES:
        raise QueryError(f"unknown table {table.text!r}: use events or flows")
    where: Predicate = lambda row: True  # noqa: E731
    if cursor.accept_word("WHERE"):
        where = _aql_or(cursor)
    limit: int | None = None
    start = stop = None
    last: timedelta | None = None
    while not cursor.done():
        if cursor.accept_word("LIMIT"):
            limit = int(_number(cursor.take()))
        elif cursor.accept_word("START"):
            start = _time(cursor.take())
            if cursor.accept_word("STOP"):
                stop = _time(cursor.take())
        elif cursor.accept_word("LAST"):
            amount = _number(cursor.take())
            unit = cursor.take().text.upper()
            if unit not in UNITS:
                raise QueryError(f"LAST needs MINUTES, HOURS or DAYS, not {unit!r}")
            last = timedelta(seconds=amount * UNITS[unit])
        else:
            token = cursor.take()
            raise QueryError(f"the sandbox does not support {token.text!r} here")
    if start is not None and stop is not None and stop < start:
        raise QueryError("STOP is before START")
    return AqlQuery(text, columns, table.text.lower(), where, limit, start, stop, last)


def _number(token: Token) -> float:
    if token.kind != "number":
        raise QueryError(f"expected a number, found {token.text!r}")
    return float(token.text)


def _time(token: Token) -> datetime:
    if token.kind == "number":
        return datetime.fromtimestamp(float(token.text) / 1000, tz=UTC)
    if token.kind != "string":
        raise QueryError(f"expected a time, found {token.text!r}")
    value = token.text.strip().removesuffix("Z").removesuffix("z").strip()
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise QueryError(f"{token.text!r} is not a time AQL understands (yyyy-MM-dd HH:mm[:ss])")


def _select_list(cursor: _Cursor) -> list[Column] | None:
    if cursor.accept_punct("*"):
        return None
    columns = [_select_item(cursor)]
    while cursor.accept_punct(","):
        columns.append(_select_item(cursor))
    return columns


def _select_item(cursor: _Cursor) -> Column:
    token = cursor.take()
    if token.kind not in ("word", "name"):
        raise QueryError(f"expected a column, found {token.text!r}")
    if token.kind == "word" and cursor.accept_punct("("):
        function = FUNCTIONS.get(token.text.upper())
        if function is None:
            raise QueryError(f"the sandbox does not know the function {token.text}()")
        arg = cursor.take()
        if not cursor.accept_punct(")"):
            raise QueryError(f"missing ) after {token.text}(")
        column = Column(arg.text, f"{token.text.lower()}_{arg.text}", function)
    else:
        column = Column(token.text, token.text)
    if cursor.accept_word("AS"):
        alias = cursor.take()
        if alias.kind not in ("word", "name", "string"):
            raise QueryError(f"expected an alias after AS, found {alias.text!r}")
        column.key = alias.text
    return column


def _aql_or(cursor: _Cursor) -> Predicate:
    parts = [_aql_and(cursor)]
    while cursor.accept_word("OR"):
        parts.append(_aql_and(cursor))
    return parts[0] if len(parts) == 1 else lambda row: any(p(row) for p in parts)


def _aql_and(cursor: _Cursor) -> Predicate:
    parts = [_aql_not(cursor)]
    while cursor.accept_word("AND"):
        parts.append(_aql_not(cursor))
    return parts[0] if len(parts) == 1 else lambda row: all(p(row) for p in parts)


def _aql_not(cursor: _Cursor) -> Predicate:
    if cursor.accept_word("NOT"):
        inner = _aql_not(cursor)
        return lambda row: not inner(row)
    if cursor.accept_punct("("):
        inner = _aql_or(cursor)
        if not cursor.accept_punct(")"):
            raise QueryError("missing )")
        return inner
    return _aql_comparison(cursor)


def _operand(cursor: _Cursor) -> Callable[[Row], Any]:
    token = cursor.take()
    if token.kind == "string":
        text = token.text
        return lambda row: text
    if token.kind == "number":
        number = float(token.text)
        return lambda row: number
    if token.kind == "word" and cursor.accept_punct("("):
        function = FUNCTIONS.get(token.text.upper())
        if function is None:
            raise QueryError(f"the sandbox does not know the function {token.text}()")
        arg = cursor.take()
        if not cursor.accept_punct(")"):
            raise QueryError(f"missing ) after {token.text}(")
        column = Column(arg.text, arg.text, function)
        return column.value
    if token.kind in ("word", "name"):
        name = token.text
        return lambda row: _lookup(row, name)
    raise QueryError(f"unexpected {token.text!r} in WHERE")


def _aql_comparison(cursor: _Cursor) -> Predicate:
    left = _operand(cursor)
    if cursor.accept_word("IS"):
        negate = cursor.accept_word("NOT")
        cursor.expect_word("NULL")
        return lambda row: (left(row) is None) != negate
    negate = cursor.accept_word("NOT")
    for word, ignore_case in (("LIKE", False), ("ILIKE", True)):
        if cursor.accept_word(word):
            pattern = cursor.take()
            if pattern.kind != "string":
                raise QueryError(f"{word} needs a quoted pattern")
            regex = like(pattern.text, ignore_case=ignore_case)

            def matches(row: Row, regex: re.Pattern[str] = regex) -> bool:
                value = left(row)
                return value is not None and regex.fullmatch(str(value)) is not None

            return (lambda row: not matches(row)) if negate else matches
    if negate:
        raise QueryError("NOT must precede LIKE, ILIKE or a condition")
    op = cursor.take()
    if op.kind != "op":
        raise QueryError(f"expected an operator, found {op.text!r}")
    right = _operand(cursor)
    operator = op.text
    return lambda row: _compare(left(row), operator, right(row))
