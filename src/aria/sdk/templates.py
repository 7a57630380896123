"""Request templates: ``{"filter": "updated_timestamp:>'{since}'"}`` rendered per read.

Placeholders name non-secret config fields, the incremental window (``since``, ``since_epoch``,
``since_ms``, ``since_date``), ``now``/``now_epoch``, and query parameters. A value that refers
to a missing or ``None`` variable is *omitted* (the key disappears), so one template serves
full reads (no ``since``) and incremental ones. A string that is exactly one placeholder keeps
the variable's native type (``{"since": "{since_epoch}"}`` sends an integer).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

_OMIT = object()


def placeholders(text: str) -> list[str]:
    """Names referenced by ``text``; only plain ``{name}`` placeholders are allowed."""
    names = []
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"template {text!r}: use plain {{name}} placeholders only")
        names.append(name)
    return names


def render(template: Any, variables: Mapping[str, Any]) -> Any:
    """Render a str/dict/list template; keys whose values reference missing variables vanish."""
    value = _render(template, variables)
    return None if value is _OMIT else value


def _render(template: Any, variables: Mapping[str, Any]) -> Any:
    if isinstance(template, str):
        names = placeholders(template)
        if not names:
            return template
        if any(variables.get(name) is None for name in names):
            return _OMIT
        if len(names) == 1 and template == "{" + names[0] + "}":
            return variables[names[0]]
        return template.format_map({n: variables[n] for n in names})
    if isinstance(template, Mapping):
        out = {}
        for key, item in template.items():
            rendered = _render(item, variables)
            if rendered is not _OMIT:
                out[key] = rendered
        return out
    if isinstance(template, list | tuple):
        return [r for r in (_render(i, variables) for i in template) if r is not _OMIT]
    return template
