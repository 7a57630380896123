"""What every page needs: the signed-in caller, a CSRF token, the template environment, and a
route class that turns errors into HTML pages (or a redirect to the login form).

Why a route class: the app's error handlers answer JSON for the API; pages must answer HTML
without touching the app's handlers, so the web router catches its own errors.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from aria import __version__
from aria.accounts import sessions as browser_sessions
from aria.accounts.deps import Unauthorized, get_principal, get_runtime, get_session
from aria.accounts.permissions import Permission
from aria.accounts.principal import Principal
from aria.errors import AppError
from aria.runtime import Runtime
from aria.vault.errors import VaultError
from aria.web import presenters, queries

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
presenters.install(env)
env.globals["version"] = __version__

# Success notices shown after a redirect: codes only, so nobody can put words in our mouth.
NOTICES = {
    "activated": "Activated. The first sync runs on schedule, or press Sync Now.",
    "activated_sync": "Activated, and a first sync is running.",
    "sync_queued": "Sync queued. Progress shows on the card.",
    "sync_running": "A sync is already queued or running. Progress shows on the card.",
    "disabled": "Disabled. No syncs run until you enable it again.",
    "enabled": "Enabled.",
    "uninstalled": "Uninstalled. Credentials were destroyed; synced records are kept.",
    "retrying": "Connection works again; a sync has been queued.",
    "review_saved": "Thanks, your review is saved.",
    "review_deleted": "Your review was deleted.",
    "vote_saved": "Your vote is recorded.",
    "member_added": "Member added.",
    "member_updated": "Role changed.",
    "member_removed": "Member removed.",
    "token_revoked": "Token revoked.",
    "org_switched": "Switched organization.",
    "logged_out": "You are logged out.",
    "mapping_saved": "Mapping saved.",
    "webhook_created": "Webhook endpoint created.",
    "webhook_rotated": "Webhook token rotated: the old URL stops working.",
    "replayed": "Dead letter queued for replay.",
    "job_cancelled": "Cancellation requested.",
}


class LoginRequired(Exception):
    """Raised by page dependencies when nobody is signed in; answered with a redirect."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass
class Page:
    """The request as a page sees it; ``render`` fills the layout's shared variables."""

    request: Request
    principal: Principal
    session: Session
    runtime: Runtime
    csrf: str
    organizations: list[queries.OrgChoice] = field(default_factory=list)

    @property
    def organization_id(self) -> uuid.UUID:
        return self.principal.organization_id

    def can(self, permission: Permission | str) -> bool:
        return self.principal.can(Permission(permission))

    def require(self, permission: Permission) -> None:
        self.principal.require(permission)

    @property
    def organization_name(self) -> str:
        for org in self.organizations:
            if org.id == self.principal.organization_id:
                return org.name
        return ""

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        notice = NOTICES.get(self.request.query_params.get("done", ""))
        return render(
            self.request,
            template,
            status_code=status_code,
            page=self,
            principal=self.principal,
            csrf=self.csrf,
            notice=notice,
            **context,
        )


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    context.setdefault("page", None)
    context.setdefault("csrf", "")
    context.setdefault("notice", None)
    html = env.get_template(template).render(request=request, path=request.url.path, **context)
    response = HTMLResponse(html, status_code=status_code)
    # Pages carry per-user data and CSRF tokens: never cache them, never frame them.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def redirect(url: str) -> RedirectResponse:
    """After a successful POST: 303 so the browser GETs the next page."""
    return RedirectResponse(url, status_code=303)


def safe_next(value: str | None, default: str = "/integrations") -> str:
    """Only same-site paths: an open redirect after login would be a phishing aid."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


async def get_page(
    request: Request,
    runtime: Annotated[Runtime, Depends(get_runtime)],
    session: Annotated[Session, Depends(get_session)],
) -> Page:
    """The signed-in caller, or a redirect to the login form (kept for after login)."""
    cookie = request.cookies.get(browser_sessions.COOKIE_NAME)
    if not cookie and not request.headers.get("authorization"):
        raise LoginRequired(_here(request))
    try:
        principal = await get_principal(request, runtime, session)
    except Unauthorized:
        raise LoginRequired(_here(request)) from None
    csrf = browser_sessions.csrf_token(runtime.session_key, cookie) if cookie else ""
    organizations = queries.organizations_of(session, user_id=principal.user_id)
    return Page(request, principal, session, runtime, csrf, organizations)


def _here(request: Request) -> str:
    if request.method != "GET":
        return "/integrations"
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query


async def form_data(request: Request) -> FormData:
    """The posted form (parsed once; the CSRF check has usually read it already)."""
    return await request.form()


CurrentPage = Annotated[Page, Depends(get_page)]
Form = Annotated[FormData, Depends(form_data)]


def form_str(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default


def error_page(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    return render(
        request,
        "error.html",
        status_code=status_code,
        title=title,
        message=message,
    )


_TITLES = {
    400: "That did not work",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Cannot do that now",
    422: "Please check the form",
    429: "Slow down",
}


class PageRoute(APIRoute):
    """Renders login redirects and HTML error pages for every web route."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as needed:
                return redirect(f"/login?next={quote(needed.next_url, safe='/')}")
            except AppError as error:
                status = error.status_code
                if status == 403 and "CSRF" in error.message:
                    message = (
                        "The form expired or came from another site. Go back, reload the page "
                        "and try again."
                    )
                else:
                    message = error.message
                return error_page(request, status, _TITLES.get(status, "Error"), message)
            except VaultError as error:
                log.error("vault: %s", error)
                return error_page(
                    request,
                    409,
                    "Credentials cannot be read",
                    "Re-enter this installation's credentials (Reconfigure).",
                )
            except RequestValidationError:
                return error_page(request, 404, "Not found", "That address does not exist.")
            except StarletteHTTPException as error:
                return error_page(
                    request,
                    error.status_code,
                    _TITLES.get(error.status_code, "Error"),
                    str(error.detail),
                )

        return route


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)
