"""Scrub secret values out of any text before it leaves the SDK (errors, logs, results)."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
_MIN_LEN = 4  # shorter values would mask ordinary words; such secrets are rejected by config


class Redactor:
    """Replaces every known secret (and its URL/base64-encoded forms) with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._needles: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Register one more secret value, e.g. an access token fetched at runtime."""
        if not secret or len(secret) < _MIN_LEN:
            return
        forms = {secret, quote(secret, safe=""), quote_plus(secret)}
        forms.add(base64.b64encode(secret.encode()).decode().rstrip("="))
        for form in forms:
            if form not in self._needles:
                self._needles.append(form)
        self._needles.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """Return ``text`` with every secret form masked."""
        for needle in self._needles:
            if needle in text:
                text = text.replace(needle, MASK)
        return text

    def __repr__(self) -> str:
        return f"Redactor({len(self._needles)} patterns)"
