"""Accounts service: organizations, users and memberships (plain functions, session first)."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aria.accounts.models import ROLES, Membership, Organization, User
from aria.accounts.passwords import hash_password


class AccountError(ValueError):
    """Bad input for an account operation; the message is safe to show."""


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise AccountError("email is not a valid address")
    return email


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:100] or "org"


def get_organization_by_name(session: Session, *, name: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.name == name))


def create_organization(session: Session, *, name: str) -> Organization:
    name = name.strip()
    if not name:
        raise AccountError("organization name is required")
    if get_organization_by_name(session, name=name) is not None:
        raise AccountError(f"organization {name!r} already exists")
    organization = Organization(name=name, slug=slugify(name))
    session.add(organization)
    session.flush()
    return organization


def get_user_by_email(session: Session, *, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def get_user(session: Session, *, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise AccountError("user not found")
    return user


def create_user(
    session: Session, *, email: str, password: str, display_name: str | None = None
) -> User:
    email = normalize_email(email)
    if get_user_by_email(session, email=email) is not None:
        raise AccountError(f"user {email} already exists")
    try:
        password_hash = hash_password(password)
    except ValueError as error:
        raise AccountError(str(error)) from None
    user = User(email=email, password_hash=password_hash, display_name=display_name)
    session.add(user)
    session.flush()
    return user


def add_membership(
    session: Session, *, organization: Organization, user: User, role: str
) -> Membership:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    membership = Membership(organization_id=organization.id, user_id=user.id, role=role)
    session.add(membership)
    session.flush()
    return membership


@dataclass
class FirstOwner:
    """What `ensure_first_owner` did; ``password`` is set only when it generated one."""

    email: str
    organization: str
    created: bool
    password: str | None = None


def ensure_first_owner(
    session: Session,
    *,
    email: str | None,
    password: str | None,
    organization_name: str = "Default Organization",
) -> FirstOwner:
    """Make sure an organization with an owner exists; create both only on an empty store.

    Idempotent: when any organization already exists nothing is created or changed.
    """
    existing = session.scalar(select(func.count()).select_from(Organization))
    if existing:
        owner = session.execute(
            select(User.email, Organization.name)
            .join(Membership, Membership.user_id == User.id)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(Membership.role == "owner")
            .order_by(Membership.created_at)
            .limit(1)
        ).first()
        if owner is None:
            raise AccountError("organizations exist but none has an owner")
        return FirstOwner(email=owner.email, organization=owner.name, created=False)
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(18)
    organization = create_organization(session, name=organization_name)
    user = create_user(session, email=email or "admin@aria.local", password=password)
    add_membership(session, organization=organization, user=user, role="owner")
    return FirstOwner(
        email=user.email, organization=organization.name, created=True, password=generated
    )


def list_members(session: Session, *, organization_id: uuid.UUID) -> list[tuple[User, str]]:
    rows = session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization_id)
        .order_by(User.email)
    )
    return [(user, role) for user, role in rows]


def get_membership(
    session: Session, *, organization_id: uuid.UUID, user_id: uuid.UUID
) -> Membership | None:
    return session.scalar(
        select(Membership).where(
            Membership.organization_id == organization_id, Membership.user_id == user_id
        )
    )


def _owner_count(session: Session, organization_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.organization_id == organization_id, Membership.role == "owner")
        )
        or 0
    )


def change_role(session: Session, *, membership: Membership, role: str) -> str:
    """Set a new role; refuses to leave an organization without an owner. Returns the old."""
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    old = membership.role
    if (
        old == "owner"
        and role != "owner"
        and _owner_count(session, membership.organization_id) <= 1
    ):
        raise AccountError("an organization must keep at least one owner")
    membership.role = role
    session.flush()
    return old


def remove_member(session: Session, *, membership: Membership) -> None:
    if membership.role == "owner" and _owner_count(session, membership.organization_id) <= 1:
        raise AccountError("an organization must keep at least one owner")
    session.delete(membership)
    session.flush()
