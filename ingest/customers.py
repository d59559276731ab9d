"""The customer master: loading it from CSV, and matching messages to customers."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from commwatch.store import Contact, Customer, Invoice, utcnow

REQUIRED_COLUMNS = ("id", "name", "domains")
INVOICE_REF = re.compile(
    r"(?i)\b(?:inv(?:oice)?|rechnung|facture|factura|fattura)?[\s#:.\-no]*"
    r"([A-Z]{2,5}[-/]?\d{3,}(?:[-/]\d+)?|\d{4}/\d{3,})\b"
)


class CustomerFileError(Exception):
    """The customer master cannot be loaded; says which file, row and column."""


def _split(value: str) -> list[str]:
    return [v.strip().lower() for v in re.split(r"[;,\s]+", value or "") if v.strip()]


def _decimal(value: str, where: str) -> Decimal | None:
    if not (value or "").strip():
        return None
    try:
        return Decimal(value.replace(",", "").strip())
    except InvalidOperation:
        raise CustomerFileError(f"{where}: {value!r} is not a number") from None


def _int(value: str, where: str) -> int | None:
    number = _decimal(value, where)
    return None if number is None else int(number)


def load_customers(session: Session, path: Path, delimiter: str = ",") -> dict[str, int]:
    """Upsert customers and contacts from the CSV; returns counts. Bad rows stop the load."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise CustomerFileError(f"{path}: cannot read: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise CustomerFileError(f"{path}: missing column(s) {', '.join(missing)}")
        rows = list(reader)
    existing = {c.external_id: c for c in session.scalars(select(Customer))}
    contacts = {c.email: c for c in session.scalars(select(Contact))}
    created = updated = 0
    for number, row in enumerate(rows, start=2):
        where = f"{path}:{number}"
        external_id = (row.get("id") or "").strip()
        if not external_id:
            raise CustomerFileError(f"{where}: column id is empty")
        customer = existing.get(external_id)
        if customer is None:
            customer = Customer(external_id=external_id, name="")
            existing[external_id] = customer
            created += 1
        else:
            updated += 1
        customer.name = (row.get("name") or "").strip() or external_id
        customer.domains = _split(row.get("domains", ""))
        customer.credit_limit = _decimal(row.get("credit_limit", ""), f"{where} credit_limit")
        customer.currency = (row.get("currency") or "USD").strip().upper()[:3]
        customer.terms_days = _int(row.get("terms_days", ""), f"{where} terms_days")
        customer.owner = (row.get("owner") or "").strip() or None
        customer.owner_email = (row.get("owner_email") or "").strip().lower() or None
        customer.tier = (row.get("tier") or "").strip() or None
        risk = _decimal(row.get("risk_score", ""), f"{where} risk_score")
        customer.risk_score = None if risk is None else float(risk)
        customer.updated_at = utcnow()
        session.add(customer)
        session.flush()
        for email in _split(row.get("contacts", "")):
            contact = contacts.get(email)
            if contact is None:
                contact = Contact(customer_id=customer.id or 0, email=email)
                contacts[email] = contact
            contact.customer_id = customer.id or 0
            session.add(contact)
    session.flush()
    return {"customers_created": created, "customers_updated": updated}


def load_invoices(session: Session, path: Path, delimiter: str = ",") -> dict[str, int]:
    """Upsert invoices by number from a CSV whose customer_id is the customer master's id."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise CustomerFileError(f"{path}: cannot read: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        missing = [c for c in ("number", "customer_id") if c not in (reader.fieldnames or [])]
        if missing:
            raise CustomerFileError(f"{path}: missing column(s) {', '.join(missing)}")
        rows = list(reader)
    customers = {ext: cid for ext, cid in session.execute(select(Customer.external_id, Customer.id))}
    existing = {i.number: i for i in session.scalars(select(Invoice))}
    loaded = 0
    for number, row in enumerate(rows, start=2):
        where = f"{path}:{number}"
        customer_id = customers.get((row.get("customer_id") or "").strip())
        if customer_id is None:
            raise CustomerFileError(
                f"{where}: customer_id {row.get('customer_id')!r} is not in the customer master"
            )
        invoice_number = (row.get("number") or "").strip().upper()
        if not invoice_number:
            raise CustomerFileError(f"{where}: column number is empty")
        invoice = existing.get(invoice_number) or Invoice(customer_id=customer_id, number=invoice_number)
        existing[invoice_number] = invoice
        invoice.customer_id = customer_id
        invoice.amount = _decimal(row.get("amount", ""), f"{where} amount")
        invoice.currency = (row.get("currency") or "USD").strip().upper()[:3]
        invoice.status = (row.get("status") or "open").strip() or "open"
        session.add(invoice)
        loaded += 1
    session.flush()
    return {"invoices": loaded}


@dataclass(frozen=True)
class Match:
    customer_id: int | None
    how: str  # address | domain | reference | unmatched


class CustomerResolver:
    """Finds the customer of a message: sender address, then domain, then invoice references."""

    def __init__(self, session: Session) -> None:
        self._by_address = {
            email: cid for email, cid in session.execute(select(Contact.email, Contact.customer_id))
        }
        self._by_domain: dict[str, int] = {}
        for cid, domains in session.execute(select(Customer.id, Customer.domains)):
            for domain in domains or []:
                self._by_domain.setdefault(domain, cid)
        self._session = session

    def _domain_match(self, address: str) -> int | None:
        domain = address.rsplit("@", 1)[-1]
        while domain:
            if domain in self._by_domain:
                return self._by_domain[domain]
            if "." not in domain:
                return None
            domain = domain.split(".", 1)[1]  # sub.customer.example matches customer.example
        return None

    def _by_address_or_domain(self, addresses: list[str]) -> Match | None:
        for address in addresses:
            if address in self._by_address:
                return Match(self._by_address[address], "address")
        for address in addresses:
            found = self._domain_match(address)
            if found is not None:
                return Match(found, "domain")
        return None

    def resolve(self, addresses: Iterable[str], text: str) -> Match:
        return self.resolve_many([(list(addresses), text)])[0]

    def resolve_many(self, messages: list[tuple[list[str], str]]) -> list[Match]:
        """Matches for many messages; invoice references are looked up in one query."""
        matches: list[Match | None] = []
        wanted: list[set[str]] = []
        for addresses, text in messages:
            match = self._by_address_or_domain([a for a in addresses if a])
            matches.append(match)
            refs = {m.group(1).upper() for m in INVOICE_REF.finditer(text)} if match is None else set()
            wanted.append(refs)
        all_refs = set().union(*wanted) if wanted else set()
        owners: dict[str, int] = {}
        if all_refs:
            owners = {
                number: cid
                for number, cid in self._session.execute(
                    select(Invoice.number, Invoice.customer_id).where(
                        Invoice.number.in_(sorted(all_refs))  # type: ignore[attr-defined]
                    )
                )
            }
        result = []
        for match, refs in zip(matches, wanted, strict=True):
            if match is None:
                found = sorted(r for r in refs if r in owners)
                match = Match(owners[found[0]], "reference") if found else Match(None, "unmatched")
            result.append(match)
        return result
