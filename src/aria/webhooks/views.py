"""Webhook API: inbound endpoints of installations, their delivery log, dead letters (both
directions) and outbound subscriptions. Every lookup is scoped to the caller's organization,
so another organization's ids answer 404."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from aria.accounts.deps import AppRuntime, DbSession, require
from aria.accounts.permissions import Permission
from aria.accounts.principal import Principal
from aria.catalog.models import CatalogEntry
from aria.installs import flows
from aria.installs import service as installs
from aria.installs.models import Installation
from aria.webhooks import outbound, service, verify
from aria.webhooks.models import Subscription, Webhook
from aria.webhooks.receiver import receiver_for
from aria.webhooks.schemas import (
    DeadLetterPage,
    DeadLetterRead,
    DeliveryPage,
    DeliveryRead,
    InboundEventPage,
    InboundEventRead,
    PresetRead,
    Queued,
    SubscriptionCreate,
    SubscriptionIssued,
    SubscriptionRead,
    SubscriptionUpdate,
    WebhookCreate,
    WebhookIssued,
    WebhookRead,
    WebhookRotate,
    WebhookUpdate,
)

router = APIRouter(tags=["webhooks"])

Browse = Annotated[Principal, Depends(require(Permission.browse))]
Configure = Annotated[Principal, Depends(require(Permission.configure))]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]


def _installation(
    session: DbSession, principal: Principal, installation_id: uuid.UUID
) -> Installation:
    return installs.get_or_raise(
        session, organization_id=principal.organization_id, installation_id=installation_id
    )


def _webhook(
    session: DbSession, principal: Principal, installation_id: uuid.UUID, webhook_id: uuid.UUID
) -> tuple[Installation, Webhook]:
    installation = _installation(session, principal, installation_id)
    return installation, service.get_or_raise(
        session,
        organization_id=principal.organization_id,
        installation_id=installation.id,
        webhook_id=webhook_id,
    )


def _read(webhook: Webhook, base_url: str) -> dict[str, object]:
    data = WebhookRead.model_validate(
        {
            **{c: getattr(webhook, c) for c in WebhookRead.model_fields if hasattr(webhook, c)},
            "url_hint": f"{base_url}/hooks/{webhook.token_prefix or ''}…",
            "has_secret": webhook.secret_ciphertext is not None,
        }
    )
    return data.model_dump()


def _issued(issued: service.Issued, base_url: str) -> WebhookIssued:
    return WebhookIssued(
        **_read(issued.webhook, base_url),
        url=service.hook_url(base_url, issued.token),
        secret=issued.secret,
    )


@router.get("/webhook-presets", response_model=list[PresetRead])
def list_presets(principal: Browse) -> list[PresetRead]:
    """Vendor presets: the verification each shipped integration's webhooks need."""
    return [
        PresetRead(
            key=key,
            verification_method=preset.method,
            verification_config=verify.normalize(preset.method, preset.config),
            description=preset.description,
        )
        for key, preset in verify.PRESETS.items()
    ]


@router.get("/installations/{installation_id}/webhooks", response_model=list[WebhookRead])
def list_webhooks(
    installation_id: uuid.UUID, session: DbSession, runtime: AppRuntime, principal: Browse
) -> list[WebhookRead]:
    installation = _installation(session, principal, installation_id)
    return [
        WebhookRead.model_validate(_read(w, runtime.settings.base_url))
        for w in service.list_(
            session, organization_id=principal.organization_id, installation_id=installation.id
        )
    ]


@router.post(
    "/installations/{installation_id}/webhooks",
    response_model=WebhookIssued,
    status_code=status.HTTP_201_CREATED,
)
def create_webhook(
    installation_id: uuid.UUID,
    session: DbSession,
    runtime: AppRuntime,
    principal: Configure,
    body: WebhookCreate | None = None,
) -> WebhookIssued:
    """A new endpoint. The response holds the full URL and the signing secret: shown once."""
    body = body or WebhookCreate()
    installation = _installation(session, principal, installation_id)
    entry = session.get(CatalogEntry, installation.integration_id)
    assert entry is not None
    issued = service.create(
        session,
        runtime,
        installation=installation,
        integration_cls=flows.integration_class(runtime, entry),
        name=body.name,
        preset=body.preset,
        method=body.verification_method,
        config=body.verification_config,
        secret=body.secret,
        stream=body.stream,
        event_types=body.event_types,
        rate_limit_per_minute=body.rate_limit_per_minute,
        max_body_bytes=body.max_body_bytes,
    )
    flows.audit_action(
        session,
        runtime,
        principal,
        action="webhook.created",
        target_type="webhook",
        target_id=str(issued.webhook.id),
        details={
            "installation_id": str(installation.id),
            "verification_method": issued.webhook.verification_method,
        },
    )
    return _issued(issued, runtime.settings.base_url)


@router.get("/installations/{installation_id}/webhooks/{webhook_id}", response_model=WebhookRead)
def get_webhook(
    installation_id: uuid.UUID,
    webhook_id: uuid.UUID,
    session: DbSession,
    runtime: AppRuntime,
    principal: Browse,
) -> WebhookRead:
    _, webhook = _webhook(session, principal, installation_id, webhook_id)
    return WebhookRead.model_validate(_read(webhook, runtime.settings.base_url))


@router.patch("/installations/{installation_id}/webhooks/{webhook_id}", response_model=WebhookRead)
def update_webhook(
    installation_id: uuid.UUID,
    webhook_id: uuid.UUID,
    body: WebhookUpdate,
    request: Request,
    session: DbSession,
    runtime: AppRuntime,
    principal: Configure,
) -> WebhookRead:
    """Enable/disable an endpoint or change its limits."""
    _, webhook = _webhook(session, principal, installation_id, webhook_id)
    service.update_(session, webhook=webhook, changes=body.model_dump(exclude_unset=True))
    flows.audit_action(
        session,
        runtime,
        principal,
        action="webhook.updated",
        target_type="webhook",
        target_id=str(webhook.id),
        details={"fields": sorted(body.model_dump(exclude_unset=True))},
    )
    session.commit()
    receiver_for(request.app).invalidate()
    return WebhookRead.model_validate(_read(webhook, runtime.settings.base_url))


@router.delete(
    "/installations/{installation_id}/webhooks/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
def delete_webhook(
    installation_id: uuid.UUID,
    webhook_id: uuid.UUID,
    request: Request,
    session: DbSession,
    runtime: AppRuntime,
    principal: Configure,
) -> Response:
    _, webhook = _webhook(session, principal, installation_id, webhook_id)
    flows.audit_action(
        session,
        runtime,
        principal,
        action="webhook.deleted",
        target_type="webhook",
        target_id=str(webhook.id),
    )
    service.delete(session, webhook=webhook)
    session.commit()
    receiver_for(request.app).invalidate()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/installations/{installation_id}/webhooks/{webhook_id}/rotate", response_model=WebhookIssued
)
def rotate_webhook(
    installation_id: uuid.UUID,
    webhook_id: uuid.UUID,
    request: Request,
    session: DbSession,
    runtime: AppRuntime,
    principal: Configure,
    body: WebhookRotate | None = None,
) -> WebhookIssued:
    """A new token (and optionally secret); the old ones work for ``overlap_minutes`` more."""
    body = body or WebhookRotate()
    installation, webhook = _webhook(session, principal, installation_id, webhook_id)
    issued = service.rotate(
        session,
        runtime,
        webhook=webhook,
        installation=installation,
        overlap=timedelta(minutes=body.overlap_minutes),
        rotate_secret=body.rotate_secret,
        secret=body.secret,
    )
    flows.audit_action(
        session,
        runtime,
        principal,
        action="webhook.rotated",
        target_type="webhook",
        target_id=str(webhook.id),
        details={"overlap_minutes": body.overlap_minutes, "secret": issued.secret is not None},
    )
    session.commit()
    receiver_for(request.app).invalidate()
    return _issued(issued, runtime.settings.base_url)


@router.get(
    "/installations/{installation_id}/webhooks/{webhook_id}/deliveries",
    response_model=InboundEventPage,
)
def list_inbound_deliveries(
    installation_id: uuid.UUID,
    webhook_id: uuid.UUID,
    session: DbSession,
    principal: Browse,
    status_: Annotated[
        Literal["received", "processing", "processed", "retrying", "dead"] | None,
        Query(alias="status"),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> InboundEventPage:
    """What arrived at this endpoint and how processing went (bodies are not shown)."""
    _, webhook = _webhook(session, principal, installation_id, webhook_id)
    rows, total = service.deliveries(
        session, webhook=webhook, status=status_, limit=limit, offset=offset
    )
    return InboundEventPage(
        items=[InboundEventRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


# Dead letters -------------------------------------------------------------------------------


@router.get("/dead-letters", response_model=DeadLetterPage)
def list_dead_letters(
    session: DbSession,
    principal: Browse,
    kind: Literal["inbound", "outbound"] | None = None,
    status_: Annotated[Literal["open", "replayed"] | None, Query(alias="status")] = None,
    installation_id: uuid.UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> DeadLetterPage:
    rows, total = service.dead_letters(
        session,
        organization_id=principal.organization_id,
        kind=kind,
        status=status_,
        installation_id=installation_id,
        limit=limit,
        offset=offset,
    )
    return DeadLetterPage(
        items=[DeadLetterRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/dead-letters/{dead_letter_id}", response_model=DeadLetterRead)
def get_dead_letter(
    dead_letter_id: uuid.UUID, session: DbSession, principal: Browse
) -> DeadLetterRead:
    return DeadLetterRead.model_validate(
        service.get_dead_letter_or_raise(
            session, organization_id=principal.organization_id, dead_letter_id=dead_letter_id
        )
    )


@router.post(
    "/dead-letters/{dead_letter_id}/replay",
    response_model=DeadLetterRead,
    status_code=status.HTTP_202_ACCEPTED,
)
def replay_dead_letter(
    dead_letter_id: uuid.UUID, session: DbSession, runtime: AppRuntime, principal: Configure
) -> DeadLetterRead:
    """Queue the event (or delivery) again with fresh attempts."""
    found = service.get_dead_letter_or_raise(
        session, organization_id=principal.organization_id, dead_letter_id=dead_letter_id
    )
    target = service.replay(session, dead_letter=found)
    flows.audit_action(
        session,
        runtime,
        principal,
        action="webhook.dead_letter_replayed",
        target_type="dead_letter",
        target_id=str(found.id),
        details={"kind": found.kind},
    )
    session.commit()  # the worker must see the reset row before it runs
    if found.kind == "inbound":
        runtime.tasks.webhooks.process([target])
    else:
        runtime.tasks.webhooks.deliver([target])
    return DeadLetterRead.model_validate(found)


# Outbound subscriptions ---------------------------------------------------------------------


def _subscription(
    session: DbSession, principal: Principal, subscription_id: uuid.UUID
) -> Subscription:
    return outbound.get_or_raise(
        session, organization_id=principal.organization_id, subscription_id=subscription_id
    )


@router.get("/webhook-subscriptions", response_model=list[SubscriptionRead])
def list_subscriptions(session: DbSession, principal: Browse) -> list[SubscriptionRead]:
    return [
        SubscriptionRead.model_validate(s)
        for s in outbound.list_(session, organization_id=principal.organization_id)
    ]


@router.post(
    "/webhook-subscriptions",
    response_model=SubscriptionIssued,
    status_code=status.HTTP_201_CREATED,
)
def create_subscription(
    body: SubscriptionCreate, session: DbSession, runtime: AppRuntime, principal: Configure
) -> SubscriptionIssued:
    """Subscribe a URL to lifecycle events. The signing secret is in this response only."""
    issued = outbound.create(
        session, runtime, organization_id=principal.organization_id, values=body.model_dump()
    )
    flows.audit_action(
        session,
        runtime,
        principal,
        action="webhook_subscription.created",
        target_type="webhook_subscription",
        target_id=str(issued.subscription.id),
        details={"event_types": issued.subscription.event_types},
    )
    return SubscriptionIssued(
        **SubscriptionRead.model_validate(issued.subscription).model_dump(), secret=issued.secret
    )


@router.get("/webhook-subscriptions/{subscription_id}", response_model=SubscriptionRead)
def get_subscription(
    subscription_id: uuid.UUID, session: DbSession, principal: Browse
) -> SubscriptionRead:
    return SubscriptionRead.model_validate(_subscription(session, principal, subscription_id))


@router.patch("/webhook-subscriptions/{subscription_id}", response_model=SubscriptionRead)
def update_subscription(
    subscription_id: uuid.UUID,
    body: SubscriptionUpdate,
    session: DbSession,
    runtime: AppRuntime,
    principal: Configure,
) -> SubscriptionRead:
    """Change a subscription; ``is_active: true`` re-enables one that was auto-disabled."""
    sub = _subscription(session, principal, subscription_id)
    changes = body.model_dump(exclude_unset=True)
    outbound.update_(session, runtime, sub=sub, changes=changes)
    flows.audit_action(
        session,
        runtime,
        principal,
        action="webhook_subscription.updated",
        target_type="webhook_subscription",
        target_id=str(sub.id),
        details={"fields": sorted(changes)},
    )
    return SubscriptionRead.model_validate(sub)


@router.delete("/webhook-subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_subscription(
    subscription_id: uuid.UUID, session: DbSession, runtime: AppRuntime, principal: Configure
) -> Response:
    sub = _subscription(session, principal, subscription_id)
    flows.audit_action(
        session,
        runtime,
        principal,
        action="webhook_subscription.deleted",
        target_type="webhook_subscription",
        target_id=str(sub.id),
    )
    session.delete(sub)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/webhook-subscriptions/{subscription_id}/rotate-secret", response_model=SubscriptionIssued
)
def rotate_subscription_secret(
    subscription_id: uuid.UUID, session: DbSession, runtime: AppRuntime, principal: Configure
) -> SubscriptionIssued:
    """A new signing secret, effective for the next delivery; shown once."""
    sub = _subscription(session, principal, subscription_id)
    secret = outbound.rotate_secret(runtime, sub=sub)
    flows.audit_action(
        session,
        runtime,
        principal,
        action="webhook_subscription.secret_rotated",
        target_type="webhook_subscription",
        target_id=str(sub.id),
    )
    session.flush()
    return SubscriptionIssued(**SubscriptionRead.model_validate(sub).model_dump(), secret=secret)


@router.post(
    "/webhook-subscriptions/{subscription_id}/test",
    response_model=Queued,
    status_code=status.HTTP_202_ACCEPTED,
)
def test_subscription(
    subscription_id: uuid.UUID, session: DbSession, runtime: AppRuntime, principal: Configure
) -> Queued:
    """Queue a signed ``webhook.test`` delivery; its result appears in the delivery log."""
    sub = _subscription(session, principal, subscription_id)
    delivery_id = outbound.send_test(session, sub=sub)
    session.commit()
    runtime.tasks.webhooks.deliver([delivery_id])
    return Queued(id=delivery_id, status="pending")


@router.get("/webhook-subscriptions/{subscription_id}/deliveries", response_model=DeliveryPage)
def list_subscription_deliveries(
    subscription_id: uuid.UUID,
    session: DbSession,
    principal: Browse,
    status_: Annotated[
        Literal["pending", "delivering", "succeeded", "retrying", "failed", "cancelled"] | None,
        Query(alias="status"),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> DeliveryPage:
    """The delivery log: status, HTTP status and response time of each delivery."""
    sub = _subscription(session, principal, subscription_id)
    rows, total = outbound.deliveries(session, sub=sub, status=status_, limit=limit, offset=offset)
    return DeliveryPage(
        items=[DeliveryRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )
