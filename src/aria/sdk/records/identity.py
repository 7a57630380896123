"""``Identity``: a user account at an identity provider (OCSF ``user``, User Inventory 5003).

The same person exists in Okta, Entra ID and the EDR console under different ids; the store keys
each account by (provider, uid) and merges accounts of one person on the normalized email.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field, model_validator

from aria.sdk.records._time import OptUtcDateTime, to_epoch_ms
from aria.sdk.records.base import CanonicalRecord, compact
from aria.sdk.records.finding import OptBool
from aria.sdk.records.normalize import Email, LowerStr, OptStr, StrList, is_ocsf_email

_DISABLED = frozenset(
    {"disabled", "suspended", "deprovisioned", "deactivated", "inactive", "deleted", "blocked"}
)
_LOCKED = frozenset({"locked", "lockedout", "locked_out", "locked out"})


class Identity(CanonicalRecord):
    """A user account; dedupe on (provider, uid), merge people on ``merge_key()`` (email)."""

    record_type: Literal["identity"] = "identity"
    provider: LowerStr = Field(description="Identity provider, e.g. okta, entra-id, crowdstrike.")
    name: OptStr = Field(default=None, validation_alias=AliasChoices("name", "username", "login"))
    email: Email = None
    display_name: OptStr = None
    groups: StrList = Field(default_factory=list)
    mfa: OptBool = None
    status: LowerStr = None
    last_login: OptUtcDateTime = None
    is_admin: OptBool = None

    @model_validator(mode="after")
    def _needs_identity(self) -> Identity:
        """(provider, uid) is the key; without either the account cannot be stored."""
        if not self.provider:
            raise ValueError("provider: required")
        if not self.source_uid:
            raise ValueError("uid: an identity needs the provider's user id")
        return self

    def dedupe_key(self, installation_id: str | None = None) -> tuple[str, ...]:
        """(identity provider, user uid): the same account seen by two installs is one row."""
        return (self.provider or "", self.source_uid or "")

    def merge_key(self) -> str | None:
        """The normalized email that ties one person's accounts together, if known."""
        return self.email

    def to_ocsf(self, *, include_raw: bool = False) -> dict[str, Any]:
        """OCSF User Inventory Info (5003), activity Collect."""
        status = (self.status or "").replace("_", " ")
        user: dict[str, Any] = {
            "uid": self.source_uid,
            "name": self.name or self.email,
            "display_name": self.display_name,
            "full_name": self.display_name,
            "email_addr": self.email if is_ocsf_email(self.email) else None,
            "groups": [{"name": group} for group in self.groups],
            "has_mfa": self.mfa,
            "type_id": 2 if self.is_admin else (1 if self.is_admin is False else 0),
            "account": {
                "uid": self.source_uid,
                "name": self.name,
                "type": self.provider,
                "is_disabled": (status in _DISABLED) if self.status else None,
                "is_locked": (status in _LOCKED) if self.status else None,
            },
            "ldap_person": {
                "last_login_time": to_epoch_ms(self.last_login),
                "display_name": self.display_name,
            },
        }
        event = self._ocsf_event(
            class_uid=5003,
            class_name="User Inventory Info",
            category_uid=5,
            category_name="Discovery",
            activity_id=2,
            activity_name="Collect",
            time=self.last_seen or self.observed_at,
            include_raw=include_raw,
            unmapped={
                "provider": self.provider,
                "status": self.status,
                "email": self.email if user["email_addr"] is None else None,
            },
        )
        event["user"] = user
        return compact(event)
