"""Small helpers shared by the vault tests."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aria.installs.models import Credential, Installation
from aria.vault import service
from aria.vault.models import DataKey, VaultKey


def store(
    session: Session, master_key: bytes, installation: Installation, field: str, value: str
) -> Credential:
    """Encrypt ``value`` and store it as a credential row, the way the install flow will."""
    sealed = service.encrypt_field(
        session, master_key=master_key, installation=installation, field_name=field, plaintext=value
    )
    credential = Credential(
        installation_id=installation.id,
        field_name=field,
        ciphertext=sealed.ciphertext,
        nonce=sealed.nonce,
    )
    session.add(credential)
    session.flush()
    return credential


def read(
    session: Session, master_key: bytes, installation: Installation, credential: Credential
) -> str:
    return service.decrypt_field(
        session,
        master_key=master_key,
        installation=installation,
        field_name=credential.field_name,
        ciphertext=credential.ciphertext,
        nonce=credential.nonce,
    )


def counts(session: Session) -> tuple[int, int]:
    """(KEK rows, data key rows)."""
    keks = session.execute(select(func.count()).select_from(VaultKey)).scalar_one()
    data_keys = session.execute(select(func.count()).select_from(DataKey)).scalar_one()
    return int(keks), int(data_keys)
