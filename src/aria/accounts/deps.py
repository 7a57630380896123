"""Who is calling: FastAPI dependencies resolving a bearer token or a session cookie into a
`Principal`, scoped to exactly one organization, with CSRF checks for cookie-authenticated
state changes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from aria.accounts import sessions as browser_sessions
from aria.accounts import tokens
from aria.accounts.permissions import Permission
from aria.accounts.principal import Principal
from aria.errors import AppError, Forbidden
from aria.runtime import Runtime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"


def _throttle(runtime: Runtime, principal: Principal) -> Principal:
    """Count the request against the credential's per-minute budget; 429 when spent."""
    decision = runtime.api_rate_limiter.hit(f"{principal.via}:{principal.credential_id}")
    if not decision.allowed:
        raise RateLimited(
            f"rate limit of {runtime.settings.api_rate_limit} requests per minute reached",
            details={"retry_after": decision.retry_after},
            headers={"Retry-After": str(decision.retry_after)},
        )
    return principal


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def get_session(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    session = runtime.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _csrf_presented(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def get_principal(
    request: Request,
    runtime: Annotated[Runtime, Depends(get_runtime)],
    session: Annotated[Session, Depends(get_session)],
) -> Principal:
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value:
            raise Unauthorized("use 'Authorization: Bearer <token>'")
        identity = tokens.authenticate(session, plaintext=value.strip())
        if identity is None:
            raise Unauthorized("token is invalid, expired or revoked")
        return _throttle(
            runtime,
            Principal(
                user_id=identity.user.id,
                email=identity.user.email,
                organization_id=identity.token.organization_id,
                role=identity.role,
                via="token",
                credential_id=identity.token.id,
            ),
        )
    cookie = request.cookies.get(browser_sessions.COOKIE_NAME)
    if cookie:
        found = browser_sessions.resolve(session, cookie_value=cookie)
        if found is None:
            raise Unauthorized("session expired; log in again")
        if request.method not in SAFE_METHODS and not browser_sessions.csrf_valid(
            runtime.session_key, cookie, await _csrf_presented(request)
        ):
            raise Forbidden("missing or invalid CSRF token")
        return _throttle(
            runtime,
            Principal(
                user_id=found.user.id,
                email=found.user.email,
                organization_id=found.record.organization_id,
                role=found.role,
                via="session",
                credential_id=found.record.id,
            ),
        )
    raise Unauthorized("authentication required")


def require(permission: Permission) -> Callable[..., Principal]:
    """A dependency that yields the principal only when it holds ``permission``."""

    def dependency(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        principal.require(permission)
        return principal

    return dependency


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
DbSession = Annotated[Session, Depends(get_session)]
AppRuntime = Annotated[Runtime, Depends(get_runtime)]
