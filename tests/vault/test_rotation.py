"""Rotation: a new KEK, every data key re-wrapped, ciphertext untouched, resumable."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aria.installs.models import Credential, Installation
from aria.vault import crypto, service
from aria.vault.errors import WrongMasterKey
from aria.vault.models import DataKey, VaultKey

from .conftest import MakeInstallation
from .helpers import counts, read, store


class Interrupted(Exception):
    pass


def _seed(
    session: Session, master_key: bytes, make_installation: MakeInstallation, n: int
) -> list[tuple[Installation, Credential]]:
    made = []
    for i in range(n):
        installation = make_installation()
        made.append((installation, store(session, master_key, installation, "api_key", f"key-{i}")))
    session.commit()
    return made


def _snapshot(session: Session) -> dict[object, tuple[bytes, bytes]]:
    rows = session.execute(select(Credential.id, Credential.ciphertext, Credential.nonce)).all()
    return {row.id: (bytes(row.ciphertext), bytes(row.nonce)) for row in rows}


def _data_keys(session: Session) -> dict[object, tuple[str, bytes]]:
    rows = session.execute(select(DataKey.installation_id, DataKey.kek_id, DataKey.wrapped_key))
    return {row.installation_id: (row.kek_id, bytes(row.wrapped_key)) for row in rows}


def test_rotate_rewraps_every_data_key_without_touching_ciphertext(
    session: Session,
    sessions: sessionmaker[Session],
    master_key: bytes,
    make_installation: MakeInstallation,
) -> None:
    seeded = _seed(session, master_key, make_installation, 7)
    old_kek = session.execute(select(VaultKey.key_id)).scalar_one()
    ciphertexts, data_keys = _snapshot(session), _data_keys(session)
    calls: list[tuple[int, int]] = []

    result = service.rotate(
        sessions, master_key=master_key, batch_size=3, progress=lambda d, t: calls.append((d, t))
    )

    assert result.created and result.rewrapped == 7 and result.retired == (old_kek,)
    assert result.key_id != old_kek and result.key_id.startswith("kek-")
    assert calls == [(0, 7), (3, 7), (6, 7), (7, 7)]
    session.expire_all()
    assert _snapshot(session) == ciphertexts  # no credential was re-encrypted
    after = _data_keys(session)
    assert {kek for kek, _ in after.values()} == {result.key_id}
    assert all(after[i][1] != data_keys[i][1] for i in after)  # every wrapping changed
    for installation, credential in seeded:
        assert read(session, master_key, installation, credential).startswith("key-")
    keys = {row.key_id: row for row in session.execute(select(VaultKey)).scalars()}
    assert keys[old_kek].status == "retired" and keys[old_kek].retired_at is not None
    assert keys[result.key_id].status == "active" and keys[result.key_id].retired_at is None
    rewrapped = session.execute(select(DataKey.rewrapped_at)).scalars().all()
    assert all(stamp is not None for stamp in rewrapped)


def test_status_counts_data_keys_per_kek(
    session: Session,
    sessions: sessionmaker[Session],
    master_key: bytes,
    make_installation: MakeInstallation,
) -> None:
    assert service.status(session) == []
    _seed(session, master_key, make_installation, 4)
    (first,) = service.status(session)
    assert (first.status, first.data_key_count) == ("active", 4)
    second = service.rotate(sessions, master_key=master_key)
    third = service.rotate(sessions, master_key=master_key)
    session.expire_all()
    rows = service.status(session)
    assert [(r.key_id, r.status, r.data_key_count) for r in rows] == [
        (first.key_id, "retired", 0),
        (second.key_id, "retired", 0),
        (third.key_id, "active", 4),
    ]
    assert rows[0].created_at <= rows[1].created_at <= rows[2].created_at
    assert service.pending_rewrap(session) == 0


def test_interrupted_rotation_resumes_without_a_new_key(
    session: Session,
    sessions: sessionmaker[Session],
    master_key: bytes,
    make_installation: MakeInstallation,
) -> None:
    seeded = _seed(session, master_key, make_installation, 5)
    (old,) = service.status(session)

    def crash_after_first_batch(done: int, total: int) -> None:
        if done > 0:
            raise Interrupted

    with pytest.raises(Interrupted):
        service.rotate(
            sessions, master_key=master_key, batch_size=2, progress=crash_after_first_batch
        )
    session.expire_all()
    half = {row.key_id: row for row in service.status(session)}
    (new_id,) = (key for key, row in half.items() if row.status == "active")
    assert half[old.key_id].data_key_count == 3 and half[new_id].data_key_count == 2
    assert service.pending_rewrap(session) == 3
    # Mid-rotation, everything still opens and new secrets go under the new KEK.
    for installation, credential in seeded:
        assert read(session, master_key, installation, credential).startswith("key-")
    late = make_installation()
    store(session, master_key, late, "api_key", "late")
    session.commit()
    assert session.get(DataKey, late.id).kek_id == new_id  # type: ignore[union-attr]

    resumed = service.rotate(sessions, master_key=master_key, batch_size=2)
    assert not resumed.created and resumed.key_id == new_id and resumed.rewrapped == 3
    session.expire_all()
    final = {row.key_id: row.data_key_count for row in service.status(session)}
    assert final == {old.key_id: 0, new_id: 6}
    for installation, credential in seeded:
        assert read(session, master_key, installation, credential).startswith("key-")


def test_new_key_forces_a_fresh_rotation_even_when_unfinished(
    session: Session,
    sessions: sessionmaker[Session],
    master_key: bytes,
    make_installation: MakeInstallation,
) -> None:
    _seed(session, master_key, make_installation, 3)

    def crash(done: int, total: int) -> None:
        if done > 0:
            raise Interrupted

    with pytest.raises(Interrupted):
        service.rotate(sessions, master_key=master_key, batch_size=1, progress=crash)
    forced = service.rotate(sessions, master_key=master_key, new_key=True)
    assert forced.created and forced.rewrapped == 3
    session.expire_all()
    rows = service.status(session)
    assert len(rows) == 3
    assert [r.data_key_count for r in rows if r.key_id != forced.key_id] == [0, 0]


def test_rotate_with_wrong_master_key_changes_nothing(
    session: Session,
    sessions: sessionmaker[Session],
    master_key: bytes,
    make_installation: MakeInstallation,
) -> None:
    _seed(session, master_key, make_installation, 2)
    before = _data_keys(session), counts(session)
    with pytest.raises(WrongMasterKey):
        service.rotate(sessions, master_key=os.urandom(32))
    session.expire_all()
    assert (_data_keys(session), counts(session)) == before


def test_rotate_on_an_empty_vault_creates_the_first_key(
    sessions: sessionmaker[Session], master_key: bytes
) -> None:
    result = service.rotate(sessions, master_key=master_key)
    assert result.created and result.rewrapped == 0 and result.retired == ()
    with sessions() as session:
        assert [(r.key_id, r.status) for r in service.status(session)] == [
            (result.key_id, "active")
        ]


def test_rewrap_is_compare_and_set(
    session: Session,
    sessions: sessionmaker[Session],
    master_key: bytes,
    make_installation: MakeInstallation,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A data key shredded or re-wrapped by someone else mid-batch is left alone."""
    seeded = _seed(session, master_key, make_installation, 3)
    victim = seeded[0][0].id
    real_seal = crypto.seal
    fired = False

    def seal_then_race(key: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
        nonlocal fired
        if not fired and b"data-key" in aad:  # first re-wrap: another process shreds meanwhile
            fired = True
            with sessions() as other:
                service.shred(other, installation_id=victim)
                other.commit()
        return real_seal(key, plaintext, aad)

    monkeypatch.setattr(crypto, "seal", seal_then_race)
    result = service.rotate(sessions, master_key=master_key, batch_size=10)
    assert fired and result.rewrapped == 2
    session.expire_all()
    assert session.get(DataKey, victim) is None  # the update did not resurrect it
    assert {r.data_key_count for r in service.status(session) if r.status == "active"} == {2}
