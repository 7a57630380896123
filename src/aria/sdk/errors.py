"""The SDK's one error taxonomy.

Every failure an integration can surface maps to one of these classes, so the platform
(sync runner, install wizard, health checks, API views) decides what to do from the class
alone: fix the credentials, fix the settings, retry later, wait for the rate limit, or give up.
Messages are written for humans and must never contain a secret: build them through
:class:`aria.sdk.redact.Redactor` whenever they include anything that came from outside.
"""

from __future__ import annotations

from typing import Any


class IntegrationError(Exception):
    """Base of every SDK error; carries an optional HTTP status and safe details."""

    retryable: bool = False

    def __init__(
        self, message: str, *, status_code: int | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class AuthError(IntegrationError):
    """Credentials were rejected (401/403, token endpoint refusal): the user must fix them."""


class ConfigError(IntegrationError):
    """Settings are invalid or point nowhere; ``fields`` maps a field name to its problem."""

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        status_code: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, details=details)
        self.fields: dict[str, str] = dict(fields or {})


class TransientError(IntegrationError):
    """The vendor or the network failed in a way worth retrying later (5xx, timeouts)."""

    retryable = True


class RateLimited(TransientError):
    """The vendor asked us to slow down; ``retry_after`` is seconds to wait, when known."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status_code: int | None = 429,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, details=details)
        self.retry_after = retry_after


class FatalError(IntegrationError):
    """A bug or contract break (bad request, malformed response, pagination loop): do not retry."""


class MetadataError(IntegrationError):
    """An integration class declares invalid metadata; names the integration and the fields."""

    def __init__(self, integration: str, fields: dict[str, str]) -> None:
        listing = "; ".join(f"{name}: {msg}" for name, msg in fields.items())
        super().__init__(f"integration {integration!r} has invalid metadata: {listing}")
        self.integration = integration
        self.fields = dict(fields)


__all__ = [
    "AuthError",
    "ConfigError",
    "FatalError",
    "IntegrationError",
    "MetadataError",
    "RateLimited",
    "TransientError",
]
