"""Dotted-path lookups into vendor JSON (``meta.pagination.after``, ``data.0.id``).

Keys that themselves contain dots (``@odata.nextLink``) are matched whole before splitting.
"""

from __future__ import annotations

from typing import Any

_MISSING = object()


def resolve(data: Any, path: str | None, default: Any = None) -> Any:
    """Value at ``path`` inside ``data``; ``None``/``""`` means ``data`` itself."""
    if not path:
        return data
    found = _walk(data, path.split("."))
    return default if found is _MISSING else found


def _walk(data: Any, parts: list[str]) -> Any:
    if not parts:
        return data
    if isinstance(data, dict):
        for cut in range(len(parts), 0, -1):
            key = ".".join(parts[:cut])
            if key in data:
                found = _walk(data[key], parts[cut:])
                if found is not _MISSING:
                    return found
        return _MISSING
    if isinstance(data, list) and parts[0].lstrip("-").isdigit():
        index = int(parts[0])
        if -len(data) <= index < len(data):
            return _walk(data[index], parts[1:])
    return _MISSING
