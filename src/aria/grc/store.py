"""Batch upserts into the risk register: one SELECT per chunk to classify, then executemany
INSERT ... ON CONFLICT / UPDATE by primary key. Never a query per record.

Classification per record (by its dedupe hash, unique per organization):
new → inserted; same content → only `last_seen_at`/`last_job_id` touched; changed content →
updated; resolved status (OCSF 4/5) after an open one → resolved; open after resolved →
reopened (and counted). Each transition becomes a `LifecycleEvent`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

from sqlalchemy import JSON, ColumnElement, String, Table, any_, bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from aria.db.types import utcnow
from aria.grc import models
from aria.grc.events import LifecycleEvent
from aria.sdk import records as canonical

CHUNK = 500
RESOLVED = frozenset({4, 5})
# Fields that change on every sighting without meaning anything changed.
VOLATILE = frozenset({"observed_at", "last_seen", "raw"})
# Columns the bulk inserts receive as JSON text already (see ``_data_json``).
SERIALIZED = ("data",)


@dataclass(frozen=True)
class Source:
    """Where a batch came from."""

    organization_id: uuid.UUID
    installation_id: uuid.UUID
    integration_key: str
    job_id: uuid.UUID | None = None

    @cached_property
    def installation_key(self) -> str:
        """The installation id as the dedupe keys spell it (made once, not once per record)."""
        return str(self.installation_id)


@dataclass
class UpsertStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    resolved: int = 0
    reopened: int = 0
    events: list[LifecycleEvent] = field(default_factory=list)

    def add(self, other: UpsertStats) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.resolved += other.resolved
        self.reopened += other.reopened
        self.events.extend(other.events)

    @property
    def processed(self) -> int:
        return self.created + self.updated + self.unchanged


def digest(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


def _content_hash(record: canonical.CanonicalRecord) -> str:
    """Hash of what the record says, minus fields that change on every sighting; the model's
    own (deterministic, Rust) JSON serializer keeps this cheap on the sync hot path."""
    text = record.model_dump_json(exclude=set(VOLATILE))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _data(record: canonical.CanonicalRecord) -> dict[str, Any]:
    """The ``data`` column: the canonical record without its raw payload."""
    return record.model_dump(mode="json", exclude={"raw"})


def _data_json(record: canonical.CanonicalRecord) -> str:
    """``_data`` as the JSON text the column would store, made by the model's serializer in
    one pass (no dict in between): for the bulk inserts, which bind it as text."""
    return record.model_dump_json(exclude={"raw"})


def dialect_insert(session: Session, table: Any) -> Any:
    """INSERT with ON CONFLICT support for the session's database."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def among(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values``. On PostgreSQL as ``= ANY(array)``, one bound parameter: an IN
    list of 500 placeholders is re-rendered by SQLAlchemy and re-parsed by psycopg (too long
    for its statement cache) on every page."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(values)  # type: ignore[no-any-return]


def _entity(record: canonical.CanonicalRecord) -> str:
    return record.record_type  # type: ignore[attr-defined, no-any-return]


def _base_row(
    record: canonical.CanonicalRecord, source: Source, stream: str, now: datetime
) -> dict[str, Any]:
    """Every column but ``data``, which only rows that are written need (see ``_upsert_chunk``)."""
    severity_raw = record.severity_raw
    status = getattr(record, "status", None)
    parts = (_entity(record), getattr(record, "kind", None) or "")
    key = record.dedupe_key(source.installation_key)
    return {
        "organization_id": source.organization_id,
        "installation_id": source.installation_id,
        "integration_key": source.integration_key,
        "stream": stream,
        "dedupe_hash": digest(*(str(p) for p in (*parts, *key))),
        "content_hash": _content_hash(record),
        "uid": (record.source_uid or "")[:300] or None,
        "severity_id": int(record.severity),
        "severity_raw": None if severity_raw is None else str(severity_raw)[:100],
        "status_id": int(status) if status is not None else 1,
        "title": getattr(record, "title", None),
        "raw": record.raw,
        "last_seen_at": now,
        "last_job_id": source.job_id,
    }


def _finding_columns(record: canonical.Finding) -> dict[str, Any]:
    technique = None
    if record.detection_info is not None:
        for attack in record.detection_info.attacks:
            if attack.technique_id:
                technique = attack.technique_id
                break
    cves = record.vulnerability_info.cve_ids if record.vulnerability_info else []
    return {
        "kind": record.kind.value,
        "asset_key": record.asset_key() or None,
        "technique_id": technique,
        "cve": ",".join(cves)[:300] or None,
        "title": record.title,
    }


def _extra_columns(record: canonical.CanonicalRecord) -> dict[str, Any]:
    if isinstance(record, canonical.Finding):
        return _finding_columns(record)
    if isinstance(record, canonical.Identity):
        return {"provider": record.provider, "email": record.email, "title": record.name}
    if isinstance(record, canonical.Indicator):
        return {"indicator_type": record.type.value, "value": record.value, "title": record.value}
    return {}


TABLES: dict[str, type[models.SourceRecord]] = {
    "finding": models.Finding,
    "incident": models.Incident,
    "identity": models.Identity,
    "indicator": models.Indicator,
    "asset": models.AssetSource,
}


def upsert(
    session: Session,
    *,
    source: Source,
    stream: str,
    records: Sequence[canonical.CanonicalRecord],
    now: datetime | None = None,
) -> UpsertStats:
    """Upsert one page of canonical records (any mix of types) in the caller's transaction.

    Tickets are not register records: they move the risks they were opened for."""
    now = now or utcnow()
    stats = UpsertStats()
    tickets = [r for r in records if isinstance(r, canonical.Ticket)]
    if tickets:
        from aria.grc.tickets import apply as apply_tickets

        records = [r for r in records if not isinstance(r, canonical.Ticket)]
        moved = apply_tickets(session, source=source, tickets=tickets, now=now)
        stats.updated += len(moved)
        stats.unchanged += len(tickets) - len(moved)
        stats.events.extend(moved)
    by_entity: dict[str, dict[str, tuple[dict[str, Any], canonical.CanonicalRecord]]] = {}
    for record in records:
        row = _base_row(record, source, stream, now)
        row.update(_extra_columns(record))
        # The same record twice in one page: the later sighting wins.
        by_entity.setdefault(_entity(record), {})[row["dedupe_hash"]] = (row, record)
    for entity, rows in by_entity.items():
        if entity == "asset":
            from aria.grc.assets import link_assets

            link_assets(session, source=source, rows=rows, now=now)
        elif entity == "finding":
            from aria.grc.assets import attach_findings

            attach_findings(session, source=source, rows=rows, now=now)
        items = list(rows.values())
        for start in range(0, len(items), CHUNK):
            stats.add(_upsert_chunk(session, entity, items[start : start + CHUNK], source, now))
    return stats


def _upsert_chunk(
    session: Session,
    entity: str,
    items: list[tuple[dict[str, Any], canonical.CanonicalRecord]],
    source: Source,
    now: datetime,
) -> UpsertStats:
    table = TABLES[entity]
    stats = UpsertStats()
    hashes = [row["dedupe_hash"] for row, _ in items]
    # Plain rows and Core statements through the session's connection (same transaction):
    # the ORM's result and bulk-update machinery costs more than the queries on this path.
    connection = session.connection()
    existing = {
        dedupe: (record_id, content, status)
        for record_id, dedupe, content, status in connection.execute(
            select(table.id, table.dedupe_hash, table.content_hash, table.status_id).where(
                table.organization_id == source.organization_id,
                among(session, table.dedupe_hash, hashes),
            )
        )
    }
    inserts: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    touched: list[int] = []
    reopened: list[int] = []
    pending: list[tuple[str, int, dict[str, Any]]] = []
    for row, record in items:
        found = existing.get(row["dedupe_hash"])
        now_resolved = row["status_id"] in RESOLVED
        if found is None:
            inserts.append(
                {
                    **row,
                    "data": _data_json(record),
                    "first_seen_at": now,
                    "updated_at": now,
                    "resolved_at": now if now_resolved else None,
                }
            )
            continue
        record_id, content, status = found
        was_resolved = status in RESOLVED
        if was_resolved and not now_resolved:
            change = {**row, "id": record_id, "updated_at": now, "resolved_at": None}
            reopened.append(record_id)
            pending.append(("reopened", record_id, row))
            stats.reopened += 1
        elif now_resolved and not was_resolved:
            change = {**row, "id": record_id, "updated_at": now, "resolved_at": now}
            pending.append(("resolved", record_id, row))
            stats.resolved += 1
        elif content != row["content_hash"]:
            change = {**row, "id": record_id, "updated_at": now}
            pending.append(("updated", record_id, row))
            stats.updated += 1
        else:
            touched.append(record_id)
            stats.unchanged += 1
            continue
        change["data"] = _data(record)
        changes.append(change)
    if inserts:
        if session.get_bind().dialect.name == "postgresql":
            rows = _insert_unnest(session, table.__table__, inserts)
        else:
            rows = _insert_values(session, table.__table__, inserts)
        ids = {dedupe: record_id for record_id, dedupe in rows}
        for row in inserts:
            stats.created += 1
            pending.append(("new", ids[row["dedupe_hash"]], row))
    if changes:
        session.execute(update(table), changes)  # UPDATE by primary key, executemany
    if reopened:  # the counter increments in SQL, never read-modify-write
        session.execute(
            update(table)
            .where(table.id.in_(reopened))
            .values(reopened_count=table.reopened_count + 1)
        )
    for start in range(0, len(touched), CHUNK):
        connection.execute(
            update(table)
            .where(among(session, table.id, touched[start : start + CHUNK]))
            .values(last_seen_at=now, last_job_id=source.job_id)
        )
    stats.events = [
        LifecycleEvent(
            kind=kind,
            entity=entity,
            record_id=record_id,
            organization_id=source.organization_id,
            installation_id=source.installation_id,
            severity_id=row["severity_id"],
            status_id=row["status_id"],
        )
        for kind, record_id, row in pending
    ]
    return stats


DEDUPE = ("organization_id", "dedupe_hash")


def _insert_values(session: Session, core: Table, rows: list[dict[str, Any]]) -> list[Any]:
    """SQLite: the rows through ``_sqlite_executemany``, then one indexed SELECT for the ids.

    Through SQLAlchemy, ``RETURNING`` made it render and bind a multi-row VALUES statement row
    by row in Python. And ``ON CONFLICT DO UPDATE`` costs SQLite a foreign-key pass per row
    even when the row is new (34 against 18 us a row, measured on the findings table), so
    the rows, all new when classified, go in with ``DO NOTHING``; only if another writer
    stored some of them since (the row count falls short) does the updating form run too.
    """
    names, values = _driver_rows(session, core, rows)
    if _sqlite_executemany(session, core, names, values, DEDUPE) != len(rows):
        _sqlite_executemany(session, core, names, values, DEDUPE, update=True)
    hashes = [row["dedupe_hash"] for row in rows]
    return list(
        session.connection()
        .execute(
            select(core.c.id, core.c.dedupe_hash).where(
                core.c.organization_id == bindparam("organization", type_=String()),
                core.c.dedupe_hash.in_(hashes),
            ),
            {"organization": rows[0]["organization_id"]},
        )
        .all()
    )


def insert_ignoring_conflicts(
    session: Session, core: Table, rows: list[dict[str, Any]], conflict: tuple[str, ...]
) -> None:
    """Many rows, each skipped when it conflicts on ``conflict`` (link tables)."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        statement = postgresql.insert(core).on_conflict_do_nothing(index_elements=list(conflict))
        session.connection().execute(statement, rows)
    else:
        _sqlite_executemany(session, core, *_driver_rows(session, core, rows), conflict)


def _driver_rows(
    session: Session, core: Table, rows: list[dict[str, Any]]
) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """Column names and value tuples in the driver's form (Python-side defaults added; the
    rows are converted in place): what SQLAlchemy would build for every row in Python."""
    defaults = _python_defaults(core, rows[0])
    if defaults:
        for row in rows:
            row.update(defaults)
    _to_driver_values(session.get_bind().dialect, core, rows)
    return tuple(rows[0]), [tuple(row.values()) for row in rows]


def _sqlite_executemany(
    session: Session,
    core: Table,
    names: tuple[str, ...],
    values: list[tuple[Any, ...]],
    conflict: tuple[str, ...],
    *,
    update: bool = False,
) -> int:
    """SQLite: the driver's own ``executemany`` of one prepared INSERT (a C loop over the
    rows); returns the rows it inserted."""
    statement = _sqlite_insert(core, names, conflict, update=update)
    return session.connection().exec_driver_sql(statement, values).rowcount  # type: ignore[no-any-return]


@lru_cache(maxsize=32)
def _sqlite_insert(
    core: Table, names: tuple[str, ...], conflict: tuple[str, ...], *, update: bool
) -> str:
    """INSERT for one table and column set, as SQL text with positional parameters (only our
    own table and column names are formatted in), built once per process. On a conflict it
    does nothing, or with ``update`` overwrites all but ``first_seen_at``."""
    if update:
        changes = ", ".join(f"{n} = excluded.{n}" for n in names if n != "first_seen_at")
        action = f"DO UPDATE SET {changes}"
    else:
        action = "DO NOTHING"
    return (
        f"INSERT INTO {core.name} ({', '.join(names)}) "  # noqa: S608
        f"VALUES ({', '.join('?' * len(names))}) "
        f"ON CONFLICT ({', '.join(conflict)}) {action}"
    )


def _python_defaults(core: Table, names: Iterable[str]) -> dict[str, Any]:
    """The Python-side defaults of the columns not in ``names``: SQL text does not apply them."""
    given = set(names)
    defaults = {}
    for column in core.columns:
        default = column.default
        if column.name in given or column.primary_key or default is None:
            continue
        if default.is_scalar:
            defaults[column.name] = default.arg
        elif default.is_callable:
            defaults[column.name] = default.arg(None)
    return defaults


def _to_driver_values(dialect: Dialect, core: Table, rows: list[dict[str, Any]]) -> None:
    """Convert, in place, every column whose type processes values on the way to the driver.
    The page's clock and ids repeat in every row, so each distinct value
    is converted once (by the column type's own processor, so the stored text is the same;
    equal UUIDs and instants convert alike); only JSON is serialized per row."""
    for name in rows[0]:
        if name in SERIALIZED:
            continue
        column_type = core.c[name].type.dialect_impl(dialect)
        process = column_type.bind_processor(dialect)
        if process is None:
            continue
        if isinstance(column_type, JSON):
            for row in rows:
                row[name] = process(row[name])
        else:
            done: dict[Any, Any] = {}
            for row in rows:
                value = row[name]
                if value not in done:
                    done[value] = process(value)
                row[name] = done[value]


def _insert_unnest(session: Session, core: Any, rows: list[dict[str, Any]]) -> list[Any]:
    """PostgreSQL: the chunk as one array per column, ``INSERT ... SELECT FROM unnest(...)``.

    A multi-row VALUES list carries rows x columns placeholders, and psycopg re-parses that
    text on every page (most of the insert's time); one array per column keeps the statement
    small and constant. Same ON CONFLICT upsert and RETURNING as the other path.
    """
    dialect = session.get_bind().dialect
    names = list(rows[0])
    defaults = _python_defaults(core, names)
    names += list(defaults)
    arrays, params = [], {}
    for index, name in enumerate(names):
        column = core.c[name]
        sql_type = column.type.compile(dialect=dialect)
        values = [defaults[name]] * len(rows) if name in defaults else [r[name] for r in rows]
        if "JSON" in sql_type and name not in SERIALIZED:
            values = [None if v is None else dialect._json_serializer(v) for v in values]
        elif hasattr(column.type, "process_bind_param"):
            values = [column.type.process_bind_param(v, dialect) for v in values]
        params[f"p{index}"] = values
        arrays.append(f"CAST(%(p{index})b AS {sql_type}[])")
    updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names if n != "first_seen_at")
    # Only our own table and column names are formatted in; every value is a bound array,
    # sent in binary (``%()b``): in text form psycopg quotes every element of every array
    # in Python, which was half of a PostgreSQL page's time.
    statement = (
        f"INSERT INTO {core.name} ({', '.join(names)}) "  # noqa: S608
        f"SELECT * FROM unnest({', '.join(arrays)}) "
        f"ON CONFLICT ({', '.join(DEDUPE)}) DO UPDATE SET {updates} "
        "RETURNING id, dedupe_hash"
    )
    return list(session.connection().exec_driver_sql(statement, params).all())


REGISTER_TABLES = ("findings", "incidents", "assets", "asset_identifiers", "risks", "risk_findings")


def refresh_statistics(session: Session) -> None:
    """PostgreSQL: ANALYZE the register tables. A first sync grows them from nothing within
    minutes, before autovacuum notices; with statistics that still say "a few hundred rows"
    the planner scans a whole organization per page instead of using the dedupe index."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"ANALYZE {', '.join(REGISTER_TABLES)}"))


def resolve_absent(
    session: Session, *, source: Source, stream: str, entity: str, now: datetime | None = None
) -> UpsertStats:
    """After a complete full sync of ``stream``: what the source no longer reports is resolved."""
    now = now or utcnow()
    stats = UpsertStats()
    if entity not in ("finding", "incident") or source.job_id is None:
        return stats
    table = TABLES[entity]
    rows = session.execute(
        update(table)
        .where(
            table.installation_id == source.installation_id,
            table.stream == stream,
            table.status_id.not_in(RESOLVED),
            (table.last_job_id.is_(None)) | (table.last_job_id != source.job_id),
        )
        .values(status_id=4, resolved_at=now, updated_at=now)
        .returning(table.id, table.severity_id)
    ).all()
    stats.resolved = len(rows)
    stats.events = [
        LifecycleEvent(
            kind="resolved",
            entity=entity,
            record_id=record_id,
            organization_id=source.organization_id,
            installation_id=source.installation_id,
            severity_id=severity,
            status_id=4,
        )
        for record_id, severity in rows
    ]
    return stats


def mark_source_removed(session: Session, *, installation_id: uuid.UUID) -> int:
    """Uninstall keeps synced records; flag them so readers know their source is gone."""
    now = utcnow()
    total = 0
    for table in TABLES.values():
        result = session.execute(
            update(table)
            .where(table.installation_id == installation_id)
            .values(source_removed_at=now)
        )
        total += result.rowcount or 0
    return total
