"""An installation's configuration, stored split: plain settings in a versioned
`integration_configurations` row, each secret field encrypted by the vault into
`integration_credentials`. Reads for people come back masked; only the runtime decrypts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aria.db.types import utcnow
from aria.installs.models import Configuration, Credential, Installation
from aria.logs import register_secret
from aria.sdk import Config, ConfigError
from aria.vault import crypto
from aria.vault import service as vault


def _is_keep_marker(value: Any) -> bool:
    """A secret sent back as its masked form (``{"set": true}``) means "keep the stored one"."""
    return isinstance(value, dict) and value.get("set") is True


def merge(model: type[Config], stored: Config | None, incoming: dict[str, Any]) -> Config:
    """Validate ``incoming`` over ``stored``: omitted fields keep their stored value, so a
    configuration update never has to resend a secret. ``None`` clears an optional field."""
    if not isinstance(incoming, dict):
        raise ConfigError("configuration must be an object", fields={"config": "not an object"})
    secrets = set(model.secret_fields())
    merged: dict[str, Any] = {}
    if stored is not None:
        merged = {name: getattr(stored, name) for name in model.model_fields}
    for name, value in incoming.items():
        if name in secrets and _is_keep_marker(value):
            if stored is None or getattr(stored, name, None) is None:
                raise ConfigError(
                    f"{name} is not set yet", fields={name: "no stored value to keep"}
                )
            continue
        merged[name] = value
    plain = {k: v.get_secret_value() if isinstance(v, SecretStr) else v for k, v in merged.items()}
    values = model.parse(plain)
    for name in secrets:
        secret = getattr(values, name, None)
        if isinstance(secret, SecretStr):
            register_secret(secret.get_secret_value())
    return values


def _split(model: type[Config], values: Config) -> tuple[dict[str, Any], dict[str, str | None]]:
    secrets = set(model.secret_fields())
    dumped = values.model_dump(mode="json")
    settings = {k: v for k, v in dumped.items() if k not in secrets}
    secret_values: dict[str, str | None] = {}
    for name in secrets:
        secret = getattr(values, name, None)
        secret_values[name] = secret.get_secret_value() if isinstance(secret, SecretStr) else None
    return settings, secret_values


def _canonical(model: type[Config], values: Config) -> dict[str, Any]:
    settings, secret_values = _split(model, values)
    return {"settings": settings, "secrets": secret_values}


def save(
    session: Session,
    *,
    installation: Installation,
    model: type[Config],
    values: Config,
    previous: Config | None,
    master_key: bytes,
    user_id: Any = None,
) -> Configuration | None:
    """Write a new configuration version; returns None when nothing changed.

    Changed fields are recorded by name only; secrets are compared in memory, never stored
    in clear, and re-encrypted (with a fresh nonce) only when they changed.
    """
    settings, secret_values = _split(model, values)
    old_settings, old_secrets = _split(model, previous) if previous is not None else ({}, {})
    changed = sorted(
        {k for k in settings.keys() | old_settings.keys() if settings.get(k) != old_settings.get(k)}
        | {k for k in secret_values if secret_values[k] != old_secrets.get(k)}
    )
    if previous is not None and not changed:
        return None
    now = utcnow()
    existing = {
        row.field_name: row
        for row in session.scalars(
            select(Credential).where(Credential.installation_id == installation.id)
        )
    }
    for name, secret in secret_values.items():
        row = existing.get(name)
        if secret is None:
            if row is not None:
                session.delete(row)
            continue
        if row is not None and name not in changed:
            continue
        sealed = vault.encrypt_field(
            session,
            master_key=master_key,
            installation=installation,
            field_name=name,
            plaintext=secret,
        )
        if row is None:
            session.add(
                Credential(
                    installation_id=installation.id,
                    field_name=name,
                    ciphertext=sealed.ciphertext,
                    nonce=sealed.nonce,
                    last_rotated=now,
                )
            )
        else:
            row.ciphertext, row.nonce, row.last_rotated = sealed.ciphertext, sealed.nonce, now
    session.execute(
        update(Configuration)
        .where(Configuration.installation_id == installation.id)
        .values(is_current=False)
    )
    version = installation.config_version + 1
    configuration = Configuration(
        installation_id=installation.id,
        version=version,
        settings=settings,
        changed_fields=changed,
        config_hash=crypto.config_hash(master_key, _canonical(model, values)),
        is_current=True,
        created_by=user_id,
        created_at=now,
    )
    session.add(configuration)
    installation.config_version = version
    session.flush()
    return configuration


def _current(session: Session, installation: Installation) -> Configuration | None:
    return session.scalar(
        select(Configuration).where(
            Configuration.installation_id == installation.id, Configuration.is_current.is_(True)
        )
    )


def load(
    session: Session, *, installation: Installation, model: type[Config], master_key: bytes
) -> Config | None:
    """The current configuration with secrets decrypted, for running the integration."""
    configuration = _current(session, installation)
    if configuration is None:
        return None
    values = dict(configuration.settings)
    for row in session.scalars(
        select(Credential).where(Credential.installation_id == installation.id)
    ):
        if row.field_name in model.model_fields:
            plaintext = vault.decrypt_field(
                session,
                master_key=master_key,
                installation=installation,
                field_name=row.field_name,
                ciphertext=row.ciphertext,
                nonce=row.nonce,
            )
            register_secret(plaintext)
            values[row.field_name] = plaintext
    return model.parse(values)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def masked(
    session: Session,
    *,
    installation: Installation,
    model: type[Config],
    with_metadata: bool,
) -> dict[str, Any]:
    """The configuration as people may see it: secrets as ``{"set": ...}`` and, for roles
    allowed credential metadata, when they were rotated and when they expire."""
    configuration = _current(session, installation)
    shown: dict[str, Any] = dict(configuration.settings) if configuration else {}
    credentials = {
        row.field_name: row
        for row in session.scalars(
            select(Credential).where(Credential.installation_id == installation.id)
        )
    }
    for name in model.secret_fields():
        row = credentials.get(name)
        entry: dict[str, Any] = {"set": row is not None}
        if with_metadata and row is not None:
            entry.update(
                last_rotated=_iso(row.last_rotated),
                expires_at=_iso(row.expires_at),
                rotation_frequency_days=row.rotation_frequency_days,
                auto_rotate=row.auto_rotate,
            )
        shown[name] = entry
    return shown


def history(session: Session, *, installation: Installation) -> list[Configuration]:
    """Every version, newest first (field names only; values are not part of history)."""
    return list(
        session.scalars(
            select(Configuration)
            .where(Configuration.installation_id == installation.id)
            .order_by(Configuration.version.desc())
        )
    )


def set_credential_metadata(
    session: Session,
    *,
    installation: Installation,
    field_name: str,
    expires_at: datetime | None,
    rotation_frequency_days: int | None,
    auto_rotate: bool,
) -> Credential | None:
    """Record when a stored secret expires and how often it should rotate (no value change)."""
    row = session.scalar(
        select(Credential).where(
            Credential.installation_id == installation.id, Credential.field_name == field_name
        )
    )
    if row is None:
        return None
    row.expires_at = expires_at
    row.rotation_frequency_days = rotation_frequency_days
    row.auto_rotate = auto_rotate
    session.flush()
    return row
