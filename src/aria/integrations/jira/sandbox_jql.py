"""The sandbox's small JQL engine: enough of Jira's query language to answer ARIA honestly.

Supported: clauses joined with ``AND`` / ``OR`` / ``NOT`` and parentheses; operators ``=``,
``!=``, ``>``, ``>=``, ``<``, ``<=``, ``~``, ``!~``, ``IN``, ``NOT IN``, ``IS [NOT] EMPTY``;
fields ``project``, ``key``/``issuekey``, ``id``, ``labels``, ``status``, ``statusCategory``,
``priority``, ``issuetype``/``type``, ``assignee``, ``summary``, ``text``, ``created``,
``updated``; dates ``"yyyy/MM/dd HH:mm"``, ``"yyyy-MM-dd"`` (read in the searching user's
zone, as Jira does) or relative ``-5m`` / ``-2h`` / ``-1d`` / ``-1w``; ``ORDER BY`` with
``ASC``/``DESC``. Anything else is a 400 in Jira's words, as is an unbounded query.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from aria.sdk.cursors import to_datetime

Issue = dict[str, Any]
Predicate = Callable[[Issue], bool]

TOKEN = re.compile(
    r"""\s*(?:
        (?P<lp>\() | (?P<rp>\)) | (?P<comma>,)
      | (?P<op>!=|>=|<=|!~|=|>|<|~)
      | "(?P<dq>(?:[^"\\]|\\.)*)"
      | '(?P<sq>(?:[^'\\]|\\.)*)'
      | (?P<word>[^\s()=!<>~,"']+)
    )""",
    re.VERBOSE,
)
KEYWORDS = {"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"}
FIELDS = {
    "project",
    "key",
    "issuekey",
    "id",
    "labels",
    "status",
    "statuscategory",
    "priority",
    "issuetype",
    "type",
    "assignee",
    "summary",
    "text",
    "created",
    "updated",
}
ORDERABLE = {"updated", "created", "key", "issuekey", "id", "priority", "status", "summary"}
DATE_FORMATS = (
    ("%Y/%m/%d %H:%M", timedelta(minutes=1)),
    ("%Y-%m-%d %H:%M", timedelta(minutes=1)),
    ("%Y/%m/%d", timedelta(days=1)),
    ("%Y-%m-%d", timedelta(days=1)),
)
RELATIVE = re.compile(r"^([+-]?)(\d+)([mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)


class JqlError(ValueError):
    """A query Jira would refuse (its message, for ``errorMessages``)."""


@dataclass(frozen=True)
class Token:
    kind: str  # lp, rp, comma, op, str, word
    text: str

    def is_kw(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


@dataclass(frozen=True)
class Query:
    """A compiled query: which issues match, and in what order."""

    predicate: Predicate
    order: list[tuple[str, bool]]  # (field, descending)

    def run(self, issues: list[Issue]) -> list[Issue]:
        chosen = [issue for issue in issues if self.predicate(issue)]
        chosen.sort(key=lambda i: int(i["id"]))  # stable tie-break: issue id
        for field, descending in reversed(self.order):
            chosen.sort(key=lambda i, f=field: _sort_key(i, f), reverse=descending)
        return chosen


def compile_jql(text: str | None, *, zone: tzinfo = UTC, now: datetime | None = None) -> Query:
    """Compile ``text``; raises :class:`JqlError` for what Jira would refuse."""
    tokens = tokenize(text or "")
    parser = _Parser(tokens, zone, now or datetime.now(UTC))
    return parser.query()


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    position = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = TOKEN.match(stripped, position)
        if match is None or match.end() == position:
            raise JqlError(
                f"Error in the JQL Query: the character at position {position} is not expected."
            )
        kind = match.lastgroup or ""
        if kind in ("dq", "sq"):
            value = re.sub(r"\\(.)", r"\1", match.group(kind))
            out.append(Token("str", value))
        else:
            out.append(Token(kind, match.group(kind)))
        position = match.end()
    return out


class _Parser:
    def __init__(self, tokens: list[Token], zone: tzinfo, now: datetime) -> None:
        self.tokens = tokens
        self.i = 0
        self.zone = zone
        self.now = now

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise JqlError("Error in the JQL Query: the query ended unexpectedly.")
        self.i += 1
        return token

    def query(self) -> Query:
        token = self.peek()
        if token is None or (token.is_kw("order")):
            raise JqlError(UNBOUNDED)
        predicate = self.or_expr()
        order: list[tuple[str, bool]] = []
        token = self.peek()
        if token is not None and token.is_kw("order"):
            self.take()
            if not self.take().is_kw("by"):
                raise JqlError("Error in the JQL Query: expecting 'by' after 'order'.")
            order = self.order_list()
        if self.peek() is not None:
            raise JqlError(
                f"Error in the JQL Query: expecting AND, OR or ORDER BY but got "
                f"'{self.peek().text}'."  # type: ignore[union-attr]
            )
        return Query(predicate, order)

    def order_list(self) -> list[tuple[str, bool]]:
        order = []
        while True:
            field = self.take()
            name = field.text.lower()
            if field.kind not in ("word", "str") or name not in ORDERABLE:
                raise JqlError(f"Field '{field.text}' does not exist or cannot be ordered by.")
            descending = False
            token = self.peek()
            if token is not None and token.is_kw("asc", "desc"):
                descending = self.take().text.lower() == "desc"
            order.append(("key" if name == "issuekey" else name, descending))
            token = self.peek()
            if token is None or token.kind != "comma":
                return order
            self.take()

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while (token := self.peek()) is not None and token.is_kw("or"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda i: any(p(i) for p in parts))

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while (token := self.peek()) is not None and token.is_kw("and"):
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else (lambda i: all(p(i) for p in parts))

    def not_expr(self) -> Predicate:
        token = self.peek()
        if token is not None and token.is_kw("not"):
            self.take()
            inner = self.not_expr()
            return lambda i: not inner(i)
        if token is not None and token.kind == "lp":
            self.take()
            inner = self.or_expr()
            if self.take().kind != "rp":
                raise JqlError("Error in the JQL Query: expecting ')'.")
            return inner
        return self.clause()

    def clause(self) -> Predicate:
        field = self.take()
        name = field.text.lower()
        if field.kind not in ("word", "str") or name in KEYWORDS:
            raise JqlError(
                f"Error in the JQL Query: expecting a field name but got '{field.text}'."
            )
        if name not in FIELDS:
            raise JqlError(
                f"Field '{field.text}' does not exist or you do not have permission to view it."
            )
        op = self.take()
        if op.is_kw("is"):
            negate = (token := self.peek()) is not None and token.is_kw("not")
            if negate:
                self.take()
            if not self.take().is_kw("empty", "null"):
                raise JqlError("Error in the JQL Query: expecting EMPTY or NULL after IS.")
            return lambda i: _is_empty(i, name) != negate
        if op.is_kw("not"):
            if not self.take().is_kw("in"):
                raise JqlError("Error in the JQL Query: expecting IN after NOT.")
            values = self.value_list()
            return lambda i: not any(_equals(i, name, v, self) for v in values)
        if op.is_kw("in"):
            values = self.value_list()
            return lambda i: any(_equals(i, name, v, self) for v in values)
        if op.kind != "op":
            raise JqlError(f"Error in the JQL Query: expecting an operator but got '{op.text}'.")
        value = self.value()
        if op.text in ("=", "!="):
            positive = op.text == "="
            if value.is_kw("empty", "null"):
                return lambda i: _is_empty(i, name) == positive
            return lambda i: _equals(i, name, value, self) == positive
        if op.text in ("~", "!~"):
            if name not in ("summary", "text"):
                raise JqlError(f"The operator '{op.text}' is not supported by the '{name}' field.")
            needle = value.text.casefold()
            positive = op.text == "~"
            return lambda i: (needle in _text(i, name)) == positive
        if name not in ("created", "updated"):
            raise JqlError(f"The operator '{op.text}' is not supported by the '{name}' field.")
        start, _ = self.moment(value)
        compare = {
            ">": lambda a: a > start,
            ">=": lambda a: a >= start,
            "<": lambda a: a < start,
            "<=": lambda a: a <= start,
        }[op.text]
        return lambda i: (at := _when(i, name)) is not None and compare(at)

    def value(self) -> Token:
        token = self.take()
        if token.kind not in ("word", "str"):
            raise JqlError(f"Error in the JQL Query: expecting a value but got '{token.text}'.")
        return token

    def value_list(self) -> list[Token]:
        if self.take().kind != "lp":
            raise JqlError("Error in the JQL Query: expecting '(' after IN.")
        values = [self.value()]
        while (token := self.take()).kind == "comma":
            values.append(self.value())
        if token.kind != "rp":
            raise JqlError("Error in the JQL Query: expecting ')' or ','.")
        return values

    def moment(self, token: Token) -> tuple[datetime, timedelta]:
        """A date literal as an instant (read in the user's zone) and its granularity."""
        text = token.text.strip()
        relative = RELATIVE.match(text)
        if relative:
            sign = -1 if relative.group(1) == "-" else 1
            delta = timedelta(**{UNITS[relative.group(3)]: int(relative.group(2))})
            return self.now + sign * delta, timedelta(minutes=1)
        for pattern, unit in DATE_FORMATS:
            try:
                local = datetime.strptime(text, pattern)  # noqa: DTZ007 - zone added next
            except ValueError:
                continue
            return local.replace(tzinfo=self.zone).astimezone(UTC), unit
        raise JqlError(
            f"Date value '{text}' for field is invalid. Valid formats include: 'yyyy/MM/dd "
            "HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format "
            "e.g. '-5d', '4w 2d'."
        )


def _fields(issue: Issue) -> dict[str, Any]:
    return issue.get("fields") or {}


def _when(issue: Issue, name: str) -> datetime | None:
    return to_datetime(_fields(issue).get(name))


def _equals(issue: Issue, name: str, token: Token, parser: _Parser) -> bool:
    value = token.text
    folded = value.casefold()
    fields = _fields(issue)
    if name == "project":
        project = fields.get("project") or {}
        return folded in {
            str(project.get("key", "")).casefold(),
            str(project.get("name", "")).casefold(),
            str(project.get("id", "")),
        }
    if name in ("key", "issuekey"):
        return str(issue.get("key", "")).casefold() == folded
    if name == "id":
        return str(issue.get("id")) == value
    if name == "labels":
        return value in (fields.get("labels") or [])
    if name == "status":
        status = fields.get("status") or {}
        return folded in {str(status.get("name", "")).casefold(), str(status.get("id", ""))}
    if name == "statuscategory":
        category = (fields.get("status") or {}).get("statusCategory") or {}
        return folded in {
            str(category.get("key", "")).casefold(),
            str(category.get("name", "")).casefold(),
            str(category.get("id", "")),
        }
    if name == "priority":
        priority = fields.get("priority") or {}
        return folded in {str(priority.get("name", "")).casefold(), str(priority.get("id", ""))}
    if name in ("issuetype", "type"):
        kind = fields.get("issuetype") or {}
        return folded in {str(kind.get("name", "")).casefold(), str(kind.get("id", ""))}
    if name == "assignee":
        person = fields.get("assignee") or {}
        return folded in {
            str(person.get(k, "")).casefold() for k in ("accountId", "emailAddress", "displayName")
        }
    if name in ("created", "updated"):
        start, unit = parser.moment(token)
        at = _when(issue, name)
        return at is not None and start <= at < start + unit
    if name in ("summary", "text"):
        raise JqlError(f"The operator '=' is not supported by the '{name}' field. Use '~'.")
    return False


def _is_empty(issue: Issue, name: str) -> bool:
    fields = _fields(issue)
    key = {"type": "issuetype", "statuscategory": "status"}.get(name, name)
    value = fields.get(key)
    return value in (None, "", [], {})


def _text(issue: Issue, name: str) -> str:
    fields = _fields(issue)
    parts = [str(fields.get("summary") or "")]
    if name == "text":
        parts.append(_flatten(fields.get("description")))
        for comment in (fields.get("comment") or {}).get("comments") or []:
            parts.append(_flatten(comment.get("body")))
    return " ".join(parts).casefold()


def _flatten(node: Any) -> str:
    if isinstance(node, dict):
        return str(node.get("text") or "") + " " + _flatten(node.get("content") or [])
    if isinstance(node, list):
        return " ".join(_flatten(child) for child in node)
    return str(node or "")


PRIORITY_RANK = {"highest": 1, "high": 2, "medium": 3, "low": 4, "lowest": 5}


def _sort_key(issue: Issue, field: str) -> Any:
    fields = _fields(issue)
    if field in ("updated", "created"):
        return _when(issue, field) or datetime.min.replace(tzinfo=UTC)
    if field == "key":
        prefix, _, number = str(issue.get("key", "")).rpartition("-")
        return (prefix, int(number) if number.isdigit() else 0)
    if field == "id":
        return int(issue["id"])
    if field == "priority":
        name = str((fields.get("priority") or {}).get("name", "")).casefold()
        return -PRIORITY_RANK.get(name, 99)  # ascending = lowest first, as in Jira
    if field == "status":
        return str((fields.get("status") or {}).get("name", "")).casefold()
    return str(fields.get(field) or "").casefold()
