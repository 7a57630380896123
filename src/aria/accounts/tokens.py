"""API tokens: shown once, stored as a SHA-256 hash, prefixed ``aria_`` so a leaked token
is recognisable (and caught by secret scanners and our own log redactor)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aria.accounts.models import ApiToken, Membership, User
from aria.db.types import utcnow

TOKEN_PREFIX = "aria_"  # noqa: S105 - a public marker, not a secret
# Updating last_used_at on every call would turn reads into writes; once a minute is plenty.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """Tokens are 256-bit random, so a plain SHA-256 is a safe, fast lookup key."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class IssuedToken:
    """A new token; ``plaintext`` exists only in this object and is never stored."""

    record: ApiToken
    plaintext: str


def create(
    session: Session,
    *,
    organization_id: uuid.UUID,
    user_id: uuid.UUID,
    name: str,
    expires_at: datetime | None = None,
) -> IssuedToken:
    name = name.strip()
    if not name or len(name) > 200:
        raise ValueError("token name must be 1 to 200 characters")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        organization_id=organization_id,
        user_id=user_id,
        name=name,
        prefix=plaintext[:12],
        token_hash=hash_token(plaintext),
        expires_at=expires_at,
    )
    session.add(record)
    session.flush()
    return IssuedToken(record=record, plaintext=plaintext)


@dataclass
class TokenIdentity:
    """Who a valid token acts for, with the role the user holds *now*."""

    token: ApiToken
    user: User
    role: str


def authenticate(session: Session, *, plaintext: str) -> TokenIdentity | None:
    """The identity behind ``plaintext``, or None if unknown, revoked, expired or orphaned."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    row = session.execute(
        select(ApiToken, User, Membership.role)
        .join(User, User.id == ApiToken.user_id)
        .join(
            Membership,
            (Membership.user_id == ApiToken.user_id)
            & (Membership.organization_id == ApiToken.organization_id),
        )
        .where(ApiToken.token_hash == hash_token(plaintext))
    ).first()
    if row is None:
        return None
    token, user, role = row
    now = utcnow()
    if token.revoked_at is not None or not user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        token.last_used_at = now
    return TokenIdentity(token=token, user=user, role=role)


def list_(session: Session, *, organization_id: uuid.UUID, user_id: uuid.UUID | None = None):
    query = select(ApiToken).where(ApiToken.organization_id == organization_id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(session.scalars(query.order_by(ApiToken.created_at.desc())))


def get(session: Session, *, organization_id: uuid.UUID, token_id: uuid.UUID) -> ApiToken | None:
    return session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.organization_id == organization_id)
    )


def revoke(session: Session, *, token: ApiToken) -> bool:
    """Revoke ``token``; False when it was already revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    session.flush()
    return True
