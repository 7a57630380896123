"""API shapes for accounts: the caller, members, tokens, login."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from aria.accounts.permissions import Permission


class MeRead(BaseModel):
    user_id: uuid.UUID
    email: str
    organization_id: uuid.UUID
    organization_name: str
    role: str
    permissions: list[Permission]
    organizations: list[OrganizationChoice]
    authenticated_via: str
    csrf_token: str | None = None


class OrganizationChoice(BaseModel):
    id: uuid.UUID
    name: str
    role: str


Role = Literal["owner", "admin", "integration_manager", "analyst", "viewer"]


class MemberRead(BaseModel):
    user_id: uuid.UUID
    email: str
    display_name: str | None
    role: str
    last_login_at: datetime | None


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)
    role: Role
    password: str | None = Field(
        default=None,
        min_length=12,
        max_length=1024,
        description="Required when the user does not exist yet.",
    )


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    user_id: uuid.UUID
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The token itself; shown this once, never again.")


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class LoginResponse(BaseModel):
    user_id: uuid.UUID
    email: str
    organization_id: uuid.UUID
    csrf_token: str


class SwitchOrganization(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: uuid.UUID


MeRead.model_rebuild()
