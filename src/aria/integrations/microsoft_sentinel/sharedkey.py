"""The HTTP Data Collector API's ``SharedKey`` request signature, for both sides of the wire.

Azure Monitor documents the string to sign as::

    POST\\n{Content-Length}\\napplication/json\\nx-ms-date:{RFC 1123 date}\\n/api/logs

signed with HMAC-SHA256 under the base64-decoded workspace key and sent base64-encoded as
``Authorization: SharedKey {workspace_id}:{signature}``. The integration signs with
:class:`SharedKeyAuth`; the sandbox recomputes the same value with :func:`signature` and
compares in constant time. HMAC and SHA-256 come from the standard library.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx

from aria.sdk import ConfigError

RESOURCE = "/api/logs"
CONTENT_TYPE = "application/json"
API_VERSION = "2016-04-01"


def string_to_sign(content_length: int, date: str, *, method: str = "POST") -> str:
    """What the signature covers (Data Collector API, "Authorization")."""
    return f"{method}\n{content_length}\n{CONTENT_TYPE}\nx-ms-date:{date}\n{RESOURCE}"


def decode_key(shared_key: str) -> bytes:
    """The workspace key's bytes; a key that is not base64 is a configuration error."""
    try:
        return base64.b64decode(shared_key, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(
            "the workspace shared key is not valid base64 (copy the Primary key exactly)",
            fields={"shared_key": "not base64"},
        ) from None


def signature(shared_key: str, content_length: int, date: str, *, method: str = "POST") -> str:
    """Base64 HMAC-SHA256 of :func:`string_to_sign` under the decoded workspace key."""
    message = string_to_sign(content_length, date, method=method).encode("utf-8")
    digest = hmac.new(decode_key(shared_key), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def authorization(workspace_id: str, shared_key: str, content_length: int, date: str) -> str:
    """The ``Authorization`` header value."""
    return f"SharedKey {workspace_id}:{signature(shared_key, content_length, date)}"


def rfc1123(moment: datetime) -> str:
    """``Mon, 02 Jun 2025 12:00:00 GMT``, the date format ``x-ms-date`` requires."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


class SharedKeyAuth(httpx.Auth):
    """Signs every Data Collector request at send time (so a retry gets a fresh date).

    ``key`` is called only while signing, so the unwrapped secret never sits on the object.
    """

    requires_request_body = True

    def __init__(
        self, workspace_id: str, key: Callable[[], str], clock: Callable[[], float]
    ) -> None:
        self.workspace_id = workspace_id
        self._key = key
        self._clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        date = rfc1123(datetime.fromtimestamp(self._clock(), UTC))
        request.headers["x-ms-date"] = date
        request.headers["Authorization"] = authorization(
            self.workspace_id, self._key(), len(request.content), date
        )
        yield request


__all__ = [
    "API_VERSION",
    "CONTENT_TYPE",
    "RESOURCE",
    "SharedKeyAuth",
    "authorization",
    "decode_key",
    "rfc1123",
    "signature",
    "string_to_sign",
]
