"""Field encryption: round trips, associated-data binding, tampering, wrong keys."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from aria.vault import service
from aria.vault.errors import (
    DataKeyMissing,
    TamperedCiphertext,
    UnknownKeyId,
    VaultError,
    WrongMasterKey,
)
from aria.vault.models import DataKey, VaultKey

from .conftest import MakeInstallation
from .helpers import counts, read, store


@dataclass
class Ref:
    """An installation reference with chosen ids (to move a ciphertext to another org)."""

    id: uuid.UUID
    organization_id: uuid.UUID


def test_round_trip_and_fresh_nonces(
    session: Session, master_key: bytes, make_installation: MakeInstallation
) -> None:
    installation = make_installation()
    first = store(session, master_key, installation, "api_key", "s3cr3t-ünïcode-🔑")
    again = service.encrypt_field(
        session,
        master_key=master_key,
        installation=installation,
        field_name="api_key",
        plaintext="s3cr3t-ünïcode-🔑",
    )
    session.commit()
    assert read(session, master_key, installation, first) == "s3cr3t-ünïcode-🔑"
    assert len(first.nonce) == 12
    assert again.nonce != first.nonce and again.ciphertext != first.ciphertext
    assert b"s3cr3t" not in first.ciphertext
    assert counts(session) == (1, 1)  # one KEK created on first use, one data key
    other = make_installation()
    store(session, master_key, other, "api_key", "x")
    assert counts(session) == (1, 2)
    assert read(session, master_key, installation, first) == "s3cr3t-ünïcode-🔑"


def test_empty_secret_round_trips(
    session: Session, master_key: bytes, make_installation: MakeInstallation
) -> None:
    installation = make_installation()
    credential = store(session, master_key, installation, "password", "")
    assert read(session, master_key, installation, credential) == ""


def test_ciphertext_moved_to_another_field_installation_or_org_fails(
    session: Session, master_key: bytes, make_installation: MakeInstallation
) -> None:
    installation = make_installation()
    credential = store(session, master_key, installation, "client_secret", "top secret")
    sibling = make_installation()  # another org
    store(session, master_key, sibling, "client_secret", "other secret")
    same_org = make_installation()
    same_org.organization_id = installation.organization_id  # moved into the same org
    store(session, master_key, same_org, "client_secret", "third secret")

    def attempt(target: object, field: str) -> VaultError:
        with pytest.raises(TamperedCiphertext) as caught:
            service.decrypt_field(
                session,
                master_key=master_key,
                installation=target,  # type: ignore[arg-type]
                field_name=field,
                ciphertext=credential.ciphertext,
                nonce=credential.nonce,
            )
        return caught.value

    error = attempt(installation, "api_key")  # another field, same installation
    assert str(installation.id) in str(error) and error.installation_id == installation.id
    assert "top secret" not in str(error)
    attempt(sibling, "client_secret")  # another installation (and org)
    attempt(same_org, "client_secret")  # another installation, same org
    # Same installation and field, but claimed by another organization: the org is bound too.
    attempt(Ref(installation.id, uuid.uuid4()), "client_secret")
    assert read(session, master_key, installation, credential) == "top secret"


@pytest.mark.parametrize("damage", ["truncate", "bitflip", "tag", "nonce", "empty", "short_nonce"])
def test_truncated_or_altered_ciphertext_is_refused(
    session: Session, master_key: bytes, make_installation: MakeInstallation, damage: str
) -> None:
    installation = make_installation()
    credential = store(session, master_key, installation, "token", "abcdef0123456789")
    ciphertext, nonce = credential.ciphertext, credential.nonce
    if damage == "truncate":
        ciphertext = ciphertext[:-5]
    elif damage == "bitflip":
        ciphertext = bytes([ciphertext[0] ^ 0x01]) + ciphertext[1:]
    elif damage == "tag":
        ciphertext = ciphertext[:-1] + bytes([ciphertext[-1] ^ 0x80])
    elif damage == "nonce":
        nonce = bytes([nonce[0] ^ 0x01]) + nonce[1:]
    elif damage == "empty":
        ciphertext = b""
    else:
        nonce = nonce[:8]
    with pytest.raises(TamperedCiphertext, match=str(installation.id)):
        service.decrypt_field(
            session,
            master_key=master_key,
            installation=installation,
            field_name="token",
            ciphertext=ciphertext,
            nonce=nonce,
        )


def test_wrong_master_key_names_the_installation_and_writes_nothing(
    session: Session, master_key: bytes, make_installation: MakeInstallation
) -> None:
    installation = make_installation()
    credential = store(session, master_key, installation, "token", "hunter2hunter2")
    session.commit()
    wrong = os.urandom(32)
    with pytest.raises(WrongMasterKey) as caught:
        read(session, wrong, installation, credential)
    assert str(installation.id) in str(caught.value)
    assert caught.value.installation_id == installation.id
    assert "hunter2" not in str(caught.value)

    fresh = make_installation()
    session.commit()
    before = counts(session)
    with pytest.raises(WrongMasterKey, match=str(fresh.id)):
        service.encrypt_field(
            session, master_key=wrong, installation=fresh, field_name="token", plaintext="x"
        )
    assert counts(session) == before  # no data key was created under the wrong key
    with pytest.raises(ValueError):
        service.encrypt_field(
            session, master_key=b"short", installation=fresh, field_name="token", plaintext="x"
        )


def test_tampered_wrapped_data_key_is_reported(
    session: Session, master_key: bytes, make_installation: MakeInstallation
) -> None:
    installation = make_installation()
    credential = store(session, master_key, installation, "token", "value")
    other = make_installation()
    store(session, master_key, other, "token", "value")
    # Copy another installation's wrapped data key onto this one: the AAD binds it.
    row = session.get(DataKey, other.id)
    assert row is not None
    session.execute(
        update(DataKey)
        .where(DataKey.installation_id == installation.id)
        .values(wrapped_key=row.wrapped_key, nonce=row.nonce)
    )
    with pytest.raises(TamperedCiphertext, match=str(installation.id)):
        read(session, master_key, installation, credential)


def test_unknown_key_id_names_the_installation(
    engine: Engine, session: Session, master_key: bytes, make_installation: MakeInstallation
) -> None:
    installation = make_installation()
    credential = store(session, master_key, installation, "token", "value")
    session.commit()
    # The foreign key forbids this; simulate a vault restored from mismatched backups.
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        else:
            connection.execute(
                text(
                    "ALTER TABLE vault_data_keys "
                    "DROP CONSTRAINT fk_vault_data_keys_kek_id_vault_keys"
                )
            )
        connection.execute(
            update(DataKey)
            .where(DataKey.installation_id == installation.id)
            .values(kek_id="kek-00000000")
        )
        connection.commit()
    with pytest.raises(UnknownKeyId) as caught:
        read(session, master_key, installation, credential)
    assert str(installation.id) in str(caught.value) and "kek-00000000" in str(caught.value)
    assert caught.value.key_id == "kek-00000000"


def test_shredded_or_never_keyed_installation_reports_missing_key(
    session: Session, master_key: bytes, make_installation: MakeInstallation
) -> None:
    installation = make_installation()
    with pytest.raises(DataKeyMissing, match=str(installation.id)):
        service.decrypt_field(
            session,
            master_key=master_key,
            installation=installation,
            field_name="token",
            ciphertext=b"x" * 32,
            nonce=b"n" * 12,
        )


def test_encrypt_for_a_missing_installation_is_a_vault_error(
    session: Session, master_key: bytes
) -> None:
    ghost = Ref(uuid.uuid4(), uuid.uuid4())
    with pytest.raises(VaultError, match=str(ghost.id)):
        service.encrypt_field(
            session, master_key=master_key, installation=ghost, field_name="t", plaintext="x"
        )


def test_webhook_secret_seal_and_open(
    session: Session, master_key: bytes, make_installation: MakeInstallation
) -> None:
    installation = make_installation()
    webhook_id = uuid.uuid4()
    sealed = service.seal_webhook_secret(
        session,
        master_key=master_key,
        installation=installation,
        webhook_id=webhook_id,
        secret="whsec_abc",
    )
    opened = service.open_webhook_secret(
        session,
        master_key=master_key,
        installation=installation,
        webhook_id=webhook_id,
        ciphertext=sealed.ciphertext,
        nonce=sealed.nonce,
    )
    assert opened == "whsec_abc"
    with pytest.raises(TamperedCiphertext):  # another webhook's id
        service.open_webhook_secret(
            session,
            master_key=master_key,
            installation=installation,
            webhook_id=uuid.uuid4(),
            ciphertext=sealed.ciphertext,
            nonce=sealed.nonce,
        )
    with pytest.raises(TamperedCiphertext):  # not interchangeable with a credential field
        service.decrypt_field(
            session,
            master_key=master_key,
            installation=installation,
            field_name=f"webhook:{webhook_id}",
            ciphertext=sealed.ciphertext,
            nonce=sealed.nonce,
        )


def test_altered_kek_row_does_not_open(
    session: Session, master_key: bytes, make_installation: MakeInstallation
) -> None:
    installation = make_installation()
    credential = store(session, master_key, installation, "token", "value")
    session.commit()
    kek = session.execute(select(VaultKey)).scalar_one()
    # An altered KEK row reads as "wrong master key", naming the key id: it will not open.
    session.execute(
        text("UPDATE vault_keys SET nonce = :n WHERE key_id = :k"),
        {"n": bytes(12), "k": kek.key_id},
    )
    with pytest.raises(WrongMasterKey, match=kek.key_id):
        read(session, master_key, installation, credential)
