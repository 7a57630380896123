"""``aria integration new``: write a new, outside integration package that passes the suite.

The package is what a third party publishes: a ``pyproject.toml`` registering the entry
point, the integration module, its sandbox, a one-line conformance test and a README.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from aria.sdk.devtools import templates
from aria.sdk.errors import ConfigError
from aria.sdk.metadata import CATEGORIES, SLUG


@dataclass(frozen=True)
class Scaffold:
    """The names derived from a key: distribution, module, class, display name."""

    key: str
    name: str
    vendor: str
    category: str

    @property
    def dist(self) -> str:
        """Distribution (and directory) name: ``aria-integration-<key>``."""
        return f"aria-integration-{self.key}"

    @property
    def module(self) -> str:
        """Import package: ``aria_integration_<key with underscores>``."""
        return "aria_integration_" + self.key.replace("-", "_")

    @property
    def cls(self) -> str:
        """Integration class name in CamelCase (``acme-edr`` -> ``AcmeEdr``)."""
        camel = "".join(part.capitalize() for part in self.key.split("-"))
        return camel if camel[0].isalpha() else f"Integration{camel}"


def validate_key(key: str) -> str:
    """The key, or ConfigError saying what a key must look like."""
    if not (2 <= len(key) <= 64) or not SLUG.match(key):
        raise ConfigError(
            f"invalid key {key!r}: use a lowercase slug of 2-64 characters, letters, digits "
            "and single hyphens (e.g. 'acme-edr')",
            fields={"key": "must be a lowercase slug"},
        )
    return key


def plan(
    key: str, *, name: str | None = None, vendor: str | None = None, category: str = "edr"
) -> Scaffold:
    """Validate the inputs and derive every name."""
    validate_key(key)
    if category not in CATEGORIES:
        raise ConfigError(
            f"unknown category {category!r}: use one of {', '.join(CATEGORIES)}",
            fields={"category": "unknown"},
        )
    display = name or " ".join(part.capitalize() for part in key.split("-"))
    for label, value in (("name", display), ("vendor", vendor or display)):
        if not value.strip() or re.search(r'["\\\n]', value):
            raise ConfigError(
                f"invalid {label} {value!r}: use plain text without quotes or backslashes",
                fields={label: "invalid"},
            )
    return Scaffold(
        key=key, name=display, vendor=vendor or display.split(" ")[0], category=category
    )


def files(spec: Scaffold) -> dict[str, str]:
    """Relative path -> content of every file in the package."""
    values = {
        "key": spec.key,
        "name": spec.name,
        "vendor": spec.vendor,
        "category": spec.category,
        "dist": spec.dist,
        "module": spec.module,
        "cls": spec.cls,
        "host": f"{spec.key}.example",
    }
    return {
        "pyproject.toml": templates.PYPROJECT.substitute(values),
        "README.md": templates.README.substitute(values),
        f"src/{spec.module}/__init__.py": templates.INTEGRATION.substitute(values),
        f"src/{spec.module}/sandbox.py": templates.SANDBOX.substitute(values),
        "tests/test_conformance.py": templates.CONFORMANCE_TEST.substitute(values),
    }


def scaffold(spec: Scaffold, parent: Path) -> Path:
    """Write the package into ``parent/aria-integration-<key>``; never overwrites."""
    root = parent / spec.dist
    if root.exists():
        raise FileExistsError(f"{root} already exists; choose another --dir or remove it")
    content = files(spec)
    root.mkdir(parents=True)
    for relative, text in content.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


__all__ = ["Scaffold", "files", "plan", "scaffold", "validate_key"]
