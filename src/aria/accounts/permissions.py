"""The permission matrix, written once. The README's table is generated from `MATRIX`."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    browse = "browse"  # catalog, collections, reviews, own organization's installations
    install = "install"  # install / uninstall integrations
    configure = "configure"  # change configuration, credentials, mappings, schedules, state
    credentials_metadata = "credentials_metadata"  # which secrets are set, rotation dates
    sync = "sync"  # trigger and cancel syncs, test connections, run queries
    review = "review"  # write reviews and vote
    manage_users = "manage_users"  # add/remove members, change roles
    read_audit = "read_audit"  # read the audit log


ROLES: tuple[str, ...] = ("owner", "admin", "integration_manager", "analyst", "viewer")

_ALL = frozenset(Permission)
MATRIX: dict[str, frozenset[Permission]] = {
    "owner": _ALL,
    "admin": _ALL,
    "integration_manager": frozenset(
        {
            Permission.browse,
            Permission.install,
            Permission.configure,
            Permission.credentials_metadata,
            Permission.sync,
            Permission.review,
        }
    ),
    "analyst": frozenset({Permission.browse, Permission.sync, Permission.review}),
    "viewer": frozenset({Permission.browse}),
}


def can(role: str, permission: Permission) -> bool:
    """Whether ``role`` grants ``permission`` (unknown roles grant nothing)."""
    return permission in MATRIX.get(role, frozenset())


def can_assign(actor_role: str, target_role: str) -> bool:
    """Only owners create or demote owners; admins manage every other role."""
    if not can(actor_role, Permission.manage_users):
        return False
    return actor_role == "owner" or target_role != "owner"


def markdown_table() -> str:
    """The matrix as the Markdown table the README carries (a test keeps them equal)."""
    header = "| permission | " + " | ".join(ROLES) + " |"
    rule = "| --- |" + " --- |" * len(ROLES)
    rows = [
        f"| `{p.value}` | " + " | ".join("yes" if can(r, p) else "—" for r in ROLES) + " |"
        for p in Permission
    ]
    return "\n".join([header, rule, *rows])
