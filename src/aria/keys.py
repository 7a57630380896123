"""Purpose-bound subkeys derived from the master key (HKDF-SHA256).

Why: one master key must never be used directly for two jobs; each use (audit chain,
configuration hashes, ...) gets its own key derived with a distinct label.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derive_subkey(master_key: bytes, purpose: str, length: int = 32) -> bytes:
    """A key for ``purpose`` only; the same inputs always give the same key."""
    return HKDF(
        algorithm=hashes.SHA256(), length=length, salt=None, info=f"aria:{purpose}".encode()
    ).derive(master_key)
