"""Forms generated from an integration's config JSON schema, and parsed back.

Secrets are never written into the page: a stored secret shows as "set" with an empty
password box, and leaving it empty keeps the stored value (the vault's keep-marker rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData


@dataclass
class ConfigField:
    """One input of the credentials step."""

    name: str
    label: str
    kind: str  # text | password | select | number | checkbox
    required: bool
    description: str = ""
    where_to_find: str = ""
    options: list[str] = field(default_factory=list)
    value: Any = None
    default: Any = None
    secret: bool = False
    secret_set: bool = False
    nullable: bool = False
    json_type: str = "string"
    error: str | None = None

    @property
    def input_id(self) -> str:
        return f"cfg-{self.name}"


def _main_option(prop: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The non-null branch of ``anyOf: [X, null]`` and whether null is allowed."""
    options = prop.get("anyOf")
    if not options:
        return prop, False
    non_null = [o for o in options if o.get("type") != "null"]
    return (non_null[0] if non_null else {}), len(non_null) < len(options)


def _label(name: str, prop: dict[str, Any]) -> str:
    title = prop.get("title") or name.replace("_", " ").title()
    # Pydantic titles read "Client Id", "Base Url": fix the usual acronyms.
    for word, fixed in (("Id", "ID"), ("Url", "URL"), ("Api", "API"), ("Cid", "CID")):
        title = " ".join(fixed if w == word else w for w in title.split())
    return title


def fields_from_schema(
    schema: dict[str, Any],
    requirements: list[dict[str, Any]] | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> list[ConfigField]:
    """Inputs in schema order. ``values`` holds what to show: plain values, or for secrets
    the masked form ``{"set": bool}``; ``errors`` are per-field messages."""
    values = values or {}
    errors = errors or {}
    help_text = {r.get("name"): r for r in requirements or []}
    required = set(schema.get("required", []))
    out: list[ConfigField] = []
    for name, prop in schema.get("properties", {}).items():
        main, nullable = _main_option(prop)
        secret = bool(prop.get("x-secret") or prop.get("format") == "password")
        json_type = main.get("type", "string")
        enum = main.get("enum") or prop.get("enum")
        if secret:
            kind = "password"
        elif enum:
            kind = "select"
        elif json_type == "boolean":
            kind = "checkbox"
        elif json_type in ("integer", "number"):
            kind = "number"
        else:
            kind = "text"
        info = help_text.get(name, {})
        shown = values.get(name)
        secret_set = secret and isinstance(shown, dict) and bool(shown.get("set"))
        if secret:
            shown = None
        elif shown is None:
            shown = prop.get("default")
        out.append(
            ConfigField(
                name=name,
                label=_label(name, prop),
                kind=kind,
                required=name in required,
                description=prop.get("description") or info.get("description") or "",
                where_to_find=prop.get("where_to_find") or info.get("where_to_find") or "",
                options=[str(o) for o in enum] if enum else [],
                value=shown,
                default=prop.get("default"),
                secret=secret,
                secret_set=secret_set,
                nullable=nullable,
                json_type=json_type,
                error=errors.get(name),
            )
        )
    return out


def parse_config(
    fields: list[ConfigField], form: FormData
) -> tuple[dict[str, Any], dict[str, str]]:
    """The form as a config dict for the flows, plus errors the browser could not catch.

    Empty secret → omitted (keep the stored one); empty optional → ``None`` when nullable,
    omitted otherwise (the default applies); numbers and booleans are converted.
    """
    config: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        raw = form.get(f.name)
        text = raw.strip() if isinstance(raw, str) else ""
        if f.kind == "checkbox":
            config[f.name] = raw is not None
            continue
        if not text:
            if f.secret:
                continue
            if f.nullable:
                config[f.name] = None
            continue
        if f.kind == "number":
            try:
                config[f.name] = int(text) if f.json_type == "integer" else float(text)
            except ValueError:
                errors[f.name] = "must be a number"
            continue
        config[f.name] = text
    return config, errors


def field_errors(details: Any) -> dict[str, str]:
    """``InvalidConfig`` details (``{"fields": {name: why}}``) as a name → message map."""
    if isinstance(details, dict) and isinstance(details.get("fields"), dict):
        return {str(k): str(v) for k, v in details["fields"].items()}
    return {}
