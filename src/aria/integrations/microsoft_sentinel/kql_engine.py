"""The sandbox's KQL: enough of the Kusto Query Language to answer what ARIA sends.

Supported: a table reference (``Name`` or ``['name']``) followed by ``| where``, ``| take`` /
``| limit``, ``| sort by`` / ``| order by``, ``| project`` and ``| count``; or ``print x = expr``.
Expressions: column names, ``column_ifexists("name", default)``, ``tostring()``, ``tolower()``,
``now()``, string literals (double, single and ``@`` verbatim), numbers, ``true``/``false``,
typed literals (``datetime(...)``, ``real(...)``, ``bool(...)``, ``guid(...)``, ``long(...)``,
``int(...)`` including ``(null)``), comparisons ``== != =~ !~ < <= > >=``, ``contains``,
``!contains``, ``has``, ``!has``, ``startswith``, ``endswith``, ``between (a .. b)``, and
``and`` / ``or`` / ``not()`` with parentheses. As in Kusto, naming a column the table lacks is
a semantic error (hence ``column_ifexists``), ``null`` never compares equal, ``contains``
ignores case and ``==`` does not. Anything else is a syntax error the API answers with 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aria.sdk.cursors import to_datetime
from aria.sdk.errors import FatalError


class KqlError(ValueError):
    """A query the service rejects: ``kind`` is ``SyntaxError`` or ``SemanticError``."""

    def __init__(self, kind: str, code: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code


def _syntax(message: str) -> KqlError:
    return KqlError("SyntaxError", "SYN0002", message)


def _semantic(message: str) -> KqlError:
    return KqlError("SemanticError", "SEM0100", message)


@dataclass
class Table:
    """A Log Analytics table: column types in order, and rows of Python values."""

    name: str
    columns: dict[str, str] = field(default_factory=dict)  # name -> Kusto type
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, row: dict[str, Any], types: dict[str, str]) -> None:
        """Append a row, adding any new columns to the schema."""
        for name, kind in types.items():
            self.columns.setdefault(name, kind)
        self.rows.append(row)


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<comment>//[^\n]*) |
        (?P<verbatim>@"(?:[^"]|"")*"|@'(?:[^']|'')*') |
        (?P<string>"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*') |
        (?P<bracket>\[\s*(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*\]) |
        (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?) |
        (?P<op>==|!=|=~|!~|<=|>=|\.\.|[<>|(),=]|!contains\b|!has\b|!between\b) |
        (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_TYPED = {"datetime", "real", "double", "bool", "boolean", "guid", "long", "int", "timespan"}
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "'": "'"}
Token = tuple[str, str]


def _unquote(text: str) -> str:
    body = text[1:-1]
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(_UNESCAPE.get(body[i + 1], body[i + 1]))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    """Kusto tokens; typed literals such as ``datetime(2025-06-02)`` come back whole."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise _syntax(f"Query could not be parsed at '{text[pos : pos + 10].strip()}'")
        pos = match.end()
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "comment":
            continue
        if kind == "verbatim":
            quote = value[1]
            tokens.append(("string", value[2:-1].replace(quote * 2, quote)))
        elif kind == "string":
            tokens.append(("string", _unquote(value)))
        elif kind == "bracket":
            tokens.append(("word", _unquote(value[1:-1].strip())))
        elif kind == "word" and value.lower() in _TYPED:
            rest = re.match(r"\s*\(([^()]*)\)", text[pos:])
            if rest:
                tokens.append(("typed", f"{value.lower()}:{rest.group(1).strip()}"))
                pos += rest.end()
            else:
                tokens.append(("word", value))
        else:
            tokens.append((kind, value))
    return tokens


# --- values ----------------------------------------------------------------------------------


def to_string(value: Any) -> str:
    """Kusto's ``tostring``: null is empty, reals drop a ``.0``, date-times print ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return iso(value)
    return str(value)


def iso(moment: datetime) -> str:
    """How the query API prints a date-time: ``2025-06-02T12:00:00Z`` (fractions kept)."""
    utc = moment.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def _typed(spec: str) -> Any:
    kind, _, raw = spec.partition(":")
    if raw.lower() == "null":
        return None
    try:
        if kind == "datetime":
            moment = to_datetime(raw)
            if moment is None:
                raise ValueError(raw)
            return moment
        if kind in ("real", "double"):
            return float(raw)
        if kind in ("long", "int"):
            return int(raw)
        if kind in ("bool", "boolean"):
            if raw.lower() not in ("true", "false"):
                raise ValueError(raw)
            return raw.lower() == "true"
        if kind == "guid":
            if not re.fullmatch(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", raw):
                raise ValueError(raw)
            return raw.lower()
    except (ValueError, FatalError):
        raise _syntax(f"Invalid {kind} literal: '{raw}'") from None
    raise _syntax(f"Unsupported literal {kind}({raw})")


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    if _numeric(left) and _numeric(right):
        return bool(float(left) == float(right))
    if type(left) is not type(right):
        return False
    return bool(left == right)


def _order(left: Any, right: Any) -> int | None:
    if left is None or right is None:
        return None
    if _numeric(left) and _numeric(right):
        a, b = float(left), float(right)
    elif isinstance(left, datetime) and isinstance(right, datetime):
        a, b = left.timestamp(), right.timestamp()  # type: ignore[assignment]
    elif isinstance(left, str) and isinstance(right, str):
        return (left > right) - (left < right)
    else:
        return None
    return (a > b) - (a < b)


def _has(text: str, term: str) -> bool:
    pattern = r"(?<![A-Za-z0-9])" + re.escape(term) + r"(?![A-Za-z0-9])"
    return re.search(pattern, text, re.IGNORECASE) is not None


_STRING_OPS: dict[str, Callable[[str, str], bool]] = {
    "contains": lambda a, b: b.lower() in a.lower(),
    "!contains": lambda a, b: b.lower() not in a.lower(),
    "has": _has,
    "!has": lambda a, b: not _has(a, b),
    "startswith": lambda a, b: a.lower().startswith(b.lower()),
    "endswith": lambda a, b: a.lower().endswith(b.lower()),
    "=~": lambda a, b: a.lower() == b.lower(),
    "!~": lambda a, b: a.lower() != b.lower(),
}
_COMPARE = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}

Row = dict[str, Any]
Expr = Callable[[Row], Any]


# --- parser ----------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[Token], columns: dict[str, str], now: datetime) -> None:
        self.tokens, self.pos, self.columns, self.now = tokens, 0, columns, now

    def peek(self, offset: int = 0) -> Token | None:
        at = self.pos + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise _syntax("Query could not be parsed: unexpected end of query")
        self.pos += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token[1].lower() != text:
            raise _syntax(f"Query could not be parsed at '{token[1]}': expected '{text}'")

    def at(self, *texts: str) -> bool:
        token = self.peek()
        return token is not None and token[0] in ("op", "word") and token[1].lower() in texts

    # expression := conjunction ('or' conjunction)*
    def expression(self) -> Expr:
        left = self.conjunction()
        while self.at("or"):
            self.take()
            right, first = self.conjunction(), left
            left = lambda r, a=first, b=right: bool(a(r)) or bool(b(r))  # noqa: E731
        return left

    def conjunction(self) -> Expr:
        left = self.comparison()
        while self.at("and"):
            self.take()
            right, first = self.comparison(), left
            left = lambda r, a=first, b=right: bool(a(r)) and bool(b(r))  # noqa: E731
        return left

    def comparison(self) -> Expr:
        left = self.operand()
        token = self.peek()
        if token is None or token[0] not in ("op", "word"):
            return left
        op = token[1].lower()
        if op in ("==", "!="):
            self.take()
            right = self.operand()
            if op == "==":
                return lambda r: _equal(left(r), right(r))
            return lambda r: (
                left(r) is not None and right(r) is not None and not _equal(left(r), right(r))
            )
        if op in _COMPARE:
            self.take()
            right = self.operand()
            test = _COMPARE[op]

            def ordered(r: Row) -> bool:
                cmp = _order(left(r), right(r))
                return cmp is not None and test(cmp)

            return ordered
        if op in _STRING_OPS:
            self.take()
            right = self.operand()
            fn = _STRING_OPS[op]
            return lambda r: fn(to_string(left(r)), to_string(right(r)))
        if op in ("between", "!between"):
            self.take()
            self.expect("(")
            low = self.operand()
            self.expect("..")
            high = self.operand()
            self.expect(")")

            def inside(r: Row) -> bool:
                value = left(r)
                a, b = _order(value, low(r)), _order(value, high(r))
                found = a is not None and b is not None and a >= 0 and b <= 0
                return found if op == "between" else (a is not None and b is not None and not found)

            return inside
        return left

    def operand(self) -> Expr:
        kind, text = self.take()
        if kind == "string":
            return lambda r, v=text: v
        if kind == "number":
            number: Any = float(text) if any(c in text for c in ".eE") else int(text)
            return lambda r, v=number: v
        if kind == "typed":
            value = _typed(text)
            return lambda r, v=value: v
        if kind == "op" and text == "(":
            inner = self.expression()
            self.expect(")")
            return inner
        if kind != "word":
            raise _syntax(f"Query could not be parsed at '{text}'")
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lambda r, v=(lowered == "true"): v
        if self.at("(") and lowered in _FUNCTIONS:
            return self.call(lowered)
        if self.at("("):
            raise _semantic(f"Unknown function: '{text}'")
        if text not in self.columns:
            raise _semantic(f"'where' operator: Failed to resolve scalar expression named '{text}'")
        return lambda r, name=text: r.get(name)

    def call(self, name: str) -> Expr:
        self.expect("(")
        if name == "column_ifexists":
            kind, column = self.take()
            if kind != "string":
                raise _syntax("column_ifexists() expects a column name string")
            self.expect(",")
            default = self.operand()
            self.expect(")")
            if column in self.columns:
                return lambda r, c=column: r.get(c)
            return default
        if name == "now":
            self.expect(")")
            return lambda r, v=self.now: v
        if name == "not":
            inner = self.expression()
            self.expect(")")
            return lambda r: not bool(inner(r))
        argument = self.expression()
        self.expect(")")
        if name == "tostring":
            return lambda r: to_string(argument(r))
        if name == "tolower":
            return lambda r: to_string(argument(r)).lower()
        if name == "isnotempty":
            return lambda r: to_string(argument(r)) != ""
        if name == "isempty":
            return lambda r: to_string(argument(r)) == ""
        raise _semantic(f"Unknown function: '{name}'")  # pragma: no cover - guarded above


_FUNCTIONS = {"column_ifexists", "tostring", "tolower", "now", "not", "isnotempty", "isempty"}


@dataclass
class Result:
    """One result table: ordered ``(name, type)`` columns and rows as dicts."""

    name: str
    columns: list[tuple[str, str]]
    rows: list[Row]

    def body(self) -> dict[str, Any]:
        """The ``tables[]`` entry of the query API's response."""
        return {
            "name": "PrimaryResult",
            "columns": [{"name": n, "type": t} for n, t in self.columns],
            "rows": [[_wire(row.get(n)) for n, _ in self.columns] for row in self.rows],
        }


def _wire(value: Any) -> Any:
    return iso(value) if isinstance(value, datetime) else value


def run(
    query: str,
    tables: dict[str, Table],
    *,
    now: datetime,
    window: tuple[datetime, datetime] | None = None,
    max_rows: int = 500_000,
) -> Result:
    """Evaluate ``query``; ``window`` is the request's ``timespan`` (on ``TimeGenerated``)."""
    tokens = tokenize(query)
    if not tokens:
        raise _syntax("Query could not be parsed: the query is empty")
    if tokens[0][0] == "word" and tokens[0][1] == "print":
        return _print(tokens[1:], now)
    kind, name = tokens[0]
    if kind != "word":
        raise _syntax(f"Query could not be parsed at '{name}'")
    table = tables.get(name)
    if table is None:
        raise _semantic(f"'{name}' could not be resolved: table or column expression not found")
    columns = dict(table.columns)
    rows = list(table.rows)
    if window is not None and "TimeGenerated" in columns:
        low, high = window
        rows = [r for r in rows if r.get("TimeGenerated") and low <= r["TimeGenerated"] <= high]
    parser = _Parser(tokens, columns, now)
    parser.pos = 1
    order = list(columns)
    while parser.peek() is not None:
        parser.expect("|")
        op = parser.take()[1].lower()
        if op == "where":
            predicate = parser.expression()
            rows = [r for r in rows if predicate(r)]
        elif op in ("take", "limit"):
            kind, count = parser.take()
            if kind != "number" or "." in count:
                raise _syntax(f"'{op}' expects a whole number of rows")
            rows = rows[: int(count)]
        elif op in ("sort", "order"):
            parser.expect("by")
            rows = _sort(parser, rows)
        elif op == "project":
            order = _project(parser)
            columns = {n: columns[n] for n in order}
            parser.columns = columns
        elif op == "count":
            return Result(table.name, [("Count", "long")], [{"Count": len(rows)}])
        else:
            raise _syntax(f"Query could not be parsed at '{op}': unsupported operator")
    return Result(table.name, [(n, columns[n]) for n in order], rows[:max_rows])


def _sort(parser: _Parser, rows: list[Row]) -> list[Row]:
    keys: list[tuple[str, bool]] = []
    while True:
        kind, column = parser.take()
        if kind != "word" or column not in parser.columns:
            raise _semantic(f"'sort' operator: Failed to resolve column '{column}'")
        descending = True  # Kusto sorts descending unless told otherwise
        if parser.at("asc", "desc"):
            descending = parser.take()[1].lower() == "desc"
        keys.append((column, descending))
        if not parser.at(","):
            break
        parser.take()
    for column, descending in reversed(keys):
        present = [r for r in rows if r.get(column) is not None]
        missing = [r for r in rows if r.get(column) is None]
        present.sort(key=lambda r, c=column: _sort_key(r[c]), reverse=descending)
        rows = present + missing if descending else missing + present
    return rows


def _sort_key(value: Any) -> Any:
    if isinstance(value, datetime):
        return (1, value.timestamp(), "")
    if _numeric(value):
        return (1, float(value), "")
    return (2, 0.0, to_string(value))


def _project(parser: _Parser) -> list[str]:
    names: list[str] = []
    while True:
        kind, column = parser.take()
        if kind != "word" or column not in parser.columns:
            raise _semantic(f"'project' operator: Failed to resolve column '{column}'")
        names.append(column)
        if not parser.at(","):
            return names
        parser.take()


def _print(tokens: list[Token], now: datetime) -> Result:
    parser = _Parser(tokens, {}, now)
    row: Row = {}
    columns: list[tuple[str, str]] = []
    index = 0
    while parser.peek() is not None:
        name = f"print_{index}"
        if parser.peek(1) == ("op", "=") and (parser.peek() or ("", ""))[0] == "word":
            name = parser.take()[1]
            parser.take()
        value = parser.expression()(row)
        row[name] = value
        columns.append((name, kusto_type(value)))
        index += 1
        if parser.peek() is not None:
            parser.expect(",")
    return Result("PrimaryResult", columns, [row])


def kusto_type(value: Any) -> str:
    """The Kusto type name of a Python value."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "real"
    if isinstance(value, datetime):
        return "datetime"
    return "string"


__all__ = ["KqlError", "Result", "Table", "iso", "kusto_type", "run", "to_string", "tokenize"]
