"""Invoice and PO numbers in a message's text, for matching it to a customer.

A module of its own, with nothing but `re`: the parse workers import it (see
ingest.parse_worker) without loading the store."""

from __future__ import annotations

import re

INVOICE_REF = re.compile(
    r"(?i)\b(?:inv(?:oice)?|rechnung|facture|factura|fattura)?[\s#:.\-no]*"
    r"([A-Z]{2,5}[-/]?\d{3,}(?:[-/]\d+)?|\d{4}/\d{3,})\b"
)


def invoice_refs(subject: str, new_text: str) -> frozenset[str]:
    """The numbers the customer resolver looks up for a message no address matched."""
    return frozenset(m.group(1).upper() for m in INVOICE_REF.finditer(f"{subject}\n{new_text}"))
