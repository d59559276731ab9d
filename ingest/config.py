"""Config models for the ingest connectors, one per `type`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from commwatch.configbase import ConfigPath, StrictModel
from ingest.imap_config import ImapSourceConfig


class MaildirSourceConfig(StrictModel):
    """A Maildir folder (new/ and cur/), read in place; nothing is moved or renamed."""

    type: Literal["maildir"]
    path: ConfigPath
    enabled: bool = True


class EmlFolderSourceConfig(StrictModel):
    """A folder of `.eml` files (searched recursively)."""

    type: Literal["eml_dir"]
    path: ConfigPath
    pattern: str = "*.eml"
    enabled: bool = True


class MboxSourceConfig(StrictModel):
    """One mbox file, or a folder of them (`*.mbox` / `*.mbx` / files named like mbox exports).

    Messages appended to a file later are picked up from where the last run stopped."""

    type: Literal["mbox"]
    path: ConfigPath
    pattern: str = "*.mbox"
    enabled: bool = True


SourceConfig = (
    MaildirSourceConfig | EmlFolderSourceConfig | MboxSourceConfig | ImapSourceConfig
)


class CustomerMasterConfig(StrictModel):
    """The customer master: a CSV with one customer a row; optionally the open invoices
    (`number,customer_id[,amount,currency,due_on,status]`), so references in messages resolve."""

    path: ConfigPath
    invoices: ConfigPath | None = None
    delimiter: str = Field(default=",", min_length=1, max_length=1)
