"""Which config fields look like credentials: the heuristic behind the "secrets marked" check.

A field whose name says it holds a credential must be typed :data:`aria.sdk.Secret`, so the
install form masks it, the vault encrypts it and the redactor scrubs it from every message.
Names that merely *mention* a credential (``token_url``, ``access_key_id``, ``api_key_header``)
describe where or how, not the value, and are exempt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

SECRET_NAME = re.compile(
    r"secret|password|passwd|token|api_?key|private_?key|access_?key|secret_?key",
    re.IGNORECASE,
)
"""Words that mark a credential (case-insensitive, anywhere in the field name)."""

NOT_A_VALUE = re.compile(
    r"(_|^)(url|uri|endpoint|path|id|type|header|name|field|param|ttl|expiry|expires|"
    r"lifetime|location|format|prefix|scheme|kind|mode|file_path)$",
    re.IGNORECASE,
)
"""Suffixes that make a credential-sounding name describe *where/how*, not the value."""


def looks_secret(name: str) -> bool:
    """True when a config field called ``name`` probably holds a credential."""
    return bool(SECRET_NAME.search(name)) and not NOT_A_VALUE.search(name)


def unmarked_secrets(
    schema: dict[str, Any], secret_fields: Iterable[str], *, not_secret: Iterable[str] = ()
) -> list[str]:
    """Credential-looking fields that are not typed Secret or not marked in the JSON Schema."""
    typed = set(secret_fields)
    allowed = {n.lower() for n in not_secret}
    problems = []
    for name, prop in (schema.get("properties") or {}).items():
        if name.lower() in allowed or not looks_secret(name):
            continue
        marked = isinstance(prop, dict) and prop.get("x-secret") is True
        if name not in typed or not marked:
            problems.append(name)
    return problems


__all__ = ["NOT_A_VALUE", "SECRET_NAME", "looks_secret", "unmarked_secrets"]
