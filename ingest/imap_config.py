"""Config model of the IMAP connector: `[sources.NAME]` with `type = "imap"`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from commwatch.configbase import ConfigPath, Secret, StrictModel, is_loopback

DEFAULT_PORTS = {"tls": 993, "starttls": 143, "plain": 143}
DEFAULT_KEYWORD = "$CommwatchSeen"
# RFC 3501 atom characters, less the ones a flag keyword may not hold.
_KEYWORD = re.compile(r"^\$?[A-Za-z0-9_.\-+]{1,64}$")


class ImapSourceConfig(StrictModel):
    """An IMAP mailbox read in place: read-only unless `after_ingest` says otherwise.

    `after_ingest` is "none", "flag" (adds the keyword `$CommwatchSeen`; "flag:$Other" picks
    another keyword) or "move:FOLDER" (moves each stored message into FOLDER, which must exist).
    """

    type: Literal["imap"]
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    security: Literal["tls", "starttls", "plain"] = "tls"
    username: str = Field(min_length=1)
    password: Secret | None = None
    oauth2_token: Secret | None = None
    folders: list[str] = Field(default_factory=lambda: ["INBOX"], min_length=1)
    ca_file: ConfigPath | None = None
    after_ingest: str = "none"
    idle: bool = True
    batch_size: int = Field(default=200, ge=1, le=5000)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    enabled: bool = True

    @model_validator(mode="before")
    @classmethod
    def _default_port(cls, data: Any) -> Any:
        # The port follows `security` when it is not given: 993 for IMAPS, 143 otherwise.
        if isinstance(data, dict) and data.get("port") is None:
            security = data.get("security", "tls")
            return {**data, "port": DEFAULT_PORTS.get(security, 993)}
        return data

    @field_validator("folders")
    @classmethod
    def _folder_names(cls, folders: list[str]) -> list[str]:
        if any(not f.strip() for f in folders):
            raise ValueError("a folder name cannot be empty")
        if len(set(folders)) != len(folders):
            raise ValueError("a folder is listed twice")
        return folders

    @field_validator("ca_file")
    @classmethod
    def _ca_file_exists(cls, path: Path | None) -> Path | None:
        if path is not None and not path.is_file():
            raise ValueError(f"no such file: {path}")
        return path

    @field_validator("after_ingest")
    @classmethod
    def _known_action(cls, value: str) -> str:
        action, _, argument = value.partition(":")
        if action == "none" and not argument:
            return value
        if action == "flag" and (not argument or _KEYWORD.match(argument)):
            return value
        if action == "move" and argument.strip():
            return value
        raise ValueError(
            'expected "none", "flag", "flag:$Keyword" or "move:FOLDER"'
        )

    @model_validator(mode="after")
    def _credentials_and_transport(self) -> ImapSourceConfig:
        if (self.password is None) == (self.oauth2_token is None):
            raise ValueError("set exactly one of `password` or `oauth2_token`")
        if self.security == "plain" and not is_loopback(self.host):
            raise ValueError(
                f'security = "plain" sends the password unencrypted: it is allowed only for '
                f'a loopback host, not {self.host!r}; use "tls" or "starttls"'
            )
        return self

    @property
    def after_action(self) -> tuple[str, str]:
        """("none" | "flag" | "move", keyword or target folder)."""
        action, _, argument = self.after_ingest.partition(":")
        if action == "flag":
            return "flag", argument or DEFAULT_KEYWORD
        return action, argument.strip()
