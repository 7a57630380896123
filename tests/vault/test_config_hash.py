"""config_hash: a keyed, canonical HMAC, never a plain hash of the configuration."""

from __future__ import annotations

import hashlib
import os

import pytest
from pydantic import SecretStr

from aria.vault.crypto import canonical_json, config_hash


def test_stable_across_ordering_and_keyed_by_the_master_key() -> None:
    key = os.urandom(32)
    a = {"base_url": "https://x", "client_id": "abc", "nested": {"b": 1, "a": [1, 2]}}
    b = {"nested": {"a": [1, 2], "b": 1}, "client_id": "abc", "base_url": "https://x"}
    digest = config_hash(key, a)
    assert digest == config_hash(key, b)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert config_hash(os.urandom(32), a) != digest
    assert config_hash(key, {**a, "client_id": "abd"}) != digest
    assert digest != hashlib.sha256(canonical_json(a)).hexdigest()
    assert (
        canonical_json(b)
        == b'{"base_url":"https://x","client_id":"abc","nested":{"a":[1,2],"b":1}}'
    )


def test_secret_values_count_but_are_never_plain_hashed() -> None:
    key = os.urandom(32)
    one = config_hash(key, {"token": SecretStr("s1")})
    assert one == config_hash(key, {"token": "s1"})
    assert one != config_hash(key, {"token": SecretStr("s2")})
    with pytest.raises(TypeError):
        config_hash(key, {"when": object()})
    with pytest.raises(ValueError):
        config_hash(b"short", {})
