"""`POST /api/v1/query`: search several SIEMs at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from aria.accounts.deps import AppRuntime, DbSession, require
from aria.accounts.permissions import Permission
from aria.accounts.principal import Principal
from aria.siemquery import service
from aria.siemquery.schemas import SiemQueryRequest, SiemQueryResponse

router = APIRouter(tags=["query"])

Query = Annotated[Principal, Depends(require(Permission.sync))]


@router.post("/query", response_model=SiemQueryResponse)
def run_query(
    body: SiemQueryRequest, session: DbSession, runtime: AppRuntime, principal: Query
) -> SiemQueryResponse:
    """Run one search against the chosen SIEMs (or every enabled one): a common form each
    translates into its own language, or a native query per installation. Per-SIEM errors
    are listed beside the results; unknown installation ids are 404."""
    return service.search(session, runtime, principal, body)
