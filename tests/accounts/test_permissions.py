"""The permission matrix is written once in code and once in the README, and they agree."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import get_args

from aria.accounts.permissions import MATRIX, ROLES, Permission, can, can_assign, markdown_table
from aria.accounts.schemas import Role

README = Path(__file__).parents[2] / "README.md"


def test_readme_carries_the_matrix_from_code() -> None:
    assert markdown_table() in README.read_text()


def test_roles_are_defined_once() -> None:
    assert set(MATRIX) == set(ROLES) == set(get_args(Role))


def test_matrix_is_monotonic_from_viewer_to_owner() -> None:
    order = ["viewer", "analyst", "integration_manager", "admin", "owner"]
    for lower, higher in itertools.pairwise(order):
        assert MATRIX[lower] <= MATRIX[higher], (lower, higher)
    assert MATRIX["viewer"] == {Permission.browse}


def test_only_owners_grant_ownership() -> None:
    assert can_assign("owner", "owner")
    assert not can_assign("admin", "owner")
    assert can_assign("admin", "integration_manager")
    assert not can_assign("integration_manager", "viewer")
    assert not can("nobody", Permission.browse)
