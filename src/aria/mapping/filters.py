"""Filter rules: which records a mapping keeps (the rest are dropped and counted).

A filter is a tree: ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": {...}}`` and leaves
``{"field": "raw.severity", "op": "eq", "value": "low"}``. ``{}`` keeps everything. Leaves read
the canonical record (``severity``, ``asset.hostname``) or the raw vendor record (``raw.…``).

Semantics, chosen so that ``ne``/``not_in`` are exactly the complements of ``eq``/``in`` and
``{"not": x}`` is always the complement of ``x``:

- a missing field equals nothing, contains nothing, matches no regex and compares false with
  ``gt``/``gte``/``lt``/``lte``; ``exists`` is true when the field is present and not null
  (``"value": false`` inverts it);
- values of different kinds never compare (no error, just false);
- canonical enums compare by id or by name: ``severity`` ``eq 5`` and ``eq "critical"`` agree;
- a datetime field compares with ISO text (``{"op": "gte", "value": "2024-05-01T00:00:00Z"}``);
- ``contains`` is substring for text and membership for lists; ``regex`` is ``re.search`` on
  text through the same ReDoS guard as ``regex_extract``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum, IntEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from aria.mapping.transforms import MAX_PATH, MAX_SUBJECT, compile_safe_regex
from aria.sdk.records import to_utc

MAX_DEPTH = 8
MAX_NODES = 200

Predicate = Callable[[dict[str, Any]], bool]
Op = Literal["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "contains", "regex", "exists"]


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Leaf(_Node):
    """One comparison on one field."""

    field: str = Field(min_length=1, max_length=MAX_PATH)
    op: Op
    value: Any = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> Leaf:
        """Catch on save what would otherwise be false for every record."""
        if self.op in {"in", "not_in"} and not isinstance(self.value, list):
            raise ValueError(f"@value: {self.op} needs a list")
        if self.op == "regex":
            if not isinstance(self.value, str):
                raise ValueError("@value: regex needs a pattern string")
            try:
                compile_safe_regex(self.value)
            except ValueError as error:
                raise ValueError(f"@value: {error}") from None
        if self.op == "exists" and self.value is not None and not isinstance(self.value, bool):
            raise ValueError("@value: exists takes true, false or nothing")
        if self.op in {"gt", "gte", "lt", "lte"} and (
            self.value is None or isinstance(self.value, bool | list | dict)
        ):
            raise ValueError(f"@value: {self.op} needs a number, text or date")
        return self


class All(_Node):
    all: list[FilterNode] = Field(max_length=50)


class AnyOf(_Node):
    any: list[FilterNode] = Field(max_length=50)


class Not(_Node):
    not_: FilterNode = Field(alias="not")


def _tag(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("all", "any", "not"):
            if key in value:
                return f"<{key}>"
        return "<leaf>" if "field" in value or "op" in value else None
    return {All: "<all>", AnyOf: "<any>", Not: "<not>", Leaf: "<leaf>"}.get(type(value))


FilterNode = Annotated[
    Annotated[All, Tag("<all>")]
    | Annotated[AnyOf, Tag("<any>")]
    | Annotated[Not, Tag("<not>")]
    | Annotated[Leaf, Tag("<leaf>")],
    Discriminator(
        _tag,
        custom_error_type="filter_node",
        custom_error_message="a filter is {'all': [...]}, {'any': [...]}, {'not': {...}} "
        "or {'field': ..., 'op': ..., 'value': ...}",
    ),
]
All.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()


def check_shape(node: Any, depth: int = 1) -> int:
    """Nodes in the tree; ``ValueError`` past ``MAX_DEPTH`` levels (keeps evaluation cheap)."""
    if depth > MAX_DEPTH:
        raise ValueError(f"filters nest at most {MAX_DEPTH} levels deep")
    if isinstance(node, All):
        return 1 + sum(check_shape(child, depth + 1) for child in node.all)
    if isinstance(node, AnyOf):
        return 1 + sum(check_shape(child, depth + 1) for child in node.any)
    if isinstance(node, Not):
        return 1 + check_shape(node.not_, depth + 1)
    return 1


# -- compilation ---------------------------------------------------------------------------

_MISSING: Any = object()


def _enum_names(member: Enum) -> set[str]:
    names = {member.name.casefold()}
    caption = getattr(member, "caption", None)
    if isinstance(caption, str):
        names.add(caption.casefold())
    return names


def _equal(actual: Any, expected: Any) -> bool:
    """Equality as a person writing a filter means it (enum names, no bool/int confusion)."""
    if isinstance(actual, bool) != isinstance(expected, bool):
        return False
    if isinstance(actual, IntEnum) and isinstance(expected, str):
        return expected.casefold() in _enum_names(actual)
    if isinstance(actual, datetime) and isinstance(expected, str):
        try:
            return actual == to_utc(expected)
        except ValueError:
            return False
    try:
        return bool(actual == expected)
    except Exception:  # an odd vendor value never breaks a sync
        return False


def _comparable(actual: Any, expected: Any) -> tuple[Any, Any] | None:
    """Both sides of an ordering comparison, or None when they are different kinds."""
    if actual is _MISSING or actual is None or isinstance(actual, bool):
        return None
    if isinstance(actual, datetime):
        if isinstance(expected, str):
            try:
                parsed = to_utc(expected)
            except ValueError:
                return None
            return (actual, parsed) if parsed is not None else None
        return (actual, expected) if isinstance(expected, datetime) else None
    if isinstance(actual, int | float) and isinstance(expected, int | float):
        return actual, expected
    if isinstance(actual, str) and isinstance(expected, str):
        return actual, expected
    return None


def compile_filter(node: Any) -> Predicate:
    """A predicate over the record dict; ``None``/``{}`` keeps every record."""
    from aria.mapping.rules import compile_path  # paths live with the engine

    if node is None:
        return lambda _record: True
    if isinstance(node, All):
        children = [compile_filter(child) for child in node.all]
        return lambda record: all(child(record) for child in children)
    if isinstance(node, AnyOf):
        children = [compile_filter(child) for child in node.any]
        return lambda record: any(child(record) for child in children)
    if isinstance(node, Not):
        inner = compile_filter(node.not_)
        return lambda record: not inner(record)
    assert isinstance(node, Leaf)
    get = compile_path(node.field, missing=_MISSING)
    op, expected = node.op, node.value

    if op in {"eq", "ne"}:
        negate = op == "ne"

        def eq(record: dict[str, Any]) -> bool:
            actual = get(record)
            return (actual is not _MISSING and _equal(actual, expected)) != negate

        return eq
    if op in {"in", "not_in"}:
        negate = op == "not_in"
        options = list(expected)

        def member(record: dict[str, Any]) -> bool:
            actual = get(record)
            found = actual is not _MISSING and any(_equal(actual, o) for o in options)
            return found != negate

        return member
    if op in {"gt", "gte", "lt", "lte"}:
        check: Callable[[Any, Any], bool] = {
            "gt": lambda a, b: a > b,
            "gte": lambda a, b: a >= b,
            "lt": lambda a, b: a < b,
            "lte": lambda a, b: a <= b,
        }[op]

        def order(record: dict[str, Any]) -> bool:
            pair = _comparable(get(record), expected)
            return pair is not None and check(*pair)

        return order
    if op == "contains":

        def contains(record: dict[str, Any]) -> bool:
            actual = get(record)
            if isinstance(actual, str):
                return isinstance(expected, str) and expected in actual
            if isinstance(actual, list | tuple | set):
                return any(_equal(item, expected) for item in actual)
            return False

        return contains
    if op == "regex":
        regex = compile_safe_regex(expected)

        def matches(record: dict[str, Any]) -> bool:
            actual = get(record)
            return isinstance(actual, str) and regex.search(actual[:MAX_SUBJECT]) is not None

        return matches
    wanted = expected is not False

    def exists(record: dict[str, Any]) -> bool:
        actual = get(record)
        return (actual is not _MISSING and actual is not None) == wanted

    return exists
