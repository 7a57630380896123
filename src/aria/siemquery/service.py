"""Fan one search out to several SIEMs at once; each answers or fails on its own.

A common query is translated by each SIEM integration into its own language; a native query
goes to the installation it names unchanged. Errors (bad credentials, syntax, timeouts) come
back beside the other SIEMs' results instead of failing the whole request.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aria.accounts.principal import Principal
from aria.asyncbridge import run_async
from aria.catalog.models import CatalogEntry
from aria.db.engine import transaction
from aria.errors import NotFound
from aria.installs import activity, flows
from aria.installs.models import Installation
from aria.logs import redact
from aria.runtime import Runtime
from aria.sdk import Config, Integration, IntegrationError, QueryRequest
from aria.sdk.siem import SEARCH, CommonQuery, SearchHit
from aria.siemquery.schemas import SiemError, SiemQueryRequest, SiemQueryResponse, SiemResult

TIMEOUT_S = 60.0


@dataclass
class Target:
    installation: Installation
    entry: CatalogEntry
    cls: type[Integration] | None = None
    values: Config | None = None
    native: str | dict[str, Any] | None = None


def _searchable(entry: CatalogEntry) -> bool:
    return entry.category == "siem" and "query" in entry.capabilities


def select_targets(
    session: Session, runtime: Runtime, organization_id: uuid.UUID, request: SiemQueryRequest
) -> tuple[list[Target], list[SiemError]]:
    """The installations to ask, and the ones that cannot be asked (with why)."""
    ids = list(request.native) if request.native is not None else request.installation_ids
    query = (
        select(Installation, CatalogEntry)
        .join(CatalogEntry, CatalogEntry.id == Installation.integration_id)
        .where(Installation.organization_id == organization_id)
    )
    if ids is not None:
        query = query.where(Installation.id.in_(ids))
    rows = list(session.execute(query.order_by(CatalogEntry.name)).all())
    if ids is not None:
        missing = set(ids) - {installation.id for installation, _ in rows}
        if missing:
            raise NotFound(f"installation {sorted(map(str, missing))[0]} not found")
    else:
        rows = [(i, e) for i, e in rows if _searchable(e) and i.status == "enabled"]
    targets, errors = [], []
    for installation, entry in rows:
        problem = None
        if not _searchable(entry):
            problem = ("unsupported", f"{entry.name} is not a SIEM that can run searches")
        elif installation.status != "enabled":
            problem = ("not_enabled", f"the installation is {installation.status}, not enabled")
        if problem:
            errors.append(_error(installation, entry, *problem))
            continue
        target = Target(installation, entry)
        target.native = request.native.get(installation.id) if request.native else None
        try:
            target.cls = flows.integration_class(runtime, entry)
            target.values = flows.current_config(
                session, runtime, flows.Installed(installation, entry)
            )
        except Exception as error:  # a missing package or config: this SIEM only
            errors.append(_error(installation, entry, "unavailable", str(error)))
            continue
        targets.append(target)
    return targets, errors


def _error(installation: Installation, entry: CatalogEntry, code: str, message: str) -> SiemError:
    return SiemError(
        installation_id=installation.id,
        integration_key=entry.key,
        name=entry.name,
        code=code,
        error=redact(message)[:500],
    )


async def _ask(
    runtime: Runtime, target: Target, request: SiemQueryRequest
) -> tuple[SiemResult | SiemError, dict[str, Any]]:
    assert target.cls is not None and target.values is not None
    started = time.perf_counter()
    installation, entry = target.installation, target.entry
    metrics: dict[str, Any] = {}
    async with flows.build(runtime, target.cls, installation.mode, target.values) as integration:
        try:
            params: dict[str, Any]
            if request.common is not None:
                params = {"common": request.common.model_dump(mode="json")}
                shown = _translated(integration, request.common)
            else:
                params = {"query": target.native}
                shown = target.native if isinstance(target.native, str) else None
            answer = await asyncio.wait_for(
                integration.query(QueryRequest(type=SEARCH, params=params, limit=request.limit)),
                TIMEOUT_S,
            )
            hits = [
                h if isinstance(h, SearchHit) else SearchHit.model_validate(h)
                for h in answer.records
            ]
            result: SiemResult | SiemError = SiemResult(
                installation_id=installation.id,
                integration_key=entry.key,
                name=entry.name,
                query=shown,
                hits=hits,
                truncated=answer.truncated,
                took_ms=int((time.perf_counter() - started) * 1000),
            )
        except TimeoutError:
            result = _error(installation, entry, "timeout", f"no answer within {TIMEOUT_S:.0f} s")
        except IntegrationError as error:
            message = integration.redact(str(error))
            result = _error(installation, entry, type(error).__name__, message)
        except Exception as error:  # a bug in one integration must not sink the others
            result = _error(
                installation, entry, "internal", f"internal error ({type(error).__name__})"
            )
        finally:
            metrics = integration.metrics.as_dict()
    return result, metrics


def _translated(integration: Integration, query: CommonQuery) -> str | None:
    translate = getattr(integration, "translate", None)
    return translate(query) if callable(translate) else None


def search(
    session: Session, runtime: Runtime, principal: Principal, request: SiemQueryRequest
) -> SiemQueryResponse:
    """Run the search everywhere it was asked to run; record one activity per SIEM."""
    targets, errors = select_targets(session, runtime, principal.organization_id, request)
    started = time.perf_counter()

    async def fan_out() -> list[tuple[SiemResult | SiemError, dict[str, Any]]]:
        return await asyncio.gather(*(_ask(runtime, t, request) for t in targets))

    answers = run_async(fan_out) if targets else []
    elapsed = int((time.perf_counter() - started) * 1000)
    results = [r for r, _ in answers if isinstance(r, SiemResult)]
    errors += [r for r, _ in answers if isinstance(r, SiemError)]
    with transaction(runtime.sessions) as write:
        for target, (answer, metrics) in zip(targets, answers, strict=True):
            installation = write.get(Installation, target.installation.id)
            if installation is None:
                continue
            ok = isinstance(answer, SiemResult)
            activity.record(
                write,
                installation=installation,
                activity_type="query",
                direction="outbound",
                status="success" if ok else "failure",
                message=(
                    f"search ({'common' if request.common else 'native'}): "
                    + (
                        f"{len(answer.hits)} hits"
                        if isinstance(answer, SiemResult)
                        else answer.error
                    )
                ),
                user_id=principal.user_id,
                error_code=None if isinstance(answer, SiemResult) else answer.code,
                execution_time_ms=answer.took_ms if isinstance(answer, SiemResult) else elapsed,
                api_calls=int(metrics.get("api_calls", 0)),
                records_processed=len(answer.hits) if isinstance(answer, SiemResult) else 0,
            )
    return SiemQueryResponse(results=results, errors=errors)
