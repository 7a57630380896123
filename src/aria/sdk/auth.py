"""Auth kinds: declared once on the integration class, built per instance into ``httpx.Auth``.

An auth kind is a *declaration* shared by every installation, so it holds no credentials and
no tokens. :meth:`AuthKind.build` reads the installation's :class:`~aria.sdk.config.Config`
and returns an ``httpx.Auth`` that unwraps secrets only while signing a request.

    auth = auth.ApiKey(header="Authorization", template="SSWS {api_token}")
    auth = auth.OAuth2ClientCredentials(token_url="/oauth2/token")
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import warnings
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import anyio
import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from aria.sdk.config import Config
from aria.sdk.errors import AuthError, ConfigError, FatalError, IntegrationError, TransientError
from aria.sdk.redact import Redactor
from aria.sdk.templates import placeholders
from aria.sdk.urls import UrlPolicy, check_base_url

with warnings.catch_warnings():
    # Authlib nudges towards the "httpx2" fork; the platform standardises on httpx.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.base_client import OAuthError
    from authlib.integrations.httpx_client import AsyncOAuth2Client


@dataclass
class AuthContext:
    """What a built auth may use: the installation's config and the connection settings."""

    config: Config
    base_url: str
    transport: httpx.AsyncBaseTransport | None = None
    timeout: httpx.Timeout | float = 30.0
    clock: Callable[[], float] = time.time
    redactor: Redactor = field(default_factory=Redactor)
    event_hooks: dict[str, list[Callable[..., Awaitable[None]]]] = field(default_factory=dict)
    url_policy: UrlPolicy = field(default_factory=UrlPolicy)

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        """A plain client on the same base URL and transport, for custom login calls."""
        return httpx.AsyncClient(
            base_url=self.base_url,
            transport=self.transport,
            timeout=self.timeout,
            event_hooks=self.event_hooks,
            **kwargs,
        )


class SdkAuth(httpx.Auth):
    """An ``httpx.Auth`` with lifecycle hooks the integration calls."""

    async def authenticate(self) -> None:
        """Obtain credentials eagerly (tokens), so bad credentials fail before any data call."""

    async def aclose(self) -> None:
        """Release resources such as a token client."""


class AuthKind:
    """Base of every auth declaration; ``method`` is what the catalog lists."""

    method: ClassVar[str] = "custom"

    def fields(self) -> tuple[str, ...]:
        """Config field names this auth reads; checked against the Config model."""
        return ()

    def build(self, ctx: AuthContext) -> httpx.Auth | None:
        """Per-instance ``httpx.Auth`` for ``ctx.config`` (``None`` for no auth)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(fields={self.fields()!r})"


class Template:
    """``"SSWS {api_token}"``: plain ``{field}`` placeholders naming config fields."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.names = tuple(dict.fromkeys(placeholders(text)))

    def render(self, config: Config) -> str:
        """Fill the placeholders, unwrapping secrets: call only while signing a request."""
        values = {
            name: "" if config.value(name) is None else str(config.value(name))
            for name in self.names
        }
        return self.text.format_map(values)


class _RequestAuth(SdkAuth):
    """Sets a header or a query parameter computed from the config on each request."""

    def __init__(self, ctx: AuthContext, compute: Callable[[httpx.Request], None]) -> None:
        self._compute = compute
        self._ctx = ctx

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self._compute(request)
        yield request


class NoAuth(AuthKind):
    """Public APIs, or APIs authenticated by network position."""

    method = "none"

    def build(self, ctx: AuthContext) -> httpx.Auth | None:
        return None


class ApiKey(AuthKind):
    """A key in a header or query parameter, rendered from a template of config fields.

    ``ApiKey(header="X-ApiKeys", template="accessKey={access_key};secretKey={secret_key}")``,
    ``ApiKey(header="Authorization", template="ApiToken {token}")``,
    ``ApiKey(query="apikey", template="{api_key}")``.
    """

    method = "api_key"

    def __init__(
        self, *, header: str | None = None, query: str | None = None, template: str = "{api_key}"
    ) -> None:
        if (header is None) == (query is None):
            raise ValueError("ApiKey needs exactly one of header= or query=")
        self.header = header
        self.query = query
        self.template = Template(template)

    def fields(self) -> tuple[str, ...]:
        return self.template.names

    def build(self, ctx: AuthContext) -> httpx.Auth:
        def compute(request: httpx.Request) -> None:
            value = self.template.render(ctx.config)
            if self.header:
                request.headers[self.header] = value
            else:
                request.url = request.url.copy_set_param(str(self.query), value)

        return _RequestAuth(ctx, compute)


class Bearer(AuthKind):
    """A static token sent as ``Authorization: Bearer <token>``."""

    method = "bearer"

    def __init__(self, field: str = "token", *, scheme: str = "Bearer") -> None:
        self.field = field
        self.scheme = scheme

    def fields(self) -> tuple[str, ...]:
        return (self.field,)

    def build(self, ctx: AuthContext) -> httpx.Auth:
        def compute(request: httpx.Request) -> None:
            request.headers["Authorization"] = f"{self.scheme} {ctx.config.value(self.field)}"

        return _RequestAuth(ctx, compute)


class Basic(AuthKind):
    """HTTP Basic from two config fields (delegates the encoding to ``httpx.BasicAuth``)."""

    method = "basic"

    def __init__(self, username: str = "username", password: str = "password") -> None:  # noqa: S107
        self.username = username
        self.password = password

    def fields(self) -> tuple[str, ...]:
        return (self.username, self.password)

    def build(self, ctx: AuthContext) -> httpx.Auth:
        kind = self

        class _Basic(SdkAuth):
            def auth_flow(
                self, request: httpx.Request
            ) -> Generator[httpx.Request, httpx.Response, None]:
                basic = httpx.BasicAuth(
                    str(ctx.config.value(kind.username)), str(ctx.config.value(kind.password))
                )
                yield from basic.auth_flow(request)

        return _Basic()


class OAuth2ClientCredentials(AuthKind):
    """OAuth 2.0 client credentials through Authlib: token cached until expiry, one
    refresh-and-retry when the API answers 401 (revoked or expired early).

    ``token_url`` is relative to the base URL unless absolute; ``extra`` adds templated form
    parameters (``{"member_cid": "{member_cid}"}``).
    """

    method = "oauth2_client_credentials"

    def __init__(
        self,
        token_url: str = "/oauth2/token",  # noqa: S107 - a path, not a secret
        *,
        scope: str | None = None,
        client_id: str = "client_id",
        client_secret: str = "client_secret",  # noqa: S107 - a config field name
        auth_method: Literal["client_secret_post", "client_secret_basic"] = "client_secret_post",
        extra: Mapping[str, str] | None = None,
        leeway: int = 60,
    ) -> None:
        self.token_url = token_url
        self.scope = scope
        self.client_id = client_id
        self.client_secret = client_secret
        self.auth_method = auth_method
        self.extra = {k: Template(v) for k, v in (extra or {}).items()}
        self.leeway = leeway

    def fields(self) -> tuple[str, ...]:
        names = [self.client_id, self.client_secret]
        for tmpl in self.extra.values():
            names.extend(tmpl.names)
        return tuple(dict.fromkeys(names))

    def build(self, ctx: AuthContext) -> SdkAuth:
        if self.token_url.startswith(("http://", "https://")):
            check_base_url(self.token_url, ctx.url_policy)
        return _OAuth2Auth(self, ctx)


class _OAuth2Auth(SdkAuth):
    def __init__(self, kind: OAuth2ClientCredentials, ctx: AuthContext) -> None:
        self._kind = kind
        self._ctx = ctx
        self._lock = anyio.Lock()
        self.tokens_fetched = 0
        self._client = AsyncOAuth2Client(
            client_id=str(ctx.config.value(kind.client_id)),
            client_secret=str(ctx.config.value(kind.client_secret)),
            token_endpoint_auth_method=kind.auth_method,
            scope=kind.scope,
            leeway=kind.leeway,
            base_url=ctx.base_url,
            transport=ctx.transport,
            timeout=ctx.timeout,
            event_hooks=ctx.event_hooks,
        )

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentialsAuth(token_url={self._kind.token_url!r})"

    async def authenticate(self) -> None:
        await self._access_token()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            token = await self._access_token(stale=token)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    async def _access_token(self, stale: str | None = None) -> str:
        async with self._lock:
            token = self._client.token
            current = token.get("access_token") if token else None
            if current and current != stale and not token.is_expired(leeway=self._kind.leeway):
                return str(current)
            return await self._fetch()

    async def _fetch(self) -> str:
        redact = self._ctx.redactor
        extra = {k: t.render(self._ctx.config) for k, t in self._kind.extra.items()}
        try:
            token = await self._client.fetch_token(
                self._kind.token_url, grant_type="client_credentials", **extra
            )
        except OAuthError as exc:
            raise AuthError(
                redact(f"token endpoint refused the client credentials ({exc.error})"),
                status_code=401,
            ) from None
        except httpx.HTTPStatusError as exc:
            raise _token_http_error(exc.response.status_code, redact) from None
        except httpx.TimeoutException:
            raise TransientError("token endpoint timed out") from None
        except httpx.TransportError as exc:
            raise TransientError(redact(f"token endpoint unreachable ({exc})")) from None
        except ValueError:
            raise FatalError("malformed response from the token endpoint") from None
        access = token.get("access_token") if token else None
        if not access:
            raise FatalError("malformed response from the token endpoint: no access_token")
        self.tokens_fetched += 1
        redact.add(str(access))
        return str(access)


def _token_http_error(status: int, redact: Redactor) -> IntegrationError:
    if status in (400, 401, 403):
        return AuthError(
            f"token endpoint refused the client credentials (HTTP {status})", status_code=status
        )
    if status == 404:
        return ConfigError(
            "token endpoint not found (HTTP 404); check base_url",
            fields={"base_url": "token endpoint not found"},
            status_code=404,
        )
    if status == 429 or status >= 500:
        return TransientError(f"token endpoint failed (HTTP {status})", status_code=status)
    return FatalError(redact(f"token endpoint answered HTTP {status}"), status_code=status)


class AwsSigV4(AuthKind):
    """AWS Signature Version 4, signed by botocore's ``SigV4Auth`` on every request."""

    method = "aws_sigv4"

    def __init__(
        self,
        service: str,
        *,
        region_field: str = "region",
        access_key: str = "access_key_id",
        secret_key: str = "secret_access_key",  # noqa: S107 - a config field name
        session_token: str | None = None,
    ) -> None:
        self.service = service
        self.region_field = region_field
        self.access_key = access_key
        self.secret_key = secret_key
        self.session_token = session_token

    def fields(self) -> tuple[str, ...]:
        names = (self.region_field, self.access_key, self.secret_key, self.session_token)
        return tuple(n for n in names if n)

    def build(self, ctx: AuthContext) -> httpx.Auth:
        kind = self

        class _SigV4(SdkAuth):
            requires_request_body = True

            def auth_flow(
                self, request: httpx.Request
            ) -> Generator[httpx.Request, httpx.Response, None]:
                cfg = ctx.config
                token = cfg.value(kind.session_token) if kind.session_token else None
                creds = Credentials(cfg.value(kind.access_key), cfg.value(kind.secret_key), token)
                signed = {
                    k: v
                    for k, v in request.headers.items()
                    if k.lower() == "content-type" or k.lower().startswith("x-amz-")
                }
                aws = AWSRequest(
                    method=request.method,
                    url=str(request.url),
                    data=request.content,
                    headers=signed,
                )
                SigV4Auth(creds, kind.service, str(cfg.value(kind.region_field))).add_auth(aws)
                for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
                    if name in aws.headers:
                        request.headers[name] = aws.headers[name]
                yield request

        return _SigV4()


def hmac_message(method: str, path: str, timestamp: str, body: bytes) -> bytes:
    """The string HMAC-signed requests cover: ``METHOD\\npath?query\\ntimestamp\\n`` + body."""
    return f"{method.upper()}\n{path}\n{timestamp}\n".encode() + body


def hmac_sign(
    secret: str,
    message: bytes,
    algorithm: str = "sha256",
    encoding: Literal["hex", "base64"] = "hex",
) -> str:
    """HMAC of ``message`` in hex or base64 (``hashlib`` algorithm name)."""
    digest = hmac.new(secret.encode(), message, getattr(hashlib, algorithm))
    return digest.hexdigest() if encoding == "hex" else base64.b64encode(digest.digest()).decode()


class HmacSignature(AuthKind):
    """Request signing: HMAC over method, path+query, timestamp and body, in headers.

    The key id (if any) goes in ``key_header``; the signature, optionally prefixed
    (``"sha256="``), in ``signature_header``; the Unix timestamp in ``timestamp_header``.
    """

    method = "hmac"

    def __init__(
        self,
        *,
        secret: str = "api_secret",  # noqa: S107 - a config field name
        key_id: str | None = "api_key",
        key_header: str = "X-Api-Key",
        signature_header: str = "X-Signature",
        timestamp_header: str = "X-Timestamp",
        algorithm: str = "sha256",
        encoding: Literal["hex", "base64"] = "hex",
        prefix: str = "",
    ) -> None:
        if not hasattr(hashlib, algorithm):
            raise ValueError(f"unknown hash algorithm {algorithm!r}")
        self.secret = secret
        self.key_id = key_id
        self.key_header = key_header
        self.signature_header = signature_header
        self.timestamp_header = timestamp_header
        self.algorithm = algorithm
        self.encoding = encoding
        self.prefix = prefix

    def fields(self) -> tuple[str, ...]:
        return tuple(n for n in (self.key_id, self.secret) if n)

    def build(self, ctx: AuthContext) -> httpx.Auth:
        kind = self

        class _Hmac(SdkAuth):
            requires_request_body = True

            def auth_flow(
                self, request: httpx.Request
            ) -> Generator[httpx.Request, httpx.Response, None]:
                timestamp = str(int(ctx.clock()))
                path = request.url.raw_path.decode()
                message = hmac_message(request.method, path, timestamp, request.content)
                signature = hmac_sign(
                    str(ctx.config.value(kind.secret)), message, kind.algorithm, kind.encoding
                )
                request.headers[kind.timestamp_header] = timestamp
                request.headers[kind.signature_header] = kind.prefix + signature
                if kind.key_id:
                    request.headers[kind.key_header] = str(ctx.config.value(kind.key_id))
                yield request

        return _Hmac()


class Custom(AuthKind):
    """Subclass hook for odd schemes (session login, signed JWTs).

    Override :meth:`apply` (set headers on the request), optionally :meth:`login` (called by
    ``authenticate()``) and :meth:`refresh` (called once on a 401; return True to retry).
    ``session`` is a per-instance dict for tokens; never store state on ``self``, which is
    shared by every installation.
    """

    method = "custom"

    def __init__(self, *fields: str) -> None:
        self._fields = fields

    def fields(self) -> tuple[str, ...]:
        return self._fields

    async def login(self, ctx: AuthContext, session: dict[str, Any]) -> None:
        """Obtain a session token; default does nothing."""

    async def apply(
        self, request: httpx.Request, ctx: AuthContext, session: dict[str, Any]
    ) -> None:
        """Authenticate ``request`` in place."""
        raise NotImplementedError("Custom auth must implement apply()")

    async def refresh(self, ctx: AuthContext, session: dict[str, Any]) -> bool:
        """Called after a 401; return True to resend the request once."""
        return False

    def build(self, ctx: AuthContext) -> SdkAuth:
        kind = self
        session: dict[str, Any] = {}

        class _Custom(SdkAuth):
            async def authenticate(self) -> None:
                await kind.login(ctx, session)

            async def async_auth_flow(
                self, request: httpx.Request
            ) -> AsyncGenerator[httpx.Request, httpx.Response]:
                await kind.apply(request, ctx, session)
                response = yield request
                if response.status_code == 401 and await kind.refresh(ctx, session):
                    await kind.apply(request, ctx, session)
                    yield request

        return _Custom()


__all__ = [
    "ApiKey",
    "AuthContext",
    "AuthKind",
    "AwsSigV4",
    "Basic",
    "Bearer",
    "Custom",
    "HmacSignature",
    "NoAuth",
    "OAuth2ClientCredentials",
    "SdkAuth",
    "Template",
    "hmac_message",
    "hmac_sign",
]
