"""Building blocks for typed configuration: strict models, secrets and config-relative paths.

Plugin packages define their own config models with these; `commwatch.config` assembles them.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    Tag,
    ValidationInfo,
    model_validator,
)
from pydantic.functional_validators import AfterValidator
from pydantic_core import core_schema


class StrictModel(BaseModel):
    """A config table: unknown keys are errors, values are not coerced across types."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def is_loopback(host: str) -> bool:
    """True for names and addresses that never leave this machine."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _base_dir(info: ValidationInfo) -> Path:
    context = info.context or {}
    return Path(context.get("base_dir", "."))


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    path = value.expanduser()
    if not path.is_absolute():
        path = _base_dir(info) / path
    return path.resolve()


ConfigPath = Annotated[Path, AfterValidator(_resolve_path)]
"""A path in the config file; relative paths are relative to the config file's folder."""


class Secret:
    """A secret value read from the environment or a file; never shown in full.

    In config it is written `{env = "NAME"}` or `{file = "path"}`. The value is resolved
    while the config is validated, so a missing secret stops start-up with the key's path.
    """

    __slots__ = ("_value", "origin")

    def __init__(self, value: str, origin: str) -> None:
        self._value = value
        self.origin = origin

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.origin}, '****')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_after_validator_function(
            cls._from_reference,
            handler(SecretReference),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda s: f"**** ({s.origin})"
            ),
        )

    @classmethod
    def _from_reference(cls, ref: SecretReference, info: ValidationInfo) -> Secret:
        if ref.env is not None:
            value = os.environ.get(ref.env)
            if value is None:
                raise ValueError(f"environment variable {ref.env} is not set")
            if not value:
                raise ValueError(f"environment variable {ref.env} is empty")
            return cls(value, f"env {ref.env}")
        assert ref.file is not None
        path = ref.file.expanduser()
        if not path.is_absolute():
            path = _base_dir(info) / path
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"cannot read secret file {path}: {exc.strerror}") from None
        if not value:
            raise ValueError(f"secret file {path} is empty")
        return cls(value, f"file {path}")


class SecretReference(StrictModel):
    """Where a secret lives: exactly one of `env` or `file`."""

    env: str | None = Field(default=None, min_length=1)
    file: Path | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretReference:
        if (self.env is None) == (self.file is None):
            raise ValueError('a secret is written {env = "NAME"} or {file = "path"}')
        return self


def _plain_or_secret(value: Any) -> str:
    return "secret" if isinstance(value, dict | Secret) else "plain"


MaybeSecret = Annotated[
    Annotated[str, Tag("plain")] | Annotated[Secret, Tag("secret")],
    Discriminator(_plain_or_secret),
]
"""A value that may be written inline or, when it is sensitive, as a secret reference."""
