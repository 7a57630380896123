"""Request and response of a cross-SIEM search."""

from __future__ import annotations

import uuid
from typing import Any, Self

from pydantic import BaseModel, Field, model_validator

from aria.sdk.siem import CommonQuery, SearchHit

MAX_TARGETS = 20


class SiemQueryRequest(BaseModel):
    """Either ``common`` (translated by each SIEM) or ``native`` (one query per installation).

    ``installation_ids`` picks SIEMs for a common query; without it every enabled SIEM of the
    organization that can search is asked. A native query names its installations itself.
    """

    installation_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_TARGETS)
    common: CommonQuery | None = None
    native: dict[uuid.UUID, str | dict[str, Any]] | None = Field(
        default=None, max_length=MAX_TARGETS
    )
    limit: int = Field(default=100, ge=1, le=1000)

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if (self.common is None) == (self.native is None):
            raise ValueError("give exactly one of 'common' or 'native'")
        if self.native is not None and self.installation_ids is not None:
            raise ValueError("a native query names its installations: drop 'installation_ids'")
        if self.native is not None and not self.native:
            raise ValueError("'native' needs at least one installation")
        return self


class SiemResult(BaseModel):
    installation_id: uuid.UUID
    integration_key: str
    name: str
    query: str | None = Field(description="The native query that ran (translated if common).")
    hits: list[SearchHit]
    truncated: bool
    took_ms: int


class SiemError(BaseModel):
    installation_id: uuid.UUID
    integration_key: str
    name: str
    error: str
    code: str


class SiemQueryResponse(BaseModel):
    results: list[SiemResult]
    errors: list[SiemError]
