"""Accounts: organizations, users, roles, API tokens, sessions."""
