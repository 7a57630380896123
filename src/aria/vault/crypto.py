"""The primitives the vault is made of: AES-256-GCM seal/open, associated data, HKDF, HMAC.

Why a separate module: these are pure functions on bytes (no database), easy to review in
one place. Nothing here logs, and nothing returns key material except to its caller.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import uuid
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from aria.keys import derive_subkey

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96-bit GCM nonce, fresh and random for every encryption
AAD_VERSION = "aria-vault/1"


class Undecryptable(Exception):
    """Internal: authentication failed or the input is malformed (mapped to a VaultError)."""


def new_key() -> bytes:
    """A fresh random 256-bit key (KEK or data key)."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def new_key_id() -> str:
    """A key-encryption key id: short enough to read aloud, random so ids never repeat."""
    return f"kek-{secrets.token_hex(4)}"


def check_master_key(master_key: bytes) -> None:
    """Refuse anything but 32 bytes: a short key is a configuration bug, not a wrong key."""
    if not isinstance(master_key, bytes) or len(master_key) != KEY_BYTES:
        raise ValueError("the master key must be exactly 32 bytes")


def kek_wrapping_key(master_key: bytes) -> bytes:
    """The key that wraps KEKs: derived, so the master key itself is never used for two jobs."""
    return derive_subkey(master_key, "vault-kek-wrap")


def aad(purpose: str, *parts: str) -> bytes:
    """Canonical associated data: a compact JSON array, unambiguous whatever the parts hold."""
    return json.dumps(
        [AAD_VERSION, purpose, *parts], separators=(",", ":"), ensure_ascii=False
    ).encode()


def kek_aad(key_id: str) -> bytes:
    """Binds a wrapped KEK to its key id (a row cannot be relabelled)."""
    return aad("kek", key_id)


def data_key_aad(installation_id: uuid.UUID, kek_id: str) -> bytes:
    """Binds a wrapped data key to its installation and to the KEK that wraps it."""
    return aad("data-key", str(installation_id), kek_id)


def field_aad(organization_id: uuid.UUID, installation_id: uuid.UUID, field_name: str) -> bytes:
    """Binds a credential ciphertext to its organization, installation and field."""
    return aad("field", str(organization_id), str(installation_id), field_name)


def webhook_aad(organization_id: uuid.UUID, installation_id: uuid.UUID, webhook_id: str) -> bytes:
    """Binds a webhook signing secret to its webhook (a separate domain from credentials)."""
    return aad(
        "webhook-secret", str(organization_id), str(installation_id), f"webhook:{webhook_id}"
    )


def seal(key: bytes, plaintext: bytes, associated_data: bytes) -> tuple[bytes, bytes]:
    """AES-256-GCM encrypt with a fresh random nonce; returns (ciphertext+tag, nonce)."""
    nonce = os.urandom(NONCE_BYTES)
    return AESGCM(key).encrypt(nonce, plaintext, associated_data), nonce


def open_sealed(key: bytes, ciphertext: bytes, nonce: bytes, associated_data: bytes) -> bytes:
    """AES-256-GCM decrypt; any failure (tag, truncation, bad nonce) is `Undecryptable`."""
    if not isinstance(ciphertext, bytes | bytearray | memoryview) or len(nonce or b"") != 12:
        raise Undecryptable
    try:
        return AESGCM(key).decrypt(bytes(nonce), bytes(ciphertext), associated_data)
    except (InvalidTag, ValueError, TypeError):
        raise Undecryptable from None


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same configuration always gives the same bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    ).encode()


def _json_default(value: Any) -> Any:
    get_secret = getattr(value, "get_secret_value", None)
    if callable(get_secret):  # pydantic SecretStr/SecretBytes: hashed under a key, never shown
        secret = get_secret()
        return secret.decode() if isinstance(secret, bytes) else secret
    raise TypeError(f"configuration value of type {type(value).__name__} is not JSON")


def config_hash(master_key: bytes, canonical_config: dict[str, Any]) -> str:
    """HMAC-SHA256 of the canonical configuration under an HKDF subkey of the master key.

    Why keyed: a plain hash of a configuration that holds secrets would let anyone with the
    database confirm a guessed secret offline.
    """
    check_master_key(master_key)
    subkey = derive_subkey(master_key, "config-hash")
    return hmac.new(subkey, canonical_json(canonical_config), hashlib.sha256).hexdigest()
