"""Config models for the ingest connectors, one per `type`."""

from __future__ import annotations

import codecs
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator

from commwatch.configbase import ConfigPath, StrictModel
from ingest.chat.config import ChatSourceConfig
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
    | ChatSourceConfig
)


class ColumnMap(StrictModel):
    """Our field = the header of their column. A field left out is read from the column of
    its own name; an unknown field is a config error naming its key."""

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        return tuple(cls.model_fields)

    def header(self, field: str) -> str:
        """The column header that holds `field` in the file."""
        return getattr(self, field) or field


Header = Annotated[str | None, Field(min_length=1)]


class CustomerColumns(ColumnMap):
    id: Header = None
    name: Header = None
    domains: Header = None
    contacts: Header = None
    credit_limit: Header = None
    currency: Header = None
    terms_days: Header = None
    owner: Header = None
    owner_email: Header = None
    tier: Header = None
    risk_score: Header = None


class InvoiceColumns(ColumnMap):
    number: Header = None
    customer_id: Header = None
    amount: Header = None
    open_amount: Header = None
    currency: Header = None
    issued_on: Header = None
    due_on: Header = None
    status: Header = None
    disputed: Header = None


class PaymentColumns(ColumnMap):
    reference: Header = None
    customer_id: Header = None
    amount: Header = None
    currency: Header = None
    received_on: Header = None
    invoice_number: Header = None


class ArColumns(StrictModel):
    """`[customers.columns.customers]`, `.invoices`, `.payments`: per-file column mappings."""

    customers: CustomerColumns = Field(default_factory=CustomerColumns)
    invoices: InvoiceColumns = Field(default_factory=InvoiceColumns)
    payments: PaymentColumns = Field(default_factory=PaymentColumns)


_SAMPLE_DAY = date(2026, 11, 23)


class CustomerMasterConfig(StrictModel):
    """The AR/ERP export, reloaded on every run of the `customers` job and upserted by
    natural key: the customer master (`path`, one customer a row), and optionally the
    invoices (`invoices`) and the payments received (`payments`).

    Columns are read by our field names unless `[customers.columns.FILE]` maps a field to
    another header. Dates are read with `date_format` when set, and always as ISO
    (YYYY-MM-DD); amounts with `.` as decimal point, or `,` when `decimal_comma` is true.
    """

    path: ConfigPath
    invoices: ConfigPath | None = None
    payments: ConfigPath | None = None
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = "utf-8-sig"
    date_format: str | None = Field(default=None, min_length=2)
    decimal_comma: bool = False
    columns: ArColumns = Field(default_factory=ArColumns)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None
        return value

    @field_validator("date_format")
    @classmethod
    def _whole_dates(cls, value: str | None) -> str | None:
        # A format must read back the day it writes: "%d/%m/%Y" does, "%Y-%m" does not.
        if value is None:
            return value
        try:
            ok = datetime.strptime(_SAMPLE_DAY.strftime(value), value).date() == _SAMPLE_DAY
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                "expected a strptime format with day, month and year, e.g. \"%d/%m/%Y\""
            )
        return value
