"""Crypto-shredding: once the data key is gone, kept-aside ciphertext never opens again."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from aria.installs.models import Installation
from aria.vault import service
from aria.vault.errors import DataKeyMissing, TamperedCiphertext
from aria.vault.models import DataKey

from .conftest import MakeInstallation
from .helpers import read, store


def test_shredded_ciphertext_cannot_be_opened_even_with_a_new_data_key(
    session: Session, master_key: bytes, make_installation: MakeInstallation
) -> None:
    installation = make_installation()
    credential = store(session, master_key, installation, "api_key", "kept-aside secret")
    neighbour = make_installation()
    kept = store(session, master_key, neighbour, "api_key", "neighbour secret")
    session.commit()
    aside = (bytes(credential.ciphertext), bytes(credential.nonce))  # e.g. in a backup
    assert read(session, master_key, installation, credential) == "kept-aside secret"

    assert service.shred(session, installation_id=installation.id) is True
    session.commit()
    assert service.shred(session, installation_id=installation.id) is False

    def open_aside() -> str:
        return service.decrypt_field(
            session,
            master_key=master_key,
            installation=installation,
            field_name="api_key",
            ciphertext=aside[0],
            nonce=aside[1],
        )

    with pytest.raises(DataKeyMissing, match=str(installation.id)):
        open_aside()
    # Storing a new secret creates a brand-new random data key; the old ciphertext stays dead.
    fresh = service.encrypt_field(
        session,
        master_key=master_key,
        installation=installation,
        field_name="api_key",
        plaintext="new secret",
    )
    session.commit()
    with pytest.raises(TamperedCiphertext, match=str(installation.id)):
        open_aside()
    assert (
        service.decrypt_field(
            session,
            master_key=master_key,
            installation=installation,
            field_name="api_key",
            ciphertext=fresh.ciphertext,
            nonce=fresh.nonce,
        )
        == "new secret"
    )
    assert read(session, master_key, neighbour, kept) == "neighbour secret"  # untouched


def test_deleting_the_installation_shreds_its_data_key(
    session: Session, master_key: bytes, make_installation: MakeInstallation
) -> None:
    installation = make_installation()
    store(session, master_key, installation, "api_key", "secret")
    session.commit()
    installation_id = installation.id
    session.delete(session.get(Installation, installation_id))
    session.commit()
    session.expire_all()
    assert session.get(DataKey, installation_id) is None
