"""Password login with throttling: after a few failures each attempt must wait longer,
and after many the account locks for a while. Every outcome lands in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aria.accounts.models import Membership, User
from aria.accounts.passwords import hash_password, verify_password
from aria.accounts.service import AccountError, normalize_email
from aria.audit import service as audit
from aria.db.types import utcnow

FREE_ATTEMPTS = 3
LOCK_AFTER = 10
LOCK_FOR = timedelta(minutes=15)
MAX_BACKOFF = timedelta(seconds=60)
# Verifying against a real hash for unknown emails keeps response times alike.
_DUMMY_HASH = hash_password("not-a-real-password-for-timing")


def backoff(failures: int) -> timedelta:
    """How long the next attempt must wait after ``failures`` consecutive failures."""
    if failures >= LOCK_AFTER:
        return LOCK_FOR
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    return min(MAX_BACKOFF, timedelta(seconds=2 ** (failures - FREE_ATTEMPTS)))


@dataclass
class LoginResult:
    """``user`` on success; otherwise ``error`` (invalid|throttled|locked) and ``retry_after``."""

    user: User | None = None
    organization_id: object | None = None
    error: str | None = None
    retry_after: int | None = None


def login(
    session: Session,
    *,
    email: str,
    password: str,
    audit_key: bytes,
    ip_address: str | None = None,
    now: datetime | None = None,
) -> LoginResult:
    """Check a password. The caller commits whatever the outcome (failures must persist)."""
    now = now or utcnow()
    try:
        email = normalize_email(email)
    except AccountError:
        return LoginResult(error="invalid")
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        audit.append(
            session,
            key=audit_key,
            action="login.failed",
            actor=email,
            details={"reason": "unknown user"},
            ip_address=ip_address,
        )
        return LoginResult(error="invalid")
    if user.locked_until is not None and now < user.locked_until:
        wait = int((user.locked_until - now).total_seconds()) + 1
        error = "locked" if user.failed_login_count >= LOCK_AFTER else "throttled"
        audit.append(
            session,
            key=audit_key,
            action="login.throttled",
            actor=email,
            actor_user_id=user.id,
            details={"failures": user.failed_login_count, "retry_after": wait},
            ip_address=ip_address,
        )
        return LoginResult(error=error, retry_after=wait)
    if not user.is_active or not verify_password(user.password_hash, password):
        user.failed_login_count += 1
        delay = backoff(user.failed_login_count)
        user.locked_until = now + delay if delay else None
        locked = user.failed_login_count >= LOCK_AFTER
        audit.append(
            session,
            key=audit_key,
            action="login.locked" if locked else "login.failed",
            actor=email,
            actor_user_id=user.id,
            details={"failures": user.failed_login_count, "reason": "bad password"},
            ip_address=ip_address,
        )
        return LoginResult(error="invalid")
    organization_id = session.scalar(
        select(Membership.organization_id)
        .where(Membership.user_id == user.id)
        .order_by(Membership.created_at)
        .limit(1)
    )
    if organization_id is None:
        return LoginResult(error="invalid")
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    audit.append(
        session,
        key=audit_key,
        action="login.succeeded",
        actor=email,
        actor_user_id=user.id,
        organization_id=organization_id,
        ip_address=ip_address,
    )
    return LoginResult(user=user, organization_id=organization_id)
