"""Browser sessions: a random cookie value whose hash is stored, plus a CSRF token derived
from it with HMAC (no extra state, and useless without the session cookie)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aria.accounts.models import Membership, User, UserSession
from aria.db.types import utcnow

COOKIE_NAME = "aria_session"
SESSION_LIFETIME = timedelta(hours=12)
IDLE_TIMEOUT = timedelta(hours=2)
TOUCH_RESOLUTION = timedelta(minutes=1)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def csrf_token(key: bytes, cookie_value: str) -> str:
    """The CSRF token for a session: HMAC of its cookie value."""
    return hmac.new(key, b"csrf:" + cookie_value.encode(), hashlib.sha256).hexdigest()


def csrf_valid(key: bytes, cookie_value: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(key, cookie_value), presented or "")


@dataclass
class NewSession:
    record: UserSession
    cookie_value: str


def create(
    session: Session,
    *,
    user: User,
    organization_id: uuid.UUID,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> NewSession:
    cookie_value = secrets.token_urlsafe(32)
    now = utcnow()
    record = UserSession(
        user_id=user.id,
        organization_id=organization_id,
        token_hash=_hash(cookie_value),
        ip_address=ip_address,
        user_agent=(user_agent or "")[:300] or None,
        created_at=now,
        last_seen_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    session.add(record)
    session.flush()
    return NewSession(record=record, cookie_value=cookie_value)


@dataclass
class SessionIdentity:
    record: UserSession
    user: User
    role: str


def resolve(session: Session, *, cookie_value: str) -> SessionIdentity | None:
    """The live session behind a cookie, or None (unknown, revoked, expired, idle, orphaned)."""
    row = session.execute(
        select(UserSession, User, Membership.role)
        .join(User, User.id == UserSession.user_id)
        .join(
            Membership,
            (Membership.user_id == UserSession.user_id)
            & (Membership.organization_id == UserSession.organization_id),
        )
        .where(UserSession.token_hash == _hash(cookie_value))
    ).first()
    if row is None:
        return None
    record, user, role = row
    now = utcnow()
    if record.revoked_at is not None or not user.is_active:
        return None
    if record.expires_at <= now or now - record.last_seen_at > IDLE_TIMEOUT:
        return None
    if now - record.last_seen_at > TOUCH_RESOLUTION:
        session.execute(
            update(UserSession).where(UserSession.id == record.id).values(last_seen_at=now)
        )
    return SessionIdentity(record=record, user=user, role=role)


def revoke(session: Session, *, record: UserSession) -> None:
    record.revoked_at = utcnow()
    session.flush()


def revoke_all_for_user(session: Session, *, user_id: uuid.UUID) -> None:
    """End every session of a user (password change, removal, lock-out)."""
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def switch_organization(
    session: Session, *, record: UserSession, organization_id: uuid.UUID
) -> str | None:
    """Point the session at another organization the user belongs to; returns the role."""
    role = session.scalar(
        select(Membership.role).where(
            Membership.user_id == record.user_id, Membership.organization_id == organization_id
        )
    )
    if role is not None:
        record.organization_id = organization_id
        session.flush()
    return role
