"""The sandbox's small implementations of Sumo Logic's two query languages.

* :func:`compile_search`: the subset of the search query language that
  :meth:`SumoLogic.translate` writes, and a little more for hand-written native queries:
  a keyword scope (``_sourceCategory=aria/*``, ``"quoted phrase"``, ``keyword``, ``*``,
  ``NOT``/``AND``), then ``| json auto``, ``| where`` with ``=``, ``!=``, ``<``, ``>``,
  ``matches "wild*card"``, ``contains(f, "x")`` joined by ``and``, and ``| count [by f, g]``.
  Field names are case-insensitive, as in Sumo; ``%"odd name"`` quotes a field.
* :func:`compile_dsl`: Cloud SIEM's list filter (``q``): space-separated
  ``field:"value"``, ``field:>=2025-06-01T00:00:00+00:00``, ``field:in("a", "b")``,
  ``field:contains("x")``, ``field:a..b`` and ``-field:...`` (negation).

Anything else raises :class:`QueryError`, which the sandbox answers with Sumo's 400.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aria.sdk.cursors import to_datetime
from aria.sdk.errors import FatalError

Message = dict[str, Any]
Predicate = Callable[[Message], bool]
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


class QueryError(ValueError):
    """The query is outside what the sandbox (or Sumo) can parse."""


# --- shared lexing ----------------------------------------------------------------------------


def _read_string(text: str, start: int) -> tuple[str, int]:
    """The string literal opening at ``text[start]`` (a ``"``), unescaped, and where it ends."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        if char == '"':
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise QueryError("unterminated string literal")


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            _, end = _read_string(text, i)
            current.append(text[i:end])
            i = end
            continue
        if char == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def wildcard(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    """A ``*`` wildcard pattern as an anchored regex (everything else literal)."""
    body = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.compile(rf"\A{body}\Z", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


# --- the search query language -------------------------------------------------------------


@dataclass
class Token:
    kind: str  # STR, NUM, IDENT, FIELD, OP, LP, RP, COMMA
    value: str


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<OP>!=|==|<>|<=|>=|=|<|>|!)
      | (?P<LP>\() | (?P<RP>\)) | (?P<COMMA>,)
      | (?P<NUM>-?\d+(?:\.\d+)?(?![\w.*/:-]))
      | (?P<IDENT>[A-Za-z0-9_.*/:@-]+)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        if text[i] == '"':
            value, i = _read_string(text, i)
            out.append(Token("STR", value))
            continue
        if text.startswith('%"', i):
            value, i = _read_string(text, i + 1)
            out.append(Token("FIELD", value.lower()))
            continue
        match = _TOKEN.match(text, i)
        if not match or match.end() == i:
            raise QueryError(f"unexpected character {text[i]!r} at {i}")
        kind = match.lastgroup or ""
        out.append(Token(kind, match.group(kind)))
        i = match.end()
    return out


@dataclass
class Search:
    """A compiled search: which messages match, and the aggregate (if any)."""

    scope: Predicate
    stages: list[Callable[[Message], Message | None]] = field(default_factory=list)
    count_by: list[str] | None = None

    def run(self, messages: list[Message]) -> list[Message]:
        """The matching messages, each with the fields the stages extracted."""
        out = []
        for message in messages:
            if not self.scope(message):
                continue
            current: Message | None = dict(message)
            for stage in self.stages:
                current = stage(current) if current is not None else None
            if current is not None:
                out.append(current)
        return out

    def aggregate(self, matched: list[Message]) -> list[Message] | None:
        """``count [by ...]`` records (every value a string, as Sumo sends), else None."""
        if self.count_by is None:
            return None
        groups: dict[tuple[str, ...], int] = {}
        for message in matched:
            key = tuple(str(message.get(f, "")) for f in self.count_by)
            groups[key] = groups.get(key, 0) + 1
        rows = [
            {**dict(zip(self.count_by, key, strict=True)), "_count": str(count)}
            for key, count in groups.items()
        ]
        return sorted(rows, key=lambda r: (-int(r["_count"]), [r[f] for f in self.count_by]))


def compile_search(query: str) -> Search:
    """Compile a native search query; :class:`QueryError` for what the sandbox cannot run."""
    if not query or not query.strip():
        raise QueryError("no query")
    scope_text, *stage_texts = _split_outside_quotes(query, "|")
    search = Search(scope=_scope(_tokens(scope_text)))
    for text in stage_texts:
        tokens = _tokens(text)
        if not tokens:
            raise QueryError("empty operator between pipes")
        head = tokens[0].value.lower()
        if head == "json" and [t.value.lower() for t in tokens[1:]] == ["auto"]:
            search.stages.append(_json_auto)
        elif head == "where" and search.count_by is None:
            search.stages.append(_filter(_condition(tokens[1:])))
        elif head == "count" and search.count_by is None:
            search.count_by = _count_by(tokens[1:])
        else:
            raise QueryError(f"unsupported operator {text.strip()[:40]!r}")
    return search


def _scope(tokens: list[Token]) -> Predicate:
    predicates: list[Predicate] = []
    negate = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        word = token.value.upper() if token.kind == "IDENT" else ""
        if word == "AND":
            i += 1
            continue
        if word == "NOT" or (token.kind == "OP" and token.value == "!"):
            negate = not negate
            i += 1
            continue
        if word in ("OR", "(", ")") or token.kind in ("LP", "RP", "COMMA"):
            raise QueryError("the sandbox supports AND and NOT in keyword expressions only")
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.kind in ("IDENT", "FIELD") and nxt and nxt.kind == "OP" and nxt.value == "=":
            if i + 2 >= len(tokens) or tokens[i + 2].kind not in ("IDENT", "STR", "NUM"):
                raise QueryError(f"{token.value}= needs a value")
            predicate = _metadata(token.value.lower(), tokens[i + 2].value)
            i += 3
        elif token.kind in ("IDENT", "STR", "NUM"):
            predicate = _keyword(token.value)
            i += 1
        else:
            raise QueryError(f"unexpected {token.value!r} in the keyword expression")
        predicates.append(_not(predicate) if negate else predicate)
        negate = False
    return lambda m: all(p(m) for p in predicates)


def _not(predicate: Predicate) -> Predicate:
    return lambda m: not predicate(m)


def _metadata(name: str, value: str) -> Predicate:
    pattern = wildcard(value, ignore_case=True)
    return lambda m: m.get(name) is not None and bool(pattern.match(str(m[name])))


def _keyword(value: str) -> Predicate:
    if value == "*":
        return lambda m: True
    pattern = re.compile(
        ".*".join(re.escape(p) for p in value.split("*")), re.IGNORECASE | re.DOTALL
    )
    return lambda m: bool(pattern.search(str(m.get("_raw", ""))))


def _json_auto(message: Message) -> Message:
    """Sumo's ``json auto``: top-level keys of a JSON ``_raw`` become (lower-case) fields."""
    try:
        document = json.loads(str(message.get("_raw", "")))
    except ValueError:
        return message
    if not isinstance(document, dict):
        return message
    for key, value in document.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, dict | list):
            text = json.dumps(value)
        else:
            text = "" if value is None else str(value)
        message.setdefault(str(key).lower(), text)
    return message


def _filter(predicate: Predicate) -> Callable[[Message], Message | None]:
    return lambda m: m if predicate(m) else None


def _count_by(tokens: list[Token]) -> list[str]:
    if not tokens:
        return []
    if tokens[0].value.lower() != "by" or len(tokens) < 2:
        raise QueryError("count takes 'by field, ...'")
    names = [t for t in tokens[1:] if t.kind != "COMMA"]
    if any(t.kind not in ("IDENT", "FIELD") for t in names):
        raise QueryError("count by takes field names")
    return [t.value.lower() for t in names]


def _condition(tokens: list[Token]) -> Predicate:
    parts: list[list[Token]] = [[]]
    for token in tokens:
        if token.kind == "IDENT" and token.value.lower() == "and":
            parts.append([])
        elif token.kind == "IDENT" and token.value.lower() == "or":
            raise QueryError("the sandbox supports 'and' in where clauses only")
        else:
            parts[-1].append(token)
    predicates = [_comparison(p) for p in parts]
    return lambda m: all(p(m) for p in predicates)


def _field_name(token: Token) -> str:
    if token.kind not in ("IDENT", "FIELD") or "*" in token.value:
        raise QueryError(f"expected a field name, got {token.value!r}")
    return token.value.lower()


def _comparison(tokens: list[Token]) -> Predicate:
    negate = False
    if tokens and tokens[0].kind == "OP" and tokens[0].value == "!":
        negate, tokens = True, tokens[1:]
    if len(tokens) == 6 and tokens[0].value.lower() == "contains" and tokens[1].kind == "LP":
        name = _field_name(tokens[2])
        if tokens[3].kind != "COMMA" or tokens[4].kind != "STR" or tokens[5].kind != "RP":
            raise QueryError('contains takes (field, "text")')
        needle = tokens[4].value
        predicate: Predicate = lambda m: m.get(name) is not None and needle in str(m[name])  # noqa: E731
    elif len(tokens) == 3 and tokens[1].value.lower() == "matches" and tokens[2].kind == "STR":
        name = _field_name(tokens[0])
        pattern = wildcard(tokens[2].value, ignore_case=False)
        predicate = lambda m: m.get(name) is not None and bool(pattern.match(str(m[name])))  # noqa: E731
    elif len(tokens) == 3 and tokens[1].kind == "OP" and tokens[2].kind in ("STR", "NUM"):
        predicate = _compare(_field_name(tokens[0]), tokens[1].value, tokens[2])
    else:
        raise QueryError('where takes field = "value", field matches "pattern" or contains()')
    return _not(predicate) if negate else predicate


def _compare(name: str, op: str, literal: Token) -> Predicate:
    def check(message: Message) -> bool:
        if message.get(name) is None:
            return False
        left: Any = str(message[name])
        right: Any = literal.value
        if op in ("<", ">", "<=", ">=") or literal.kind == "NUM":
            try:
                left, right = float(left), float(right)
            except ValueError:
                if op not in ("=", "==", "!=", "<>"):
                    return False
                left, right = str(message[name]), literal.value
        if op in ("=", "=="):
            return bool(left == right)
        if op in ("!=", "<>"):
            return bool(left != right)
        return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op]

    if op == "!":
        raise QueryError("! needs a condition")
    return check


# --- Cloud SIEM's list DSL -----------------------------------------------------------------


def _clauses(text: str) -> Iterator[str]:
    current: list[str] = []
    depth = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            _, end = _read_string(text, i)
            current.append(text[i:end])
            i = end
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char.isspace() and depth == 0:
            if current:
                yield "".join(current)
            current = []
        else:
            current.append(char)
        i += 1
    if depth:
        raise QueryError("unbalanced parentheses")
    if current:
        yield "".join(current)


def _atoms(text: str) -> list[str]:
    atoms: list[str] = []
    for part in _split_outside_quotes(text, ","):
        part = part.strip()
        if part.startswith('"'):
            value, end = _read_string(part, 0)
            if part[end:].strip():
                raise QueryError(f"unexpected text after {part[:end]!r}")
            atoms.append(value)
        elif part:
            atoms.append(part)
    return atoms


def _resolve(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if isinstance(value, dict) and "name" in value:
        return value["name"]  # status: {"name": "new", "displayName": "New"}
    if isinstance(value, dict) and "address" in value:
        return value["address"]  # entity.ip: {"address": "10.0.0.1"}
    return value


def _as_comparable(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value)
    try:
        return float(text)
    except ValueError:
        pass
    if re.match(r"\d{4}-\d{2}-\d{2}", text):
        try:
            moment = to_datetime(text)
        except FatalError:
            moment = None
        if isinstance(moment, datetime):
            return moment
    return text.lower()


def _ordered(left: Any, right: Any, op: str) -> bool:
    a, b = _as_comparable(left), _as_comparable(right)
    if type(a) is not type(b):
        return False
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]


def compile_dsl(q: str | None, fields: set[str]) -> Predicate:
    """Compile a Cloud SIEM ``q``; ``fields`` are the dotted names the collection accepts."""
    predicates: list[Predicate] = []
    for clause in _clauses(q or ""):
        negate = clause.startswith(("-", "!"))
        body = clause[1:] if negate else clause
        name, sep, expr = body.partition(":")
        if not sep or not name:
            raise QueryError(f"expected field:value, got {clause[:60]!r}")
        if name not in fields:
            raise QueryError(f"unknown field {name!r}")
        predicate = _dsl_clause(name, expr)
        predicates.append(_not(predicate) if negate else predicate)
    return lambda record: all(p(record) for p in predicates)


def _dsl_clause(name: str, expr: str) -> Predicate:
    if name in ("tag", "tags"):
        return _tag_clause(expr)
    for op in (">=", "<=", ">", "<"):
        if expr.startswith(op):
            bound = _atoms(expr[len(op) :])
            if len(bound) != 1:
                raise QueryError(f"{name}:{op} takes one value")
            return lambda r, op=op, b=bound[0]: (
                _resolve(r, name) is not None and _ordered(_resolve(r, name), b, op)
            )
    lowered = expr.lower()
    if lowered.startswith("in(") and expr.endswith(")"):
        options = {str(_as_comparable(a)) for a in _atoms(expr[3:-1])}
        return lambda r: str(_as_comparable(_resolve(r, name))) in options
    if lowered.startswith("contains(") and expr.endswith(")"):
        needles = _atoms(expr[len("contains(") : -1])
        if len(needles) != 1:
            raise QueryError("contains() takes one value")
        needle = needles[0].lower()
        return lambda r: needle in str(_resolve(r, name) or "").lower()
    if ".." in expr and not expr.startswith('"'):
        low, _, high = expr.partition("..")
        return lambda r: (
            _resolve(r, name) is not None
            and (_ordered(_resolve(r, name), low, ">=") and _ordered(_resolve(r, name), high, "<="))
        )
    values = _atoms(expr)
    if len(values) != 1:
        raise QueryError(f"{name}: takes one value")
    wanted = _as_comparable(values[0])
    return lambda r: _as_comparable(_resolve(r, name)) == wanted


def _tag_clause(expr: str) -> Predicate:
    if expr.lower().startswith("in(") and expr.endswith(")"):
        wanted = {a.lower() for a in _atoms(expr[3:-1])}
    else:
        wanted = {a.lower() for a in _atoms(expr)}
    return lambda r: bool(wanted & {str(t).lower() for t in r.get("tags") or []})
