"""Discovery of installed integrations through the ``aria.integrations`` entry point group.

Built-ins and third-party packages register the same way (``pyproject.toml``)::

    [project.entry-points."aria.integrations"]
    crowdstrike-falcon = "aria.integrations.crowdstrike_falcon:CrowdStrikeFalcon"

A package that fails to import, or whose class has invalid metadata, is reported in
``Registry.errors`` and skipped; one broken plugin never takes the catalog down.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from aria.sdk.errors import FatalError, MetadataError
from aria.sdk.integration import Integration

GROUP = "aria.integrations"


@dataclass(frozen=True)
class LoadError:
    """An entry point that could not be loaded, and why."""

    entry_point: str
    error_message: str


@dataclass
class Registry:
    """Loaded integration classes by key, plus the load errors."""

    integrations: dict[str, type[Integration]] = field(default_factory=dict)
    errors: list[LoadError] = field(default_factory=list)

    def get(self, key: str) -> type[Integration]:
        """The integration class for ``key``; raises FatalError naming known keys."""
        try:
            return self.integrations[key]
        except KeyError:
            known = ", ".join(sorted(self.integrations)) or "none"
            raise FatalError(f"no integration {key!r} is installed (installed: {known})") from None

    def __contains__(self, key: object) -> bool:
        return key in self.integrations

    def __len__(self) -> int:
        return len(self.integrations)


def discover(eps: Iterable[EntryPoint] | None = None) -> Registry:
    """Load every entry point of the group (or the given ones) into a :class:`Registry`."""
    registry = Registry()
    for ep in entry_points(group=GROUP) if eps is None else eps:
        label = f"{ep.name} = {ep.value}"
        try:
            cls = ep.load()
        except Exception as exc:  # any import-time failure is the plugin's, not ours
            registry.errors.append(LoadError(label, f"import failed: {type(exc).__name__}: {exc}"))
            continue
        if not (isinstance(cls, type) and issubclass(cls, Integration)):
            registry.errors.append(LoadError(label, "is not an aria.sdk.Integration subclass"))
            continue
        try:
            meta = cls.metadata()
        except MetadataError as exc:
            registry.errors.append(LoadError(label, str(exc)))
            continue
        except Exception as exc:
            registry.errors.append(
                LoadError(label, f"metadata failed: {type(exc).__name__}: {exc}")
            )
            continue
        if meta.key in registry.integrations:
            other = registry.integrations[meta.key].__module__
            registry.errors.append(
                LoadError(label, f"duplicate key {meta.key!r} (already provided by {other})")
            )
            continue
        registry.integrations[meta.key] = cls
    return registry
