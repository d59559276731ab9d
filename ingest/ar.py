"""AR/ERP exports: customers, invoices and payments read from CSV and upserted by natural key.

`load_ar(session, config)` loads the files of a `[customers]` table in order (customers, then
invoices, then payments) and returns how many rows of each were created, updated or left
unchanged. Loading the same files again changes nothing; a changed row updates its record.

- Columns are found by our field names, or by the headers `[customers.columns.FILE]` maps
  them to (case and surrounding spaces do not matter). A required column that is missing,
  or a mapped one, stops the load naming the file and the column.
- Bad input is never dropped: an unreadable cell, an unknown customer id, a natural key
  given twice, stops the load with every problem in the file, each as `FILE:LINE COLUMN:`.
  Nothing is written then (the caller's transaction is rolled back).
- A column absent from the file leaves that field of existing records as it is; an empty
  cell clears it (or sets its default: `open` status, the customer's currency).
- Amounts: `27,800.00`, `$1,200`, `USD 1,200.00`, `(120.00)` and `-120` / `120-` negatives;
  with `decimal_comma`, `1.234,56` and `1 234,56`. The grouping is checked, so `27,80` is
  an error rather than 2780 when the decimal point is `.`.
- Dates: `date_format` when set, and ISO 8601 (`2026-10-04`, `2026-10-04 00:00:00`) always.

Two processes loading at once are serialised (a PostgreSQL advisory lock; SQLite's write
lock, taken first), so neither sees the other's half-done rows or trips a unique key.
Cells are parsed in ingest.ar_cells, files read and checked in ingest.ar_files.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlmodel import Session, SQLModel, col

from commwatch.store import Contact, Customer, Invoice, Payment, utcnow
from ingest.ar_cells import _split
from ingest.ar_files import CsvFormat, CustomerFileError, _Bad, _read, _Row
from ingest.config import (
    CustomerColumns,
    CustomerMasterConfig,
    InvoiceColumns,
    PaymentColumns,
)

CUSTOMER_REQUIRED = ("id", "name", "domains")
INVOICE_REQUIRED = ("number", "customer_id")
PAYMENT_REQUIRED = ("reference", "customer_id", "amount", "received_on")
_LOCK_KEY = zlib.crc32(b"commwatch.ingest.ar")


@dataclass
class _Counts:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            f"{self.kind}_created": self.created,
            f"{self.kind}_updated": self.updated,
            f"{self.kind}_unchanged": self.unchanged,
        }


def _assign(record: SQLModel, values: dict[str, Any]) -> bool:
    """Set the values that differ; True if any did."""
    changed = False
    for name, value in values.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed = True
    return changed


def _each(rows: list[_Row], load: Callable[[_Row], None]) -> None:
    """Run `load` on every row, collecting every problem before giving up."""
    problems: list[str] = []
    for row in rows:
        try:
            load(row)
        except _Bad as exc:
            problems.append(str(exc))
    if problems:
        raise CustomerFileError(problems)


def _once(seen: dict[str, int], key: str, row: _Row, name: str) -> None:
    if key in seen:
        row.fail(name, f"{key!r} is also on line {seen[key]}")
    seen[key] = row.line


def _serialise(session: Session) -> None:
    """Hold the AR load lock until the transaction ends."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    elif dialect == "sqlite":
        # A write, even one that changes nothing, takes SQLite's write lock (waiting for any
        # other writer), so what is read next is what the last writer committed.
        session.execute(text("UPDATE customers SET id = id WHERE 1 = 0"))


# --- Loaders ---------------------------------------------------------------------------------


def _customers(session: Session, path: Path, columns: CustomerColumns, fmt: CsvFormat) -> _Counts:
    _, rows = _read(path, columns, CUSTOMER_REQUIRED, fmt)
    existing = {c.external_id: c for c in session.scalars(select(Customer))}
    contacts = {c.email: c for c in session.scalars(select(Contact))}
    counts = _Counts("customers")
    seen: dict[str, int] = {}
    seen_contacts: dict[str, int] = {}
    pending: list[tuple[Customer, list[str], bool, bool]] = []  # contacts, created, changed

    def load(row: _Row) -> None:
        external_id = row.text("id", 64, required=True) or ""
        _once(seen, external_id, row, "id")
        values: dict[str, Any] = {"name": row.text("name", 200) or external_id}
        if row.has("domains"):
            domains = [d.lstrip("@") for d in _split(row.raw("domains"))]
            for domain in domains:
                if "@" in domain or "." not in domain:
                    row.fail("domains", f"{domain!r} is not a domain")
            values["domains"] = domains
        if row.has("credit_limit"):
            values["credit_limit"] = row.amount("credit_limit")
        if row.has("currency"):
            values["currency"] = row.currency("currency", "USD")
        if row.has("terms_days"):
            values["terms_days"] = row.whole("terms_days")
        if row.has("owner"):
            values["owner"] = row.text("owner", 200)
        if row.has("owner_email"):
            owner_email = row.text("owner_email", 320)
            values["owner_email"] = owner_email.lower() if owner_email else None
        if row.has("tier"):
            values["tier"] = row.text("tier", 32)
        if row.has("risk_score"):
            risk = row.amount("risk_score")
            values["risk_score"] = None if risk is None else float(risk)
        emails = list(dict.fromkeys(_split(row.raw("contacts")))) if row.has("contacts") else []
        for email in emails:
            local, _, domain = email.partition("@")
            if not local or "." not in domain or len(email) > 320:
                row.fail("contacts", f"{email!r} is not an email address")
            _once(seen_contacts, email, row, "contacts")

        customer = existing.get(external_id)
        if customer is None:
            customer = existing[external_id] = Customer(external_id=external_id, **values)
            session.add(customer)
            pending.append((customer, emails, True, False))
        else:
            pending.append((customer, emails, False, _assign(customer, values)))

    _each(rows, load)
    session.flush()  # the new customers' ids, for their contacts
    for customer, emails, created, changed in pending:
        for email in emails:
            contact = contacts.get(email)
            if contact is None:
                contact = contacts[email] = Contact(customer_id=customer.id or 0, email=email)
            elif contact.customer_id == customer.id:
                continue
            contact.customer_id = customer.id or 0
            session.add(contact)
            changed = True
        if created:
            counts.created += 1
        elif changed:
            customer.updated_at = utcnow()
            session.add(customer)
            counts.updated += 1
        else:
            counts.unchanged += 1
    session.flush()
    return counts


def _customer_index(session: Session) -> dict[str, tuple[int, str]]:
    return {
        ext: (cid, currency)
        for ext, cid, currency in session.execute(
            select(col(Customer.external_id), col(Customer.id), col(Customer.currency))
        )
    }


def _customer_of(row: _Row, customers: dict[str, tuple[int, str]]) -> tuple[int, str]:
    external_id = row.text("customer_id", 64, required=True) or ""
    found = customers.get(external_id)
    if found is None:
        row.fail("customer_id", f"{external_id!r} is not in the customer master")
    return found


def _invoices(session: Session, path: Path, columns: InvoiceColumns, fmt: CsvFormat) -> _Counts:
    _, rows = _read(path, columns, INVOICE_REQUIRED, fmt)
    customers = _customer_index(session)
    existing = {i.number: i for i in session.scalars(select(Invoice))}
    counts = _Counts("invoices")
    seen: dict[str, int] = {}

    def load(row: _Row) -> None:
        number = (row.text("number", 64, required=True) or "").upper()
        _once(seen, number, row, "number")
        customer_id, customer_currency = _customer_of(row, customers)
        invoice = existing.get(number)
        values: dict[str, Any] = {"customer_id": customer_id}
        for name in ("amount", "open_amount"):
            if row.has(name):
                values[name] = row.amount(name)
        for name in ("issued_on", "due_on"):
            if row.has(name):
                values[name] = row.day(name)
        if row.has("currency") or invoice is None:
            values["currency"] = row.currency("currency", customer_currency)
        if row.has("status"):
            values["status"] = (row.text("status", 16) or "open").lower()
        if row.has("disputed"):
            values["disputed"] = row.flag("disputed")
        if invoice is None:
            existing[number] = Invoice(number=number, **values)
            session.add(existing[number])
            counts.created += 1
        elif _assign(invoice, values):
            session.add(invoice)
            counts.updated += 1
        else:
            counts.unchanged += 1

    _each(rows, load)
    session.flush()
    return counts


def _payments(session: Session, path: Path, columns: PaymentColumns, fmt: CsvFormat) -> _Counts:
    _, rows = _read(path, columns, PAYMENT_REQUIRED, fmt)
    customers = _customer_index(session)
    existing = {p.reference: p for p in session.scalars(select(Payment))}
    counts = _Counts("payments")
    seen: dict[str, int] = {}

    def load(row: _Row) -> None:
        reference = row.text("reference", 128, required=True) or ""
        _once(seen, reference, row, "reference")
        customer_id, customer_currency = _customer_of(row, customers)
        payment = existing.get(reference)
        values: dict[str, Any] = {
            "customer_id": customer_id,
            "amount": row.amount("amount", required=True),
            "received_on": row.day("received_on", required=True),
        }
        if row.has("currency") or payment is None:
            values["currency"] = row.currency("currency", customer_currency)
        if row.has("invoice_number"):
            invoice = row.text("invoice_number", 64)
            values["invoice_number"] = invoice.upper() if invoice else None
        if payment is None:
            existing[reference] = Payment(reference=reference, **values)
            session.add(existing[reference])
            counts.created += 1
        elif _assign(payment, values):
            session.add(payment)
            counts.updated += 1
        else:
            counts.unchanged += 1

    _each(rows, load)
    session.flush()
    return counts


# --- Entry points ----------------------------------------------------------------------------


def load_ar(session: Session, config: CustomerMasterConfig) -> dict[str, int]:
    """Load the customer master, then the invoices and payments files when configured.

    Returns `{FILE}_created/_updated/_unchanged` counts. Raises CustomerFileError, naming
    every bad line, when a file cannot be loaded; the caller's transaction must then be
    rolled back (`session_scope` does that)."""
    _serialise(session)
    fmt = CsvFormat.of(config)
    columns = config.columns
    counts = _customers(session, config.path, columns.customers, fmt).as_dict()
    if config.invoices is not None:
        counts.update(_invoices(session, config.invoices, columns.invoices, fmt).as_dict())
    if config.payments is not None:
        counts.update(_payments(session, config.payments, columns.payments, fmt).as_dict())
    return counts


def load_customers(
    session: Session,
    path: Path,
    delimiter: str = ",",
    columns: CustomerColumns | None = None,
    fmt: CsvFormat | None = None,
) -> dict[str, int]:
    """Upsert customers and their contacts from one CSV; returns counts."""
    _serialise(session)
    fmt = fmt or CsvFormat(delimiter=delimiter)
    return _customers(session, path, columns or CustomerColumns(), fmt).as_dict()


def load_invoices(
    session: Session,
    path: Path,
    delimiter: str = ",",
    columns: InvoiceColumns | None = None,
    fmt: CsvFormat | None = None,
) -> dict[str, int]:
    """Upsert invoices by number from a CSV whose customer_id is the customer master's id."""
    _serialise(session)
    fmt = fmt or CsvFormat(delimiter=delimiter)
    return _invoices(session, path, columns or InvoiceColumns(), fmt).as_dict()


def load_payments(
    session: Session,
    path: Path,
    delimiter: str = ",",
    columns: PaymentColumns | None = None,
    fmt: CsvFormat | None = None,
) -> dict[str, int]:
    """Upsert payments by reference from a CSV whose customer_id is the customer master's id."""
    _serialise(session)
    fmt = fmt or CsvFormat(delimiter=delimiter)
    return _payments(session, path, columns or PaymentColumns(), fmt).as_dict()
