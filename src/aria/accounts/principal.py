"""The caller as every layer sees it (no web framework types, so flows can take it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aria.accounts.permissions import Permission, can
from aria.errors import Forbidden


@dataclass(frozen=True)
class Principal:
    """The caller: a user acting in one organization with one role."""

    user_id: uuid.UUID
    email: str
    organization_id: uuid.UUID
    role: str
    via: str  # "token" or "session"
    credential_id: uuid.UUID

    def can(self, permission: Permission) -> bool:
        return can(self.role, permission)

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(f"role {self.role!r} may not {permission.value.replace('_', ' ')}")
