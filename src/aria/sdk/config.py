"""Integration settings: a Pydantic model per integration, secrets typed as :data:`Secret`.

The install wizard renders its form from :meth:`Config.json_schema`; secret fields are marked
``"format": "password"`` and ``"x-secret": true`` so the UI masks them and the vault encrypts
them. Validation failures become :class:`~aria.sdk.errors.ConfigError` naming each field,
and never echo the submitted values (which may be credentials).
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from aria.sdk.errors import ConfigError
from aria.sdk.redact import Redactor

Secret = SecretStr
"""A credential: masked in reprs and dumps; call ``.get_secret_value()`` only at request time."""


def _is_secret_annotation(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    args = getattr(annotation, "__args__", ()) or ()
    return any(_is_secret_annotation(arg) for arg in args)


class Config(BaseModel):
    """Base class for an integration's settings; subclass it and declare fields.

    Convention: declare ``base_url: str = "https://api.vendor.example"`` so tenants on other
    regions or on-premises deployments can point the integration elsewhere.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @classmethod
    def secret_fields(cls) -> tuple[str, ...]:
        """Names of the fields typed :data:`Secret` (optionally ``Secret | None``)."""
        return tuple(
            name
            for name, field in cls.model_fields.items()
            if _is_secret_annotation(field.annotation)
        )

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """JSON Schema for the settings form, secret fields marked for masking and the vault."""
        schema = cls.model_json_schema()
        props = schema.get("properties", {})
        for name in cls.secret_fields():
            prop = props.get(name)
            if prop is None:
                continue
            prop["format"] = "password"
            prop["x-secret"] = True
            prop["writeOnly"] = True
            for option in prop.get("anyOf", []):
                if option.get("type") == "string":
                    option["format"] = "password"
        return schema

    @classmethod
    def parse(cls, data: dict[str, Any] | Self) -> Self:
        """Validate raw settings into the model, raising :class:`ConfigError` per field."""
        if isinstance(data, cls):
            return data
        if isinstance(data, Config):
            data = data.model_dump()
            data = {
                k: v.get_secret_value() if isinstance(v, SecretStr) else v for k, v in data.items()
            }
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise _config_error(cls, exc, data) from None

    def secret_values(self) -> list[str]:
        """The plain secret values, for building a :class:`Redactor`; never log the result."""
        values: list[str] = []
        for name in self.secret_fields():
            value = getattr(self, name, None)
            if isinstance(value, SecretStr):
                values.append(value.get_secret_value())
        return values

    def redactor(self) -> Redactor:
        """A redactor that masks every secret of this config."""
        return Redactor(self.secret_values())

    def value(self, name: str) -> Any:
        """Field value with secrets unwrapped: call this only while building a request."""
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) else value


def _config_error(model: type[Config], exc: ValidationError, data: Any) -> ConfigError:
    secrets = set(model.secret_fields())
    raw_secrets = [str(data.get(s)) for s in secrets if isinstance(data, dict) and data.get(s)]
    scrub = Redactor(raw_secrets)
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(part) for part in err["loc"]) or "__root__"
        msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        fields.setdefault(loc, scrub(msg))
    listing = ", ".join(f"{k}: {v}" for k, v in fields.items())
    return ConfigError(f"invalid configuration for {model.__name__}: {listing}", fields=fields)


__all__ = ["Config", "Secret"]
