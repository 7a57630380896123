"""Admin pages: members and roles, API tokens (shown once), the audit log and its chain."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from aria.accounts import service as accounts
from aria.accounts import tokens
from aria.accounts.models import ROLES
from aria.accounts.permissions import Permission, can_assign
from aria.audit import service as audit
from aria.db.types import utcnow
from aria.errors import Forbidden, NotFound
from aria.web import queries
from aria.web.context import CurrentPage, Form, Page, PageRoute, form_str, redirect

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ROLE_HELP = {
    "owner": "Everything, including managing owners.",
    "admin": "Everything except managing owners.",
    "integration_manager": "Install, configure and sync integrations; write reviews.",
    "analyst": "Browse, sync and query; write reviews.",
    "viewer": "Browse only.",
}


def _audit(page: Page, **kwargs: Any) -> None:
    audit.record_action(
        page.session, key=page.runtime.audit_key, principal=page.principal, **kwargs
    )


def _members_page(
    page: Page,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page.render(
        "admin/members.html",
        status_code=status_code,
        members=accounts.list_members(page.session, organization_id=page.organization_id),
        roles=ROLES,
        role_help=ROLE_HELP,
        assignable=[r for r in ROLES if can_assign(page.principal.role, r)],
        errors=errors or {},
        values=values or {},
        tab="members",
    )


@router.get("/admin")
@router.get("/admin/members")
def members(page: CurrentPage) -> HTMLResponse:
    return _members_page(page)


@router.post("/admin/members")
def add_member(page: CurrentPage, form: Form) -> Response:
    """Add a person (created when new, which needs a password) with a role."""
    page.require(Permission.manage_users)
    email, role, password = (
        form_str(form, "email"),
        form_str(form, "role"),
        form_str(form, "password"),
    )
    values = {"email": email, "role": role}
    errors: dict[str, str] = {}
    if role not in ROLES or not can_assign(page.principal.role, role):
        errors["role"] = "Choose a role you may grant."
    try:
        email = accounts.normalize_email(email)
    except accounts.AccountError as error:
        errors["email"] = str(error).capitalize() + "."
    if errors:
        return _members_page(page, errors=errors, values=values, status_code=422)
    organization = queries.organization(page.session, organization_id=page.organization_id)
    try:
        user = accounts.get_user_by_email(page.session, email=email)
        if user is None:
            if not password:
                raise accounts.AccountError("password is required for a new user")
            user = accounts.create_user(page.session, email=email, password=password)
        elif accounts.get_membership(
            page.session, organization_id=organization.id, user_id=user.id
        ):
            raise accounts.AccountError(f"{user.email} is already a member")
        accounts.add_membership(page.session, organization=organization, user=user, role=role)
    except accounts.AccountError as error:
        page.session.rollback()
        field = "password" if "password" in str(error) else "email"
        return _members_page(
            page, errors={field: str(error).capitalize() + "."}, values=values, status_code=422
        )
    _audit(
        page,
        action="member.added",
        target_type="user",
        target_id=str(user.id),
        details={"email": user.email, "role": role},
    )
    return redirect("/admin/members?done=member_added")


def _membership(page: Page, user_id: uuid.UUID) -> Any:
    membership = accounts.get_membership(
        page.session, organization_id=page.organization_id, user_id=user_id
    )
    if membership is None:
        raise NotFound("member not found")
    return membership


@router.post("/admin/members/{user_id}/role")
def change_role(page: CurrentPage, user_id: uuid.UUID, form: Form) -> Response:
    page.require(Permission.manage_users)
    membership = _membership(page, user_id)
    role = form_str(form, "role")
    if role not in ROLES or not (
        can_assign(page.principal.role, role) and can_assign(page.principal.role, membership.role)
    ):
        raise Forbidden(f"your role may not change this member to {role!r}")
    try:
        old = accounts.change_role(page.session, membership=membership, role=role)
    except accounts.AccountError as error:
        page.session.rollback()
        return _members_page(
            page, errors={"members": str(error).capitalize() + "."}, status_code=409
        )
    _audit(
        page,
        action="member.role_changed",
        target_type="user",
        target_id=str(user_id),
        details={"from": old, "to": role},
    )
    return redirect("/admin/members?done=member_updated")


@router.post("/admin/members/{user_id}/remove")
def remove_member(page: CurrentPage, user_id: uuid.UUID) -> Response:
    page.require(Permission.manage_users)
    membership = _membership(page, user_id)
    if not can_assign(page.principal.role, membership.role):
        raise Forbidden(f"your role may not remove a {membership.role}")
    try:
        accounts.remove_member(page.session, membership=membership)
    except accounts.AccountError as error:
        page.session.rollback()
        return _members_page(
            page, errors={"members": str(error).capitalize() + "."}, status_code=409
        )
    _audit(
        page,
        action="member.removed",
        target_type="user",
        target_id=str(user_id),
        details={"role": membership.role},
    )
    return redirect("/admin/members?done=member_removed")


# -- API tokens ----------------------------------------------------------------------------


def _tokens_page(
    page: Page,
    *,
    created: tokens.IssuedToken | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    owner = None if page.can(Permission.manage_users) else page.principal.user_id
    return page.render(
        "admin/tokens.html",
        status_code=status_code,
        tokens=tokens.list_(page.session, organization_id=page.organization_id, user_id=owner),
        created=created,
        errors=errors or {},
        now=utcnow(),
        tab="tokens",
    )


@router.get("/admin/tokens")
def token_list(page: CurrentPage) -> HTMLResponse:
    return _tokens_page(page)


@router.post("/admin/tokens")
def create_token(page: CurrentPage, form: Form) -> HTMLResponse:
    """Create a token and show it this once (the page is not cached; only its hash is kept)."""
    name = form_str(form, "name")
    days = form_str(form, "expires_in_days")
    errors = {}
    if not name or len(name) > 200:
        errors["name"] = "Name the token (what will use it), up to 200 characters."
    if days and (not days.isdigit() or not 1 <= int(days) <= 3650):
        errors["expires_in_days"] = "Days from 1 to 3650, or empty for no expiry."
    if errors:
        return _tokens_page(page, errors=errors, status_code=422)
    issued = tokens.create(
        page.session,
        organization_id=page.organization_id,
        user_id=page.principal.user_id,
        name=name,
        expires_at=utcnow() + timedelta(days=int(days)) if days else None,
    )
    _audit(
        page,
        action="token.created",
        target_type="api_token",
        target_id=str(issued.record.id),
        details={"name": issued.record.name, "prefix": issued.record.prefix},
    )
    return _tokens_page(page, created=issued, status_code=201)


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(page: CurrentPage, token_id: uuid.UUID) -> Response:
    token = tokens.get(page.session, organization_id=page.organization_id, token_id=token_id)
    if token is None or (
        token.user_id != page.principal.user_id and not page.can(Permission.manage_users)
    ):
        raise NotFound("token not found")
    if tokens.revoke(page.session, token=token):
        _audit(
            page,
            action="token.revoked",
            target_type="api_token",
            target_id=str(token.id),
            details={"name": token.name, "prefix": token.prefix},
        )
    return redirect("/admin/tokens?done=token_revoked")


# -- Audit log -----------------------------------------------------------------------------


@router.get("/admin/audit")
def audit_log(
    page: CurrentPage, action: str = "", before: int | None = None, verify: str = ""
) -> HTMLResponse:
    """The organization's entries; "Verify chain" walks the whole chain on demand."""
    page.require(Permission.read_audit)
    rows = audit.list_(
        page.session,
        organization_id=page.organization_id,
        limit=51,
        before_id=before,
        action=action.strip()[:100] or None,
    )
    verification = audit.verify(page.session, key=page.runtime.audit_key) if verify == "1" else None
    return page.render(
        "admin/audit.html",
        rows=rows[:50],
        next_before=rows[49].id if len(rows) > 50 else None,
        action=action,
        verification=verification,
        tab="audit",
    )
