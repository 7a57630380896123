"""`make run` makes sure one organization with an owner exists, exactly once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aria.accounts.models import Membership, Organization, User
from aria.accounts.passwords import hash_password, verify_password
from aria.accounts.service import AccountError, create_user, ensure_first_owner


def test_first_run_creates_org_and_owner_with_generated_password(session: Session) -> None:
    result = ensure_first_owner(session, email=None, password=None)
    session.commit()
    assert result.created and result.password
    user = session.scalar(select(User))
    assert user is not None and user.email == "admin@aria.local"
    assert result.password not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, result.password)
    membership = session.scalar(select(Membership))
    assert membership is not None and membership.role == "owner"


def test_second_run_creates_nothing(session: Session) -> None:
    ensure_first_owner(session, email="Owner@Example.com", password="correct horse battery")
    session.commit()
    again = ensure_first_owner(session, email="other@example.com", password="another password")
    session.commit()
    assert not again.created and again.password is None
    assert again.email == "owner@example.com"
    assert session.scalar(select(func.count()).select_from(User)) == 1
    assert session.scalar(select(func.count()).select_from(Organization)) == 1


def test_chosen_password_is_used_and_not_echoed(session: Session) -> None:
    result = ensure_first_owner(session, email="o@example.com", password="my chosen passphrase")
    assert result.password is None
    user = session.scalar(select(User))
    assert user is not None and verify_password(user.password_hash, "my chosen passphrase")


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", "long enough password", "valid address"),
        ("a@example.com", "short", "at least 12"),
    ],
)
def test_bad_account_input_is_refused(
    session: Session, email: str, password: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        create_user(session, email=email, password=password)
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_wrong_password_and_corrupt_hash_do_not_verify() -> None:
    stored = hash_password("the right password")
    assert not verify_password(stored, "the wrong password")
    assert not verify_password("not-a-hash", "the right password")
