"""The vault's one exception hierarchy.

Why: callers (install wizard, sync runner, CLI) need to tell "wrong master key" from
"tampered row" from "shredded", and every message names the installation (or key id) so an
operator can act, while never carrying key material or plaintext.
"""

from __future__ import annotations

import uuid


class VaultError(Exception):
    """Base of every vault failure; ``installation_id`` is set whenever one is concerned."""

    def __init__(
        self,
        message: str,
        *,
        installation_id: uuid.UUID | None = None,
        key_id: str | None = None,
        field_name: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.installation_id = installation_id
        self.key_id = key_id
        self.field_name = field_name


class WrongMasterKey(VaultError):
    """A key-encryption key does not unwrap: the configured master key is not the one used."""


class UnknownKeyId(VaultError):
    """A data key names a key-encryption key that is not in ``vault_keys``."""


class TamperedCiphertext(VaultError):
    """Authentication failed: the ciphertext (or wrapped data key) was altered, cut or moved."""


class DataKeyMissing(VaultError):
    """The installation has no data key (crypto-shredded): its ciphertext cannot be opened."""


class RotationConflict(VaultError):
    """Another process created a key-encryption key at the same moment; run rotate again."""
