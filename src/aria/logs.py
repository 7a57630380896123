"""One logging setup for every entry point: request ids on each line, text or JSON,
and a redaction filter that every handler carries."""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str | None] = ContextVar("aria_request_id", default=None)

_SECRETS_LOCK = threading.Lock()
_KNOWN_SECRETS: set[str] = set()
REDACTED = "[REDACTED]"
# Values that look like credentials even when nobody registered them.
_CREDENTIAL_PATTERNS = (
    re.compile(r"(?i)(authorization:\s*(?:bearer|basic|ssws|apitoken|token|splunk)\s+)\S+"),
    re.compile(r"(?i)((?:password|passwd|secret|token|api[_-]?key)\s*[=:]\s*)[^\s,;&\"']+"),
    re.compile(r"\baria_[A-Za-z0-9_-]{20,}"),
)


def register_secret(value: str) -> None:
    """Remember a secret value so no log line can ever carry it (min length avoids noise)."""
    if value and len(value) >= 6:
        with _SECRETS_LOCK:
            _KNOWN_SECRETS.add(value)


def redact(text: str) -> str:
    """Replace registered secrets and credential-shaped substrings with a marker."""
    with _SECRETS_LOCK:
        known = sorted(_KNOWN_SECRETS, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _CREDENTIAL_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, text)
    return text


class RedactionFilter(logging.Filter):
    """Renders each record's message once, redacted, so formatters only see safe text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = redact(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_text:
            payload["exception"] = record.exc_text
        return json.dumps(payload, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(log_format: str = "text", level: str = "INFO") -> None:
    """Install one stderr handler on the root logger (idempotent: replaces ours on re-run)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_aria", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._aria = True  # type: ignore[attr-defined]
    handler.addFilter(RedactionFilter())
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "huey"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
