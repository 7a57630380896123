"""Vault operations: seal and open credentials, rotate key-encryption keys, shred, report.

Why functions over a session: encryption happens inside the caller's unit of work (an
install wizard step writes the data key and the credential row together, or neither).
Rotation is the exception: it owns its transactions, one per batch, so it can be resumed
and never holds a long lock on a running server.

Key material lives only in local variables of these functions: it is never cached
globally, logged, returned to callers, or put into an exception message.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Insert, LargeBinary, String, Uuid, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from aria.db.engine import transaction
from aria.db.types import UTCDateTime, utcnow
from aria.vault import crypto
from aria.vault.errors import (
    DataKeyMissing,
    RotationConflict,
    TamperedCiphertext,
    UnknownKeyId,
    VaultError,
    WrongMasterKey,
)
from aria.vault.models import DataKey, VaultKey

log = logging.getLogger("aria.vault")

#: ``progress(done, total)``: called once before the first batch and after each committed one.
Progress = Callable[[int, int], None]


class InstallationRef(Protocol):
    """What the vault needs of an installation: its id and its organization's id."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def organization_id(self) -> uuid.UUID: ...


class Sealed(NamedTuple):
    """A ciphertext (with its GCM tag) and the nonce it was sealed with."""

    ciphertext: bytes
    nonce: bytes


class KeyStatus(NamedTuple):
    """One row of `status`: a key-encryption key and how many data keys it still wraps."""

    key_id: str
    status: str
    created_at: datetime
    data_key_count: int


@dataclass(frozen=True)
class RotationResult:
    """What `rotate` did: the key now active, whether it was created, how much was re-wrapped."""

    key_id: str
    created: bool
    rewrapped: int
    retired: tuple[str, ...] = field(default=())


# Key-encryption keys ------------------------------------------------------------------------


def _unwrap_kek(master_key: bytes, row: Any, installation_id: uuid.UUID | None = None) -> bytes:
    """Open a KEK row (anything with key_id, wrapped_key, nonce) with the master key."""
    try:
        return crypto.open_sealed(
            crypto.kek_wrapping_key(master_key),
            row.wrapped_key,
            row.nonce,
            crypto.kek_aad(row.key_id),
        )
    except crypto.Undecryptable:
        where = f" (needed by installation {installation_id})" if installation_id else ""
        raise WrongMasterKey(
            f"key-encryption key {row.key_id} does not open with the configured master key"
            f"{where}: ARIA_MASTER_KEY or the master key file is not the one this vault was "
            "created with (or the vault_keys row was altered)",
            installation_id=installation_id,
            key_id=row.key_id,
        ) from None


def _active_kek(session: Session) -> VaultKey | None:
    return session.execute(
        select(VaultKey)
        .where(VaultKey.status == "active")
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _insert_ignoring_conflicts(session: Session, model: type[Any]) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING: lets racing writers lose quietly, no savepoint needed."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    return sqlite.insert(model).on_conflict_do_nothing()


def _verify_master_key(session: Session, master_key: bytes) -> None:
    """Before creating a KEK, prove the master key opens the newest existing one (if any).

    Why: a KEK wrapped under a mistyped master key would split the vault in two.
    """
    newest = session.execute(
        select(VaultKey).order_by(VaultKey.created_at.desc(), VaultKey.key_id).limit(1)
    ).scalar_one_or_none()
    if newest is not None:
        _unwrap_kek(master_key, newest)


def _create_kek(session: Session, master_key: bytes) -> tuple[VaultKey, list[str]]:
    """Retire the active KEK (if any) and insert a new active one, in the caller's transaction."""
    _verify_master_key(session, master_key)
    now = utcnow()
    retired = list(
        session.execute(
            update(VaultKey)
            .where(VaultKey.status == "active")
            .values(status="retired", retired_at=now)
            .returning(VaultKey.key_id)
        ).scalars()
    )
    key_id = crypto.new_key_id()
    wrapped, nonce = crypto.seal(
        crypto.kek_wrapping_key(master_key), crypto.new_key(), crypto.kek_aad(key_id)
    )
    inserted = session.execute(
        _insert_ignoring_conflicts(session, VaultKey)
        .values(key_id=key_id, wrapped_key=wrapped, nonce=nonce, status="active", created_at=now)
        .returning(VaultKey.key_id)
    ).scalar_one_or_none()
    if inserted is None:
        raise RotationConflict("another process created a key-encryption key at the same time")
    row = session.get(VaultKey, key_id, populate_existing=True)
    assert row is not None
    log.info(
        "vault: key-encryption key %s is now active (retired: %s)",
        key_id,
        ", ".join(retired) or "none",
    )
    return row, retired


def _ensure_active_kek(
    session: Session, master_key: bytes, installation_id: uuid.UUID | None = None
) -> tuple[str, bytes]:
    """The active KEK's id and key, creating the first one on first use."""
    row = _active_kek(session)
    if row is None:
        try:
            row, _ = _create_kek(session, master_key)
        except RotationConflict:  # another process made the first KEK: use theirs
            row = _active_kek(session)
            if row is None:  # pragma: no cover - the racing transaction rolled back
                raise
    return row.key_id, _unwrap_kek(master_key, row, installation_id)


# Data keys ----------------------------------------------------------------------------------


def _load_data_key(session: Session, master_key: bytes, installation_id: uuid.UUID) -> bytes | None:
    """The installation's data key, read fresh from the database (never a stale ORM copy)."""
    row = session.execute(
        select(
            DataKey.kek_id,
            DataKey.wrapped_key,
            DataKey.nonce,
            VaultKey.key_id,
            VaultKey.wrapped_key.label("kek_wrapped_key"),
            VaultKey.nonce.label("kek_nonce"),
        )
        .outerjoin(VaultKey, VaultKey.key_id == DataKey.kek_id)
        .where(DataKey.installation_id == installation_id)
    ).one_or_none()
    if row is None:
        return None
    if row.key_id is None:
        raise UnknownKeyId(
            f"the data key of installation {installation_id} is wrapped by key-encryption key "
            f"{row.kek_id}, which is not in vault_keys (restored from another backup?)",
            installation_id=installation_id,
            key_id=row.kek_id,
        )
    kek = _unwrap_kek(
        master_key,
        _KekRow(row.key_id, row.kek_wrapped_key, row.kek_nonce),
        installation_id,
    )
    return _unwrap_data_key(kek, installation_id, row.kek_id, row.wrapped_key, row.nonce)


class _KekRow(NamedTuple):
    key_id: str
    wrapped_key: bytes
    nonce: bytes


def _unwrap_data_key(
    kek: bytes, installation_id: uuid.UUID, kek_id: str, wrapped: bytes, nonce: bytes
) -> bytes:
    try:
        return crypto.open_sealed(kek, wrapped, nonce, crypto.data_key_aad(installation_id, kek_id))
    except crypto.Undecryptable:
        raise TamperedCiphertext(
            f"the wrapped data key of installation {installation_id} failed authentication "
            "(the vault_data_keys row was altered or copied from another installation)",
            installation_id=installation_id,
            key_id=kek_id,
        ) from None


def _data_key(
    session: Session, master_key: bytes, installation_id: uuid.UUID, *, create: bool
) -> bytes:
    """The data key, created (wrapped by the active KEK) on first use when ``create``."""
    crypto.check_master_key(master_key)
    key = _load_data_key(session, master_key, installation_id)
    if key is not None:
        return key
    if not create:
        raise DataKeyMissing(
            f"installation {installation_id} has no data key: it was crypto-shredded (or never "
            "stored a secret), so its ciphertext can no longer be opened",
            installation_id=installation_id,
        )
    kek_id, kek = _ensure_active_kek(session, master_key, installation_id)
    key = crypto.new_key()
    wrapped, nonce = crypto.seal(kek, key, crypto.data_key_aad(installation_id, kek_id))
    try:
        session.execute(
            _insert_ignoring_conflicts(session, DataKey).values(
                installation_id=installation_id,
                kek_id=kek_id,
                wrapped_key=wrapped,
                nonce=nonce,
                created_at=utcnow(),
            )
        )
    except IntegrityError:
        raise VaultError(
            f"installation {installation_id} does not exist (save it before storing secrets)",
            installation_id=installation_id,
        ) from None
    # Re-read: if another process won the race, its data key is the one to use.
    stored = _load_data_key(session, master_key, installation_id)
    assert stored is not None
    return stored


def ensure_data_key(session: Session, *, master_key: bytes, installation_id: uuid.UUID) -> None:
    """Create the installation's data key now (e.g. when the install wizard starts)."""
    _data_key(session, master_key, installation_id, create=True)


# Fields -------------------------------------------------------------------------------------


def _check_name(kind: str, value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{kind} must be a non-empty string")


def _seal(data_key: bytes, plaintext: str, associated_data: bytes) -> Sealed:
    if not isinstance(plaintext, str):
        raise TypeError("plaintext must be a str")
    return Sealed(*crypto.seal(data_key, plaintext.encode(), associated_data))


def _open(
    data_key: bytes,
    ciphertext: bytes,
    nonce: bytes,
    associated_data: bytes,
    installation_id: uuid.UUID,
    what: str,
    field_name: str,
) -> str:
    try:
        return crypto.open_sealed(data_key, ciphertext, nonce, associated_data).decode()
    except crypto.Undecryptable:
        raise TamperedCiphertext(
            f"{what} of installation {installation_id} failed authentication: it was "
            "truncated, altered, or moved from another field, installation or organization",
            installation_id=installation_id,
            field_name=field_name,
        ) from None


def encrypt_field(
    session: Session,
    *,
    master_key: bytes,
    installation: InstallationRef,
    field_name: str,
    plaintext: str,
) -> Sealed:
    """Seal one secret field under the installation's data key (created on first use).

    Writes only key rows (data key, first KEK) into the caller's transaction, and only after
    every check has passed; storing the returned ciphertext is the caller's job.
    """
    _check_name("field_name", field_name)
    if not isinstance(plaintext, str):
        raise TypeError("plaintext must be a str")
    key = _data_key(session, master_key, installation.id, create=True)
    return _seal(
        key, plaintext, crypto.field_aad(installation.organization_id, installation.id, field_name)
    )


def decrypt_field(
    session: Session,
    *,
    master_key: bytes,
    installation: InstallationRef,
    field_name: str,
    ciphertext: bytes,
    nonce: bytes,
) -> str:
    """Open a secret field; raises a `VaultError` naming the installation on any failure."""
    _check_name("field_name", field_name)
    key = _data_key(session, master_key, installation.id, create=False)
    aad = crypto.field_aad(installation.organization_id, installation.id, field_name)
    return _open(key, ciphertext, nonce, aad, installation.id, f"field {field_name!r}", field_name)


def seal_webhook_secret(
    session: Session,
    *,
    master_key: bytes,
    installation: InstallationRef,
    webhook_id: uuid.UUID | str,
    secret: str,
) -> Sealed:
    """Seal a webhook signing secret (same data key; its own associated-data domain)."""
    if not isinstance(secret, str):
        raise TypeError("secret must be a str")
    key = _data_key(session, master_key, installation.id, create=True)
    aad = crypto.webhook_aad(installation.organization_id, installation.id, str(webhook_id))
    return _seal(key, secret, aad)


def open_webhook_secret(
    session: Session,
    *,
    master_key: bytes,
    installation: InstallationRef,
    webhook_id: uuid.UUID | str,
    ciphertext: bytes,
    nonce: bytes,
) -> str:
    """Open a webhook signing secret sealed by `seal_webhook_secret`."""
    key = _data_key(session, master_key, installation.id, create=False)
    aad = crypto.webhook_aad(installation.organization_id, installation.id, str(webhook_id))
    name = f"webhook:{webhook_id}"
    return _open(key, ciphertext, nonce, aad, installation.id, f"secret of {name}", name)


# Shredding and status -----------------------------------------------------------------------


def shred(session: Session, *, installation_id: uuid.UUID) -> bool:
    """Destroy the installation's data key (crypto-shredding); True if there was one.

    Every ciphertext sealed under it, wherever a copy survives (backups, exports), becomes
    unreadable; a later data key for the same installation is a new random key.
    """
    result = session.execute(delete(DataKey).where(DataKey.installation_id == installation_id))
    shredded = bool(result.rowcount)  # type: ignore[attr-defined]
    if shredded:
        log.info("vault: shredded the data key of installation %s", installation_id)
    return shredded


def status(session: Session) -> list[KeyStatus]:
    """Every key-encryption key, oldest first, with the number of data keys it wraps."""
    rows = session.execute(
        select(
            VaultKey.key_id,
            VaultKey.status,
            VaultKey.created_at,
            func.count(DataKey.installation_id),
        )
        .outerjoin(DataKey, DataKey.kek_id == VaultKey.key_id)
        .group_by(VaultKey.key_id, VaultKey.status, VaultKey.created_at)
        .order_by(VaultKey.created_at, VaultKey.key_id)
    ).all()
    return [KeyStatus(key_id, state, created, int(count)) for key_id, state, created, count in rows]


# Rotation -----------------------------------------------------------------------------------


def _pending(session: Session, active_id: str | None) -> int:
    query = select(func.count()).select_from(DataKey)
    if active_id is not None:
        query = query.where(DataKey.kek_id != active_id)
    return int(session.execute(query).scalar_one())


_REWRAP = (
    update(DataKey.__table__)
    .where(
        DataKey.__table__.c.installation_id == bindparam("b_installation_id", type_=Uuid),
        DataKey.__table__.c.kek_id == bindparam("b_old_kek_id", type_=String),  # compare-and-set
    )
    .values(
        kek_id=bindparam("b_kek_id", type_=String),
        wrapped_key=bindparam("b_wrapped_key", type_=LargeBinary),
        nonce=bindparam("b_nonce", type_=LargeBinary),
        rewrapped_at=bindparam("b_rewrapped_at", type_=UTCDateTime),
    )
)


def _rewrap_batch(
    session: Session, master_key: bytes, batch_size: int, keks: dict[str, bytes]
) -> tuple[int, int]:
    """Move up to ``batch_size`` data keys onto the active KEK; returns (seen, re-wrapped)."""
    active = _active_kek(session)
    if active is None:  # pragma: no cover - rotate always leaves an active key
        raise VaultError("the vault has no active key-encryption key")
    rows = session.execute(
        select(DataKey.installation_id, DataKey.kek_id, DataKey.wrapped_key, DataKey.nonce)
        .where(DataKey.kek_id != active.key_id)
        .order_by(DataKey.installation_id)
        .limit(batch_size)
    ).all()
    if not rows:
        return 0, 0
    for kek_id in {row.kek_id for row in rows} | {active.key_id}:
        if kek_id not in keks:
            kek_row = session.get(VaultKey, kek_id)
            if kek_row is None:
                orphan = next(row.installation_id for row in rows if row.kek_id == kek_id)
                raise UnknownKeyId(
                    f"the data key of installation {orphan} is wrapped by key-encryption key "
                    f"{kek_id}, which is not in vault_keys",
                    installation_id=orphan,
                    key_id=kek_id,
                )
            keks[kek_id] = _unwrap_kek(master_key, kek_row)
    target = keks[active.key_id]
    now = utcnow()
    params: list[dict[str, Any]] = []
    for row in rows:
        data_key = _unwrap_data_key(
            keks[row.kek_id], row.installation_id, row.kek_id, row.wrapped_key, row.nonce
        )
        wrapped, nonce = crypto.seal(
            target, data_key, crypto.data_key_aad(row.installation_id, active.key_id)
        )
        params.append(
            {
                "b_installation_id": row.installation_id,
                "b_old_kek_id": row.kek_id,
                "b_kek_id": active.key_id,
                "b_wrapped_key": wrapped,
                "b_nonce": nonce,
                "b_rewrapped_at": now,
            }
        )
    result = session.connection().execute(_REWRAP, params)
    changed = result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)
    return len(rows), changed


def rotate(
    sessions: sessionmaker[Session],
    *,
    master_key: bytes,
    batch_size: int = 500,
    progress: Progress | None = None,
    new_key: bool = False,
) -> RotationResult:
    """Make a new KEK active and re-wrap every data key onto it, one committed batch at a time.

    Resumable: when data keys still sit under an older KEK (an interrupted rotation, or keys
    written by a process that had not yet seen the new KEK), no new KEK is created; the run
    just finishes moving them onto the active one. ``new_key=True`` starts a fresh rotation
    regardless (the unfinished target is retired too; everything ends on the newest KEK).

    Safe on a running server: credentials are never decrypted, a data key's bytes never change
    (so a reader holding the old wrapping still opens everything), and each row moves by a
    compare-and-set UPDATE on its old kek_id. Retired KEKs are kept forever (backups).
    """
    crypto.check_master_key(master_key)
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    retired: list[str] = []
    created = False
    try:
        with transaction(sessions) as session:
            active = _active_kek(session)
            # Fail before writing anything if the master key cannot open the ring.
            in_use = session.execute(
                select(VaultKey).where(
                    VaultKey.key_id.in_(select(DataKey.kek_id).distinct())
                    | (VaultKey.status == "active")
                )
            ).scalars()
            for row in in_use:
                _unwrap_kek(master_key, row)
            pending = _pending(session, active.key_id if active else None)
            if active is None or pending == 0 or new_key:
                active, retired = _create_kek(session, master_key)
                created = True
            key_id = active.key_id
            total = _pending(session, key_id)
    except IntegrityError:
        raise RotationConflict(
            "another rotation created a key-encryption key at the same time; run rotate again"
        ) from None
    if not created:
        log.info("vault: resuming rotation onto %s (%d data keys to re-wrap)", key_id, total)
    if progress is not None:
        progress(0, total)
    done = rewrapped = 0
    keks: dict[str, bytes] = {}
    while True:
        with transaction(sessions) as session:
            seen, changed = _rewrap_batch(session, master_key, batch_size, keks)
        if seen == 0:
            break
        done += seen
        rewrapped += changed
        if progress is not None:
            progress(done, max(total, done))
    with sessions() as session:
        final = _active_kek(session)
    log.info("vault: rotation complete, %d data keys re-wrapped onto %s", rewrapped, key_id)
    return RotationResult(
        key_id=final.key_id if final else key_id,
        created=created,
        rewrapped=rewrapped,
        retired=tuple(retired),
    )


def pending_rewrap(session: Session) -> int:
    """How many data keys are not yet wrapped by the active KEK (non-zero: rotation unfinished)."""
    active = _active_kek(session)
    return _pending(session, active.key_id if active else None)
