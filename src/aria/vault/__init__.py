"""The credential vault: envelope encryption (AES-256-GCM), key ring, rotation, crypto-shredding.

Key hierarchy: master key (ARIA_MASTER_KEY / key file) ▸ key-encryption keys (``vault_keys``,
one active) ▸ one data key per installation (``vault_data_keys``) ▸ credential ciphertext.
Kept import-light on purpose: ``aria.db.models`` imports ``aria.vault.models`` through here.
"""
