"""One device seen by several tools is one asset: identifiers (instance id ▸ agent id ▸
serial ▸ MAC ▸ hostname+domain) map to a merged asset; when a record links two assets that
were separate, they merge into the older one and everything pointing at the other moves."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from aria.grc import models
from aria.grc.store import among, insert_ignoring_conflicts
from aria.sdk import records as canonical

Identifier = tuple[str, str]
CHUNK = 400


@dataclass
class Sighting:
    """What one record says about a device."""

    identifiers: list[Identifier]
    hostname: str | None = None
    domain: str | None = None
    ips: list[str] = field(default_factory=list)
    macs: list[str] = field(default_factory=list)
    os_name: str | None = None
    criticality: str | None = None
    known_asset: int | None = None  # the asset this source record already points at


def _sighting_of_asset(record: canonical.Asset) -> Sighting:
    return Sighting(
        identifiers=[(k, v[:300]) for k, v in record.identifiers()],
        hostname=record.hostname,
        domain=record.domain,
        ips=list(record.ips),
        macs=list(record.macs),
        os_name=record.os_name,
        criticality=record.criticality,
    )


def _sighting_of_ref(ref: canonical.AssetRef) -> Sighting:
    return Sighting(
        identifiers=[(k, v[:300]) for k, v in ref.identifiers()],
        hostname=ref.hostname,
        domain=ref.domain,
        ips=[ref.ip] if ref.ip else [],
        macs=[ref.mac] if ref.mac else [],
        os_name=ref.os,
    )


class AssetResolver:
    """Resolves sightings to asset ids for one organization, with one identifier lookup per
    chunk and in-memory bookkeeping so a page never queries per record."""

    def __init__(self, session: Session, organization_id: uuid.UUID, now: datetime) -> None:
        self.session = session
        self.organization_id = organization_id
        self.now = now
        self.by_identifier: dict[Identifier, int] = {}
        self.new_identifiers: dict[Identifier, int] = {}

    def prefetch(self, identifiers: set[Identifier]) -> None:
        """Load the asset ids of ``identifiers`` not yet known: one query per kind and chunk.

        ``kind = k AND value IN (...)`` is a lookup in the (organization, kind, value) index
        on every database. A row-value IN list makes PostgreSQL plan hundreds of OR-ed row
        comparisons; an OR of kinds makes SQLite (without statistics) walk every identifier
        of the organization per query: 139 ms against 12 ms a page at 50,000 devices."""
        by_kind: dict[str, list[str]] = {}
        for kind, value in identifiers:
            if (kind, value) not in self.by_identifier:
                by_kind.setdefault(kind, []).append(value)
        table = models.AssetIdentifier
        for kind, values in by_kind.items():
            for start in range(0, len(values), CHUNK):
                # Plain rows through the session's connection: no ORM result machinery.
                for value, asset_id in self.session.connection().execute(
                    select(table.value, table.asset_id).where(
                        table.organization_id == self.organization_id,
                        table.kind == kind,
                        among(self.session, table.value, values[start : start + CHUNK]),
                    )
                ):
                    self.by_identifier[(kind, value)] = asset_id

    def resolve(
        self, sightings: list[Sighting], source_name: str, *, remember: bool = True
    ) -> list[int | None]:
        """Asset id per sighting (created or merged as needed); None when it names no device.

        Set-based: one identifier lookup per chunk, new assets inserted together, identifiers
        inserted together, every touched asset loaded once. Only merges (rare) go row by row.
        """
        self.prefetch({i for s in sightings for i in s.identifiers})
        # Pass 1: sightings that name no known asset and share an identifier within this
        # batch become one new asset.
        pending: dict[Identifier, int] = {}
        groups: list[list[int]] = []
        for index, sighting in enumerate(sightings):
            if sighting.known_asset is not None or any(
                i in self.by_identifier for i in sighting.identifiers
            ):
                continue
            if not sighting.identifiers:
                continue
            group = next((pending[i] for i in sighting.identifiers if i in pending), None)
            if group is None:
                group = len(groups)
                groups.append([])
            groups[group].append(index)
            for identifier in sighting.identifiers:
                pending.setdefault(identifier, group)
        if groups:
            rows = [
                _new_asset(self.organization_id, sightings[g[0]], source_name, self.now)
                for g in groups
            ]
            ids = _insert_assets(self.session, rows)
            for group, asset_id in zip(groups, ids, strict=True):
                for index in group:
                    for identifier in sightings[index].identifiers:
                        self.by_identifier.setdefault(identifier, asset_id)
                        self.new_identifiers.setdefault(identifier, asset_id)
        # Pass 2: every sighting now resolves through the map (merging when it spans assets).
        out: list[int | None] = []
        for sighting in sightings:
            candidates = {
                self.by_identifier[i] for i in sighting.identifiers if i in self.by_identifier
            }
            if sighting.known_asset is not None:
                candidates.add(sighting.known_asset)
            if not candidates:
                out.append(None)
                continue
            survivor = min(candidates)
            losers = candidates - {survivor}
            if losers:
                self._merge(survivor, losers)
            for identifier in sighting.identifiers:
                if self.by_identifier.get(identifier) != survivor:
                    self._claim(identifier, survivor)
            out.append(survivor)
        self._insert_identifiers()
        if not remember:
            return out
        touched = {asset_id for asset_id in out if asset_id is not None}
        assets = (
            {
                asset.id: asset
                for asset in self.session.scalars(
                    select(models.Asset).where(models.Asset.id.in_(list(touched)))
                )
            }
            if touched
            else {}
        )
        for sighting, asset_id in zip(sightings, out, strict=True):
            if asset_id is not None and asset_id in assets:
                _remember(assets[asset_id], sighting, source_name, self.now)
        return out

    def _claim(self, identifier: Identifier, asset_id: int) -> None:
        kind, value = identifier
        if identifier in self.new_identifiers:
            self.new_identifiers[identifier] = asset_id
        elif identifier in self.by_identifier:
            self.session.execute(
                update(models.AssetIdentifier)
                .where(
                    models.AssetIdentifier.organization_id == self.organization_id,
                    models.AssetIdentifier.kind == kind,
                    models.AssetIdentifier.value == value,
                )
                .values(asset_id=asset_id)
            )
        else:
            self.new_identifiers[identifier] = asset_id
        self.by_identifier[identifier] = asset_id

    def _insert_identifiers(self) -> None:
        if not self.new_identifiers:
            return
        rows = [
            {"organization_id": self.organization_id, "kind": k, "value": v, "asset_id": a}
            for (k, v), a in self.new_identifiers.items()
        ]
        insert_ignoring_conflicts(
            self.session,
            models.AssetIdentifier.__table__,
            rows,
            ("organization_id", "kind", "value"),
        )
        self.new_identifiers.clear()

    def _merge(self, survivor: int, losers: set[int]) -> None:
        """Fold ``losers`` into ``survivor``: identifiers, source records, findings, risks."""
        ids = list(losers)
        self._insert_identifiers()
        self.session.flush()
        for table, column in (
            (models.AssetIdentifier, models.AssetIdentifier.asset_id),
            (models.AssetSource, models.AssetSource.asset_id),
            (models.Finding, models.Finding.asset_id),
            (models.Risk, models.Risk.asset_id),
        ):
            self.session.execute(update(table).where(column.in_(ids)).values(asset_id=survivor))
        merged = self.session.get(models.Asset, survivor)
        for loser in self.session.scalars(select(models.Asset).where(models.Asset.id.in_(ids))):
            if merged is not None:
                merged.first_seen_at = min(merged.first_seen_at, loser.first_seen_at)
                merged.sources = sorted(set(merged.sources) | set(loser.sources))
        self.session.execute(delete(models.Asset).where(models.Asset.id.in_(ids)))
        for identifier, asset_id in list(self.by_identifier.items()):
            if asset_id in losers:
                self.by_identifier[identifier] = survivor


# What tells apart the rows ``_new_asset`` makes for one batch (the rest is the same).
NEW_ASSET_CONTENT = ("hostname", "domain", "ips", "macs", "os_name", "criticality")


def _new_asset(
    organization_id: uuid.UUID, sighting: Sighting, source_name: str, now: datetime
) -> dict[str, Any]:
    return {
        "organization_id": organization_id,
        "hostname": sighting.hostname,
        "domain": sighting.domain,
        "ips": sorted(set(sighting.ips))[:50],
        "macs": sorted(set(sighting.macs))[:50],
        "os_name": sighting.os_name,
        "criticality": sighting.criticality,
        "sources": [source_name],
        "data": {},
        "first_seen_at": now,
        "last_seen_at": now,
        "updated_at": now,
    }


def _insert_assets(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert a batch of ``_new_asset`` rows with one executemany INSERT ... RETURNING (Core:
    no ORM bookkeeping); their ids in the order of ``rows``.

    Ids are matched back by content, not position: SQLite's RETURNING order is unspecified,
    and asking SQLAlchemy for parameter order makes it insert row by row there. Rows alike in
    ``NEW_ASSET_CONTENT`` are alike in every column, so any pairing among them is right."""
    table = models.Asset.__table__
    returned = [table.c.id, *(table.c[name] for name in NEW_ASSET_CONTENT)]
    ids: dict[tuple[Any, ...], list[int]] = {}
    for asset_id, *content in session.execute(insert(table).returning(*returned), rows):
        ids.setdefault(_content_key(content), []).append(asset_id)
    return [ids[_content_key([row[n] for n in NEW_ASSET_CONTENT])].pop() for row in rows]


def _content_key(values: list[Any]) -> tuple[Any, ...]:
    """Hashable form of a row's content (its JSON lists as tuples)."""
    return tuple(tuple(v) if isinstance(v, list) else v for v in values)


def _remember(asset: models.Asset, sighting: Sighting, source_name: str, now: datetime) -> None:
    """Fold what one sighting says into the merged asset (only real changes are written)."""
    if sighting.hostname and not asset.hostname:
        asset.hostname = sighting.hostname
    if sighting.domain and not asset.domain:
        asset.domain = sighting.domain
    if sighting.os_name and sighting.os_name != asset.os_name:
        asset.os_name = sighting.os_name
    if sighting.criticality and sighting.criticality != asset.criticality:
        asset.criticality = sighting.criticality
    if set(sighting.ips) - set(asset.ips):
        asset.ips = sorted(set(asset.ips) | set(sighting.ips))[:50]
    if set(sighting.macs) - set(asset.macs):
        asset.macs = sorted(set(asset.macs) | set(sighting.macs))[:50]
    if source_name not in asset.sources:
        asset.sources = sorted({*asset.sources, source_name})
    if asset.last_seen_at != now:
        asset.last_seen_at = now
        asset.updated_at = now


def link_assets(
    session: Session,
    *,
    source: Any,
    rows: dict[str, tuple[dict[str, Any], canonical.CanonicalRecord]],
    now: datetime,
) -> None:
    """Set ``asset_id`` on each asset source row, creating or merging assets."""
    hashes = list(rows)
    known: dict[str, int | None] = {}
    for start in range(0, len(hashes), CHUNK):
        for dedupe, asset_id in session.execute(
            select(models.AssetSource.dedupe_hash, models.AssetSource.asset_id).where(
                models.AssetSource.organization_id == source.organization_id,
                models.AssetSource.dedupe_hash.in_(hashes[start : start + CHUNK]),
            )
        ):
            known[dedupe] = asset_id
    resolver = AssetResolver(session, source.organization_id, now)
    sightings = []
    for dedupe, (_row, record) in rows.items():
        sighting = _sighting_of_asset(record)  # type: ignore[arg-type]
        sighting.known_asset = known.get(dedupe)
        sightings.append(sighting)
    for (row, _record), asset_id in zip(
        rows.values(), resolver.resolve(sightings, source.integration_key), strict=True
    ):
        row["asset_id"] = asset_id


def attach_findings(
    session: Session,
    *,
    source: Any,
    rows: dict[str, tuple[dict[str, Any], canonical.CanonicalRecord]],
    now: datetime,
) -> None:
    """Point each finding at its device's asset (created from the finding's asset reference
    when no inventory source has reported the device yet)."""
    resolver = AssetResolver(session, source.organization_id, now)
    targets = [
        (row, record.asset)  # type: ignore[attr-defined]
        for row, record in rows.values()
        if getattr(record, "asset", None) is not None
    ]
    sightings = [_sighting_of_ref(ref) for _row, ref in targets]
    # A finding only points at its device; inventory sources (not findings) keep the
    # asset's attributes and last-seen time current, so existing assets are not loaded here.
    resolved = resolver.resolve(sightings, source.integration_key, remember=False)
    for (row, _ref), asset_id in zip(targets, resolved, strict=True):
        row["asset_id"] = asset_id
    for row, _record in rows.values():
        row.setdefault("asset_id", None)
