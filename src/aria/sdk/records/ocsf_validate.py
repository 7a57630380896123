"""Validate OCSF JSON offline against the official schema.

The schema comes from the ``ocsf-json-schema`` package, which bundles the OCSF exports
(``schema.ocsf.io/<version>/export/schema``) for 1.0.0-rc.2 through 1.8.0 and turns a class or
object into a JSON Schema (2020-12); ``jsonschema`` then validates. Nothing is fetched over the
network. Both packages are imported lazily: only the conformance suite and tests need them.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from aria.sdk.records.base import OCSF_VERSION


class OcsfValidationError(ValueError):
    """The event does not conform; ``errors`` lists ``path: message`` lines."""

    def __init__(self, title: str, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(f"{title}: " + "; ".join(errors))


def _schema_package() -> Any:
    try:
        import ocsf_json_schema
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "OCSF validation needs the 'ocsf-json-schema' package (pip install ocsf-json-schema)"
        ) from exc
    return ocsf_json_schema


@functools.lru_cache(maxsize=4)
def _embedded(version: str) -> Any:
    """The bundled OCSF export for ``version``, wrapped to emit self-contained JSON Schemas."""
    package = _schema_package()
    if version not in package.get_packaged_versions():
        raise ValueError(
            f"OCSF {version} is not bundled with ocsf-json-schema "
            f"(have {sorted(package.get_packaged_versions())})"
        )
    return package.OcsfJsonSchemaEmbedded(package.get_ocsf_schema(version))


@functools.lru_cache(maxsize=64)
def _validator(version: str, kind: str, name: str, profiles: tuple[str, ...]) -> Any:
    """A compiled validator per (version, class/object, profiles); building one costs ~ms."""
    from jsonschema import Draft202012Validator

    embedded = _embedded(version)
    if kind == "class":
        schema = embedded.get_class_schema(name, list(profiles))
    else:
        schema = embedded.get_object_schema(name, list(profiles))
    # The generator mutates shared dicts; keep our copy independent of its caches.
    schema = json.loads(json.dumps(schema))
    return Draft202012Validator(schema)


def _format_errors(validator: Any, document: Any) -> list[str]:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    lines = []
    for error in errors:
        path = ".".join(str(p) for p in error.absolute_path) or "<root>"
        message = error.message
        if len(message) > 300:
            message = message[:300] + "..."
        lines.append(f"{path}: {message}")
    return lines


def ocsf_class_name(class_uid: int, version: str = OCSF_VERSION) -> str:
    """Schema name of an OCSF class, e.g. 2004 -> ``detection_finding``."""
    return str(_embedded(version).lookup_class_name_from_uid(class_uid))


def validate_ocsf(event: dict[str, Any], *, version: str | None = None) -> None:
    """Raise ``OcsfValidationError`` unless ``event`` is a valid OCSF event.

    The class comes from ``class_uid``; the schema version from ``version``, else
    ``metadata.version``, else ``OCSF_VERSION``; profiles from ``metadata.profiles``."""
    if not isinstance(event, dict):
        raise OcsfValidationError("OCSF event", ["<root>: not a JSON object"])
    class_uid = event.get("class_uid")
    if not isinstance(class_uid, int) or isinstance(class_uid, bool):
        raise OcsfValidationError("OCSF event", ["class_uid: missing or not an integer"])
    metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
    version = version or str(metadata.get("version") or OCSF_VERSION)
    try:
        name = ocsf_class_name(class_uid, version)
    except ValueError as exc:
        raise OcsfValidationError(f"OCSF {version}", [f"class_uid: {exc}"]) from None
    profiles = metadata.get("profiles") or []
    validator = _validator(version, "class", name, tuple(sorted(str(p) for p in profiles)))
    errors = _format_errors(validator, event)
    if errors:
        raise OcsfValidationError(f"OCSF {version} {name} ({class_uid})", errors)


def validate_ocsf_object(
    name: str,
    obj: dict[str, Any],
    *,
    version: str = OCSF_VERSION,
    profiles: tuple[str, ...] = (),
) -> None:
    """Validate a standalone OCSF object (e.g. ``osint`` from ``Indicator.to_ocsf()``)."""
    try:
        validator = _validator(version, "object", name, tuple(sorted(profiles)))
    except ValueError as exc:
        raise OcsfValidationError(f"OCSF {version}", [f"{name}: {exc}"]) from None
    errors = _format_errors(validator, obj)
    if errors:
        raise OcsfValidationError(f"OCSF {version} object {name}", errors)
