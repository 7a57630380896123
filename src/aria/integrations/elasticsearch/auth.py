"""Elasticsearch credentials: an API key or a native-realm user, whichever is configured.

The SDK's ``ApiKey`` and ``Basic`` kinds each read fixed fields; an installation here has one
of two schemes, so a small ``Custom`` kind chooses per request. API keys are sent the way
Elasticsearch documents them, ``Authorization: ApiKey <base64(id:api_key)>``; the key may be
pasted either as that *Encoded* value or as ``id:api_key``, which is encoded here.
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar

import httpx

from aria.sdk import auth


def api_key_header(value: str) -> str:
    """The ``Authorization`` value for an API key given encoded or as ``id:api_key``.

    Base64 never contains ``:``, so a colon means the raw pair (Elasticsearch's create API
    key response shows ``id`` and ``api_key`` separately, Kibana shows the encoded form)."""
    value = value.strip()
    if ":" in value:
        value = base64.b64encode(value.encode()).decode()
    return f"ApiKey {value}"


class ElasticAuth(auth.Custom):
    """``ApiKey`` when ``api_key`` is set, else HTTP Basic with ``username``/``password``."""

    method: ClassVar[str] = "api_key"  # the catalog's primary method; Basic is the alternative

    def __init__(self) -> None:
        super().__init__("api_key", "username", "password")

    async def apply(
        self, request: httpx.Request, ctx: auth.AuthContext, session: dict[str, Any]
    ) -> None:
        """Set the header from the installation's config (secrets unwrapped only here)."""
        key = ctx.config.value("api_key")
        if key:
            request.headers["Authorization"] = api_key_header(str(key))
            return
        pair = f"{ctx.config.value('username')}:{ctx.config.value('password')}"
        request.headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
