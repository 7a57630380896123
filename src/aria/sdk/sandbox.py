"""Helpers for writing a vendor sandbox: an in-process ASGI app that speaks the vendor's API.

A sandbox lives next to its integration and serves the vendor's real paths, auth, pagination
and envelopes with deterministic synthetic data, so "Try Demo" works offline and tests run
through ``httpx.ASGITransport``. Typical shape (FastAPI)::

    def make_app(seed=7, size=200, faults=None):
        sb = Sandbox(seed=seed, size=size, faults=faults)
        app = sb.install(FastAPI())
        sb.add_token_endpoint(app, "/oauth2/token", client_id="demo", client_secret="demo-secret")
        hosts = [{"id": sb.gen.hex_id(), "hostname": sb.gen.hostname()} for _ in range(size)]

        @app.get("/devices", dependencies=[Depends(sb.bearer())])
        async def devices(offset: int = 0, limit: int = 100):
            page = offset // limit + 1
            return sb.page({"resources": hosts[offset:offset + limit]}, page)
        return app

:class:`Faults` injects latency, 5xx, 401 token expiry, 429 with ``Retry-After``, malformed or
truncated pages and repeated cursors, so every error path of an integration can be exercised.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import json
import random
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qs

import anyio
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from aria.sdk.auth import hmac_message, hmac_sign

T = TypeVar("T")

_FIRST = [
    "james",
    "mary",
    "wei",
    "fatima",
    "olga",
    "raj",
    "lucia",
    "kenji",
    "amara",
    "noah",
    "sofia",
    "liam",
    "aisha",
    "mateo",
    "yuki",
    "elena",
    "omar",
    "priya",
    "jonas",
    "chloe",
]
_LAST = [
    "smith",
    "garcia",
    "chen",
    "okafor",
    "ivanova",
    "patel",
    "rossi",
    "tanaka",
    "mensah",
    "muller",
    "silva",
    "nguyen",
    "haddad",
    "kowalski",
    "johansson",
    "dubois",
    "kim",
    "ali",
]
_DEPTS = ["fin", "hr", "eng", "ops", "sales", "mkt", "it", "legal", "sec", "dev"]
_HOST_KINDS = ["ws", "lt", "srv", "db", "web", "app", "dc", "vm"]
_OUIS = ["00:50:56", "00:1a:a0", "3c:52:82", "f4:8e:38", "00:15:5d", "a4:bb:6d", "dc:a6:32"]


class DataGen:
    """Deterministic, realistic values: the same ``seed`` always yields the same data.

    Timestamps fall in the ``days`` before ``now`` (pass ``now`` for byte-identical output
    across runs); IPs use RFC 1918 and documentation ranges, domains ``.example``.
    """

    def __init__(
        self,
        seed: int = 7,
        size: int = 200,
        *,
        now: datetime | None = None,
        domain: str = "acme.example",
    ) -> None:
        self.seed = seed
        self.size = size
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
        self.now = (now or datetime.now(UTC)).astimezone(UTC)
        self.domain = domain

    def choice(self, options: Sequence[T]) -> T:
        """One element of ``options``."""
        return self.rng.choice(options)

    def weighted(self, options: Sequence[T], weights: Sequence[float]) -> T:
        """One element, by weight (severity distributions)."""
        return self.rng.choices(options, weights=weights, k=1)[0]

    def integer(self, low: int, high: int) -> int:
        """An integer in ``[low, high]``."""
        return self.rng.randint(low, high)

    def chance(self, p: float) -> bool:
        """True with probability ``p``."""
        return self.rng.random() < p

    def first_last(self) -> tuple[str, str]:
        """A person's first and last name, lowercase."""
        return self.choice(_FIRST), self.choice(_LAST)

    def username(self) -> str:
        """``jsmith``-style account name."""
        first, last = self.first_last()
        return f"{first[0]}{last}{self.integer(1, 99) if self.chance(0.3) else ''}"

    def email(self, username: str | None = None) -> str:
        """An address on the sandbox domain."""
        return f"{username or self.username()}@{self.domain}"

    def hostname(self) -> str:
        """``ws-fin-042``-style host names."""
        return f"{self.choice(_HOST_KINDS)}-{self.choice(_DEPTS)}-{self.integer(1, 999):03d}"

    def fqdn(self) -> str:
        """A host name on the sandbox domain."""
        return f"{self.hostname()}.{self.domain}"

    def private_ip(self) -> str:
        """An address from 10.0.0.0/8."""
        return f"10.{self.integer(0, 255)}.{self.integer(0, 255)}.{self.integer(1, 254)}"

    def public_ip(self) -> str:
        """An address from the documentation ranges (never a real host)."""
        net = self.choice(["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"])
        return str(ipaddress.ip_network(net)[self.integer(1, 254)])

    def mac(self) -> str:
        """A MAC with a common virtual/vendor OUI."""
        tail = ":".join(f"{self.integer(0, 255):02x}" for _ in range(3))
        return f"{self.choice(_OUIS)}:{tail}"

    def timestamp(self, days: float = 30) -> datetime:
        """A moment within the last ``days`` days."""
        return self.now - timedelta(seconds=self.rng.uniform(0, days * 86400))

    @staticmethod
    def iso(moment: datetime) -> str:
        """``2024-05-01T10:00:00Z`` (second precision, as most vendor APIs send)."""
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def uuid(self) -> str:
        """A random-looking but reproducible UUID4."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex_id(self, length: int = 32) -> str:
        """A lowercase hex id (CrowdStrike-style agent ids)."""
        return f"{self.rng.getrandbits(length * 4):0{length}x}"

    def sha256(self) -> str:
        """A SHA-256-shaped hex digest."""
        return self.hex_id(64)

    def md5(self) -> str:
        """An MD5-shaped hex digest."""
        return self.hex_id(32)

    def cve(self) -> str:
        """``CVE-2023-12345``."""
        return f"CVE-{self.integer(2015, self.now.year)}-{self.integer(1000, 49999)}"


class Faults(BaseModel):
    """Failures a sandbox injects; pages are numbered from 1."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: float = Field(default=0.0, ge=0)
    error_rate: float = Field(default=0.0, ge=0, le=1)
    error_status: int = 503
    expire_token_after_requests: int | None = Field(default=None, ge=1)
    rate_limit_every: int | None = Field(default=None, ge=1)
    retry_after: float = Field(default=1.0, ge=0)
    malformed_page: int | None = Field(default=None, ge=1)
    truncated_page: int | None = Field(default=None, ge=1)
    repeat_cursor: int | None = Field(default=None, ge=1)


@dataclass
class _Token:
    expires_at: float
    uses: int = 0


class Sandbox:
    """Shared state of one sandbox app: data generator, faults, issued tokens, counters."""

    def __init__(
        self,
        *,
        seed: int = 7,
        size: int = 200,
        faults: Faults | None = None,
        now: datetime | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.gen = DataGen(seed, size, now=now)
        self.size = size
        self.faults = faults or Faults()
        self.clock = clock
        self.sleep = sleep
        self.requests = 0
        self.tokens_issued = 0
        self._tokens: dict[str, _Token] = {}
        self._fault_rng = random.Random(seed ^ 0x5EED)  # noqa: S311 - fault dice only
        self._exempt: set[str] = set()

    def install(self, app: T) -> T:
        """Add the fault middleware to a FastAPI/Starlette app and expose ``app.state.sandbox``."""
        app.add_middleware(FaultMiddleware, sandbox=self)  # type: ignore[attr-defined]
        app.state.sandbox = self  # type: ignore[attr-defined]
        return app

    # --- credentials ---------------------------------------------------------------------

    def check_bearer(self, request: Request, token: str | None = None) -> None:
        """Accept ``token`` or a live token issued by the token endpoint, else 401."""
        header = request.headers.get("authorization", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented:
            raise _unauthorized("missing bearer token")
        if token is not None:
            if not _equal(presented, token):
                raise _unauthorized("invalid token")
            return
        issued = self._tokens.get(presented)
        if issued is None or issued.expires_at <= self.clock():
            raise _unauthorized("invalid or expired token")
        issued.uses += 1
        limit = self.faults.expire_token_after_requests
        if limit is not None and issued.uses > limit:
            del self._tokens[presented]
            raise _unauthorized("token expired")

    def check_api_key(
        self,
        request: Request,
        expected: str,
        *,
        header: str | None = None,
        query: str | None = None,
    ) -> None:
        """401 unless the header (or query parameter) equals ``expected``."""
        presented = (
            request.headers.get(header, "") if header else request.query_params.get(query or "", "")
        )
        if not presented or not _equal(presented, expected):
            raise _unauthorized("invalid API key")

    def check_basic(self, request: Request, username: str, password: str) -> None:
        """401 unless HTTP Basic carries these credentials."""
        user, pw = _basic(request.headers.get("authorization", ""))
        if not (_equal(user, username) and _equal(pw, password)):
            raise _unauthorized("invalid username or password")

    async def check_hmac(
        self,
        request: Request,
        secret: str,
        *,
        key: str | None = None,
        key_header: str = "X-Api-Key",
        signature_header: str = "X-Signature",
        timestamp_header: str = "X-Timestamp",
        prefix: str = "",
        tolerance_s: float = 300.0,
    ) -> None:
        """Recompute the request signature of :class:`aria.sdk.auth.HmacSignature`; 401 on
        mismatch, a stale timestamp, or a wrong key id."""
        if key is not None and not _equal(request.headers.get(key_header, ""), key):
            raise _unauthorized("unknown key id")
        timestamp = request.headers.get(timestamp_header, "")
        try:
            stale = abs(self.clock() - float(timestamp)) > tolerance_s
        except ValueError:
            stale = True
        if stale:
            raise _unauthorized("missing or stale timestamp")
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        expected = prefix + hmac_sign(
            secret, hmac_message(request.method, path, timestamp, await request.body())
        )
        if not _equal(request.headers.get(signature_header, ""), expected):
            raise _unauthorized("bad signature")

    def bearer(self, token: str | None = None) -> Callable[[Request], Awaitable[None]]:
        """A FastAPI dependency wrapping :meth:`check_bearer`."""

        async def dependency(request: Request) -> None:
            self.check_bearer(request, token)

        return dependency

    def api_key(
        self, expected: str, *, header: str | None = None, query: str | None = None
    ) -> Callable[[Request], Awaitable[None]]:
        """A FastAPI dependency wrapping :meth:`check_api_key`."""

        async def dependency(request: Request) -> None:
            self.check_api_key(request, expected, header=header, query=query)

        return dependency

    def basic(self, username: str, password: str) -> Callable[[Request], Awaitable[None]]:
        """A FastAPI dependency wrapping :meth:`check_basic`."""

        async def dependency(request: Request) -> None:
            self.check_basic(request, username, password)

        return dependency

    def issue_token(self, ttl: float = 1800.0) -> str:
        """A new opaque access token valid for ``ttl`` seconds."""
        token = secrets.token_urlsafe(24)
        self._tokens[token] = _Token(expires_at=self.clock() + ttl)
        self.tokens_issued += 1
        return token

    def add_token_endpoint(
        self,
        app: Starlette,
        path: str = "/oauth2/token",
        *,
        client_id: str,
        client_secret: str,
        ttl: float = 1800.0,
    ) -> None:
        """An OAuth2 client-credentials endpoint (``client_secret_post`` or ``_basic``)."""
        self._exempt.add(path)

        async def token_endpoint(request: Request) -> Response:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            cid, secret = form.get("client_id", ""), form.get("client_secret", "")
            if not cid and request.headers.get("authorization", "").lower().startswith("basic"):
                cid, secret = _basic(request.headers["authorization"])
            if form.get("grant_type") != "client_credentials":
                return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
            if not (_equal(cid, client_id) and _equal(secret, client_secret)):
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            return JSONResponse(
                {
                    "access_token": self.issue_token(ttl),
                    "token_type": "bearer",
                    "expires_in": int(ttl),
                },
                status_code=201,
            )

        app.add_route(path, token_endpoint, methods=["POST"])

    # --- pages ---------------------------------------------------------------------------

    def page(
        self, body: Any, page: int, *, status_code: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        """JSON response for page ``page``, malformed or truncated when the faults say so."""
        text = json.dumps(body, default=str)
        if self.faults.malformed_page == page:
            text = "<html><body>502 Bad Gateway</body></html>"
        elif self.faults.truncated_page == page:
            text = text[: max(1, len(text) // 2)]
        return Response(
            text, status_code=status_code, headers=headers, media_type="application/json"
        )

    def next_cursor(self, page: int, current: str | None, following: str | None) -> str | None:
        """The cursor to hand out on ``page``: ``current`` again when ``repeat_cursor`` hits."""
        if self.faults.repeat_cursor == page and following is not None:
            return current if current is not None else following
        return following

    @staticmethod
    def encode_cursor(offset: int) -> str:
        """An opaque cursor for an offset (vendors' cursors look like this)."""
        return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()

    @staticmethod
    def decode_cursor(cursor: str | None) -> int:
        """Offset of a cursor from :meth:`encode_cursor`; 400 when it is not one."""
        if not cursor:
            return 0
        try:
            return int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["o"])
        except (ValueError, KeyError, TypeError):
            raise HTTPException(400, "invalid cursor") from None


class FaultMiddleware:
    """ASGI middleware applying latency, 429 every N requests and random 5xx."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in self.sandbox._exempt:
            await self.app(scope, receive, send)
            return
        sb, faults = self.sandbox, self.sandbox.faults
        sb.requests += 1
        if faults.latency_ms:
            await sb.sleep(faults.latency_ms / 1000.0)
        response: Response | None = None
        if faults.rate_limit_every and sb.requests % faults.rate_limit_every == 0:
            response = JSONResponse(
                {"errors": [{"code": 429, "message": "rate limit"}]},
                status_code=429,
                headers={"Retry-After": f"{faults.retry_after:g}"},
            )
        elif faults.error_rate and sb._fault_rng.random() < faults.error_rate:
            response = JSONResponse(
                {"errors": [{"code": faults.error_status, "message": "injected failure"}]},
                status_code=faults.error_status,
            )
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(401, reason, headers={"WWW-Authenticate": "Bearer"})


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _basic(header: str) -> tuple[str, str]:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        user, _, pw = base64.b64decode(value).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return "", ""
    return user, pw


__all__ = ["DataGen", "FaultMiddleware", "Faults", "Sandbox"]
