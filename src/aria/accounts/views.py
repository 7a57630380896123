"""Accounts API: the caller (`/me`), members and roles, API tokens; plus browser login."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from sqlalchemy import select

from aria.accounts import service, tokens
from aria.accounts import sessions as browser_sessions
from aria.accounts.deps import (
    AppRuntime,
    CurrentPrincipal,
    DbSession,
    Principal,
    Unauthorized,
    client_ip,
    require,
)
from aria.accounts.login import login
from aria.accounts.models import Membership, Organization, User, UserSession
from aria.accounts.permissions import MATRIX, Permission, can_assign
from aria.accounts.schemas import (
    LoginRequest,
    LoginResponse,
    MemberCreate,
    MemberRead,
    MemberUpdate,
    MeRead,
    OrganizationChoice,
    SwitchOrganization,
    TokenCreate,
    TokenCreated,
    TokenRead,
)
from aria.audit import service as audit
from aria.db.types import utcnow
from aria.errors import AppError, Forbidden, NotFound

router = APIRouter(tags=["accounts"])
session_router = APIRouter(prefix="/auth", tags=["session"])

ManageUsers = Annotated[Principal, Depends(require(Permission.manage_users))]


@router.get("/me", response_model=MeRead)
def me(
    request: Request, session: DbSession, runtime: AppRuntime, principal: CurrentPrincipal
) -> MeRead:
    """Who the caller is, in which organization, and what they may do."""
    rows = session.execute(
        select(Organization.id, Organization.name, Membership.role)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == principal.user_id)
        .order_by(Organization.name)
    ).all()
    current = next(row for row in rows if row.id == principal.organization_id)
    cookie = request.cookies.get(browser_sessions.COOKIE_NAME)
    return MeRead(
        user_id=principal.user_id,
        email=principal.email,
        organization_id=principal.organization_id,
        organization_name=current.name,
        role=principal.role,
        permissions=sorted(MATRIX[principal.role]),
        organizations=[OrganizationChoice(id=r.id, name=r.name, role=r.role) for r in rows],
        authenticated_via=principal.via,
        csrf_token=(
            browser_sessions.csrf_token(runtime.session_key, cookie)
            if principal.via == "session" and cookie
            else None
        ),
    )


# Members -----------------------------------------------------------------------------------


def _member_read(user: User, role: str) -> MemberRead:
    return MemberRead(
        user_id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=role,
        last_login_at=user.last_login_at,
    )


@router.get("/members", response_model=list[MemberRead])
def list_members(
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Permission.browse))],
) -> list[MemberRead]:
    return [
        _member_read(user, role)
        for user, role in service.list_members(session, organization_id=principal.organization_id)
    ]


@router.post("/members", response_model=MemberRead, status_code=status.HTTP_201_CREATED)
def add_member(
    body: MemberCreate, session: DbSession, runtime: AppRuntime, principal: ManageUsers
) -> MemberRead:
    """Add a user (created when new, which needs a password) to the caller's organization."""
    if not can_assign(principal.role, body.role):
        raise Forbidden(f"role {principal.role!r} may not grant {body.role!r}")
    organization = session.get(Organization, principal.organization_id)
    assert organization is not None
    try:
        user = service.get_user_by_email(session, email=body.email)
        if user is None:
            if body.password is None:
                raise AppError("password is required for a new user")
            user = service.create_user(session, email=body.email, password=body.password)
        elif (
            service.get_membership(session, organization_id=organization.id, user_id=user.id)
            is not None
        ):
            raise AppError(f"{user.email} is already a member")
        service.add_membership(session, organization=organization, user=user, role=body.role)
    except service.AccountError as error:
        raise AppError(str(error)) from None
    audit.record_action(
        session,
        key=runtime.audit_key,
        principal=principal,
        action="member.added",
        target_type="user",
        target_id=str(user.id),
        details={"email": user.email, "role": body.role},
    )
    return _member_read(user, body.role)


def _membership_or_404(session: DbSession, principal: Principal, user_id: uuid.UUID) -> Membership:
    membership = service.get_membership(
        session, organization_id=principal.organization_id, user_id=user_id
    )
    if membership is None:
        raise NotFound("member not found")
    return membership


@router.patch("/members/{user_id}", response_model=MemberRead)
def change_member_role(
    user_id: uuid.UUID,
    body: MemberUpdate,
    session: DbSession,
    runtime: AppRuntime,
    principal: ManageUsers,
) -> MemberRead:
    membership = _membership_or_404(session, principal, user_id)
    if not (can_assign(principal.role, body.role) and can_assign(principal.role, membership.role)):
        raise Forbidden(f"role {principal.role!r} may not change this member to {body.role!r}")
    try:
        old = service.change_role(session, membership=membership, role=body.role)
    except service.AccountError as error:
        raise AppError(str(error)) from None
    audit.record_action(
        session,
        key=runtime.audit_key,
        principal=principal,
        action="member.role_changed",
        target_type="user",
        target_id=str(user_id),
        details={"from": old, "to": body.role},
    )
    user = service.get_user(session, user_id=user_id)
    return _member_read(user, membership.role)


@router.delete("/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(
    user_id: uuid.UUID, session: DbSession, runtime: AppRuntime, principal: ManageUsers
) -> Response:
    membership = _membership_or_404(session, principal, user_id)
    if not can_assign(principal.role, membership.role):
        raise Forbidden(f"role {principal.role!r} may not remove a {membership.role}")
    try:
        service.remove_member(session, membership=membership)
    except service.AccountError as error:
        raise AppError(str(error)) from None
    audit.record_action(
        session,
        key=runtime.audit_key,
        principal=principal,
        action="member.removed",
        target_type="user",
        target_id=str(user_id),
        details={"role": membership.role},
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# API tokens ---------------------------------------------------------------------------------


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(session: DbSession, principal: CurrentPrincipal) -> list[TokenRead]:
    """The caller's own tokens; users with `manage_users` see the organization's."""
    owner = None if principal.can(Permission.manage_users) else principal.user_id
    rows = tokens.list_(session, organization_id=principal.organization_id, user_id=owner)
    return [TokenRead.model_validate(row) for row in rows]


@router.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(
    body: TokenCreate, session: DbSession, runtime: AppRuntime, principal: CurrentPrincipal
) -> TokenCreated:
    expires_at = utcnow() + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    issued = tokens.create(
        session,
        organization_id=principal.organization_id,
        user_id=principal.user_id,
        name=body.name,
        expires_at=expires_at,
    )
    audit.record_action(
        session,
        key=runtime.audit_key,
        principal=principal,
        action="token.created",
        target_type="api_token",
        target_id=str(issued.record.id),
        details={"name": issued.record.name, "prefix": issued.record.prefix},
    )
    return TokenCreated(
        **TokenRead.model_validate(issued.record).model_dump(), token=issued.plaintext
    )


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(
    token_id: uuid.UUID, session: DbSession, runtime: AppRuntime, principal: CurrentPrincipal
) -> Response:
    token = tokens.get(session, organization_id=principal.organization_id, token_id=token_id)
    if token is None or (
        token.user_id != principal.user_id and not principal.can(Permission.manage_users)
    ):
        raise NotFound("token not found")
    if tokens.revoke(session, token=token):
        audit.record_action(
            session,
            key=runtime.audit_key,
            principal=principal,
            action="token.revoked",
            target_type="api_token",
            target_id=str(token.id),
            details={"name": token.name, "prefix": token.prefix},
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Browser sessions ---------------------------------------------------------------------------


def set_session_cookie(response: Response, runtime: AppRuntime, value: str) -> None:
    """The session cookie, set the same way by the JSON login and the web login form."""
    response.set_cookie(
        browser_sessions.COOKIE_NAME,
        value,
        max_age=int(browser_sessions.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        secure=runtime.settings.base_url.startswith("https://"),
        samesite="lax",
        path="/",
    )


class TooManyAttempts(AppError):
    status_code = 429
    code = "rate_limited"


@session_router.post("/login", response_model=LoginResponse)
def login_json(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: DbSession,
    runtime: AppRuntime,
) -> LoginResponse:
    """Log in with email and password; sets an HttpOnly session cookie.

    JSON only: a cross-site form cannot send a JSON body without a CORS preflight, which is
    what protects this endpoint from login CSRF.
    """
    result = login(
        session,
        email=body.email,
        password=body.password,
        audit_key=runtime.audit_key,
        ip_address=client_ip(request),
    )
    if result.user is None:
        session.commit()  # failures and throttling state must persist
        if result.error in {"throttled", "locked"}:
            raise TooManyAttempts(
                "too many failed attempts; try again later",
                details={"retry_after": result.retry_after},
                headers={"Retry-After": str(result.retry_after)},
            )
        raise Unauthorized("email or password is wrong")
    assert isinstance(result.organization_id, uuid.UUID)
    created = browser_sessions.create(
        session,
        user=result.user,
        organization_id=result.organization_id,
        ip_address=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    set_session_cookie(response, runtime, created.cookie_value)
    return LoginResponse(
        user_id=result.user.id,
        email=result.user.email,
        organization_id=result.organization_id,
        csrf_token=browser_sessions.csrf_token(runtime.session_key, created.cookie_value),
    )


def _current_session(session: DbSession, principal: Principal) -> UserSession:
    if principal.via != "session":
        raise AppError("only browser sessions can do this")
    record = session.get(UserSession, principal.credential_id)
    assert record is not None
    return record


@session_router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: DbSession, runtime: AppRuntime, principal: CurrentPrincipal) -> Response:
    browser_sessions.revoke(session, record=_current_session(session, principal))
    audit.record_action(session, key=runtime.audit_key, principal=principal, action="logout")
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(browser_sessions.COOKIE_NAME, path="/")
    return response


@session_router.post("/organization", response_model=MeRead)
def switch_organization(
    body: SwitchOrganization,
    request: Request,
    session: DbSession,
    runtime: AppRuntime,
    principal: CurrentPrincipal,
) -> MeRead:
    """Act in another organization the user belongs to (the organization switcher)."""
    record = _current_session(session, principal)
    role = browser_sessions.switch_organization(
        session, record=record, organization_id=body.organization_id
    )
    if role is None:
        raise NotFound("organization not found")
    switched = Principal(
        user_id=principal.user_id,
        email=principal.email,
        organization_id=body.organization_id,
        role=role,
        via="session",
        credential_id=record.id,
    )
    return me(request, session, runtime, switched)
