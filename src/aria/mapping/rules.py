"""The data-mapping engine: validate a mapping spec, compile mappings into a plan, apply it.

Pure (no database, no I/O) and compiled once per sync: every path, regex and table is prepared
when the plan is built, so applying it is a few dict operations per rule.

Spec (what ``integration_data_mappings`` stores, validated on save by :func:`validate_rules`)::

    field_mappings:  [{"source": "raw.hosts.0.name", "target": "asset.hostname",
                       "transforms": ["lowercase", {"type": "strip"}]}, ...]
    transformations: [{"field": "title", "transforms": [{"type": "strip"}]}, ...]
    filter_rules:    {"all": [{"field": "raw.severity", "op": "ne", "value": "info"}]} | {}

Paths are dotted, list indexes allowed (``raw.hosts.0.name``): ``raw.…`` reads the vendor
record, anything else the canonical record. Targets must be canonical fields of the stream's
record type (``asset.hostname``, ``detection_info.confidence``, ``detection_info.attacks.0.
technique_id``); ``raw`` and ``record_type`` are read-only. ``source`` may be omitted when a
``default``/``concatenate`` transform supplies the value. A rule whose final value is ``None``
(missing source, no regex match, unmapped value without default) leaves the target untouched.
``transformations`` rewrite a canonical field in place (source = target = ``field``).
The transform set is closed (:mod:`aria.mapping.transforms`); filters are
:mod:`aria.mapping.filters`. Nothing is ever evaluated: strings are data.

Contract for the sync engine::

    plan = compile_mappings(mappings)        # DataMapping rows (or anything with the same
                                             # attributes); inactive ones skipped, ascending
                                             # priority (then name); SpecError if a stored
                                             # spec is invalid
    record = plan.apply(record)              # -> CanonicalRecord | None
    plan.stats                               # seen / applied / dropped / errors / dropped_by

For each mapping in order: its filter is tested on the record as it arrives at that mapping
(failing → ``None``, counted as "dropped by mapping <name>"); then field mappings, then
transformations, run in order on a shallow working copy (copy-on-write: the input record is
never mutated); if anything changed, the copy is re-validated
with the record's own pydantic class, so every mapping receives and produces a valid canonical
record. A record that cannot be mapped (a transform cannot convert a value, or the result is
not a valid record) raises :class:`MappingError`, naming the mapping, the rule and the record,
and carrying the unmapped input as ``error.record``: never dropped silently. An empty plan
returns the record object unchanged; a plan whose rules change nothing returns it unchanged too.
``plan.apply_all(records)`` does the same for a page and collects the errors instead of raising.
"""

from __future__ import annotations

import re
import typing
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import UnionType
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from aria.mapping.filters import (
    MAX_NODES,
    All,
    AnyOf,
    FilterNode,
    Leaf,
    Not,
    Predicate,
    check_shape,
    compile_filter,
)
from aria.mapping.transforms import (
    MAX_PATH,
    Transform,
    TransformError,
    TransformSpec,
    compile_chain,
)
from aria.sdk.paths import resolve
from aria.sdk.records import CanonicalRecord, Finding
from aria.sdk.records.asset import Asset
from aria.sdk.records.identity import Identity
from aria.sdk.records.incident import Incident
from aria.sdk.records.indicator import Indicator
from aria.sdk.records.ticket import Ticket

RECORD_CLASSES: tuple[type[CanonicalRecord], ...] = (
    Finding,
    Asset,
    Identity,
    Incident,
    Indicator,
    Ticket,
)
READ_ONLY = frozenset({"raw", "record_type"})
MAX_RULES = 200
MAX_TRANSFORMS = 20
MAX_ERROR_SAMPLES = 20

_INDEX = re.compile(r"^-?\d+$")
_MISSING: Any = object()


# -- paths -----------------------------------------------------------------------------------


def _check_path(path: str) -> str:
    """Dotted path syntax: no empty segments, no surrounding blanks."""
    if path != path.strip() or any(part == "" for part in path.split(".")):
        raise ValueError(f"{path!r} is not a dotted path (e.g. raw.hosts.0.name)")
    return path


Path = Annotated[str, Field(min_length=1, max_length=MAX_PATH), BeforeValidator(_check_path)]


def _child(current: Any, part: str, index: int | None, missing: Any) -> Any:
    """One step down: a dict key, a model field (its ``__dict__``, never ``getattr``) or a
    list index; ``missing`` when there is none."""
    if type(current) is dict:
        return current.get(part, missing)
    if isinstance(current, BaseModel):
        return current.__dict__.get(part, missing)
    if type(current) is list and index is not None and -len(current) <= index < len(current):
        return current[index]
    return missing


def compile_path(path: str, *, missing: Any = None) -> Callable[[dict[str, Any]], Any]:
    """A getter for ``path`` in a working record (a dict whose nested values may still be
    pydantic models); ``missing`` when absent.

    Only dict keys, model fields and list indexes are followed, never attributes, so no path
    can reach Python internals. Vendor keys that contain dots (``@odata.type``) are found by
    the SDK's resolver as a fallback.
    """
    parts = tuple(path.split("."))
    indexes = tuple(int(p) if _INDEX.match(p) else None for p in parts)

    if len(parts) == 1:
        key = parts[0]
        return lambda record: record.get(key, missing)

    vendor = parts[0] == "raw"  # canonical field names never contain dots

    def fallback(record: dict[str, Any]) -> Any:
        return resolve(record, path, missing) if vendor else missing

    if len(parts) == 2:  # ``raw.x``, ``asset.hostname``: the common case, kept short
        first, second, second_index = parts[0], parts[1], indexes[1]

        def get_two(record: dict[str, Any]) -> Any:
            parent = record.get(first, _MISSING)
            if type(parent) is dict:
                return parent[second] if second in parent else fallback(record)
            if parent is _MISSING:
                return missing
            return _child(parent, second, second_index, missing)

        return get_two

    steps = tuple(zip(parts, indexes, strict=True))

    def get(record: dict[str, Any]) -> Any:
        current: Any = record
        for part, index in steps:
            current = _child(current, part, index, _MISSING)
            if current is _MISSING:
                return fallback(record)
        return current

    return get


def compile_setter(path: str) -> Callable[[dict[str, Any], Any], None]:
    """A writer for ``path`` into a working record, copy-on-write: nested models and lists on
    the way are replaced by shallow copies (the input record is never mutated), missing
    objects/lists are created, an index may append (``== len``) but not leave a gap.
    ``TransformError`` when the record's shape forbids the write."""
    parts = path.split(".")
    steps = [(part, int(part) if _INDEX.match(part) else None) for part in parts]

    def put(container: Any, part: str, index: int | None, value: Any) -> None:
        if type(container) is dict:
            container[part] = value
        elif type(container) is list and index is not None:
            if 0 <= index < len(container):
                container[index] = value
            elif index == len(container):
                container.append(value)
            else:
                raise TransformError(f"{path}: index {index} is past the end of the list")
        else:
            raise TransformError(f"{path}: cannot write into a {type(container).__name__}")

    if len(steps) == 1:
        key = parts[0]

        def set_top(record: dict[str, Any], value: Any) -> None:
            record[key] = value

        return set_top

    def owned(child: Any, part: str, next_index: int | None) -> Any:
        """A container this write may change: new, or a shallow copy of the record's."""
        if child is None:
            return [] if next_index is not None else {}
        if isinstance(child, BaseModel):
            return dict(child.__dict__)
        if type(child) is list:
            return list(child)
        if type(child) is not dict:
            raise TransformError(f"{path}: {part} holds a {type(child).__name__}")
        return child

    if len(steps) == 2:  # ``asset.hostname``: the common case, kept short
        (first, _), (second, second_index) = steps

        def set_two(record: dict[str, Any], value: Any) -> None:
            parent = owned(record.get(first), first, second_index)
            record[first] = parent
            put(parent, second, second_index, value)

        return set_two

    def set_value(record: dict[str, Any], value: Any) -> None:
        current: Any = record
        for position, (part, index) in enumerate(steps[:-1]):
            child = owned(_child(current, part, index, None), part, steps[position + 1][1])
            put(current, part, index, child)
            current = child
        part, index = steps[-1]
        put(current, part, index, value)

    return set_value


# -- validating paths against the canonical models -----------------------------------------


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``None`` from a field type; a real union stays a union."""
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation


def _field_error(model: type[BaseModel], parts: list[str]) -> str | None:
    """Why ``parts`` is not a field path of ``model`` (None when it is)."""
    current: Any = model
    walked: list[str] = []
    for part in parts:
        if isinstance(current, type) and issubclass(current, BaseModel):
            if part not in current.model_fields:
                where = f" under {'.'.join(walked)}" if walked else ""
                known = ", ".join(sorted(current.model_fields))
                return f"{part!r} is not a field{where}; fields: {known}"
            current = _unwrap(current.model_fields[part].annotation)
        elif typing.get_origin(current) is list:
            if not _INDEX.match(part) or int(part) < 0:
                return f"{'.'.join(walked)} is a list: use an index such as {'.'.join(walked)}.0"
            current = _unwrap(typing.get_args(current)[0])
        else:
            return f"{'.'.join(walked)} is a single value; it has no {part!r}"
        walked.append(part)
    return None


def path_error(path: str, classes: Sequence[type[BaseModel]], *, writing: bool) -> str | None:
    """Why ``path`` is not usable on records of ``classes`` (None when it is on one of them).

    ``raw.…`` is always readable (vendor data has no schema) and never writable.
    """
    parts = path.split(".")
    if parts[0] in READ_ONLY and writing:
        return f"{parts[0]} cannot be written: it is the vendor record / fixed type"
    if parts[0] == "raw":
        return None
    errors = [_field_error(cls, parts) for cls in classes]
    if any(error is None for error in errors):
        return None
    if len(classes) == 1:
        return errors[0]
    return f"{parts[0]!r} is not a field of any canonical record type"


# -- spec models -----------------------------------------------------------------------------


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FieldMapping(_Spec):
    """Copy a value from ``source`` (vendor or canonical) to a canonical ``target``."""

    source: Path | None = None
    target: Path
    transforms: list[TransformSpec] = Field(default_factory=list, max_length=MAX_TRANSFORMS)

    @model_validator(mode="after")
    def _has_a_value(self) -> FieldMapping:
        """Without a source, only ``default``/``concatenate`` can produce a value."""
        if self.source is None and not any(
            t.type in {"default", "concatenate"} for t in self.transforms
        ):
            raise ValueError("@source: required unless a default or concatenate supplies it")
        return self


class Transformation(_Spec):
    """Rewrite a canonical field in place (e.g. strip the title, upper-case a CVE list)."""

    field: Path
    transforms: list[TransformSpec] = Field(min_length=1, max_length=MAX_TRANSFORMS)


def _empty_filter(value: Any) -> Any:
    return None if value == {} else value


class MappingRules(_Spec):
    """The rule part of a data mapping (what the engine runs)."""

    field_mappings: list[FieldMapping] = Field(default_factory=list, max_length=MAX_RULES)
    transformations: list[Transformation] = Field(default_factory=list, max_length=MAX_RULES)
    filter_rules: Annotated[FilterNode | None, BeforeValidator(_empty_filter)] = None

    @field_validator("filter_rules")
    @classmethod
    def _bounded(cls, node: Any) -> Any:
        if node is not None and check_shape(node) > MAX_NODES:
            raise ValueError(f"filters have at most {MAX_NODES} conditions")
        return node

    def stored(self) -> dict[str, Any]:
        """The three JSON columns, normalized (bare transform names expanded)."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=False)
        return {
            "field_mappings": [
                {k: v for k, v in rule.items() if v is not None or k == "source"}
                for rule in data["field_mappings"]
            ],
            "transformations": data["transformations"],
            "filter_rules": data["filter_rules"] or {},
        }


# -- errors ----------------------------------------------------------------------------------

_AT = re.compile(r"^@(\w+): ")


def format_location(loc: Iterable[Any]) -> str:
    """``('field_mappings', 2, 'transforms', 0, '<value_map>', 'map')`` →
    ``field_mappings[2].transforms[0].map`` (union tags dropped)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.startswith("<") and part.endswith(">"):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def _problem(loc: Iterable[Any], message: str) -> dict[str, str]:
    message = message.removeprefix("Value error, ")
    location = list(loc)
    if found := _AT.match(message):
        location.append(found.group(1))
        message = message[found.end() :]
    return {"field": format_location(location), "message": message}


class SpecError(ValueError):
    """An invalid mapping spec; ``errors`` is ``[{"field": location, "message": why}]``."""

    def __init__(self, errors: list[dict[str, str]], *, prefix: str = "") -> None:
        self.errors = errors
        lines = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        super().__init__(f"{prefix}{lines}")


def _leaves(node: Any, loc: tuple[Any, ...]) -> Iterable[tuple[tuple[Any, ...], Leaf]]:
    if isinstance(node, All):
        for index, child in enumerate(node.all):
            yield from _leaves(child, (*loc, "all", index))
    elif isinstance(node, AnyOf):
        for index, child in enumerate(node.any):
            yield from _leaves(child, (*loc, "any", index))
    elif isinstance(node, Not):
        yield from _leaves(node.not_, (*loc, "not"))
    elif isinstance(node, Leaf):
        yield loc, node


def validate_rules(
    data: dict[str, Any], *, record_classes: Sequence[type[BaseModel]] | None = None
) -> MappingRules:
    """Parse ``{"field_mappings", "transformations", "filter_rules"}`` and check every path
    against ``record_classes`` (default: any canonical type). ``SpecError`` lists every
    problem with its exact location."""
    try:
        rules = MappingRules.model_validate(data)
    except ValidationError as error:
        raise SpecError([_problem(e["loc"], e["msg"]) for e in error.errors()]) from None
    classes = tuple(record_classes or RECORD_CLASSES)
    problems: list[dict[str, str]] = []

    def check(loc: tuple[Any, ...], path: str | None, *, writing: bool) -> None:
        if path is not None and (why := path_error(path, classes, writing=writing)):
            problems.append(_problem(loc, why))

    for index, rule in enumerate(rules.field_mappings):
        check(("field_mappings", index, "source"), rule.source, writing=False)
        check(("field_mappings", index, "target"), rule.target, writing=True)
        for t_index, spec in enumerate(rule.transforms):
            for s_index, source in enumerate(getattr(spec, "sources", ())):
                loc = ("field_mappings", index, "transforms", t_index, "sources", s_index)
                check(loc, source, writing=False)
    for index, rule in enumerate(rules.transformations):
        check(("transformations", index, "field"), rule.field, writing=True)
    for loc, leaf in _leaves(rules.filter_rules, ("filter_rules",)):
        check((*loc, "field"), leaf.field, writing=False)
    if problems:
        raise SpecError(problems)
    return rules


# -- compiled plan ---------------------------------------------------------------------------


class MappingError(Exception):
    """A record the mapping could not produce a valid canonical record for (reported, not
    dropped): ``mapping`` and ``rule`` say where, ``record`` is the unmapped input."""

    def __init__(
        self, message: str, *, mapping: str, rule: str | None, record: CanonicalRecord
    ) -> None:
        uid = record.source_uid or "?"
        super().__init__(f"record {uid}: mapping {mapping!r}: {message}")
        self.mapping = mapping
        self.rule = rule
        self.record = record
        self.message = message


@dataclass(frozen=True)
class _Step:
    label: str
    get: Callable[[dict[str, Any]], Any] | None
    chain: tuple[tuple[str, Transform], ...]
    current: Callable[[dict[str, Any]], Any]
    set: Callable[[dict[str, Any], Any], None]


@dataclass(frozen=True)
class CompiledMapping:
    """One mapping, ready to run."""

    name: str
    priority: int
    keep: Predicate | None
    steps: tuple[_Step, ...]


def _step(label: str, source: str | None, target: str, transforms: list[Any]) -> _Step:
    chain = tuple(
        (f"{label}.transforms[{i}] ({name})", fn)
        for i, (name, fn) in enumerate(compile_chain(transforms))
    )
    return _Step(
        label=label,
        get=compile_path(source) if source is not None else None,
        chain=chain,
        current=compile_path(target, missing=_MISSING),
        set=compile_setter(target),
    )


def compile_rules(name: str, rules: MappingRules, *, priority: int = 100) -> CompiledMapping:
    """Compile validated rules once (paths, regexes, tables)."""
    steps = [
        _step(f"field_mappings[{i}]", rule.source, rule.target, rule.transforms)
        for i, rule in enumerate(rules.field_mappings)
    ]
    steps += [
        _step(f"transformations[{i}]", rule.field, rule.field, rule.transforms)
        for i, rule in enumerate(rules.transformations)
    ]
    keep = compile_filter(rules.filter_rules) if rules.filter_rules is not None else None
    return CompiledMapping(name=name, priority=priority, keep=keep, steps=tuple(steps))


@dataclass
class PlanStats:
    """Counts for one plan's life (usually one sync run)."""

    seen: int = 0
    applied: int = 0
    dropped: int = 0
    errors: int = 0
    dropped_by: Counter[str] = field(default_factory=Counter)
    error_samples: deque[str] = field(default_factory=lambda: deque(maxlen=MAX_ERROR_SAMPLES))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with a human line per dropping mapping for activity logs."""
        return {
            "seen": self.seen,
            "applied": self.applied,
            "dropped": self.dropped,
            "errors": self.errors,
            "dropped_by": dict(self.dropped_by),
            "messages": [
                f"{count} dropped by mapping {name}" for name, count in self.dropped_by.items()
            ],
            "error_samples": list(self.error_samples),
        }


@dataclass(frozen=True)
class Outcome:
    """What happened to one record (the preview shows this)."""

    record: CanonicalRecord | None
    dropped_by: str | None = None
    error: MappingError | None = None

    @property
    def message(self) -> str | None:
        if self.dropped_by is not None:
            return f"dropped by mapping {self.dropped_by}"
        return str(self.error) if self.error else None


@dataclass(frozen=True)
class MappedBatch:
    """A page through the plan: the records to store and the ones that failed."""

    records: list[CanonicalRecord]
    dropped: int
    errors: list[MappingError]


class Plan:
    """Mappings in application order; apply to many records, keep counts."""

    def __init__(self, mappings: Sequence[CompiledMapping]) -> None:
        self.mappings = tuple(mappings)
        self.stats = PlanStats()

    def __bool__(self) -> bool:
        return bool(self.mappings)

    def _run(self, record: CanonicalRecord) -> tuple[CanonicalRecord | None, str | None]:
        """The record after every mapping, or ``(None, name)`` for the mapping that dropped it."""
        current = record
        data: dict[str, Any] | None = None
        for mapping in self.mappings:
            if data is None:
                # Shallow: untouched nested models are passed back as instances, which
                # pydantic accepts without re-validating them; writes copy on the way down.
                data = dict(current.__dict__)
            if mapping.keep is not None and not mapping.keep(data):
                return None, mapping.name
            changed = False
            label: str | None = None
            try:
                for step in mapping.steps:
                    label = step.label
                    value = step.get(data) if step.get is not None else None
                    for label, fn in step.chain:  # noqa: B007 - label names the failing rule
                        value = fn(value, data)
                    if value is not None and step.current(data) != value:
                        label = step.label
                        step.set(data, value)
                        changed = True
            except TransformError as error:
                raise MappingError(
                    f"{label}: {error}", mapping=mapping.name, rule=label, record=record
                ) from None
            except Exception as error:  # a bad value never crashes a sync
                raise MappingError(
                    f"{label}: {type(error).__name__}: {error}",
                    mapping=mapping.name,
                    rule=label,
                    record=record,
                ) from None
            if changed:
                try:
                    current = type(current).model_validate(data)
                except ValidationError as error:
                    problems = "; ".join(
                        f"{format_location(e['loc']) or 'record'}: "
                        f"{e['msg'].removeprefix('Value error, ')}"
                        for e in error.errors()
                    )
                    raise MappingError(
                        f"result is not a valid {type(current).__name__.lower()}: {problems}",
                        mapping=mapping.name,
                        rule=None,
                        record=record,
                    ) from None
                data = None
        return current, None

    def outcome(self, record: CanonicalRecord) -> Outcome:
        """Like :meth:`apply` but never raises; counts the same way."""
        self.stats.seen += 1
        try:
            result, dropped_by = self._run(record)
        except MappingError as error:
            self.stats.errors += 1
            self.stats.error_samples.append(str(error))
            return Outcome(record=None, error=error)
        if result is None:
            self.stats.dropped += 1
            self.stats.dropped_by[dropped_by or "?"] += 1
            return Outcome(record=None, dropped_by=dropped_by)
        self.stats.applied += 1
        return Outcome(record=result)

    def apply(self, record: CanonicalRecord) -> CanonicalRecord | None:
        """The mapped record, or ``None`` when a filter drops it; ``MappingError`` when it
        cannot be mapped (counted in ``stats.errors``)."""
        if not self.mappings:
            self.stats.seen += 1
            self.stats.applied += 1
            return record
        outcome = self.outcome(record)
        if outcome.error is not None:
            raise outcome.error
        return outcome.record

    def apply_all(self, records: Iterable[CanonicalRecord]) -> MappedBatch:
        """A page of records through the plan; failures are collected, not raised."""
        kept: list[CanonicalRecord] = []
        errors: list[MappingError] = []
        dropped = 0
        for record in records:
            outcome = self.outcome(record)
            if outcome.record is not None:
                kept.append(outcome.record)
            elif outcome.error is not None:
                errors.append(outcome.error)
            else:
                dropped += 1
        return MappedBatch(records=kept, dropped=dropped, errors=errors)


class MappingLike(typing.Protocol):
    """What :func:`compile_mappings` reads: a ``DataMapping`` row or a spec with the same
    attributes."""

    name: str
    field_mappings: Any
    transformations: Any
    filter_rules: Any
    priority: int
    is_active: bool


def compile_mappings(
    mappings: Iterable[MappingLike],
    *,
    record_classes: Sequence[type[BaseModel]] | None = None,
) -> Plan:
    """Active mappings, validated and compiled, in ascending ``priority`` (then ``name``).

    ``SpecError`` (prefixed with the mapping's name) when a stored spec is invalid: a sync
    should fail loudly rather than store records a broken mapping would have changed.
    """
    active = sorted(
        (m for m in mappings if getattr(m, "is_active", True)),
        key=lambda m: (m.priority, m.name),
    )
    compiled = []
    for mapping in active:
        data = {
            "field_mappings": mapping.field_mappings or [],
            "transformations": mapping.transformations or [],
            "filter_rules": mapping.filter_rules or {},
        }
        try:
            rules = validate_rules(data, record_classes=record_classes)
        except SpecError as error:
            raise SpecError(error.errors, prefix=f"mapping {mapping.name!r}: ") from None
        compiled.append(compile_rules(mapping.name, rules, priority=mapping.priority))
    return Plan(compiled)
