"""The web UI's routers: sign-in here, the rest from one module per area.

``router`` is what ``create_app`` includes. Every route uses :class:`PageRoute`, so errors
become HTML pages and anonymous visitors are sent to the login form.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from aria.accounts import sessions as browser_sessions
from aria.accounts.deps import client_ip, get_runtime, get_session
from aria.accounts.login import login
from aria.accounts.views import set_session_cookie
from aria.audit import service as audit
from aria.runtime import Runtime
from aria.web import (
    admin,
    analytics_pages,
    installations,
    marketplace,
    queries,
    register,
    webhook_pages,
)
from aria.web.context import (
    CurrentPage,
    Form,
    PageRoute,
    form_str,
    redirect,
    render,
    safe_next,
)

LOGIN_CSRF_COOKIE = "aria_login_csrf"
STATIC_DIR = Path(__file__).parent / "static"

auth_router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _login_form(
    request: Request,
    *,
    next_url: str,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The login page with a fresh double-submit token (cookie + hidden field)."""
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        status_code=status_code,
        login_csrf=token,
        next_url=next_url,
        email=email,
        error=error,
        notice="You are logged out." if request.query_params.get("done") == "logged_out" else None,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        path="/login",
        secure=request.url.scheme == "https",
    )
    return response


@auth_router.get("/login")
def login_page(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    next: str | None = None,
) -> Response:
    """The sign-in form; already signed in → straight to where they were going."""
    cookie = request.cookies.get(browser_sessions.COOKIE_NAME)
    if cookie and browser_sessions.resolve(session, cookie_value=cookie) is not None:
        return redirect(safe_next(next))
    return _login_form(request, next_url=safe_next(next))


@auth_router.post("/login")
def login_submit(
    request: Request,
    form: Form,
    session: Annotated[Session, Depends(get_session)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> Response:
    """Check the login form's double-submit token, then the password (throttled)."""
    email = form_str(form, "email")
    password = form.get("password")
    next_url = safe_next(form_str(form, "next"))
    presented = form_str(form, "login_csrf")
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not presented or not expected or not hmac.compare_digest(presented, expected):
        return _login_form(
            request,
            next_url=next_url,
            email=email,
            error="The form expired. Please try again.",
            status_code=403,
        )
    if not email or not isinstance(password, str) or not password:
        return _login_form(
            request,
            next_url=next_url,
            email=email,
            error="Enter your email and password.",
            status_code=422,
        )
    result = login(
        session,
        email=email,
        password=password,
        audit_key=runtime.audit_key,
        ip_address=client_ip(request),
    )
    if result.user is None:
        session.commit()  # failures and throttling state must persist
        if result.error in {"throttled", "locked"}:
            message = f"Too many failed attempts. Try again in {result.retry_after} seconds."
            response = _login_form(
                request, next_url=next_url, email=email, error=message, status_code=429
            )
            response.headers["Retry-After"] = str(result.retry_after)
            return response
        return _login_form(
            request,
            next_url=next_url,
            email=email,
            error="Email or password is wrong.",
            status_code=401,
        )
    assert isinstance(result.organization_id, uuid.UUID)
    created = browser_sessions.create(
        session,
        user=result.user,
        organization_id=result.organization_id,
        ip_address=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    response: Response = RedirectResponse(next_url, status_code=303)
    set_session_cookie(response, runtime, created.cookie_value)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@auth_router.post("/logout")
def logout(page: CurrentPage) -> Response:
    """End the session (CSRF-checked like every form) and forget the cookie."""
    record = queries.session_record(page.session, record_id=page.principal.credential_id)
    if record is not None and page.principal.via == "session":
        browser_sessions.revoke(page.session, record=record)
        audit.append(
            page.session,
            key=page.runtime.audit_key,
            action="logout",
            actor=page.principal.email,
            actor_user_id=page.principal.user_id,
            organization_id=page.principal.organization_id,
        )
    response = redirect("/login?done=logged_out")
    response.delete_cookie(browser_sessions.COOKIE_NAME, path="/")
    return response


@auth_router.post("/switch-organization")
def switch_organization(page: CurrentPage, form: Form) -> Response:
    """The organization switcher: only organizations the user belongs to."""
    try:
        target = uuid.UUID(form_str(form, "organization_id"))
    except ValueError:
        target = None
    record = queries.session_record(page.session, record_id=page.principal.credential_id)
    if target is None or record is None or page.principal.via != "session":
        return redirect("/integrations")
    role = browser_sessions.switch_organization(page.session, record=record, organization_id=target)
    if role is None:
        return redirect("/integrations")
    return redirect("/integrations?done=org_switched")


router = APIRouter(include_in_schema=False)
router.include_router(auth_router)
# Installations first: `/integrations/installed` must win over `/integrations/{key}`.
router.include_router(installations.router)
router.include_router(marketplace.router)
router.include_router(register.router)
router.include_router(analytics_pages.router)
router.include_router(admin.router)
router.include_router(webhook_pages.router)
