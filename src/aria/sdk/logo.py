"""Letter-mark logos for integrations that ship no SVG, and a safety check for those that do."""

from __future__ import annotations

import hashlib
import html
import re

_UNSAFE = re.compile(
    r"<\s*(script|foreignObject|iframe|object|embed)|\bon\w+\s*=|javascript:"
    r"|<!ENTITY|<!DOCTYPE|xlink:href\s*=\s*[\"'](?!#)|\bhref\s*=\s*[\"'](?!#)",
    re.IGNORECASE,
)


def letter_mark(name: str, key: str) -> str:
    """A 64x64 rounded square with up to two initials, coloured deterministically from ``key``."""
    words = [w for w in re.split(r"[\s\-_]+", name) if w]
    initials = "".join(w[0] for w in words[:2]).upper() or "?"
    hue = int(hashlib.sha256(key.encode()).hexdigest()[:4], 16) % 360
    text = html.escape(initials)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" '
        f'role="img" aria-label="{html.escape(name)}">'
        f'<rect width="64" height="64" rx="12" fill="hsl({hue},55%,42%)"/>'
        '<text x="32" y="41" text-anchor="middle" font-family="Helvetica,Arial,sans-serif" '
        f'font-size="26" font-weight="700" fill="#fff">{text}</text></svg>'
    )


def svg_problem(svg: str) -> str | None:
    """Why a supplied logo is refused (not SVG, scripts, external references), else None."""
    if not svg.lstrip().startswith("<svg"):
        return "logo_svg must be an inline <svg> document"
    if len(svg) > 100_000:
        return "logo_svg is larger than 100 kB"
    if _UNSAFE.search(svg):
        return "logo_svg contains scripts, event handlers, entities or external references"
    return None
