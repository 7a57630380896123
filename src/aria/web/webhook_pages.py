"""Webhook pages: an installation's inbound endpoints (create, rotate, delivery log), the
organization's dead letters (replay), and outbound subscriptions under Admin.

Permissions mirror the JSON API (`aria.webhooks.views`): reading needs ``browse``, anything
that changes state needs ``configure``. Lookups are scoped to the caller's organization, so
another organization's ids answer 404. Tokens and signing secrets are only ever rendered on
the page that answers the create/rotate POST (not cached: every page is ``no-store``).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from aria.accounts.permissions import Permission
from aria.errors import AppError, Conflict
from aria.installs import flows
from aria.installs import health as installs_health
from aria.web.context import CurrentPage, Form, Page, PageRoute, env, form_str, redirect
from aria.webhooks import outbound, service, verify
from aria.webhooks.models import Subscription, Webhook
from aria.webhooks.receiver import receiver_for
from aria.webhooks.schemas import SubscriptionCreate, SubscriptionUpdate

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# The admin tabs show "Outbound webhooks" once these pages exist.
env.globals["webhooks_available"] = True

PAGE_SIZE = 50
METHOD_LABELS = {
    "hmac": "HMAC-SHA256 signature of the body",
    "signature": "Timestamped signature (t=…,v1=…)",
    "bearer_token": "Bearer token in the Authorization header",
}
INBOUND_STATUSES = ("received", "processing", "processed", "retrying", "dead")
DELIVERY_STATUSES = ("pending", "delivering", "succeeded", "retrying", "failed", "cancelled")
MAX_OVERLAP_MINUTES = 10_080
# Flash messages after a redirect (codes only; the shared ones live in `context.NOTICES`).
FLASHES = {
    "endpoint_enabled": "Endpoint enabled: it accepts deliveries again.",
    "endpoint_disabled": "Endpoint disabled: deliveries to it are refused until you enable it.",
    "sub_updated": "Subscription saved.",
    "sub_enabled": "Subscription enabled. Failure counting starts afresh.",
    "sub_disabled": "Subscription disabled. No deliveries are sent until you enable it.",
    "sub_deleted": "Subscription deleted.",
    "test_queued": "Test event queued. Its result appears below in a few seconds (reload).",
}


def _flash(page: Page) -> str | None:
    return FLASHES.get(page.request.query_params.get("done", ""))


def _audit(page: Page, **kwargs: Any) -> None:
    flows.audit_action(page.session, page.runtime, page.principal, **kwargs)


def _base_url(page: Page) -> str:
    return str(page.runtime.settings.base_url).rstrip("/")


def _offset(value: int | None) -> int:
    return max(0, value or 0)


def _field_errors(error: AppError, default: str) -> dict[str, str]:
    fields = (error.details or {}).get("fields") if isinstance(error.details, dict) else None
    if isinstance(fields, dict) and fields:
        return {str(k): str(v) for k, v in fields.items()}
    return {default: error.message}


# -- Inbound endpoints ----------------------------------------------------------------------


def _installed(page: Page, installation_id: uuid.UUID) -> flows.Installed:
    return installs_health.installed_or_raise(page.session, page.principal, installation_id)


def _endpoint(
    page: Page, installation_id: uuid.UUID, webhook_id: uuid.UUID
) -> tuple[flows.Installed, Webhook]:
    installed = _installed(page, installation_id)
    return installed, service.get_or_raise(
        page.session,
        organization_id=page.organization_id,
        installation_id=installed.installation.id,
        webhook_id=webhook_id,
    )


def _endpoints_page(
    page: Page,
    installed: flows.Installed,
    *,
    issued: service.Issued | None = None,
    rotated: bool = False,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    inst = installed.installation
    cls = flows.integration_class(page.runtime, installed.entry)
    preset = verify.PRESETS.get(cls.key)
    return page.render(
        "webhooks_endpoints.html",
        status_code=status_code,
        inst=inst,
        entry=installed.entry,
        supported=bool(cls.webhook_support),
        preset=preset,
        methods=METHOD_LABELS,
        endpoints=service.list_(
            page.session, organization_id=page.organization_id, installation_id=inst.id
        ),
        base_url=_base_url(page),
        issued=issued,
        issued_url=service.hook_url(_base_url(page), issued.token) if issued else None,
        rotated=rotated,
        errors=errors or {},
        values=values or {},
        max_overlap=MAX_OVERLAP_MINUTES,
        flash=_flash(page),
    )


@router.get("/installations/{installation_id}/webhooks")
def endpoints(page: CurrentPage, installation_id: uuid.UUID) -> HTMLResponse:
    page.require(Permission.browse)
    return _endpoints_page(page, _installed(page, installation_id))


@router.post("/installations/{installation_id}/webhooks")
def create_endpoint(page: CurrentPage, installation_id: uuid.UUID, form: Form) -> HTMLResponse:
    """Create an endpoint and show its URL and signing secret this once."""
    page.require(Permission.configure)
    installed = _installed(page, installation_id)
    name, method = form_str(form, "name"), form_str(form, "verification_method")
    values = {"name": name, "verification_method": method}
    errors: dict[str, str] = {}
    if len(name) > 200:
        errors["name"] = "Up to 200 characters."
    if method and method not in METHOD_LABELS:
        errors["verification_method"] = "Choose one of the listed methods."
    if errors:
        return _endpoints_page(page, installed, errors=errors, values=values, status_code=422)
    try:
        issued = service.create(
            page.session,
            page.runtime,
            installation=installed.installation,
            integration_cls=flows.integration_class(page.runtime, installed.entry),
            name=name or None,
            method=method or None,
        )
    except AppError as error:
        page.session.rollback()
        found = _field_errors(error, "form")
        errors = {
            ("verification_method" if key not in {"name", "form"} else key): value
            for key, value in found.items()
        }
        return _endpoints_page(
            page, installed, errors=errors, values=values, status_code=error.status_code
        )
    _audit(
        page,
        action="webhook.created",
        target_type="webhook",
        target_id=str(issued.webhook.id),
        details={
            "installation_id": str(installed.installation.id),
            "verification_method": issued.webhook.verification_method,
        },
    )
    return _endpoints_page(page, installed, issued=issued, status_code=201)


@router.post("/installations/{installation_id}/webhooks/{webhook_id}/rotate")
def rotate_endpoint(
    page: CurrentPage, installation_id: uuid.UUID, webhook_id: uuid.UUID, form: Form
) -> HTMLResponse:
    """A new URL (and, if asked, secret); the old ones keep working for the overlap."""
    page.require(Permission.configure)
    installed, webhook = _endpoint(page, installation_id, webhook_id)
    overlap = form_str(form, "overlap_minutes", "60") or "60"
    if not overlap.isdigit() or int(overlap) > MAX_OVERLAP_MINUTES:
        return _endpoints_page(
            page,
            installed,
            errors={f"overlap-{webhook.id}": f"Minutes from 0 to {MAX_OVERLAP_MINUTES}."},
            status_code=422,
        )
    rotate_secret = form.get("rotate_secret") is not None
    try:
        issued = service.rotate(
            page.session,
            page.runtime,
            webhook=webhook,
            installation=installed.installation,
            overlap=timedelta(minutes=int(overlap)),
            rotate_secret=rotate_secret,
        )
    except AppError as error:
        page.session.rollback()
        return _endpoints_page(
            page,
            installed,
            errors={f"overlap-{webhook_id}": error.message},
            status_code=error.status_code,
        )
    _audit(
        page,
        action="webhook.rotated",
        target_type="webhook",
        target_id=str(webhook.id),
        details={"overlap_minutes": int(overlap), "secret": issued.secret is not None},
    )
    page.session.commit()  # the receiver must not re-cache the old state
    receiver_for(page.request.app).invalidate()
    return _endpoints_page(page, installed, issued=issued, rotated=True)


@router.post("/installations/{installation_id}/webhooks/{webhook_id}/active")
def set_endpoint_active(
    page: CurrentPage, installation_id: uuid.UUID, webhook_id: uuid.UUID, form: Form
) -> Response:
    page.require(Permission.configure)
    _, webhook = _endpoint(page, installation_id, webhook_id)
    active = form_str(form, "active") == "1"
    service.update_(page.session, webhook=webhook, changes={"is_active": active})
    _audit(
        page,
        action="webhook.updated",
        target_type="webhook",
        target_id=str(webhook.id),
        details={"fields": ["is_active"]},
    )
    page.session.commit()
    receiver_for(page.request.app).invalidate()
    done = "endpoint_enabled" if active else "endpoint_disabled"
    return redirect(f"/installations/{installation_id}/webhooks?done={done}#wh-{webhook.id}")


@router.get("/installations/{installation_id}/webhooks/{webhook_id}/deliveries")
def endpoint_deliveries(
    page: CurrentPage,
    installation_id: uuid.UUID,
    webhook_id: uuid.UUID,
    status: str = "",
    offset: int = 0,
) -> HTMLResponse:
    page.require(Permission.browse)
    installed, webhook = _endpoint(page, installation_id, webhook_id)
    chosen = status if status in INBOUND_STATUSES else ""
    offset = _offset(offset)
    rows, total = service.deliveries(
        page.session, webhook=webhook, status=chosen or None, limit=PAGE_SIZE, offset=offset
    )
    return page.render(
        "webhooks_deliveries.html",
        inst=installed.installation,
        entry=installed.entry,
        webhook=webhook,
        base_url=_base_url(page),
        rows=rows,
        total=total,
        status=chosen,
        statuses=INBOUND_STATUSES,
        offset=offset,
        next_offset=offset + PAGE_SIZE if offset + PAGE_SIZE < total else None,
    )


# -- Dead letters -----------------------------------------------------------------------------


def _dead_letters_page(
    page: Page,
    *,
    kind: str = "",
    status: str = "",
    offset: int = 0,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rows, total = service.dead_letters(
        page.session,
        organization_id=page.organization_id,
        kind=kind or None,
        status=status or None,
        installation_id=None,
        limit=PAGE_SIZE,
        offset=offset,
    )
    return page.render(
        "webhooks_dead_letters.html",
        status_code=status_code,
        rows=rows,
        total=total,
        kind=kind,
        status=status,
        offset=offset,
        next_offset=offset + PAGE_SIZE if offset + PAGE_SIZE < total else None,
        error=error,
    )


@router.get("/dead-letters")
def dead_letters(
    page: CurrentPage, kind: str = "", status: str = "", offset: int = 0
) -> HTMLResponse:
    page.require(Permission.browse)
    return _dead_letters_page(
        page,
        kind=kind if kind in ("inbound", "outbound") else "",
        status=status if status in ("open", "replayed") else "",
        offset=_offset(offset),
    )


@router.post("/dead-letters/{dead_letter_id}/replay")
def replay_dead_letter(page: CurrentPage, dead_letter_id: uuid.UUID) -> Response:
    """Queue the event (or delivery) again with fresh attempts."""
    page.require(Permission.configure)
    found = service.get_dead_letter_or_raise(
        page.session, organization_id=page.organization_id, dead_letter_id=dead_letter_id
    )
    try:
        target = service.replay(page.session, dead_letter=found)
    except Conflict as error:
        page.session.rollback()
        return _dead_letters_page(page, error=error.message, status_code=409)
    _audit(
        page,
        action="webhook.dead_letter_replayed",
        target_type="dead_letter",
        target_id=str(found.id),
        details={"kind": found.kind},
    )
    kind = found.kind
    page.session.commit()  # the worker must see the reset row before it runs
    if kind == "inbound":
        page.runtime.tasks.webhooks.process([target])
    else:
        page.runtime.tasks.webhooks.deliver([target])
    return redirect("/dead-letters?done=replayed")


# -- Outbound subscriptions (Admin) -----------------------------------------------------------


def _subscription(page: Page, subscription_id: uuid.UUID) -> Subscription:
    return outbound.get_or_raise(
        page.session, organization_id=page.organization_id, subscription_id=subscription_id
    )


def _subscriptions_page(
    page: Page,
    *,
    issued: outbound.IssuedSubscription | None = None,
    rotated: Subscription | None = None,
    secret: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page.render(
        "webhooks_subscriptions.html",
        status_code=status_code,
        subscriptions=outbound.list_(page.session, organization_id=page.organization_id),
        event_types=outbound.EVENT_TYPES,
        issued=issued,
        rotated=rotated,
        secret=secret,
        errors=errors or {},
        values=values or {"event_types": [], "method": "POST"},
        flash=_flash(page),
        tab="webhooks",
    )


def _parse_headers(text: str) -> dict[str, str] | None:
    """``Name: value`` per line; None when a line has no colon."""
    headers: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            return None
        headers[name.strip()] = value.strip()
    return headers


def _subscription_values(form: FormData) -> dict[str, Any]:
    """What was typed (header values are never echoed back)."""
    return {
        "name": form_str(form, "name"),
        "url": form_str(form, "url"),
        "method": form_str(form, "method") or "POST",
        "event_types": [v for v in form.getlist("event_types") if isinstance(v, str)],
        "payload_template": form_str(form, "payload_template"),
    }


def _validated(
    form: FormData, model: type[SubscriptionCreate] | type[SubscriptionUpdate]
) -> tuple[dict[str, Any], dict[str, str]]:
    """(changes, errors): the form checked by the API's own schema."""
    values = _subscription_values(form)
    errors: dict[str, str] = {}
    data: dict[str, Any] = {
        "name": values["name"],
        "url": values["url"],
        "method": values["method"],
        "event_types": values["event_types"],
        "payload_template": values["payload_template"] or None,
    }
    headers_text = form_str(form, "headers")
    if headers_text:
        headers = _parse_headers(headers_text)
        if headers is None:
            errors["headers"] = "One header per line, as Name: value."
        else:
            data["headers"] = headers
    elif model is SubscriptionCreate or form.get("clear_headers") is not None:
        data["headers"] = {}
    if not values["event_types"]:
        errors["event_types"] = "Choose at least one event."
    try:
        checked = model.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else "form"
            errors.setdefault(field, str(item["msg"]))
        return {}, errors
    return checked.model_dump(exclude_unset=model is SubscriptionUpdate), errors


@router.get("/admin/webhooks")
def subscriptions(page: CurrentPage) -> HTMLResponse:
    page.require(Permission.browse)
    return _subscriptions_page(page)


@router.post("/admin/webhooks")
def create_subscription(page: CurrentPage, form: Form) -> HTMLResponse:
    """Subscribe a URL to events; its signing secret is shown this once."""
    page.require(Permission.configure)
    values = _subscription_values(form)
    changes, errors = _validated(form, SubscriptionCreate)
    if errors:
        return _subscriptions_page(page, errors=errors, values=values, status_code=422)
    try:
        issued = outbound.create(
            page.session, page.runtime, organization_id=page.organization_id, values=changes
        )
    except AppError as error:
        page.session.rollback()
        return _subscriptions_page(
            page, errors=_field_errors(error, "form"), values=values, status_code=422
        )
    _audit(
        page,
        action="webhook_subscription.created",
        target_type="webhook_subscription",
        target_id=str(issued.subscription.id),
        details={"event_types": issued.subscription.event_types},
    )
    return _subscriptions_page(page, issued=issued, status_code=201)


def _edit_page(
    page: Page,
    sub: Subscription,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page.render(
        "webhooks_subscription_edit.html",
        status_code=status_code,
        sub=sub,
        event_types=outbound.EVENT_TYPES,
        errors=errors or {},
        values=values
        or {
            "name": sub.name,
            "url": sub.url,
            "method": sub.method,
            "event_types": list(sub.event_types),
            "payload_template": sub.payload_template or "",
        },
        tab="webhooks",
    )


@router.get("/admin/webhooks/{subscription_id}/edit")
def edit_subscription(page: CurrentPage, subscription_id: uuid.UUID) -> HTMLResponse:
    page.require(Permission.configure)
    return _edit_page(page, _subscription(page, subscription_id))


@router.post("/admin/webhooks/{subscription_id}/edit")
def update_subscription(page: CurrentPage, subscription_id: uuid.UUID, form: Form) -> Response:
    page.require(Permission.configure)
    sub = _subscription(page, subscription_id)
    values = _subscription_values(form)
    changes, errors = _validated(form, SubscriptionUpdate)
    if errors:
        return _edit_page(page, sub, errors=errors, values=values, status_code=422)
    changes["payload_template"] = changes.get("payload_template") or None
    try:
        outbound.update_(page.session, page.runtime, sub=sub, changes=changes)
    except AppError as error:
        page.session.rollback()
        sub = _subscription(page, subscription_id)
        return _edit_page(
            page, sub, errors=_field_errors(error, "form"), values=values, status_code=422
        )
    _audit(
        page,
        action="webhook_subscription.updated",
        target_type="webhook_subscription",
        target_id=str(sub.id),
        details={"fields": sorted(changes)},
    )
    return redirect(f"/admin/webhooks?done=sub_updated#sub-{sub.id}")


@router.post("/admin/webhooks/{subscription_id}/active")
def set_subscription_active(page: CurrentPage, subscription_id: uuid.UUID, form: Form) -> Response:
    page.require(Permission.configure)
    sub = _subscription(page, subscription_id)
    active = form_str(form, "active") == "1"
    outbound.update_(page.session, page.runtime, sub=sub, changes={"is_active": active})
    _audit(
        page,
        action="webhook_subscription.updated",
        target_type="webhook_subscription",
        target_id=str(sub.id),
        details={"fields": ["is_active"]},
    )
    done = "sub_enabled" if active else "sub_disabled"
    return redirect(f"/admin/webhooks?done={done}#sub-{sub.id}")


@router.post("/admin/webhooks/{subscription_id}/delete")
def delete_subscription(page: CurrentPage, subscription_id: uuid.UUID) -> Response:
    page.require(Permission.configure)
    sub = _subscription(page, subscription_id)
    _audit(
        page,
        action="webhook_subscription.deleted",
        target_type="webhook_subscription",
        target_id=str(sub.id),
    )
    page.session.delete(sub)  # as the JSON API does: outbound.py has no delete function
    return redirect("/admin/webhooks?done=sub_deleted")


@router.post("/admin/webhooks/{subscription_id}/rotate-secret")
def rotate_subscription_secret(page: CurrentPage, subscription_id: uuid.UUID) -> HTMLResponse:
    """A new signing secret, effective for the next delivery; shown once."""
    page.require(Permission.configure)
    sub = _subscription(page, subscription_id)
    secret = outbound.rotate_secret(page.runtime, sub=sub)
    _audit(
        page,
        action="webhook_subscription.secret_rotated",
        target_type="webhook_subscription",
        target_id=str(sub.id),
    )
    return _subscriptions_page(page, rotated=sub, secret=secret)


@router.post("/admin/webhooks/{subscription_id}/test")
def test_subscription(page: CurrentPage, subscription_id: uuid.UUID) -> Response:
    """Queue a signed ``webhook.test`` delivery; the result shows in the delivery log."""
    page.require(Permission.configure)
    sub = _subscription(page, subscription_id)
    delivery_id = outbound.send_test(page.session, sub=sub)
    page.session.commit()  # the worker must see the delivery before it runs
    page.runtime.tasks.webhooks.deliver([delivery_id])
    return redirect(f"/admin/webhooks/{subscription_id}/deliveries?done=test_queued")


@router.get("/admin/webhooks/{subscription_id}/deliveries")
def subscription_deliveries(
    page: CurrentPage, subscription_id: uuid.UUID, status: str = "", offset: int = 0
) -> HTMLResponse:
    page.require(Permission.browse)
    sub = _subscription(page, subscription_id)
    chosen = status if status in DELIVERY_STATUSES else ""
    offset = _offset(offset)
    rows, total = outbound.deliveries(
        page.session, sub=sub, status=chosen or None, limit=PAGE_SIZE, offset=offset
    )
    return page.render(
        "webhooks_subscription_deliveries.html",
        sub=sub,
        rows=rows,
        total=total,
        status=chosen,
        statuses=DELIVERY_STATUSES,
        offset=offset,
        next_offset=offset + PAGE_SIZE if offset + PAGE_SIZE < total else None,
        flash=_flash(page),
        tab="webhooks",
    )
