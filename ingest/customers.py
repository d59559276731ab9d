"""Matching messages to customers. Loading the customer master (and the invoices and
payments) from AR/ERP exports lives in `ingest.ar`; its loaders are re-exported here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from commwatch.store import Contact, Customer, Invoice
from ingest.ar import CUSTOMER_REQUIRED, load_customers, load_invoices, load_payments
from ingest.ar_files import CustomerFileError
from ingest.refs import INVOICE_REF

REQUIRED_COLUMNS = CUSTOMER_REQUIRED


@dataclass(frozen=True)
class Match:
    customer_id: int | None
    how: str  # address | domain | reference | unmatched


__all__ = [
    "INVOICE_REF",
    "REQUIRED_COLUMNS",
    "CustomerFileError",
    "CustomerResolver",
    "Match",
    "load_customers",
    "load_invoices",
    "load_payments",
]


class CustomerResolver:
    """Finds the customer of a message: sender address, then domain, then invoice references."""

    def __init__(self, session: Session) -> None:
        self._by_address = {
            email: cid for email, cid in session.execute(
                select(col(Contact.email), col(Contact.customer_id)))
        }
        self._by_domain: dict[str, int] = {}
        for cid, domains in session.execute(select(col(Customer.id), col(Customer.domains))):
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

    def _has_invoices(self) -> bool:
        # Asked per batch, not once: an AR import may add invoices while a source is watched.
        return self._session.execute(select(col(Invoice.id)).limit(1)).first() is not None

    def resolve(self, addresses: Iterable[str], text: str) -> Match:
        return self.resolve_many([(list(addresses), text)])[0]

    def resolve_many(self, messages: list[tuple[list[str], str]]) -> list[Match]:
        """Matches for many messages; invoice references are looked up in one query.

        A message's text is scanned for invoice/PO numbers only when no address matched it
        and the store holds invoices to match them against."""
        matches: list[Match | None] = [
            self._by_address_or_domain([a for a in addresses if a]) for addresses, _ in messages
        ]
        none: frozenset[str] = frozenset()
        wanted: list[frozenset[str]] = [none] * len(messages)
        if None in matches and self._has_invoices():
            for n, (_addresses, text) in enumerate(messages):
                if matches[n] is None:
                    wanted[n] = frozenset(m.group(1).upper() for m in INVOICE_REF.finditer(text))
        all_refs: set[str] = set().union(*wanted) if wanted else set()
        owners: dict[str, int] = {}
        if all_refs:
            owners = {
                number: cid
                for number, cid in self._session.execute(
                    select(col(Invoice.number), col(Invoice.customer_id)).where(
                        col(Invoice.number).in_(sorted(all_refs))
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
