"""Atlassian Document Format (ADF): what REST API v3 takes and returns for rich text.

Descriptions and comment bodies are ADF documents, ``{"type": "doc", "version": 1, "content":
[...]}`` of block nodes (``paragraph``) holding inline nodes (``text`` with optional ``marks``
such as ``link`` or ``em``, ``hardBreak``, ``mention``...). Jira rejects text nodes with empty
text, so the builders never emit one. Webhook payloads use the v2 representation (plain
strings), which :func:`to_text` accepts as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

URL = re.compile(r"https?://[^\s<>\"']+")
BLOCKS = frozenset(
    {
        "paragraph",
        "heading",
        "blockquote",
        "codeBlock",
        "listItem",
        "panel",
        "rule",
        "tableRow",
        "mediaSingle",
    }
)


def text_nodes(line: str, marks: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Inline nodes for one line of text; URLs become text with a ``link`` mark."""
    base = list(marks)
    nodes: list[dict[str, Any]] = []
    position = 0
    for match in URL.finditer(line):
        url = match.group(0).rstrip(".,;:!?)")
        end = match.start() + len(url)
        if match.start() > position:
            nodes.append(_text(line[position : match.start()], base))
        nodes.append(_text(url, [*base, {"type": "link", "attrs": {"href": url}}]))
        position = end
    if position < len(line):
        nodes.append(_text(line[position:], base))
    return nodes


def paragraph(line: str, marks: Iterable[dict[str, Any]] = ()) -> dict[str, Any] | None:
    """A paragraph of one line, or None for a blank line (empty text is invalid ADF)."""
    if not line.strip():
        return None
    return {"type": "paragraph", "content": text_nodes(line, marks)}


def document(text: str, *, footer: str | None = None) -> dict[str, Any]:
    """An ADF document: one paragraph per non-blank line, URLs linked, optional italic footer."""
    content = [p for p in (paragraph(line) for line in str(text).splitlines()) if p]
    if footer:
        closing = paragraph(footer, [{"type": "em"}])
        if closing:
            content.append(closing)
    if not content:
        content = [{"type": "paragraph", "content": [_text("(no text)", [])]}]
    return {"type": "doc", "version": 1, "content": content}


def to_text(node: Any) -> str:
    """Plain text of an ADF node (or of a v2 plain string): blocks on their own lines."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "".join(to_text(child) for child in node)
    if not isinstance(node, dict):
        return str(node)
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text") or "")
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji", "status"):
        attrs = node.get("attrs") or {}
        return str(attrs.get("text") or attrs.get("shortName") or "")
    if kind in ("inlineCard", "blockCard"):
        return str((node.get("attrs") or {}).get("url") or "")
    inner = to_text(node.get("content") or [])
    if kind == "doc":
        return inner.strip("\n")
    if kind in BLOCKS:
        return inner.rstrip("\n") + "\n"
    return inner


def links(node: Any) -> list[str]:
    """Every link target in an ADF node (``link`` marks and cards)."""
    found: list[str] = []
    if isinstance(node, list):
        for child in node:
            found.extend(links(child))
    elif isinstance(node, dict):
        for mark in node.get("marks") or []:
            if isinstance(mark, dict) and mark.get("type") == "link":
                found.append(str((mark.get("attrs") or {}).get("href") or ""))
        if node.get("type") in ("inlineCard", "blockCard"):
            found.append(str((node.get("attrs") or {}).get("url") or ""))
        found.extend(links(node.get("content") or []))
    return [link for link in found if link]


def problems(doc: Any) -> list[str]:
    """Why ``doc`` is not a valid ADF document (the checks Jira applies first), or []."""
    if not isinstance(doc, dict) or doc.get("type") != "doc":
        return ["the value must be an Atlassian Document (type 'doc')"]
    found: list[str] = []
    if doc.get("version") != 1:
        found.append("version must be 1")
    if not isinstance(doc.get("content"), list):
        found.append("content must be a list of nodes")
        return found
    _check(doc["content"], found, "content")
    return found


def _check(nodes: list[Any], found: list[str], where: str) -> None:
    for index, node in enumerate(nodes):
        here = f"{where}[{index}]"
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            found.append(f"{here}: a node needs a type")
            continue
        if node["type"] == "text":
            if not isinstance(node.get("text"), str) or not node["text"]:
                found.append(f"{here}: text nodes need non-empty text")
            for mark in node.get("marks") or []:
                if (
                    isinstance(mark, dict)
                    and mark.get("type") == "link"
                    and not (mark.get("attrs") or {}).get("href")
                ):
                    found.append(f"{here}: a link mark needs attrs.href")
        children = node.get("content")
        if children is not None:
            if not isinstance(children, list):
                found.append(f"{here}: content must be a list")
            else:
                _check(children, found, f"{here}.content")


def _text(value: str, marks: list[dict[str, Any]]) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    if marks:
        node["marks"] = marks
    return node
