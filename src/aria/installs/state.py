"""The installation state machine: the plan's five states and only the legal moves."""

from __future__ import annotations

from aria.errors import Conflict

TRANSITIONS: dict[str, frozenset[str]] = {
    "configuring": frozenset({"enabled", "disabled"}),
    "disabled": frozenset({"enabled", "configuring"}),
    "enabled": frozenset({"disabled", "error", "suspended"}),
    "error": frozenset({"enabled", "disabled", "suspended"}),
    "suspended": frozenset({"enabled", "disabled"}),
}
#: Entering these states needs a passing connection test with the current configuration.
NEEDS_PASSING_TEST = frozenset({"enabled"})

_WHY = {
    "error": "only an enabled installation can fall into error (health checks put it there)",
    "suspended": "only an enabled or failing installation can be suspended",
    "configuring": "only a disabled installation can go back to configuring",
}


def check_transition(current: str, target: str) -> None:
    """Raise 409 with a reason unless ``current`` → ``target`` is legal."""
    if current == target:
        raise Conflict(f"installation is already {current}")
    if target not in TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "nothing"
        reason = _WHY.get(target, f"{current} can move to: {allowed}")
        raise Conflict(
            f"cannot go from {current} to {target}: {reason}",
            details={"from": current, "to": target, "allowed": sorted(TRANSITIONS[current])},
        )
