"""The closed set of value transformations a data mapping may use (no eval, no templates).

Each transform is a pydantic spec (``{"type": "value_map", "map": {...}}``; parameterless ones may
be written as a bare string, ``"lowercase"``) that compiles once into a plain function
``(value, record) -> value``. ``record`` is the engine's working copy of the canonical record
(``raw`` inside it),
read only by ``concatenate``. ``None`` means "no value": most transforms pass it through and
``default`` replaces it. A value a transform cannot convert raises :class:`TransformError`, which
the engine reports per record, naming the rule.

Regular expressions (``regex_extract`` here, the ``regex`` filter op) go through
:func:`compile_safe_regex`, which refuses the patterns that make Python's backtracking engine
blow up on vendor-controlled text: see its docstring for the exact guard and what it does not
catch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from aria.sdk.records import to_utc

try:  # the regex parser moved in 3.11 (sre_parse is deprecated); both expose ``parse``
    from re import _parser as _sre_parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older layout
    import sre_parse as _sre_parser  # type: ignore[no-redef]

MAX_PATTERN = 256
"""Longest regex pattern accepted (characters)."""
MAX_SUBJECT = 8192
"""Regexes only ever see the first ``MAX_SUBJECT`` characters of a value."""
MAX_REPEAT = 1000
"""Largest explicit repeat count (``a{1000}``) accepted."""
MAX_PATH = 300

Transform = Callable[[Any, dict[str, Any]], Any]


class TransformError(ValueError):
    """A transform could not convert a value (reported per record, never silently)."""


# -- safe regular expressions --------------------------------------------------------------


def _walk_regex(items: Any, *, inside_repeat: bool) -> None:
    """Reject nested unbounded quantifiers and backreferences in a parsed pattern."""
    for op, arg in items:
        name = str(op)
        if name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
            low, high, body = arg
            if (high is not _sre_parser.MAXREPEAT and high > MAX_REPEAT) or low > MAX_REPEAT:
                raise ValueError(f"repeat counts above {MAX_REPEAT} are not allowed")
            repeats = high is _sre_parser.MAXREPEAT or high > 1
            if inside_repeat and repeats:
                raise ValueError(
                    "nested quantifiers such as (a+)+ can take exponential time; rewrite the "
                    "pattern without a repeated group that itself repeats"
                )
            _walk_regex(body, inside_repeat=inside_repeat or repeats)
        elif name == "SUBPATTERN":
            _walk_regex(arg[-1], inside_repeat=inside_repeat)
        elif name == "ATOMIC_GROUP":
            _walk_regex(arg, inside_repeat=inside_repeat)
        elif name == "BRANCH":
            for branch in arg[1]:
                _walk_regex(branch, inside_repeat=inside_repeat)
        elif name in {"ASSERT", "ASSERT_NOT"}:
            _walk_regex(arg[1], inside_repeat=inside_repeat)
        elif name in {"GROUPREF", "GROUPREF_EXISTS"}:
            raise ValueError("backreferences are not allowed")


def compile_safe_regex(pattern: str) -> re.Pattern[str]:
    """Compile ``pattern`` after the ReDoS guard; ``ValueError`` says why it was refused.

    The guard (a deliberately simple, documented subset): at most ``MAX_PATTERN`` characters;
    no quantifier applied to a group that already contains a quantifier (``(a+)+``, ``(a*b?)*``,
    ``(?:x{2,})+``); no backreferences; explicit counts up to ``MAX_REPEAT``. Subjects are cut to
    ``MAX_SUBJECT`` characters. Not detected: overlapping alternatives under one quantifier
    (``(a|a)*``), which can still backtrack heavily; the subject cap bounds the damage only
    partly, so keep alternations disjoint.
    """
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"pattern is longer than {MAX_PATTERN} characters")
    try:
        parsed = _sre_parser.parse(pattern)
    except re.error as error:
        raise ValueError(f"invalid regular expression: {error}") from None
    _walk_regex(parsed, inside_repeat=False)
    try:
        return re.compile(pattern)
    except re.error as error:  # pragma: no cover - parse() already accepted it
        raise ValueError(f"invalid regular expression: {error}") from None


# -- spec models ---------------------------------------------------------------------------


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def compile(self) -> Transform:  # pragma: no cover - every subclass overrides
        raise NotImplementedError


def _text_fn(fn: Callable[[str], str]) -> Transform:
    """Apply a string method to text and to each text item of a list; pass other values."""

    def apply(value: Any, _record: dict[str, Any]) -> Any:
        if isinstance(value, str):
            return fn(value)
        if isinstance(value, list):
            return [fn(item) if isinstance(item, str) else item for item in value]
        return value

    return apply


class Lowercase(_Spec):
    """Lower-case text (and each text item of a list); other values pass unchanged."""

    type: Literal["lowercase"] = "lowercase"

    def compile(self) -> Transform:
        return _text_fn(str.lower)


class Uppercase(_Spec):
    """Upper-case text (and each text item of a list)."""

    type: Literal["uppercase"] = "uppercase"

    def compile(self) -> Transform:
        return _text_fn(str.upper)


class Strip(_Spec):
    """Trim surrounding whitespace (or the given characters)."""

    type: Literal["strip"] = "strip"
    chars: str | None = Field(default=None, max_length=50)

    def compile(self) -> Transform:
        chars = self.chars
        return _text_fn(lambda text: text.strip(chars))


def _map_key(value: Any) -> str | None:
    """JSON object keys are strings: vendor ints and booleans are looked up as text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


class ValueMap(_Spec):
    """Look the value up in a table (severity words, status names); ``default`` when absent.

    Without ``default`` an unknown value becomes ``None`` (so the target is left as it was).
    """

    type: Literal["value_map"] = "value_map"
    map: dict[Annotated[str, Field(max_length=500)], Any] = Field(max_length=2000)
    default: Any = None
    case_insensitive: bool = False

    def compile(self) -> Transform:
        fold = self.case_insensitive
        table = {k.casefold(): v for k, v in self.map.items()} if fold else dict(self.map)
        default = self.default

        def apply(value: Any, _record: dict[str, Any]) -> Any:
            key = _map_key(value)
            if key is None:
                return default
            return table.get(key.casefold() if fold else key, default)

        return apply


class RegexExtract(_Spec):
    """The given group of the first match (``re.search``); ``None`` when nothing matches."""

    type: Literal["regex_extract"] = "regex_extract"
    pattern: str = Field(min_length=1)
    group: int | str = 0

    @field_validator("pattern")
    @classmethod
    def _safe(cls, pattern: str) -> str:
        compile_safe_regex(pattern)
        return pattern

    @model_validator(mode="after")
    def _group_exists(self) -> RegexExtract:
        """A group the pattern lacks would fail on every record: refuse it on save."""
        regex = compile_safe_regex(self.pattern)
        group = self.group
        if isinstance(group, int) and not 0 <= group <= regex.groups:
            raise ValueError(f"@group: the pattern has no group {group} (it has {regex.groups})")
        if isinstance(group, str) and group not in regex.groupindex:
            raise ValueError(f"@group: {group!r} is not a named group of the pattern")
        return self

    def compile(self) -> Transform:
        regex = compile_safe_regex(self.pattern)
        group = self.group

        def apply(value: Any, _record: dict[str, Any]) -> Any:
            if value is None:
                return None
            text = value if isinstance(value, str) else str(value)
            match = regex.search(text[:MAX_SUBJECT])
            return match.group(group) if match else None

        return apply


class DateParse(_Spec):
    """Text or epoch to a tz-aware UTC datetime; ``format`` is a ``strptime`` format, else
    ISO 8601 (and the other layouts the SDK's ``to_utc`` reads). Naive times are UTC."""

    type: Literal["date_parse"] = "date_parse"
    format: str | None = Field(default=None, min_length=1, max_length=100)

    def compile(self) -> Transform:
        fmt = self.format

        def apply(value: Any, _record: dict[str, Any]) -> Any:
            if value is None:
                return None
            try:
                if fmt is not None and isinstance(value, str):
                    parsed = datetime.strptime(value.strip(), fmt)  # noqa: DTZ007 - naive is UTC
                    if parsed.tzinfo is None:
                        return parsed.replace(tzinfo=UTC)
                    return parsed.astimezone(UTC)
                return to_utc(value)
            except (ValueError, OverflowError) as error:
                raise TransformError(f"cannot parse {value!r} as a date: {error}") from None

        return apply


class Concatenate(_Spec):
    """Join the current value (if any) and the values at ``sources`` with ``separator``;
    missing or null parts are skipped; ``None`` when every part is missing."""

    type: Literal["concatenate"] = "concatenate"
    sources: list[Annotated[str, Field(min_length=1, max_length=MAX_PATH)]] = Field(
        min_length=1, max_length=20
    )
    separator: str = Field(default=" ", max_length=20)

    def compile(self) -> Transform:
        from aria.mapping.rules import compile_path  # paths live with the engine

        getters = [compile_path(source) for source in self.sources]
        separator = self.separator

        def apply(value: Any, record: dict[str, Any]) -> Any:
            parts = [] if value is None else [value]
            for get in getters:
                found = get(record)
                if found is not None:
                    parts.append(found)
            if not parts:
                return None
            return separator.join(str(part) for part in parts)

        return apply


class Default(_Spec):
    """Supply ``value`` when there is none (missing source, no match, unmapped value)."""

    type: Literal["default"] = "default"
    value: Any

    def compile(self) -> Transform:
        fallback = self.value

        def apply(value: Any, _record: dict[str, Any]) -> Any:
            return fallback if value is None else value

        return apply


class Split(_Spec):
    """Split text on ``separator`` (items stripped, empties dropped); with ``index`` one item
    (negative counts from the end, out of range is ``None``), else the list."""

    type: Literal["split"] = "split"
    separator: str = Field(default=",", min_length=1, max_length=20)
    index: int | None = None

    def compile(self) -> Transform:
        separator, index = self.separator, self.index

        def apply(value: Any, _record: dict[str, Any]) -> Any:
            if value is None:
                return None
            if not isinstance(value, str):
                raise TransformError(f"split expects text, got {type(value).__name__}")
            items = [item.strip() for item in value.split(separator)]
            items = [item for item in items if item]
            if index is None:
                return items
            return items[index] if -len(items) <= index < len(items) else None

        return apply


def _number_text(value: Any, what: str) -> Any:
    if isinstance(value, bool):
        raise TransformError(f"{what} does not take a boolean")
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float):
        return value
    raise TransformError(f"{what} expects a number or text, got {type(value).__name__}")


class ToInt(_Spec):
    """An integer from an int, an integral float or numeric text (``" 42 "``, ``"42.0"``)."""

    type: Literal["to_int"] = "to_int"

    def compile(self) -> Transform:
        def apply(value: Any, _record: dict[str, Any]) -> Any:
            if value is None:
                return None
            value = _number_text(value, "to_int")
            try:
                return int(value)
            except (ValueError, OverflowError):
                pass
            try:
                number = float(value)
            except (ValueError, OverflowError):
                raise TransformError(f"cannot convert {value!r} to an integer") from None
            if not number.is_integer():
                raise TransformError(f"{value!r} is not a whole number")
            return int(number)

        return apply


class ToFloat(_Spec):
    """A finite float from a number or numeric text."""

    type: Literal["to_float"] = "to_float"

    def compile(self) -> Transform:
        def apply(value: Any, _record: dict[str, Any]) -> Any:
            if value is None:
                return None
            value = _number_text(value, "to_float")
            try:
                number = float(value)
            except (ValueError, OverflowError):
                raise TransformError(f"cannot convert {value!r} to a number") from None
            if not math.isfinite(number):
                raise TransformError(f"{value!r} is not a finite number")
            return number

        return apply


TRANSFORMS: dict[str, type[_Spec]] = {
    spec.model_fields["type"].default: spec
    for spec in (
        Lowercase,
        Uppercase,
        Strip,
        ValueMap,
        RegexExtract,
        DateParse,
        Concatenate,
        Default,
        Split,
        ToInt,
        ToFloat,
    )
}
"""Every transform there is, by name: the closed set."""


def _tag(value: Any) -> str | None:
    name = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return f"<{name}>" if isinstance(name, str) and name in TRANSFORMS else None


def _known_transform(value: Any) -> Any:
    """Bare names become ``{"type": name}``; unknown names fail here, naming the choices."""
    if isinstance(value, str):
        value = {"type": value}
    if isinstance(value, dict):
        name = value.get("type")
        if name not in TRANSFORMS:
            raise ValueError(
                f"unknown transform {name!r}; use one of: {', '.join(sorted(TRANSFORMS))}"
            )
    return value


TransformSpec = Annotated[
    Annotated[Lowercase, Tag("<lowercase>")]
    | Annotated[Uppercase, Tag("<uppercase>")]
    | Annotated[Strip, Tag("<strip>")]
    | Annotated[ValueMap, Tag("<value_map>")]
    | Annotated[RegexExtract, Tag("<regex_extract>")]
    | Annotated[DateParse, Tag("<date_parse>")]
    | Annotated[Concatenate, Tag("<concatenate>")]
    | Annotated[Default, Tag("<default>")]
    | Annotated[Split, Tag("<split>")]
    | Annotated[ToInt, Tag("<to_int>")]
    | Annotated[ToFloat, Tag("<to_float>")],
    Discriminator(_tag),
    BeforeValidator(_known_transform),
]
"""One transform spec; tags are ``<name>`` so error locations can drop them."""


def compile_chain(specs: list[Any]) -> list[tuple[str, Transform]]:
    """Each spec's name and compiled function, in order."""
    return [(spec.type, spec.compile()) for spec in specs]
