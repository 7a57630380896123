"""The sandbox's small Elasticsearch: field mappings, the Query DSL subset and query_string.

Enough of Elasticsearch to answer what the integration sends, with Elasticsearch's semantics
and errors rather than a lookalike:

* **Mappings.** The alerts index has an explicit mapping (strings are ``keyword``, as in the
  alerts-as-data mapping); other indices map dynamically, as a default cluster does: strings
  become ``text`` with a ``.keyword`` sub-field (``ignore_above`` 256), ISO dates ``date``,
  integers ``long``, decimals ``float``, booleans ``boolean``. A document that does not fit
  the mapping is refused (``document_parsing_exception``).
* **Queries.** ``match_all``, ``bool`` (must, filter, should, must_not,
  minimum_should_match), ``term``, ``terms``, ``match``, ``match_phrase``, ``wildcard``,
  ``range``, ``exists`` and ``query_string`` (``field:value``, ``field:"phrase"``,
  wildcards, ``AND``/``OR``/``NOT``, parentheses). ``text`` fields match on tokens of a
  standard-analyzer approximation; ``keyword`` fields match whole values.
* **Errors** carry Elasticsearch's types (``parsing_exception``, ``query_shard_exception``)
  so the integration meets the same failures as against a real cluster.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

Predicate = Callable[["Doc"], bool]
IGNORE_ABOVE = 256
DATE_TYPES = {"date", "date_nanos"}
NUMERIC_TYPES = {"long", "integer", "short", "byte", "double", "float", "half_float"}
METADATA_FIELDS = {"_id", "_index", "_source", "_routing", "_version", "_seq_no", "_type"}
_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)
_TOKEN = re.compile(r"\w+(?:[.']\w+)*")


class ElasticError(Exception):
    """An Elasticsearch error: ``{"error": {"type", "reason", ...}, "status"}``."""

    def __init__(self, status: int, type_: str, reason: str, **extra: Any) -> None:
        super().__init__(reason)
        self.status = status
        self.type = type_
        self.reason = reason
        self.extra = extra

    def cause(self) -> dict[str, Any]:
        """The error object as it appears in ``root_cause`` and bulk items."""
        return {"type": self.type, "reason": self.reason, **self.extra}

    def body(self) -> dict[str, Any]:
        """The whole error response body."""
        return {"error": {"root_cause": [self.cause()], **self.cause()}, "status": self.status}


@functools.lru_cache(maxsize=65_536)
def parse_date(value: Any) -> datetime | None:
    """ISO 8601 (up to nanoseconds) or epoch milliseconds, as Elasticsearch's default
    ``strict_date_optional_time||epoch_millis``; None when it is not a date."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value) / 1000.0, UTC)
    if not isinstance(value, str) or not _ISO.match(value.strip()):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return datetime.fromtimestamp(int(value) / 1000.0, UTC)
        return None
    text = value.strip().replace("Z", "+00:00").replace(" ", "T")
    head, dot, rest = text.partition(".")
    if dot:  # Python parses at most microseconds: drop nanosecond digits
        digits = re.match(r"\d+", rest)
        assert digits is not None
        text = f"{head}.{digits.group()[:6]}{rest[digits.end() :]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def epoch_millis(moment: datetime) -> int:
    """Sort value of a date field: epoch milliseconds."""
    return int(moment.timestamp() * 1000)


def tokens(value: Any) -> list[str]:
    """Tokens of a ``text`` field: lowercase words, dots kept inside words (standard analyzer,
    roughly: ``risk.created`` stays one token, ``R-12`` becomes ``r``, ``12``)."""
    return _TOKEN.findall(str(value).lower())


# --- documents -----------------------------------------------------------------------------


def leaf_values(document: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of every leaf; flat dotted keys and nested objects alike, arrays
    of scalars as several values, arrays of objects walked into."""
    for key, item in document.items():
        path = f"{prefix}{key}"
        if isinstance(item, Mapping):
            yield from leaf_values(item, f"{path}.")
        elif isinstance(item, list):
            for element in item:
                if isinstance(element, Mapping):
                    yield from leaf_values(element, f"{path}.")
                elif isinstance(element, list):
                    yield from leaf_values({key: element}, prefix)
                elif element is not None:
                    yield path, element
        elif item is not None:
            yield path, item


class Doc:
    """One stored document: index, id, source, and its values by field path."""

    def __init__(self, index: str, doc_id: str, source: dict[str, Any], seq_no: int) -> None:
        self.index = index
        self.id = doc_id
        self.source = source
        self.seq_no = seq_no
        self.values: dict[str, list[Any]] = {}
        self.objects: set[str] = set()
        for path, item in leaf_values(source):
            self.values.setdefault(path, []).append(item)
            parts = path.split(".")
            self.objects.update(".".join(parts[:n]) for n in range(1, len(parts)))

    def get(self, field: str) -> list[Any]:
        """Every value of ``field`` (``x.keyword`` reads the text field ``x``)."""
        if field in self.values:
            return self.values[field]
        if field.endswith(".keyword"):
            return [v for v in self.values.get(field[: -len(".keyword")], []) if isinstance(v, str)]
        return []


# --- mappings ------------------------------------------------------------------------------


def infer_type(item: Any, *, strings: str) -> str:
    """Dynamic mapping of one JSON value (``strings``: text or keyword)."""
    if isinstance(item, bool):
        return "boolean"
    if isinstance(item, int):
        return "long"
    if isinstance(item, float):
        return "float"
    if isinstance(item, str) and _ISO.match(item.strip()) and parse_date(item) is not None:
        return "date"
    return strings


class FieldMapping:
    """The field types of one index, learned from documents (dynamic) or fixed up front."""

    def __init__(self, *, strings: str = "text") -> None:
        self.strings = strings
        self.types: dict[str, str] = {}
        self.objects: set[str] = set()

    def type_of(self, field: str) -> str | None:
        """``keyword`` for the ``.keyword`` sub-field of a text field, else the mapped type."""
        if field in self.types:
            return self.types[field]
        if field.endswith(".keyword") and self.types.get(field[: -len(".keyword")]) == "text":
            return "keyword"
        if field in self.objects:
            return "object"
        return None

    def check(self, source: Mapping[str, Any], doc_id: str) -> dict[str, str]:
        """The new fields ``source`` would add; ``document_parsing_exception`` when a value
        does not fit a mapped field (Elasticsearch refuses the whole document)."""
        for key in source:
            if key in METADATA_FIELDS:
                raise ElasticError(
                    400,
                    "document_parsing_exception",
                    f"[1:2] Field [{key}] is a metadata field and cannot be added inside a "
                    "document. Use the index API request parameters.",
                )
        added: dict[str, str] = {}
        for path, raw in _typed_leaves(source):
            if raw is _OBJECT:
                mapped = self.type_of(path)
                if mapped not in (None, "object"):
                    raise ElasticError(
                        400,
                        "document_parsing_exception",
                        f"[1:2] failed to parse field [{path}] of type [{mapped}] in document "
                        f"with id '{doc_id}'. Preview of field's value: '{{}}'",
                    )
                continue
            if path in self.objects:
                raise ElasticError(
                    400,
                    "document_parsing_exception",
                    f"[1:2] object mapping for [{path}] tried to parse field [{path}] as "
                    "object, but found a concrete value",
                )
            mapped = self.types.get(path) or added.get(path)
            if mapped is None:
                added[path] = infer_type(raw, strings=self.strings)
                continue
            _coerce(mapped, raw, path, doc_id)
        return added

    def learn(self, source: Mapping[str, Any], added: Mapping[str, str]) -> None:
        """Record the fields and object paths of an accepted document."""
        self.types.update(added)
        for path, raw in _typed_leaves(source):
            if raw is _OBJECT:
                self.objects.add(path)


_OBJECT = object()


def _typed_leaves(document: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, item in document.items():
        path = f"{prefix}{key}"
        items = item if isinstance(item, list) else [item]
        for element in items:
            if isinstance(element, Mapping):
                yield path, _OBJECT
                yield from _typed_leaves(element, f"{path}.")
            elif element is not None and not isinstance(element, list):
                yield path, element


def _coerce(mapped: str, raw: Any, path: str, doc_id: str) -> None:
    """Raise like Elasticsearch when ``raw`` cannot be indexed into a ``mapped`` field."""
    ok = True
    if mapped in NUMERIC_TYPES:
        if isinstance(raw, bool):
            ok = False
        elif isinstance(raw, str):
            try:
                float(raw)
            except ValueError:
                ok = False
    elif mapped in DATE_TYPES:
        ok = parse_date(raw) is not None
    elif mapped == "boolean":
        ok = raw in (True, False, "true", "false")
    if not ok:
        preview = str(raw)[:20]
        raise ElasticError(
            400,
            "document_parsing_exception",
            f"[1:2] failed to parse field [{path}] of type [{mapped}] in document with id "
            f"'{doc_id}'. Preview of field's value: '{preview}'",
            caused_by={
                "type": "illegal_argument_exception",
                "reason": f'For input string: "{raw}"',
            },
        )


# --- queries -------------------------------------------------------------------------------


def _parsing(reason: str) -> ElasticError:
    return ElasticError(400, "parsing_exception", reason, line=1, col=1)


def _shard(reason: str) -> ElasticError:
    return ElasticError(400, "query_shard_exception", reason)


def _one_field(name: str, body: Any) -> tuple[str, Any]:
    if not isinstance(body, Mapping) or not body:
        raise _parsing(f"[{name}] query malformed, no field after start_object")
    fields = list(body)
    if len(fields) > 1:
        raise _parsing(
            f"[{name}] query doesn't support multiple fields, found [{fields[0]}] and [{fields[1]}]"
        )
    return fields[0], body[fields[0]]


def _clauses(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


class QueryCompiler:
    """Compiles a Query DSL object against an index mapping into a document predicate."""

    def __init__(self, mapping: Callable[[str], str | None]) -> None:
        self.type_of = mapping

    def compile(self, query: Any) -> Predicate:
        """A predicate for ``query``; raises :class:`ElasticError` for what Elasticsearch
        would refuse."""
        if query is None:
            return lambda doc: True
        if not isinstance(query, Mapping) or len(query) != 1:
            raise _parsing("[_na] query malformed, must start with start_object")
        name, body = next(iter(query.items()))
        handler = getattr(self, f"_q_{name}", None)
        if handler is None:
            raise _parsing(f"unknown query [{name}]")
        return handler(body)  # type: ignore[no-any-return]

    # Each _q_<name> takes the body of that query and returns a predicate.

    def _q_match_all(self, body: Any) -> Predicate:
        return lambda doc: True

    def _q_match_none(self, body: Any) -> Predicate:
        return lambda doc: False

    def _q_bool(self, body: Any) -> Predicate:
        if not isinstance(body, Mapping):
            raise _parsing("[bool] query malformed, no start_object after query name")
        unknown = set(body) - {"must", "filter", "should", "must_not", "minimum_should_match"}
        if unknown:
            raise _parsing(f"[bool] query does not support [{sorted(unknown)[0]}]")
        must = [self.compile(c) for c in _clauses(body.get("must"))]
        must += [self.compile(c) for c in _clauses(body.get("filter"))]
        should = [self.compile(c) for c in _clauses(body.get("should"))]
        must_not = [self.compile(c) for c in _clauses(body.get("must_not"))]
        default = 0 if must else 1
        try:
            needed = int(str(body.get("minimum_should_match", default)))
        except ValueError:
            raise _parsing("[bool] minimum_should_match must be an integer here") from None
        needed = min(needed, len(should)) if should else 0

        def predicate(doc: Doc) -> bool:
            if not all(p(doc) for p in must) or any(p(doc) for p in must_not):
                return False
            return sum(1 for p in should if p(doc)) >= needed

        return predicate

    def _value_of(self, name: str, spec: Any, key: str) -> tuple[Any, dict[str, Any]]:
        if isinstance(spec, Mapping):
            if key not in spec:
                raise _parsing(f"[{name}] query does not support [{next(iter(spec), '')}]")
            return spec[key], dict(spec)
        return spec, {}

    def _q_term(self, body: Any) -> Predicate:
        field, spec = _one_field("term", body)
        wanted, options = self._value_of("term", spec, "value")
        return self._exact(field, wanted, bool(options.get("case_insensitive")))

    def _q_terms(self, body: Any) -> Predicate:
        if not isinstance(body, Mapping) or len(body) != 1:
            raise _parsing("[terms] query requires exactly one field")
        field, values = next(iter(body.items()))
        if not isinstance(values, list):
            raise _parsing("[terms] query does not support [" + field + "] as an object")
        checks = [self._exact(field, v, False) for v in values]
        return lambda doc: any(c(doc) for c in checks)

    def _q_match(self, body: Any) -> Predicate:
        field, spec = _one_field("match", body)
        wanted, options = self._value_of("match", spec, "query")
        kind = self.type_of(field)
        if kind == "text":
            words = tokens(wanted)
            every = str(options.get("operator", "or")).lower() == "and"

            def matches(doc: Doc) -> bool:
                found = {t for v in doc.get(field) for t in tokens(v)}
                hits = [w in found for w in words]
                return bool(words) and (all(hits) if every else any(hits))

            return matches
        return self._exact(field, wanted, False, lenient=bool(options.get("lenient")))

    def _q_match_phrase(self, body: Any) -> Predicate:
        field, spec = _one_field("match_phrase", body)
        wanted, _ = self._value_of("match_phrase", spec, "query")
        return self._phrase(field, wanted)

    def _phrase(self, field: str, wanted: Any) -> Predicate:
        if self.type_of(field) != "text":
            return self._exact(field, wanted, False)
        words = tokens(wanted)

        def matches(doc: Doc) -> bool:
            for item in doc.get(field):
                have = tokens(item)
                for start in range(len(have) - len(words) + 1):
                    if words and have[start : start + len(words)] == words:
                        return True
            return False

        return matches

    def _q_wildcard(self, body: Any) -> Predicate:
        field, spec = _one_field("wildcard", body)
        pattern, options = self._value_of("wildcard", spec, "value")
        return self._wildcard(field, str(pattern), bool(options.get("case_insensitive")))

    def _wildcard(self, field: str, pattern: str, insensitive: bool) -> Predicate:
        kind = self.type_of(field)
        if kind not in (None, "keyword", "text", "wildcard", "constant_keyword"):
            raise _shard(
                f"Can only use wildcard queries on keyword, text and wildcard fields - not on "
                f"[{field}] which is of type [{kind}]"
            )
        regex = wildcard_regex(pattern, insensitive or kind == "text")

        def matches(doc: Doc) -> bool:
            for item in doc.get(field):
                candidates = tokens(item) if kind == "text" else [str(item)]
                if any(regex.fullmatch(c) for c in candidates):
                    return True
            return False

        return matches

    def _q_range(self, body: Any) -> Predicate:
        field, spec = _one_field("range", body)
        if not isinstance(spec, Mapping):
            raise _parsing(f"[range] query malformed, no start_object after [{field}]")
        allowed = {"gte", "gt", "lte", "lt", "format", "time_zone", "relation"}
        unknown = set(spec) - allowed
        if unknown:
            raise _parsing(f"[range] query does not support [{sorted(unknown)[0]}]")
        kind = self.type_of(field)
        bounds: list[tuple[str, Any]] = []
        for op in ("gte", "gt", "lte", "lt"):
            if spec.get(op) is None:
                continue
            bound = self._as(kind, spec[op], field)
            bounds.append((op, bound))

        def matches(doc: Doc) -> bool:
            for item in doc.get(field):
                try:
                    value = self._as(kind, item, field)
                except ElasticError:
                    continue
                if all(_compare(value, op, bound) for op, bound in bounds):
                    return True
            return False

        return matches

    def _q_exists(self, body: Any) -> Predicate:
        if not isinstance(body, Mapping) or "field" not in body:
            raise _parsing("[exists] must be provided with a [field]")
        field = str(body["field"])
        return lambda doc: bool(doc.get(field)) or field in doc.objects

    def _q_query_string(self, body: Any) -> Predicate:
        if not isinstance(body, Mapping) or not isinstance(body.get("query"), str):
            raise _parsing("[query_string] requires 'query' field")
        operator = str(body.get("default_operator", "or")).lower()
        parser = _QueryStringParser(body["query"], self, operator == "and")
        return parser.parse()

    # --- value comparison -----------------------------------------------------------------

    def _as(self, kind: str | None, raw: Any, field: str) -> Any:
        """``raw`` converted for comparison on a field of type ``kind``."""
        if kind in DATE_TYPES:
            moment = parse_date(raw)
            if moment is None:
                raise ElasticError(
                    400,
                    "parse_exception",
                    f"failed to parse date field [{raw}] with format "
                    "[strict_date_optional_time||epoch_millis]",
                )
            return moment
        if kind in NUMERIC_TYPES:
            if isinstance(raw, bool):
                raise _shard(f'failed to create query: For input string: "{raw}"')
            try:
                return float(raw)
            except (TypeError, ValueError):
                raise _shard(f'failed to create query: For input string: "{raw}"') from None
        if kind == "boolean":
            if raw in (True, "true"):
                return True
            if raw in (False, "false"):
                return False
            raise _shard(f"Can't parse boolean value [{raw}], expected [true] or [false]")
        return str(raw)

    def _exact(
        self, field: str, wanted: Any, insensitive: bool, lenient: bool = False
    ) -> Predicate:
        kind = self.type_of(field)
        if kind is None:
            return lambda doc: False
        if kind == "text":
            word = str(wanted)
            return lambda doc: any(word in tokens(v) for v in doc.get(field))
        try:
            target = self._as(kind, wanted, field)
        except ElasticError:
            if lenient:
                return lambda doc: False
            raise
        if isinstance(target, str) and insensitive:
            target = target.lower()

        def matches(doc: Doc) -> bool:
            for item in doc.get(field):
                if kind == "keyword" and isinstance(item, str) and len(item) > IGNORE_ABOVE:
                    continue  # ignore_above: long strings are not indexed in .keyword
                try:
                    value = self._as(kind, item, field)
                except ElasticError:
                    continue
                if isinstance(value, str) and insensitive:
                    value = value.lower()
                if value == target:
                    return True
            return False

        return matches


def wildcard_regex(pattern: str, insensitive: bool) -> re.Pattern[str]:
    """A wildcard query pattern (``*``, ``?``, backslash escapes) as a regex."""
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL if insensitive else re.DOTALL)


def _compare(value: Any, op: str, bound: Any) -> bool:
    try:
        if op == "gte":
            return bool(value >= bound)
        if op == "gt":
            return bool(value > bound)
        if op == "lte":
            return bool(value <= bound)
        return bool(value < bound)
    except TypeError:
        return False


# --- query_string ----------------------------------------------------------------------------

_QS_TOKEN = re.compile(
    r"\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<and>AND\b|&&)|(?P<or>OR\b|\|\|)|(?P<not>NOT\b)"
    r"|(?P<group>(?:[^\s()\"\\:]|\\.)+:\()"
    r'|(?P<term>(?:[+-](?=\S))?(?:[^\s()"\\:]|\\.)+(?::(?:"(?:[^"\\]|\\.)*"|(?:[^\s()"\\]|\\.)+))?'
    r'|(?P<phrase>"(?:[^"\\]|\\.)*")))'
)


class _QueryStringParser:
    """``field:value AND (field:"a phrase" OR NOT field:val*)``; AND binds tighter than OR;
    adjacent clauses join with the default operator (OR unless ``default_operator``)."""

    def __init__(self, text: str, compiler: QueryCompiler, default_and: bool) -> None:
        self.text = text
        self.compiler = compiler
        self.default_and = default_and
        self.items = self._lex(text)
        self.pos = 0
        self.fields: list[str] = []  # field:( ... ) groups being parsed

    def _fail(self, why: str) -> ElasticError:
        return ElasticError(
            400,
            "query_shard_exception",
            f"Failed to parse query [{self.text}]",
            caused_by={"type": "parse_exception", "reason": why},
        )

    def _lex(self, text: str) -> list[tuple[str, str]]:
        items: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            found = _QS_TOKEN.match(text, pos)
            if found is None or found.end() == pos:
                raise self._fail(f"Cannot parse '{text}': unexpected character at {pos}")
            kind = found.lastgroup or "term"
            items.append(("term" if kind == "phrase" else kind, found.group(kind)))
            pos = found.end()
        return items

    def parse(self) -> Predicate:
        if not self.items:
            return lambda doc: True
        predicate = self._or()
        if self.pos != len(self.items):
            raise self._fail(f"Cannot parse '{self.text}': unexpected '{self.items[self.pos][1]}'")
        return predicate

    def _peek(self) -> str | None:
        return self.items[self.pos][0] if self.pos < len(self.items) else None

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._peek() == "or":
            self.pos += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda doc: any(p(doc) for p in parts))

    def _and(self) -> Predicate:
        parts = [self._unary()]
        joins: list[bool] = []
        while self._peek() in ("and", "not", "term", "lp", "group"):
            if self._peek() == "and":
                self.pos += 1
                joins.append(True)
            else:
                joins.append(self.default_and)
            parts.append(self._unary())
        if not joins:
            return parts[0]
        if all(joins):
            return lambda doc: all(p(doc) for p in parts)
        # Mixed implicit OR inside an AND chain: group the AND runs, OR the groups.
        groups: list[list[Predicate]] = [[parts[0]]]
        for join, part in zip(joins, parts[1:], strict=True):
            if join:
                groups[-1].append(part)
            else:
                groups.append([part])
        return lambda doc: any(all(p(doc) for p in g) for g in groups)

    def _unary(self) -> Predicate:
        kind = self._peek()
        if kind == "not":
            self.pos += 1
            inner = self._unary()
            return lambda doc: not inner(doc)
        if kind in ("lp", "group"):  # (a OR b), or field:(a OR b) with a default field
            token = self.items[self.pos][1]
            self.pos += 1
            if kind == "group":
                self.fields.append(_unescape(token[:-2]))
            inner = self._or()
            if kind == "group":
                self.fields.pop()
            if self._peek() != "rp":
                raise self._fail(f"Cannot parse '{self.text}': missing ')'")
            self.pos += 1
            return inner
        if kind == "term":
            self.pos += 1
            return self._clause(self.items[self.pos - 1][1])
        raise self._fail(f"Cannot parse '{self.text}': unexpected end or operator")

    def _clause(self, term: str) -> Predicate:
        negate = term.startswith("-")
        term = term[1:] if term[:1] in "+-" and len(term) > 1 else term
        field, value = (self.fields[-1] if self.fields else None), term
        split = re.match(r"((?:[^\\:]|\\.)+):(.*)$", term, re.DOTALL)
        if split and not term.startswith('"'):
            field, value = _unescape(split.group(1)), split.group(2)
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            phrase = _unescape(value[1:-1])
            predicate = self._on(field, lambda f: self.compiler._phrase(f, phrase))
        elif re.search(r"(?<!\\)[*?]", value):
            predicate = self._on(field, lambda f: self.compiler._wildcard(f, value, False))
        else:
            plain = _unescape(value)
            predicate = self._on(field, lambda f: self.compiler._q_match({f: plain}))
        return (lambda doc: not predicate(doc)) if negate else predicate

    def _on(self, field: str | None, build: Callable[[str], Predicate]) -> Predicate:
        if field is not None:
            return build(field)

        def any_field(doc: Doc) -> bool:  # default_field "*": every field, leniently
            for name in doc.values:
                try:
                    if build(name)(doc):
                        return True
                except ElasticError:
                    continue
            return False

        return any_field


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


# --- sorting ---------------------------------------------------------------------------------

LONG_MAX = 9_223_372_036_854_775_807
LONG_MIN = -9_223_372_036_854_775_808


class SortSpec:
    """One sort clause: field, order, and how its values look in ``hit.sort``."""

    def __init__(self, field: str, order: str, unmapped_type: str | None = None) -> None:
        if order not in ("asc", "desc"):
            raise _parsing(f"[sort] unknown order [{order}], expected [asc] or [desc]")
        self.field = field
        self.order = order
        self.unmapped_type = unmapped_type

    @classmethod
    def parse(cls, sort: Any) -> list[SortSpec]:
        """``["f", {"f": "desc"}, {"f": {"order": "asc", "unmapped_type": "date"}}]``."""
        out = []
        for clause in _clauses(sort):
            if isinstance(clause, str):
                out.append(cls(clause, "desc" if clause == "_score" else "asc"))
                continue
            if not isinstance(clause, Mapping) or len(clause) != 1:
                raise _parsing("[sort] malformed sort clause")
            field, spec = next(iter(clause.items()))
            if isinstance(spec, str):
                out.append(cls(field, spec))
            elif isinstance(spec, Mapping):
                out.append(cls(field, str(spec.get("order", "asc")), spec.get("unmapped_type")))
            else:
                raise _parsing(f"[sort] malformed options for [{field}]")
        return out

    def value(self, doc: Doc, kind: str | None, ordinal: int) -> Any:
        """The sort value Elasticsearch returns for ``doc`` (dates as epoch millis)."""
        if self.field == "_shard_doc":
            return ordinal
        if self.field == "_doc":
            return doc.seq_no
        kind = kind or self.unmapped_type
        items = doc.get(self.field)
        if kind in DATE_TYPES:
            moments = [m for m in (parse_date(v) for v in items) if m is not None]
            picked = (min if self.order == "asc" else max)(moments) if moments else None
            return epoch_millis(picked) if picked else self._missing_number()
        if kind in NUMERIC_TYPES:
            numbers = [float(v) for v in items if not isinstance(v, bool)]
            if not numbers:
                return self._missing_number()
            picked_number = (min if self.order == "asc" else max)(numbers)
            return int(picked_number) if picked_number.is_integer() else picked_number
        strings = [str(v) for v in items]
        return (min if self.order == "asc" else max)(strings) if strings else None

    def _missing_number(self) -> int:
        return LONG_MAX if self.order == "asc" else LONG_MIN


def compare_sort(a: list[Any], b: list[Any], specs: list[SortSpec]) -> int:
    """Order of two ``sort`` arrays under ``specs`` (missing strings last, either order)."""
    for left, right, spec in zip(a, b, specs, strict=False):
        if left == right:
            continue
        if left is None or right is None:
            return 1 if left is None else -1
        try:
            lower = left < right
        except TypeError:
            lower = str(left) < str(right)
        result = -1 if lower else 1
        return result if spec.order == "asc" else -result
    return 0


def match_index(pattern: str, name: str) -> bool:
    """Wildcard index expressions; hidden names (leading dot) only for dotted patterns."""
    if name.startswith(".") and not pattern.startswith("."):
        return False
    return fnmatchcase(name, pattern)
